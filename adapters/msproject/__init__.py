"""The Microsoft Project adapter: one MSPDI (Project XML) file, or a summary task's subtree.

```
config.py      MSProjectConnection (nothing to authenticate) and MSProjectMember (path, ...)
files.py       the file behind a small interface: hashed reads, atomic checked writes, backups
mpp.py         binary .mpp (and other formats) read through MPXJ, in a Java subprocess
xmldoc.py      safe parsing, lenient element access, edits in schema order
schema.py      the MSPDI schema's element order
worktime.py    ISO 8601 durations and working-time calendars
schedule.py    the outline, resources and assignments of one plan; structural edits
mapping.py     PURE: tasks, milestones and the budget -> canonical values (the table)
edits.py       PURE: canonical changes -> edits of the plan, as Project would make them
adapter.py     the Adapter
demoplan.py    the demo's sample plan: an IT project in flight, generated
demo.py        the demo's plan file, and a project manager editing it
```
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from adapters.base import Adapter, AdapterContext, DemoSetup, DemoSite, Plugin
from adapters.msproject.config import MSProjectConnection, MSProjectMember


def _factory(connection: Any, member: Any, context: AdapterContext) -> Adapter:
    from adapters.msproject.adapter import MSProjectAdapter

    return MSProjectAdapter(connection, member, context)


def _demo(setup: DemoSetup) -> AbstractAsyncContextManager[DemoSite]:
    from adapters.msproject.demo import demo_site

    return demo_site(setup)


plugin = Plugin(
    name="msproject",
    connection=MSProjectConnection,
    member=MSProjectMember,
    factory=_factory,
    description="Microsoft Project: an MSPDI (XML) plan file, or a read-only .mpp file.",
    demo=_demo,
)
