"""The simulated people of `tests.faults.users`, in the demo's own stand-ins: what each one does
is seen by them, by the tool itself and by syncd's adapter of the tool."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from adapters import plugin
from adapters.base import AdapterContext, DemoSetup, DemoSite
from syncd.demo import CAST, TIMEZONE
from tests.faults.users import Seen, User, users

WEBSITE = Path(__file__).parents[1] / "fixtures" / "msproject" / "website.xml"
TOOLS = {"plan": "msproject", "jira": "jira", "asana": "asana", "trello": "trello"}
TODAY = dt.date(2026, 3, 4)  # a Wednesday within website.xml's schedule


@asynccontextmanager
async def _site(member: str, directory: Path, existing: tuple[str, ...]) -> AsyncIterator[Any]:
    factory = plugin(TOOLS[member]).demo
    assert factory is not None
    async with factory(DemoSetup(directory, CAST, TODAY, TIMEZONE, existing)) as site:
        yield site


async def _adapter_view(member: str, site: DemoSite) -> list[Seen]:
    """The tasks syncd's adapter of the tool lists, built from the site's config."""
    found = plugin(TOOLS[member])
    connection = found.connection.model_validate(site.connection)
    settings = found.member.model_validate({"connection": member, **site.member})
    context = AdapterContext(member=member, currency="EUR", timezone=ZoneInfo(TIMEZONE))
    async with found.factory(connection, settings, context) as adapter:
        observation = await adapter.fetch(None)
    assert not observation.errors
    return sorted(
        (
            Seen(r.values["title"], r.values["due"], r.values["status"])
            for r in observation.records
            if r.kind == "task"
        ),
        key=repr,
    )


async def _agrees_with_adapter(user: User, site: DemoSite) -> None:
    assert sorted(await user.tasks(), key=repr) == await _adapter_view(user.member, site)


def _named(seen: list[Seen], title: str) -> list[Seen]:
    return [s for s in seen if s.title == title]


async def _lifecycle(user: User, site: DemoSite) -> None:
    """Create, move the due date, walk the statuses, delete; a title seen twice or not at all
    is refused."""
    due = dt.date(2026, 3, 20)
    await user.create("Fault drill", due)
    (made,) = _named(await user.tasks(), "Fault drill")
    assert made.due == due
    assert made.status == "todo"

    await user.set_due("Fault drill", dt.date(2026, 3, 24))
    (moved,) = _named(await user.tasks(), "Fault drill")
    assert moved.due == dt.date(2026, 3, 24)
    for status in ("done", "in_progress", "todo"):  # Jira: two hops, two hops, one
        if status in user.statuses:
            await user.set_status("Fault drill", status)
            assert _named(await user.tasks(), "Fault drill")[0].status == status
    await _agrees_with_adapter(user, site)  # syncd's adapter lists it as the person sees it

    await user.delete("Fault drill")
    assert _named(await user.tasks(), "Fault drill") == []
    with pytest.raises(LookupError, match="no task titled 'Fault drill'"):
        await user.set_due("Fault drill", due)

    await user.create("Twice")
    await user.create("Twice")
    assert len(_named(await user.tasks(), "Twice")) == 2
    with pytest.raises(LookupError, match="2 tasks titled 'Twice'"):
        await user.set_status("Twice", "done")


@pytest.mark.parametrize("plan", ["website", "demo"])
def test_the_project_manager_edits_the_plan_as_project_saves_it(tmp_path: Path, plan: str) -> None:
    """On the small website plan and on the demo's plan, every edit is read back by syncd's
    plan adapter as the person sees it."""

    async def run() -> str:
        async with _site("plan", tmp_path, ()) as site:
            if plan == "website":
                shutil.copyfile(WEBSITE, site.path)
            user = users({"plan": site})["plan"]
            before = await user.tasks()
            await _lifecycle(user, site)
            assert [s for s in await user.tasks() if s.title != "Twice"] == before
            return str(site.path.read_text(encoding="utf-8"))

    text = asyncio.run(run())
    assert "<Name>Fault drill</Name>" not in text


def test_a_new_plan_task_is_written_as_project_writes_it(tmp_path: Path) -> None:
    """A new task gets the next UID and row, a top-level outline number and WBS code, and its
    due day of working time (or, undated, an estimated day from the project's start); a row
    deleted with its subtasks takes their links and assignments along."""

    async def run() -> list[Seen]:
        async with _site("plan", tmp_path, ()) as site:
            shutil.copyfile(WEBSITE, site.path)
            user = users({"plan": site})["plan"]
            await user.create("Go-live checks", dt.date(2026, 4, 13))
            await user.create("Retrospective")
            await user.delete("Design")  # a summary task, with its two subtasks
            await user.set_due("Frontend", dt.date(2026, 3, 10))  # before it starts
            return await user.tasks()

    seen = asyncio.run(run())
    rows = _rows(tmp_path / "website-relaunch.xml")
    assert rows["Go-live checks"] | {"CreateDate": ""} == {
        "UID": "8",
        "ID": "5",
        "Name": "Go-live checks",
        "Type": "0",
        "IsNull": "0",
        "CreateDate": "",
        "WBS": "3",
        "OutlineNumber": "3",
        "OutlineLevel": "1",
        "Priority": "500",
        "Start": "2026-04-13T08:00:00",
        "Finish": "2026-04-13T17:00:00",
        "Duration": "PT8H0M0S",
        "DurationFormat": "7",
        "Work": "PT0H0M0S",
        "Estimated": "0",
        "Milestone": "0",
        "Summary": "0",
        "Critical": "0",
        "FixedCost": "0",
        "FixedCostAccrual": "3",
        "PercentComplete": "0",
        "PercentWorkComplete": "0",
        "Cost": "0",
        "ActualCost": "0",
        "ConstraintType": "6",
        "CalendarUID": "-1",
        "ConstraintDate": "2026-04-13T17:00:00",
        "Active": "1",
        "Manual": "0",
    }
    retrospective = rows["Retrospective"]
    assert (retrospective["UID"], retrospective["ID"], retrospective["WBS"]) == ("9", "6", "4")
    assert (retrospective["Estimated"], retrospective["ConstraintType"]) == ("1", "0")
    assert [(r["Name"], r["ID"], r["OutlineNumber"]) for r in rows.values()][:5] == [
        ("Website relaunch", "0", "0"),
        ("Build", "1", "1"),
        ("Frontend", "2", "1.1"),
        ("Content migration", "3", "1.2"),
        ("Launch", "4", "2"),
    ]
    frontend = rows["Frontend"]
    assert (frontend["Start"], frontend["Finish"]) == ("2026-03-10T08:00:00", "2026-03-10T17:00:00")
    text = (tmp_path / "website-relaunch.xml").read_text(encoding="utf-8")
    assert "<PredecessorUID>3</PredecessorUID>" not in text  # Frontend's link to Visual design
    assert "<TaskUID>2</TaskUID>" not in text  # Wireframes' assignment
    assert [s.title for s in seen] == [
        "Build",
        "Frontend",
        "Content migration",
        "Go-live checks",
        "Retrospective",
    ]
    assert seen[-1] == Seen("Retrospective", dt.date(2026, 3, 2), "todo")


def _rows(plan: Path) -> dict[str, dict[str, str]]:
    """Each task's name -> its plain fields (local name -> text), in file order."""
    root = etree.fromstring(plan.read_bytes())
    return {
        row.findtext("{*}Name", ""): {
            etree.QName(field).localname: field.text or "" for field in row if len(field) == 0
        }
        for row in root.iterfind("{*}Tasks/{*}Task")
    }


@pytest.mark.slow
@pytest.mark.parametrize("member", ["jira", "asana", "trello"])
def test_a_person_works_in_a_web_tool_through_its_rest_api(tmp_path: Path, member: str) -> None:
    """Each edit is seen by the person and by syncd's adapter of the tool, and a new record is
    in the simulator's own state."""

    async def run() -> None:
        async with _site(member, tmp_path, ("Already there",)) as site:
            user = users({member: site})[member]
            await user.create("In the store", dt.date(2026, 3, 9))
            assert "In the store" in _stored_titles(member, site.sim)
            await _lifecycle(user, site)

    asyncio.run(run())


def _stored_titles(member: str, sim: Any) -> set[str]:
    state = sim.store.state
    if member == "jira":
        return {issue.values["summary"] for issue in state.issues.values()}
    if member == "asana":
        return {task.name for task in state.tasks.values() if not task.deleted}
    return {card.name for card in state.cards.values()}


def test_the_engineer_sees_their_own_jira_edits_while_search_lags(tmp_path: Path) -> None:
    """Jira Cloud's search index lags behind writes; the issues the engineer wrote are asked
    for fresh, so they see their own edits at once."""

    async def run() -> list[Seen]:
        async with _site("jira", tmp_path, ()) as site:
            site.sim.search_lag = 600
            user = users({"jira": site})["jira"]
            await user.create("Fresh", dt.date(2026, 3, 9))
            await user.set_status("Fresh", "done")
            return await user.tasks()

    assert asyncio.run(run()) == [Seen("Fresh", dt.date(2026, 3, 9), "done")]
