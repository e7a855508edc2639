"""A faithful local Trello (REST API under ``/1``), in memory.

```
core.py          TrelloSimulator: configuration and the add_* seeding helpers
app.py           the ASGI app: one pipeline (faults, auth, rate limits, lock, webhooks)
control.py       the /_sim/ control API (faults, calls, config, clock, state)
boards.py        members, boards, lists, labels, custom field definitions, a board's cards
cards.py         cards: create, read, update, archive, delete; their labels and members
customfields.py  custom field items (numbers are strings)
actions.py       a board's actions; paging.py limit/before/since paging, newest first
batch.py         GET /batch; webhooks.py webhooks (HEAD check, token listing, deliveries)
render.py        the JSON of every object, shaped by fields; values.py reading parameters
store.py         lookups, ObjectIds, clock, the action log; errors.py Trello's error texts
model.py         the state; limits.py Trello's rate limits (on by default)
server.py        serve(): uvicorn on 127.0.0.1 in a thread; demo.py the default site
```

    sim = TrelloSimulator(clock=ManualClock())
    ann = sim.add_member("ann", "Ann Lee", "ann@example.com")
    sim.add_app("key", "secret")
    sim.add_token(ann, "token", "key")
    board = sim.add_board("Web", lists=["To Do", "Done"], members=[ann])
    transport = httpx.ASGITransport(app=sim.app)   # or: with serve(sim) as base_url: ...
"""

from __future__ import annotations

from adapters.simulation import Fault, ManualClock
from adapters.trello.simulator.core import TrelloSimulator
from adapters.trello.simulator.limits import TRELLO_LIMITS, RateLimit
from adapters.trello.simulator.model import (
    Board,
    Card,
    CustomField,
    Label,
    Member,
    State,
    TrelloList,
)
from adapters.trello.simulator.server import serve
from adapters.trello.simulator.webhooks import signature

__all__ = [
    "TRELLO_LIMITS",
    "Board",
    "Card",
    "CustomField",
    "Fault",
    "Label",
    "ManualClock",
    "Member",
    "RateLimit",
    "State",
    "TrelloList",
    "TrelloSimulator",
    "serve",
    "signature",
]
