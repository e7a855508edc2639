"""The Trello adapter: one board's cards.

```
config.py      TrelloConnection (key, token, secret) and TrelloMember (board, lists, ...)
client.py      the REST calls (OAuth header, paced under the key and token budgets), /1/batch
mapping.py     PURE: card JSON <-> canonical values
adapter.py     the Adapter
simulator/     a local Trello for tests, benchmarks and the demo
```
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from adapters.base import Adapter, AdapterContext, DemoSetup, DemoSite, Plugin
from adapters.trello.config import TrelloConnection, TrelloMember


def _factory(connection: Any, member: Any, context: AdapterContext) -> Adapter:
    from adapters.trello.adapter import TrelloAdapter

    return TrelloAdapter(connection, member, context)


def _demo(setup: DemoSetup) -> AbstractAsyncContextManager[DemoSite]:
    from adapters.trello.simulator.demo import demo_site

    return demo_site(setup)


plugin = Plugin(
    name="trello",
    connection=TrelloConnection,
    member=TrelloMember,
    factory=_factory,
    description="Trello: a board's cards (lists as statuses, labelled milestones).",
    demo=_demo,
)
