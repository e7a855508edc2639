"""A faithful local Jira: Cloud (REST v3) or Data Center (REST v2), in memory.

```
core.py        JiraSimulator: configuration and the add_* seeding helpers
app.py         the ASGI app: one pipeline (faults, auth, rate limit, lock, webhooks)
control.py     the /_sim/ control API (faults, calls, config, clock, state)
meta.py        myself, serverInfo, project, mypermissions, field, issueLinkType, users
issues.py      create (one, bulk), get, edit, delete
workflow.py    transitions (the only way to change a status) and archiving
properties.py  issue entity properties
relations.py   issue links and versions
search.py      /search/jql (page tokens, lagging index, reconcileIssues) and DC /search
jql.py         the JQL tokenizer and parser; jql_eval.py its semantics
fields.py      writing fields and update operations as Jira validates them
render.py      the JSON of every object
store.py       the state's indexes and writes; model.py the state; defaults.py a fresh site
limits.py      injected faults and Jira's rate limits; webhooks.py and events.py, webhooks
               (deliveries), webhook_admin.py the admin webhooks API (/rest/webhooks/1.0)
server.py      serve(): uvicorn on 127.0.0.1 in a thread; demo.py the default site
```

    sim = JiraSimulator("cloud", clock=ManualClock())
    admin = sim.add_user("ann@example.com", token="t", time_zone="Europe/Paris")
    sim.add_project("WEB", lead=admin)
    transport = httpx.ASGITransport(app=sim.app)   # or: with serve(sim) as base_url: ...
"""

from __future__ import annotations

from adapters.jira.simulator.core import JiraSimulator
from adapters.jira.simulator.defaults import (
    ACTUAL_COST,
    DONE,
    IN_PROGRESS,
    IN_REVIEW,
    PLANNED_COST,
    START_DATE,
    TO_DO,
    default_workflow,
)
from adapters.jira.simulator.limits import RateLimit
from adapters.jira.simulator.model import State, Transition, User, Workflow
from adapters.jira.simulator.server import serve
from adapters.jira.simulator.webhooks import Webhook, signature
from adapters.simulation import Fault, ManualClock

__all__ = [
    "ACTUAL_COST",
    "DONE",
    "IN_PROGRESS",
    "IN_REVIEW",
    "PLANNED_COST",
    "START_DATE",
    "TO_DO",
    "Fault",
    "JiraSimulator",
    "ManualClock",
    "RateLimit",
    "State",
    "Transition",
    "User",
    "Webhook",
    "Workflow",
    "default_workflow",
    "serve",
    "signature",
]
