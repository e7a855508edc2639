"""End to end: a memory member and a simulated Asana on 127.0.0.1, 500 tasks with subtasks and
20 milestones; the group converges, edits travel both ways, and nothing echoes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.asana.adapter import AsanaAdapter, forget_caches
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator, serve
from adapters.base import AdapterContext
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
MILESTONES = 20
TOKEN = "e2e-asana-token"


@pytest.fixture
def asana() -> Iterator[tuple[AsanaSimulator, str, str]]:
    forget_caches()
    sim = AsanaSimulator()
    workspace = sim.add_workspace("Acme")
    sim.add_user("PM", "pm@acme.example", token=TOKEN)
    sim.add_user("Ana", "ana@acme.example")
    project = sim.add_project("Web", workspace, sections=["To do", "Doing", "Done"])
    sim.add_custom_field(workspace, "Budget", "number", precision=2, projects=[project])
    with serve(sim) as url:
        yield sim, url, project.gid


class Group:
    """A memory member and an Asana member, synced through one state store."""

    def __init__(self, store: Store, url: str, project: str) -> None:
        self.store = store
        self.memory = MemoryBackend()
        self.connection = AsanaConnection(base_url=url, token=TOKEN, requests_per_minute=100_000)
        self.member = AsanaMember(
            connection="asana",
            project=project,
            status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
            fields={"planned_cost": "Budget"},
        )
        self.calls = 0

    def sync(self) -> RunReport:
        return asyncio.run(self._sync())

    async def _sync(self) -> RunReport:
        memory = MemoryAdapter(
            MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), self.memory
        )
        asana = AsanaAdapter(self.connection, self.member, AdapterContext("asana"))
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(memory)
            await stack.enter_async_context(asana)
            report = await sync_group(
                self.store,
                "web",
                {"mem": memory, "asana": asana},
                Policy(max_delete_ratio=1.0),
                SyncOptions(),
            )
        self.calls = asana.calls
        return report


def seed(backend: MemoryBackend) -> list[str]:
    milestones = [
        backend.put(
            "milestone",
            {"title": f"Release {m}", "due": dt.date(2027, 1, 1) + dt.timedelta(days=14 * m)},
        )
        for m in range(MILESTONES)
    ]
    tasks: list[str] = []
    for n in range(TASKS):
        values: dict[str, Any] = {
            "title": f"Task {n:03d}",
            "description": f"Step {n}: **do** it",
            "status": ("todo", "in_progress", "done")[n % 3],
            "due": dt.date(2027, 2, 1) + dt.timedelta(days=n % 90),
            "labels": frozenset({"web", f"area-{n % 5}"}),
            "planned_cost": Decimal(f"{100 + n}.50"),
        }
        if n % 10 == 1:
            values["parent"] = Ref(uid=tasks[-1])  # a subtask of the task before
        elif n % 7 == 0:
            values["milestone"] = Ref(uid=milestones[n % MILESTONES])
        if n % 25 == 0:
            values["assignee"] = "ana@acme.example"
        tasks.append(backend.put("task", values))
    return tasks


def test_five_hundred_tasks_with_subtasks_and_milestones_converge_without_echo(
    tmp_path: Path, asana: tuple[AsanaSimulator, str, str]
) -> None:
    """The group converges, edits on both sides travel, and a quiet sync writes nothing."""
    sim, url, project = asana
    group = Group(open_store(tmp_path), url, project)
    tasks = seed(group.memory)
    first = group.sync()
    assert first.status == "ok", first.result.failures[:3]
    assert first.result.created["asana"] == TASKS + MILESTONES
    assert sim.calls[("POST", "/api/1.0/batch")] > 0

    echo = group.sync()
    assert echo.plan.is_empty(), echo.plan
    assert echo.result.writes == 0
    # syncd's own writes come back as events once: the event pages (100 a page), the tasks
    # read 10 per batch call, and which milestone holds which task (100 a page).
    records = TASKS + MILESTONES
    assert group.calls <= 2 * (records // 100 + 1) + records // 10 + 5
    quiet = group.sync()
    assert quiet.plan.is_empty()
    assert group.calls == 1  # a quiet poll: one events call

    group.memory.change(tasks[0], {"title": "Task 000 renamed", "status": "done"})
    state = group.store.load_group("web")
    uid = dict(state.linked("mem"))[tasks[2]]
    gid = {u: ext for ext, u in state.linked("asana").items()}[uid]
    answer = httpx.put(
        f"{url}/tasks/{gid}",
        json={"data": {"name": "Edited in Asana"}},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 200
    edits = group.sync()
    assert edits.status == "ok", edits.result.failures[:3]
    assert group.memory.records[tasks[2]].fields["title"] == "Edited in Asana"

    settled = group.sync()
    assert settled.plan.is_empty()
    assert settled.result.writes == 0
