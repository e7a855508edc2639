"""The Jira adapter: Jira Cloud (REST v3) and Jira Data Center (REST v2).

```
config.py       JiraConnection (site, deployment, credentials) and JiraMember (project, JQL, ...)
client.py       the REST calls, nothing else
site.py         the project, issue types, user's time zone and custom fields, cached
mapping.py      PURE: issue/version JSON <-> canonical values
adf.py wiki.py  PURE: Markdown (syncd.markdown) <-> Atlassian Document Format / wiki markup
transitions.py  status writes through workflow transitions
checks.py       syncd check
adapter.py      the Adapter
simulator/      a local Jira for tests, benchmarks and the demo
```
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from adapters.base import Adapter, AdapterContext, DemoSetup, DemoSite, Plugin
from adapters.jira.config import JiraConnection, JiraMember


def _factory(connection: Any, member: Any, context: AdapterContext) -> Adapter:
    from adapters.jira.adapter import JiraAdapter

    return JiraAdapter(connection, member, context)


def _demo(setup: DemoSetup) -> AbstractAsyncContextManager[DemoSite]:
    from adapters.jira.simulator.demo import demo_site

    return demo_site(setup)


plugin = Plugin(
    name="jira",
    connection=JiraConnection,
    member=JiraMember,
    factory=_factory,
    description="Jira Cloud (REST v3) or Data Center (REST v2): issues, versions, links.",
    demo=_demo,
)
