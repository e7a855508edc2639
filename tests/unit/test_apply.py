"""How apply sends writes: bulk calls, waves, concurrency bounds and failures."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from adapters.base import AdapterContext, CreateItem, Observed, UpdateItem
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from syncd.apply import apply
from syncd.errors import MemberError, RecordError
from syncd.model import Kind, Ref, Values
from syncd.plan import Create, Plan, Update
from syncd.state import LinkState, RecordState
from syncd.store import Store
from tests.syncing import open_store


class BulkMemory(MemoryAdapter):
    """A memory adapter that also writes in batches, and counts its calls."""

    def __init__(self, fail_titles: Sequence[str] = ()) -> None:
        super().__init__(
            MemoryConnection(),
            MemoryMember(connection="bulk"),
            AdapterContext("bulk"),
            MemoryBackend(),
        )
        self.batches: list[int] = []
        self.fail_titles = set(fail_titles)

    async def create_many(self, items: Sequence[CreateItem]) -> list[Observed | RecordError]:
        self.batches.append(len(items))
        out: list[Observed | RecordError] = []
        for item in items:
            if item.values.get("title") in self.fail_titles:
                out.append(RecordError(f"refused {item.values['title']}"))
            else:
                out.append(await self.create(item.kind, item.values, uid=item.uid))
        return out

    async def update_many(self, items: Sequence[UpdateItem]) -> list[Observed | RecordError]:
        self.batches.append(len(items))
        return [await self.update(i.kind, i.external_id, i.changes) for i in items]


class Gauge(MemoryAdapter):
    """A memory adapter whose writes take a moment, recording how many were in flight at once."""

    def __init__(self, down_after: int | None = None) -> None:
        super().__init__(
            MemoryConnection(),
            MemoryMember(connection="slow"),
            AdapterContext("slow"),
            MemoryBackend(),
        )
        self.in_flight = 0
        self.peak = 0
        self.calls = 0
        self.down_after = down_after

    async def create(self, kind: Kind, values: Values, *, uid: str) -> Observed:
        self.calls += 1
        if self.down_after is not None and self.calls > self.down_after:
            raise MemberError("the service is down")
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        return await super().create(kind, values, uid=uid)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path)


def creates(member: str, n: int, **extra: Any) -> list[Create]:
    return [Create(member, f"u{i}", "task", {"title": f"T{i}", **extra}) for i in range(n)]


def run(plan: Plan, adapters: dict[str, Any], store: Store, **kw: Any) -> Any:
    run_id = store.begin_run(plan.group)[0]
    records = {c.uid: RecordState(c.uid, c.kind, dict(c.values)) for c in plan.creates}
    records.update(kw.pop("records", {}))
    return asyncio.run(apply(plan, adapters, store, run_id=run_id, records=records, **kw))


def test_bulk_adapter_gets_batches_of_fifty(store: Store) -> None:
    """An adapter with create_many receives the creates in batches, not one call each."""
    adapter = BulkMemory()
    result = run(Plan("g", creates=creates("bulk", 120)), {"bulk": adapter}, store)
    assert adapter.batches == [50, 50, 20]
    assert result.created["bulk"] == 120
    assert len(store.load_group("g").linked("bulk")) == 120


def test_references_split_creates_into_waves(store: Store) -> None:
    """A record is created in a later call than the record it references, with its id."""
    adapter = BulkMemory()
    plan = Plan(
        "g",
        creates=[
            Create("bulk", "p", "task", {"title": "Parent"}),
            Create("bulk", "q", "task", {"title": "Other"}),
            Create("bulk", "c", "task", {"title": "Child", "parent": Ref(uid="p")}),
            Create("bulk", "d", "task", {"title": "Child 2", "parent": Ref(uid="p")}),
        ],
    )
    run(plan, {"bulk": adapter}, store)
    assert adapter.batches == [2, 2]
    linked = {uid: ext for ext, uid in store.load_group("g").linked("bulk").items()}
    child = adapter.backend.records[linked["c"]]
    assert child.fields["parent"] == Ref(uid=linked["p"])


def test_one_failed_item_of_a_batch_fails_alone(store: Store) -> None:
    """A batch item the system refuses is recorded as failed; the rest of the batch lands."""
    adapter = BulkMemory(fail_titles=["T3"])
    result = run(Plan("g", creates=creates("bulk", 5)), {"bulk": adapter}, store)
    assert result.created["bulk"] == 4
    assert [(f.uid, f.error_class) for f in result.failures] == [("u3", "RecordError")]
    assert store.load_group("g").pending == []


def test_bulk_updates(store: Store) -> None:
    """Updates to an adapter with update_many go out in batches too."""
    adapter = BulkMemory()
    records = {}
    updates = []
    for i in range(60):
        ext = adapter.backend.put("task", {"title": f"T{i}"})
        link = LinkState("bulk", ext, {"title": f"T{i}"})
        records[f"u{i}"] = RecordState(f"u{i}", "task", {"title": f"N{i}"}, {"bulk": link})
        updates.append(Update("bulk", f"u{i}", "task", ext, {"title": f"N{i}"}, {"title": f"T{i}"}))
    store.commit_observed("g", list(records.values()), {})
    result = run(Plan("g", updates=updates), {"bulk": adapter}, store, records=records)
    assert adapter.batches == [50, 10]
    assert result.updated["bulk"] == 60


def test_requests_in_flight_stay_within_the_member_limit(store: Store) -> None:
    """No more than ``concurrency`` writes run at once against one member."""
    adapter = Gauge()
    run(Plan("g", creates=creates("slow", 20)), {"slow": adapter}, store, concurrency={"slow": 3})
    assert adapter.peak == 3


def test_member_failure_stops_its_writes_but_not_the_others(store: Store) -> None:
    """After a MemberError a member gets no more writes; other members carry on."""
    down, fine = Gauge(down_after=2), Gauge()
    plan = Plan("g", creates=[*creates("slow", 10), *creates("fine", 10)])
    result = run(plan, {"slow": down, "fine": fine}, store, concurrency={"slow": 1})
    assert result.created["fine"] == 10
    assert result.created["slow"] == 2
    assert down.calls == 3
    failed = [f for f in result.failures if f.member == "slow"]
    assert len(failed) == 8
    assert {f.error_class for f in failed} == {"MemberError"}
