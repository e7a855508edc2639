"""The Asana adapter: one project of an Asana workspace.

```
config.py      AsanaConnection (token, limits) and AsanaMember (project, sections, ...)
client.py      the REST calls: pages, events, batch
mapping.py     PURE: task JSON <-> canonical values
richtext.py    PURE: Markdown (syncd.markdown) <-> html_notes
adapter.py     the Adapter
simulator/     a local Asana for tests, benchmarks and the demo
```
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.base import Adapter, AdapterContext, DemoSetup, DemoSite, Plugin


def _factory(connection: Any, member: Any, context: AdapterContext) -> Adapter:
    from adapters.asana.adapter import AsanaAdapter

    return AsanaAdapter(connection, member, context)


def _demo(setup: DemoSetup) -> AbstractAsyncContextManager[DemoSite]:
    from adapters.asana.simulator.demo import demo_site

    return demo_site(setup)


plugin = Plugin(
    name="asana",
    connection=AsanaConnection,
    member=AsanaMember,
    factory=_factory,
    description="Asana: a project's tasks, subtasks and milestones.",
    demo=_demo,
)
