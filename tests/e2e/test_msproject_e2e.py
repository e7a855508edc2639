"""End to end: a memory member and a Microsoft Project plan file in one group.

The plans: a real file from ../shared/specs/mspdi (milestones, costs, predecessor links; skipped
with a reason when absent) and our own. The group converges, edits made on both sides travel,
nothing echoes (a quiet run writes neither the file nor the memory member) and the file gains
no schema error.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.base import AdapterContext
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from adapters.msproject.adapter import MSProjectAdapter
from adapters.msproject.files import LocalPlanFile, Snapshot
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.errors import SimulatedCrash
from syncd.model import Ref
from syncd.plan import Policy
from syncd.store import Store
from tests.contract.mspdi import MSPDI_DIR, new_errors
from tests.syncing import open_store
from tests.unit.msproject.helpers import WEBSITE, adapter_for

pytestmark = pytest.mark.slow

REAL = MSPDI_DIR / "mpxj_sample1.xml"
PLANS = [
    pytest.param(
        REAL,
        id="mpxj_sample1",
        marks=pytest.mark.skipif(not REAL.is_file(), reason=f"{REAL} not found (specs absent)"),
    ),
    pytest.param(WEBSITE, id="website"),
]


class Group:
    """A memory member and a plan file, synced through one state store."""

    def __init__(self, store: Store, path: Path) -> None:
        self.store = store
        self.path = path
        self.memory = MemoryBackend()
        self.file_writes = 0

    def sync(self) -> RunReport:
        return asyncio.run(self._sync())

    async def _sync(self) -> RunReport:
        memory = MemoryAdapter(
            MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), self.memory
        )
        plan: MSProjectAdapter = adapter_for(self.path, currency=None)
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(memory)
            await stack.enter_async_context(plan)
            report = await sync_group(
                self.store,
                "plan",
                {"mem": memory, "plan": plan},
                Policy(max_delete_ratio=1.0),
                SyncOptions(),
            )
        self.file_writes = plan.writes
        return report

    def memory_id(self, plan_uid: str) -> str:
        state = self.store.load_group("plan")
        uid = dict(state.linked("plan"))[plan_uid]
        return {u: ext for ext, u in state.linked("mem").items()}[uid]


@pytest.mark.parametrize("source", PLANS)
def test_a_plan_and_a_memory_member_converge_without_echo(tmp_path: Path, source: Path) -> None:
    """Records flow both ways, edits on both sides meet, and quiet runs write nothing."""
    path = tmp_path / source.name
    shutil.copyfile(source, path)
    original = path.read_bytes()
    group = Group(open_store(tmp_path), path)

    first = group.sync()
    assert first.status == "ok", first.result.failures[:3]
    kinds = {rec.kind for rec in group.memory.records.values()}
    assert {"task", "milestone"} <= kinds
    assert any(rec.fields.get("depends_on") for rec in group.memory.records.values())
    assert any(rec.fields.get("planned_cost") for rec in group.memory.records.values())

    echo = group.sync()
    assert echo.plan.is_empty(), echo.plan
    assert group.file_writes == 0

    # A person edits the plan in Project; someone else edits the memory member.
    state = group.store.load_group("plan")
    plan_ids = sorted(dict(state.linked("plan")), key=lambda e: (len(e), e))
    leaves = [
        e
        for e in plan_ids
        if group.memory.records[group.memory_id(e)].kind == "task"
        and not any(
            r.fields.get("parent") == Ref(uid=group.memory_id(e))
            for r in group.memory.records.values()
        )
    ]
    leaf, other = leaves[0], leaves[1]
    text = path.read_text(encoding="utf-8")
    name = group.memory.records[group.memory_id(leaf)].fields["title"]
    path.write_text(
        text.replace(f"<Name>{name}</Name>", "<Name>Renamed in Project</Name>", 1), encoding="utf-8"
    )
    group.memory.change(group.memory_id(other), {"due": dt.date(2031, 6, 30), "title": "From Jira"})
    milestone = next(
        group.memory_id(e)
        for e in plan_ids
        if group.memory.records[group.memory_id(e)].kind == "milestone"
    )
    added = group.memory.put(
        "task",
        {
            "title": "Added in memory",
            "status": "in_progress",
            "percent_complete": 30,
            "start": dt.date(2031, 6, 2),
            "due": dt.date(2031, 6, 6),
            "milestone": Ref(uid=milestone),
            "depends_on": frozenset({Ref(uid=group.memory_id(other))}),
        },
    )

    edits = group.sync()
    assert edits.status == "ok", edits.result.failures[:3]
    assert group.memory.records[group.memory_id(leaf)].fields["title"] == "Renamed in Project"
    records = _plan_records(path)
    assert records[other]["title"] == "From Jira"
    assert records[other]["due"] == dt.date(2031, 6, 30)
    new = next(v for v in records.values() if v.get("title") == "Added in memory")
    assert new["percent_complete"] == 30
    assert new["depends_on"] == frozenset({Ref(uid=other)})
    assert added in group.memory.records

    settled = group.sync()  # reads back the edits' own writes once
    assert settled.plan.is_empty(), settled.plan
    before_quiet = path.read_bytes()
    quiet = group.sync()
    assert quiet.plan.is_empty()
    assert group.file_writes == 0
    assert path.read_bytes() == before_quiet
    if MSPDI_DIR.is_dir():
        assert not new_errors(original, path.read_bytes())


def _plan_records(path: Path) -> dict[str, dict[str, object]]:
    async def body() -> dict[str, dict[str, object]]:
        async with adapter_for(path, currency=None) as adapter:
            observation = await adapter.fetch(None)
        return {r.external_id: r.values for r in observation.records}

    return asyncio.run(body())


class SavedMeanwhile(LocalPlanFile):
    """The plan file, saved by a person in Project just before syncd's first write to it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.saves = 0

    def write(self, data: bytes, *, expected: str) -> Snapshot:
        if not self.saves:
            self.saves += 1
            text = self.path.read_bytes()
            self.path.write_bytes(text.replace(b"<Name>Frontend</Name>", b"<Name>Front end</Name>"))
        return super().write(data, expected=expected)


def test_a_save_in_project_during_a_sync_is_kept_and_the_group_replans(tmp_path: Path) -> None:
    """A person's save between syncd's read and write is never overwritten: syncd re-plans."""
    path = tmp_path / "website.xml"
    shutil.copyfile(WEBSITE, path)
    group = Group(open_store(tmp_path), path)
    assert group.sync().status == "ok"
    frontend = group.memory_id("5")
    group.memory.change(frontend, {"due": dt.date(2026, 4, 3)})

    async def run_with_a_save() -> RunReport:
        memory = MemoryAdapter(
            MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), group.memory
        )
        plan = adapter_for(path, currency=None)
        plan.file = SavedMeanwhile(path)
        async with memory, plan:
            return await sync_group(
                group.store, "plan", {"mem": memory, "plan": plan}, Policy(), SyncOptions()
            )

    with capture_logs() as logs:
        report = asyncio.run(run_with_a_save())
    assert report.status == "ok", report.result.failures
    assert any(e["event"] == "sync.replan" for e in logs)
    records = _plan_records(path)
    assert records["5"]["title"] == "Front end"  # the person's save
    assert records["5"]["due"] == dt.date(2026, 4, 3)  # and syncd's write, made after it
    assert group.memory.records[frontend].fields["title"] == "Front end"


class CrashAfterWrite(LocalPlanFile):
    """The plan file, with syncd killed right after its first write lands (before the link)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.crashed = False

    def write(self, data: bytes, *, expected: str) -> Snapshot:
        written = super().write(data, expected=expected)
        if not self.crashed:
            self.crashed = True
            raise SimulatedCrash("killed after the plan was written")
        return written


def test_a_crash_between_the_write_and_the_link_creates_no_duplicate(tmp_path: Path) -> None:
    """Tasks written just before a crash are adopted by their uid field on the rerun."""
    path = tmp_path / "website.xml"
    shutil.copyfile(WEBSITE, path)
    group = Group(open_store(tmp_path), path)
    assert group.sync().status == "ok"
    group.memory.put("task", {"title": "Written, then crash", "due": dt.date(2026, 4, 1)})

    async def crashing_run() -> RunReport:
        memory = MemoryAdapter(
            MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), group.memory
        )
        plan = adapter_for(path, currency=None)
        plan.file = CrashAfterWrite(path)
        async with memory, plan:
            return await sync_group(
                group.store, "plan", {"mem": memory, "plan": plan}, Policy(), SyncOptions()
            )

    with pytest.raises(SimulatedCrash):
        asyncio.run(crashing_run())
    assert path.read_text(encoding="utf-8").count("Written, then crash") == 1
    again = group.sync()
    assert again.status == "ok", again.result.failures
    assert path.read_text(encoding="utf-8").count("Written, then crash") == 1
    assert group.sync().plan.is_empty()
