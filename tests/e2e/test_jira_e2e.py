"""End to end: a memory member and a simulated Jira on 127.0.0.1, 500 issues and 20 versions.

The group converges, edits on either side travel to the other, a second sync writes nothing
(no echo), and the calls stay within the budget the issue sets.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.base import AdapterContext
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import PLANNED_COST, START_DATE, JiraSimulator, serve
from adapters.jira.site import forget_sites
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.model import Ref
from syncd.plan import Policy
from syncd.store import Store
from tests.syncing import open_store

pytestmark = pytest.mark.slow

TASKS = 500
VERSIONS = 20


@pytest.fixture
def jira() -> Iterator[tuple[JiraSimulator, str]]:
    forget_sites()
    forget_recent_writes()
    sim = JiraSimulator("cloud", search_lag=0.5)
    me = sim.add_user("pm@acme.example", token="e2e-token-1", time_zone="America/Los_Angeles")
    sim.add_user("ana@acme.example", "Ana")
    sim.add_project("WEB", lead=me)
    with serve(sim) as url:
        yield sim, url


class Group:
    """A memory member and a Jira member, synced through one state store."""

    def __init__(self, store: Store, url: str, sim: JiraSimulator) -> None:
        self.store = store
        self.memory = MemoryBackend()
        self.sim = sim
        self.connection = JiraConnection(
            base_url=url,
            deployment="cloud",
            email="pm@acme.example",
            token="e2e-token-1",
            requests_per_second=10_000,
        )
        self.member = JiraMember(
            connection="jira",
            project="WEB",
            fields={"start": START_DATE, "planned_cost": PLANNED_COST},
            concurrency=8,
        )
        ana = next(u for u in sim.state.users.values() if u.email == "ana@acme.example")
        self.people = {"ana@acme.example": ana.account_id}
        self.jira_calls = 0

    def sync(self) -> RunReport:
        return asyncio.run(self._sync())

    async def _sync(self) -> RunReport:
        memory = MemoryAdapter(
            MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), self.memory
        )
        jira = JiraAdapter(self.connection, self.member, AdapterContext("jira", people=self.people))
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(memory)
            await stack.enter_async_context(jira)
            report = await sync_group(
                self.store,
                "web",
                {"mem": memory, "jira": jira},
                Policy(max_delete_ratio=1.0),
                SyncOptions(),
                concurrency={"mem": 4, "jira": 8},
            )
        self.jira_calls = jira.calls
        return report


def seed(backend: MemoryBackend) -> list[str]:
    versions = [
        backend.put(
            "milestone",
            {"title": f"Release {v}", "due": dt.date(2027, 1, 1) + dt.timedelta(days=14 * v)},
        )
        for v in range(VERSIONS)
    ]
    tasks = []
    for n in range(TASKS):
        values: dict[str, Any] = {
            "title": f"Task {n:03d}",
            "description": f"Step {n}: **do** it",
            "status": ("todo", "in_progress", "done")[n % 3],
            "due": dt.date(2027, 2, 1) + dt.timedelta(days=n % 90),
            "labels": frozenset({"web", f"area-{n % 5}"}),
            "milestone": Ref(uid=versions[n % VERSIONS]),
            "planned_cost": Decimal(f"{100 + n}.50"),
        }
        if n % 10 == 0:
            values["assignee"] = "ana@acme.example"
        tasks.append(backend.put("task", values))
    return tasks


def test_five_hundred_issues_converge_both_ways_without_echo(
    tmp_path: Path, jira: tuple[JiraSimulator, str]
) -> None:
    """500 tasks and 20 versions reach Jira, edits flow both ways, and nothing echoes."""
    sim, url = jira
    group = Group(open_store(tmp_path), url, sim)
    tasks = seed(group.memory)
    first = group.sync()
    assert first.status == "ok", first.result.failures[:3]
    assert first.result.created["jira"] == TASKS + VERSIONS
    # Bulk creates: 500 issues in 10 calls of 50, plus their read-backs and transitions.
    bulk = sim.calls[("POST", "/rest/api/3/issue/bulk")]
    assert bulk == TASKS // 50

    # Creates: 10 bulk calls, 10 read-backs, 20 versions, one transition per hop (routes are
    # learned once per issue type and status), and the first full read.
    assert group.jira_calls < TASKS + 100, sim.calls.most_common()

    echo = group.sync()
    assert echo.plan.is_empty(), echo.plan
    assert echo.result.writes == 0
    # syncd's own writes moved ``updated``: they are read back once (pages of 100), no more.
    assert group.jira_calls <= TASKS // 100 + 1 + 1

    quiet = group.sync()
    assert quiet.plan.is_empty()
    assert quiet.result.writes == 0
    # Within the cursor's overlap window the burst is listed again (and dropped as seen); once
    # the window has passed, a quiet poll is one search (see the unit tests).
    assert group.jira_calls <= TASKS // 100 + 1 + 1

    # Edits on both sides.
    group.memory.change(tasks[0], {"title": "Task 000 renamed", "status": "done"})
    state = group.store.load_group("web")
    uid = dict(state.linked("mem"))[tasks[1]]
    jira_id = {u: ext for ext, u in state.linked("jira").items()}[uid]
    answer = httpx.put(
        f"{url}/rest/api/3/issue/{jira_id}",
        json={"fields": {"summary": "Edited in Jira"}},
        auth=("pm@acme.example", "e2e-token-1"),
    )
    assert answer.status_code == 204
    time.sleep(0.6)  # the next poll comes after Jira's search index caught up (lag 0.5 s)
    edits = group.sync()
    assert edits.status == "ok"
    assert group.memory.records[tasks[1]].fields["title"] == "Edited in Jira"

    settled = group.sync()
    assert settled.plan.is_empty()
    assert settled.result.writes == 0
