"""The Asana adapter against the simulator: the call budgets, and Asana's own rules."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import TypeVar

import httpx
import pytest

from adapters.asana.adapter import AsanaAdapter, forget_caches
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator
from adapters.base import AdapterContext, CreateItem, UpdateItem
from syncd.errors import RecordError
from syncd.model import Ref
from tests.contract.adapter_suite import run

T = TypeVar("T")
TOKEN = "asana-flow-token"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    forget_caches()
    yield
    forget_caches()


def make() -> tuple[AsanaSimulator, AsanaAdapter]:
    sim = AsanaSimulator()
    workspace = sim.add_workspace("Acme")
    sim.add_user("PM", "pm@acme.example", token=TOKEN)
    project = sim.add_project("Web", workspace, sections=["To do", "Doing", "Done"])
    connection = AsanaConnection(
        base_url="http://asana.test/api/1.0", token=TOKEN, requests_per_minute=100_000
    )
    member = AsanaMember(
        connection="asana",
        project=project.gid,
        status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
    )
    adapter = AsanaAdapter(
        connection, member, AdapterContext("asana"), transport=httpx.ASGITransport(app=sim.app)
    )
    return sim, adapter


def test_the_call_budgets_of_the_issue_are_met() -> None:
    """1,000 updates in 100 batch calls; a full read in 10 pages + 5; a quiet poll in 1 call."""
    sim, adapter = make()
    items = [CreateItem("task", f"u{n}", {"title": f"T{n}"}) for n in range(1000)]

    async def flow() -> tuple[int, int, int]:
        made = await adapter.create_many(items)
        updates = [
            UpdateItem("task", m.external_id, {"title": f"{m.values['title']}!"})
            for m in made
            if not isinstance(m, RecordError)
        ]
        before = adapter.calls
        await adapter.update_many(updates)
        writes = adapter.calls - before
        forget_caches()
        fresh = make_again(sim, adapter)
        listing = await fresh.fetch(None)
        full = fresh.calls
        before = fresh.calls
        await fresh.fetch(listing.cursor)
        return writes, full, fresh.calls - before

    writes, full, quiet = run(flow())
    assert writes <= 1000 // 10
    assert full <= 1000 // 100 + 5
    assert quiet == 1


def make_again(sim: AsanaSimulator, old: AsanaAdapter) -> AsanaAdapter:
    """A new adapter (a new process) on the same site."""
    return AsanaAdapter(
        old.connection,
        old.settings,
        AdapterContext("asana"),
        transport=httpx.ASGITransport(app=sim.app),
    )


def test_a_start_date_after_the_due_date_is_refused_for_that_field_only() -> None:
    """Asana keeps start_on only before due_on: the task is made, the start is unwritten."""
    _, adapter = make()
    values = {"title": "T", "start": dt.date(2026, 3, 2), "due": dt.date(2026, 3, 1)}
    made = run(adapter.create("task", values, uid="u"))
    assert made.values["start"] is None
    assert "later due date" in made.unwritten["start"]


def test_a_due_date_before_the_start_held_is_refused_for_that_field_only() -> None:
    """Another tool moved a due date before the task's start: Asana would refuse the whole
    update (400); the due date is left out and reported, the rest of the update is made.
    A new process (nothing read yet) reads the task first."""
    sim, adapter = make()
    values = {"title": "T", "start": dt.date(2026, 3, 30), "due": dt.date(2026, 4, 10)}
    made = run(adapter.create("task", values, uid="u"))
    fresh = make_again(sim, adapter)
    changes = {"due": dt.date(2026, 3, 2), "title": "Renamed"}
    item = UpdateItem("task", made.external_id, changes)
    (updated,) = run(fresh.update_many([item]))
    assert not isinstance(updated, RecordError)
    assert (updated.values["title"], updated.values["due"]) == ("Renamed", dt.date(2026, 4, 10))
    assert "start date" in updated.unwritten["due"]


def test_a_one_day_move_before_the_start_clears_the_start_and_lands_the_due_date() -> None:
    """A task made a one-day task earlier (start = due, before the start Asana holds): the
    start cannot be kept, and the start held would refuse the due date; the start is cleared
    and reported, the due date lands."""
    sim, adapter = make()
    values = {"title": "T", "start": dt.date(2026, 3, 30), "due": dt.date(2026, 4, 10)}
    made = run(adapter.create("task", values, uid="u"))
    changes = {"start": dt.date(2026, 3, 6), "due": dt.date(2026, 3, 6)}
    (updated,) = run(
        make_again(sim, adapter).update_many([UpdateItem("task", made.external_id, changes)])
    )
    assert not isinstance(updated, RecordError)
    assert (updated.values["start"], updated.values["due"]) == (None, dt.date(2026, 3, 6))
    assert set(updated.unwritten) == {"start"}


def test_an_expired_sync_token_reads_everything_again_completely() -> None:
    """After the token expires (412), the next read is complete, with a fresh token."""
    sim, adapter = make()
    sim.sync_ttl = 0.0

    async def flow() -> bool:
        first = await adapter.create("task", {"title": "T"}, uid="u")
        listing = await adapter.fetch(None)
        await asyncio.sleep(0.01)
        again = await adapter.fetch(listing.cursor)
        return again.complete and first.external_id in {r.external_id for r in again.records}

    assert run(flow())


def test_status_can_live_in_an_enum_custom_field() -> None:
    """With fields.status naming an enum field, statuses are its options, both ways."""
    sim = AsanaSimulator()
    workspace = sim.add_workspace("Acme")
    sim.add_user("PM", "pm@acme.example", token=TOKEN)
    project = sim.add_project("Web", workspace)
    sim.add_custom_field(
        workspace, "Stage", "enum", options=["Backlog", "Building", "Shipped"], projects=[project]
    )
    member = AsanaMember(
        connection="asana",
        project=project.gid,
        fields={"status": "Stage"},
        status_map={"Backlog": "todo", "Building": "in_progress", "Shipped": "done"},
    )
    connection = AsanaConnection(
        base_url="http://asana.test/api/1.0", token=TOKEN, requests_per_minute=100_000
    )
    adapter = AsanaAdapter(
        connection, member, AdapterContext("asana"), transport=httpx.ASGITransport(app=sim.app)
    )

    async def flow() -> list[str]:
        made = await adapter.create("task", {"title": "T", "status": "in_progress"}, uid="u")
        back = await adapter.update("task", made.external_id, {"status": "todo"})
        listing = await adapter.fetch(None)
        again = next(r for r in listing.records if r.external_id == made.external_id)
        return [made.values["status"], back.values["status"], again.values["status"]]

    assert run(flow()) == ["in_progress", "todo", "todo"]


def test_a_task_read_on_its_own_knows_its_milestone_and_can_move() -> None:
    """A new process reading a changed task learns its milestone from the task's dependents
    (no listing of the project); moving it to another milestone takes it off the first."""
    sim, first = make()

    def listings() -> int:
        return sum(n for (_, path), n in sim.calls.items() if path.endswith("/tasks"))

    async def flow() -> tuple[object, object, int]:
        launch = await first.create("milestone", {"title": "Launch"}, uid="m1")
        beta = await first.create("milestone", {"title": "Beta"}, uid="m2")
        task = await first.create(
            "task", {"title": "Ship", "milestone": Ref(uid=launch.external_id)}, uid="t"
        )
        cursor = (await first.fetch(None)).cursor
        await first.update("task", task.external_id, {"title": "Ship it"})
        transport = httpx.ASGITransport(app=sim.app)
        second = AsanaAdapter(
            first.connection, first.settings, AdapterContext("asana"), transport=transport
        )
        before = listings()
        (read,) = [r for r in (await second.fetch(cursor)).records if r.kind == "task"]
        listed = listings() - before
        moved = await second.update(
            "task", task.external_id, {"milestone": Ref(uid=beta.external_id)}
        )
        return read.values["milestone"], moved.values["milestone"], listed

    seen, moved, listed = run(flow())
    assert seen == Ref(uid=gid_of(sim, "Launch"))
    assert listed == 0
    assert moved == Ref(uid=gid_of(sim, "Beta"))
    ship = gid_of(sim, "Ship it")
    holders = [g for g, t in sim.state.tasks.items() if ship in t.dependencies and not t.deleted]
    assert holders == [gid_of(sim, "Beta")]


def gid_of(sim: AsanaSimulator, name: str) -> str:
    return next(gid for gid, t in sim.state.tasks.items() if t.name == name)
