"""The Jira adapter against the simulator: lagging search, deleted issues, workflows, versions."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import httpx
import pytest

from adapters.base import AdapterContext, CreateItem
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import JiraSimulator, ManualClock
from syncd.model import Ref
from tests.contract.adapter_suite import run

T = TypeVar("T")
TOKEN = "flow-token-1"


def make(flavor: str = "cloud", **sim_options: Any) -> tuple[JiraSimulator, JiraAdapter]:
    sim = JiraSimulator("cloud" if flavor == "cloud" else "dc", **sim_options)  # type: ignore[arg-type]
    me = sim.add_user("pm@acme.example", token=TOKEN, admin=True)
    sim.add_project("WEB", lead=me)
    cloud = flavor == "cloud"
    connection = JiraConnection(
        base_url="http://jira.test",
        deployment="cloud" if cloud else "datacenter",
        email="pm@acme.example" if cloud else None,
        token=TOKEN,
        requests_per_second=10_000,
    )
    adapter = JiraAdapter(
        connection,
        JiraMember(connection="jira", project="WEB"),
        AdapterContext("jira"),
        transport=httpx.ASGITransport(app=sim.app),
    )
    return sim, adapter


def vendor(sim: JiraSimulator) -> httpx.AsyncClient:
    """A person's client on the simulated site (the vendor's own API)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url=f"http://jira.test{sim.api}",
        auth=("pm@acme.example", TOKEN),
    )


def test_a_lagging_search_never_shows_syncds_write_as_reverted() -> None:
    """Right after syncd's update, a lagging search still returns the new values."""
    _sim, adapter = make(search_lag=60.0)

    async def flow() -> str:
        made = await adapter.create("task", {"title": "Before"}, uid="u1")
        await adapter.update("task", made.external_id, {"title": "After"})
        listing = await adapter.fetch(None)
        return next(r.values["title"] for r in listing.records if r.external_id == made.external_id)

    assert run(flow()) == "After"


def test_more_recent_writes_than_reconcile_takes_are_read_directly() -> None:
    """Beyond 50 recent writes, stale or missing search results are replaced by direct reads."""
    _sim, adapter = make(search_lag=60.0)
    items = [CreateItem("task", f"u{n}", {"title": f"T{n}"}) for n in range(60)]

    async def flow() -> int:
        await adapter.create_many(items)
        listing = await adapter.fetch(None)
        return len(listing.records)

    assert run(flow()) == 60


def test_an_issue_deleted_by_a_person_after_syncd_wrote_it_does_not_break_the_read() -> None:
    """``id in (...)`` naming a deleted issue is a 400; the read goes on without it."""
    sim, adapter = make(search_lag=60.0)
    items = [CreateItem("task", f"u{n}", {"title": f"T{n}"}) for n in range(55)]

    async def flow() -> list[str]:
        made = await adapter.create_many(items)
        first = made[0]
        assert not isinstance(first, Exception)
        async with vendor(sim) as person:
            gone = await person.delete(f"/issue/{first.external_id}")
            assert gone.status_code == 204
        listing = await adapter.fetch(None)
        return [r.external_id for r in listing.records if r.external_id == first.external_id]

    assert run(flow()) == []


@pytest.mark.parametrize("flavor", ["cloud", "dc"])
def test_status_round_trip_through_the_workflow_both_ways(flavor: str) -> None:
    """done takes two hops from To Do, and back to todo takes the Reopen transition."""
    _sim, adapter = make(flavor)

    async def flow() -> list[str]:
        made = await adapter.create("task", {"title": "T", "status": "done"}, uid="u")
        back = await adapter.update("task", made.external_id, {"status": "todo"})
        again = await adapter.update("task", made.external_id, {"status": "in_progress"})
        return [made.values["status"], back.values["status"], again.values["status"]]

    assert run(flow()) == ["done", "todo", "in_progress"]


@pytest.mark.parametrize("flavor", ["cloud", "dc"])
def test_milestones_are_versions_that_can_be_archived_and_deleted(flavor: str) -> None:
    """A version made for a milestone leaves the listing when archived or deleted."""
    _sim, adapter = make(flavor)
    beta = {"title": "Beta", "due": dt.date(2027, 5, 1), "description": "First cut"}

    async def flow() -> list[str]:
        one = await adapter.create("milestone", beta, uid="m1")
        two = await adapter.create("milestone", {**beta, "title": "GA"}, uid="m2")
        await adapter.delete("milestone", one.external_id, "archive")
        await adapter.delete("milestone", two.external_id, "delete")
        await adapter.delete("milestone", two.external_id, "delete")
        listing = await adapter.fetch(None)
        return [r.external_id for r in listing.records if r.kind == "milestone"]

    assert run(flow()) == []


def test_a_task_under_a_sub_task_is_created_without_its_parent_and_says_so() -> None:
    """Jira's hierarchy stops at sub-tasks: the child is made, its parent is unwritten."""
    _sim, adapter = make()

    async def flow() -> tuple[object, dict[str, str]]:
        top = await adapter.create("task", {"title": "Top"}, uid="a")
        sub = await adapter.create(
            "task", {"title": "Sub", "parent": Ref(uid=top.external_id)}, uid="b"
        )
        leaf = await adapter.create(
            "task", {"title": "Leaf", "parent": Ref(uid=sub.external_id)}, uid="c"
        )
        return leaf.values.get("parent"), dict(leaf.unwritten)

    parent, unwritten = run(flow())
    assert parent is None
    assert "sub-task cannot have children" in unwritten["parent"]


def test_a_parent_jiras_hierarchy_cannot_take_is_unwritten_not_a_400() -> None:
    """A standard issue moved under another standard issue (Jira needs it to be a sub-task,
    which an edit cannot make it), or a sub-task's parent removed, is reported as the one field
    Jira cannot take, with the way out; the rest of the edit is made."""
    _sim, adapter = make()

    async def flow() -> tuple[Any, Any]:
        phase = await adapter.create("task", {"title": "Build"}, uid="a")
        task = await adapter.create("task", {"title": "Component library"}, uid="b")
        sub = await adapter.create(
            "task", {"title": "Pick", "parent": Ref(uid=phase.external_id)}, uid="c"
        )
        moved = await adapter.update(
            "task",
            task.external_id,
            {"parent": Ref(uid=phase.external_id), "title": "Component library v2"},
        )
        orphan = await adapter.update("task", sub.external_id, {"parent": None})
        return moved, orphan

    moved, orphan = run(flow())
    assert moved.values["title"] == "Component library v2"
    assert moved.values["parent"] is None
    assert "only have an epic as its parent" in moved.unwritten["parent"]
    assert orphan.values["parent"] is not None
    assert "always has a parent" in orphan.unwritten["parent"]


def test_the_call_budgets_of_the_issue_are_met() -> None:
    """1000 creates in 20 bulk calls; a full read in pages + 3; a quiet poll in one search."""
    clock = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    sim, adapter = make(clock=clock)
    items = [CreateItem("task", f"u{n}", {"title": f"T{n}"}) for n in range(1000)]

    async def flow() -> tuple[int, int, int]:
        await adapter.create_many(items)
        bulk = sim.calls[("POST", "/rest/api/3/issue/bulk")]
        clock.advance(3600)
        forget_recent_writes()
        before = adapter.calls
        listing = await adapter.fetch(None)
        full = adapter.calls - before
        sim.calls.clear()
        await adapter.fetch(listing.cursor)
        return bulk, full, sim.calls[("POST", "/rest/api/3/search/jql")]

    bulk, full, searches = run(flow())
    assert bulk == 1000 // 50
    assert full <= 1000 // sim.max_page + 3
    assert searches == 1


def test_check_reports_a_bad_jql_a_missing_field_and_a_missing_link_type() -> None:
    """check() names each mapping the site does not have, with its fix."""
    sim, _ = make()
    connection = JiraConnection(
        base_url="http://jira.test", email="pm@acme.example", token=TOKEN, deployment="cloud"
    )
    member = JiraMember(
        connection="jira",
        project="WEB",
        jql="type = (",
        fields={"planned_cost": "Budget (EUR)", "start": "Start date"},
        link_type="Depends",
        status_map={"Doing": "in_progress"},
    )
    adapter = JiraAdapter(
        connection, member, AdapterContext("jira"), transport=httpx.ASGITransport(app=sim.app)
    )
    result = run(adapter.check())
    messages = "\n".join(p.message for p in result.problems)
    assert "jql 'type = (' is refused" in messages
    assert "'Budget (EUR)' (for planned_cost) does not exist" in messages
    assert "issue link type 'Depends' does not exist" in messages
    assert "status_map names 'Doing'" in messages
    assert result.info["field start"].startswith("customfield_")
