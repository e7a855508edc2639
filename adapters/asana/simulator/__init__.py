"""A faithful local Asana (REST API 1.0), in memory.

```
core.py        AsanaSimulator: configuration and the add_* seeding helpers
app.py         the ASGI app: one pipeline (faults, auth, rate limits, lock, webhooks)
control.py     the /_sim/ control API (faults, calls, config, clock, state)
meta.py        users, workspaces, projects, sections, tags, custom fields
tasks.py       tasks: create, get, update, delete (trash), the task lists
relations.py   parent, dependencies (premium), tags, projects and sections of a task
taskwrite.py   writing a task's fields as Asana validates them; values.py, richtext.py
render.py      the JSON of every object, shaped by opt_fields
paging.py      limit/offset pagination; events.py the Events API (sync tokens)
batch.py       the Batch API; webhooks.py webhooks (handshake, signed deliveries)
changes.py     the events each change produces; store.py lookups, gids, clock, event log
model.py       the state; limits.py injected faults and rate limits
server.py      serve(): uvicorn on 127.0.0.1 in a thread; demo.py the default site
```

    sim = AsanaSimulator(clock=ManualClock())
    workspace = sim.add_workspace("Acme")
    sim.add_user("Ann", "ann@example.com", token="t")
    project = sim.add_project("Web", workspace, sections=["To do", "Done"])
    transport = httpx.ASGITransport(app=sim.app)   # or: with serve(sim) as base_url: ...
"""

from __future__ import annotations

from adapters.asana.simulator.core import AsanaSimulator
from adapters.asana.simulator.limits import RateLimit
from adapters.asana.simulator.model import (
    CustomField,
    Project,
    Section,
    State,
    Task,
    User,
    Workspace,
)
from adapters.asana.simulator.server import serve
from adapters.asana.simulator.webhooks import signature
from adapters.simulation import Fault, ManualClock

__all__ = [
    "AsanaSimulator",
    "CustomField",
    "Fault",
    "ManualClock",
    "Project",
    "RateLimit",
    "Section",
    "State",
    "Task",
    "User",
    "Workspace",
    "serve",
    "signature",
]
