"""The Microsoft Project adapter over our own plan: what it reads, writes and refuses."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import AdapterContext, Observed
from adapters.msproject.adapter import MSProjectAdapter
from syncd.errors import RecordError, Replan
from syncd.model import Ref, normalise
from tests.contract.adapter_suite import run
from tests.unit.msproject.helpers import WEBSITE, adapter_for, changed


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "website.xml"
    shutil.copyfile(WEBSITE, path)
    return path


def save_in_project(path: Path) -> None:
    """A person renames Frontend and saves the file in Project."""
    path.write_bytes(path.read_bytes().replace(b"Frontend", b"Front end"))


def listing(adapter: MSProjectAdapter) -> dict[str, Observed]:
    async def body() -> dict[str, Observed]:
        async with adapter:
            observation = await adapter.fetch(None)
        assert observation.complete
        assert not observation.errors
        return {r.external_id: r for r in observation.records}

    return run(body())


def update(
    path: Path, external_id: str, changes: dict[str, object], kind: str = "task"
) -> Observed:
    async def body() -> Observed:
        async with adapter_for(path) as adapter:
            return await adapter.update(kind, external_id, changes)  # type: ignore[arg-type]

    return run(body())


def test_reads_tasks_milestones_and_the_budget(plan: Path) -> None:
    """Every field of a task, a milestone and the budget is read from the plan."""
    records = listing(adapter_for(plan))
    wireframes = records["2"].values
    assert wireframes == {
        "title": "Wireframes",
        "description": "Low-fidelity wireframes for every page.\nReview with marketing.",
        "status": "done",
        "percent_complete": 100,
        "start": dt.date(2026, 3, 2),
        "due": dt.date(2026, 3, 6),
        "estimate_hours": 40.0,
        "planned_cost": Decimal(3000),
        "actual_cost": Decimal(3000),
        "assignee": "ana@acme.example",
        "parent": Ref(uid="1"),
        "milestone": None,
        "depends_on": frozenset(),
    }
    assert records["6"].values["milestone"] == Ref(uid="7")
    assert records["6"].values["depends_on"] == frozenset({Ref(uid="5")})  # start-to-start + lag
    assert records["7"].kind == "milestone"
    assert records["7"].values == {
        "title": "Launch",
        "description": "",
        "due": dt.date(2026, 4, 10),
        "status": "todo",
    }
    assert records["budget-3"].values == {
        "planned": Decimal(15000),
        "actual": Decimal(3000),
        "currency": "EUR",
    }
    assert "0" not in records  # the project summary task is the project, not a record


def test_a_person_without_an_address_is_unknown_not_nobody(plan: Path) -> None:
    """A resource with no email (and no people mapping) leaves assignee absent, never None."""
    records = listing(adapter_for(plan))
    assert "assignee" not in records["5"].values
    assert records["3"].values["assignee"] == "ana@acme.example"
    assert records["6"].values["assignee"] is None


def test_a_new_title_changes_only_the_name(plan: Path) -> None:
    """Renaming a task rewrites its Name element and nothing else."""
    before = plan.read_bytes()
    made = update(plan, "3", {"title": "Visual design (v2)"})
    assert made.values["title"] == "Visual design (v2)"
    assert changed(before, plan.read_bytes()) == {"Project/Tasks/Task[UID=3]/Name"}


def test_a_new_due_date_keeps_the_time_of_day_and_sets_the_duration(plan: Path) -> None:
    """Moving a finish date keeps 17:00 and sets Duration in working time (Mon-Fri, 8 h)."""
    before = plan.read_bytes()
    made = update(plan, "2", {"due": dt.date(2026, 3, 10)})
    assert made.values["due"] == dt.date(2026, 3, 10)
    after = plan.read_bytes()
    assert changed(before, after) == {
        "Project/Tasks/Task[UID=2]/Finish",
        "Project/Tasks/Task[UID=2]/Duration",
    }
    assert b"<Finish>2026-03-10T17:00:00</Finish>" in after
    assert b"<Duration>PT56H0M0S</Duration>" in after  # 7 working days


def test_a_finish_before_the_start_is_refused_and_reported(plan: Path) -> None:
    """A due date before the start is not written, and says why."""
    made = update(plan, "3", {"due": dt.date(2026, 3, 1)})
    assert "due" in made.unwritten
    assert made.values["due"] == dt.date(2026, 3, 13)


def test_summary_tasks_are_not_given_their_own_dates_or_costs(plan: Path) -> None:
    """Project rolls summary tasks up: those writes are refused, the rest is written."""
    before = plan.read_bytes()
    made = update(
        plan, "1", {"due": dt.date(2026, 5, 1), "planned_cost": Decimal(9), "title": "UX"}
    )
    assert set(made.unwritten) == {"due", "planned_cost"}
    assert changed(before, plan.read_bytes()) == {"Project/Tasks/Task[UID=1]/Name"}


def test_planned_cost_is_balanced_by_the_fixed_cost(plan: Path) -> None:
    """A new cost keeps resource costs and sets FixedCost so Project's sum gives it back."""
    made = update(plan, "5", {"planned_cost": Decimal("4000.50")})
    assert made.values["planned_cost"] == Decimal("4000.50")
    after = plan.read_bytes()
    assert b"<Cost>400050</Cost>" in after
    assert b"<FixedCost>160050</FixedCost>" in after  # 4000.50 - 2400 of Ben's work


def test_a_cost_below_the_resources_cost_is_refused(plan: Path) -> None:
    """A planned cost smaller than what the task's resources cost cannot be written."""
    made = update(plan, "5", {"planned_cost": Decimal(100)})
    assert "planned_cost" in made.unwritten
    assert made.values["planned_cost"] == Decimal(3300)


def test_a_new_person_becomes_a_work_resource_on_the_existing_assignment(plan: Path) -> None:
    """Assigning an unknown email adds a work resource and moves the task's assignment to it."""
    made = update(plan, "3", {"assignee": "cleo@acme.example"})
    assert made.values["assignee"] == "cleo@acme.example"
    text = plan.read_text(encoding="utf-8")
    assert "<EmailAddress>cleo@acme.example</EmailAddress>" in text
    assert text.count("<Assignment>") == 4  # reused, not added


def test_unassigning_removes_the_work_assignment(plan: Path) -> None:
    """assignee None removes the task's work assignment."""
    made = update(plan, "2", {"assignee": None})
    assert made.values["assignee"] is None
    assert plan.read_text(encoding="utf-8").count("<Assignment>") == 3


def test_status_without_percent_moves_to_the_nearest_percentage(plan: Path) -> None:
    """in_progress on a task at 0 % sets 1 %; done sets 100 %; todo sets 0 %."""
    assert update(plan, "3", {"status": "in_progress"}).values["percent_complete"] == 1
    assert update(plan, "3", {"status": "done"}).values["percent_complete"] == 100
    assert update(plan, "3", {"status": "todo"}).values["percent_complete"] == 0


def test_dependencies_and_milestones_are_links(plan: Path) -> None:
    """depends_on adds finish-to-start links; a milestone is a link into the milestone."""
    made = update(plan, "3", {"depends_on": frozenset({Ref(uid="2"), Ref(uid="4")})})
    assert made.values["depends_on"] == frozenset({Ref(uid="2"), Ref(uid="4")})
    made = update(plan, "3", {"milestone": Ref(uid="7")})
    assert made.values["milestone"] == Ref(uid="7")
    records = listing(adapter_for(plan))
    assert records["6"].values["milestone"] == Ref(uid="7")  # the other task kept its link
    made = update(plan, "6", {"milestone": None})
    assert made.values["milestone"] is None


def test_a_dependency_cycle_is_refused(plan: Path) -> None:
    """A task cannot depend on a task that depends on it."""
    with pytest.raises(RecordError, match="cycle"):
        update(plan, "2", {"depends_on": frozenset({Ref(uid="5")})})


def test_new_tasks_get_what_project_needs(plan: Path) -> None:
    """A created task gets UID, ID, outline number and level, CreateDate, marker, constraint."""

    async def body() -> Observed:
        async with adapter_for(plan) as adapter:
            return await adapter.create(
                "task",
                {
                    "title": "QA",
                    "parent": Ref(uid="4"),
                    "start": dt.date(2026, 4, 6),
                    "due": dt.date(2026, 4, 8),
                },
                uid="u-qa",
            )

    made = run(body())
    assert made.external_id == "8"
    assert made.marker == "u-qa"
    assert made.values["parent"] == Ref(uid="4")
    records = listing(adapter_for(plan))
    assert records["8"].values["start"] == dt.date(2026, 4, 6)
    text = plan.read_text(encoding="utf-8")
    block = text[text.index("<UID>8</UID>") :]
    block = block[: block.index("</Task>")]
    for piece in (
        "<ID>7</ID>",
        "<OutlineNumber>2.3</OutlineNumber>",
        "<OutlineLevel>2</OutlineLevel>",
        "<CreateDate>2026-03-01T09:30:00</CreateDate>",
        "<Duration>PT24H0M0S</Duration>",
        "<ConstraintType>4</ConstraintType>",
        "<Value>u-qa</Value>",
    ):
        assert piece in block
    assert "<ID>8</ID>\n\t\t\t<Name>Launch</Name>" in text  # the milestone moved down a row


def test_moving_a_task_renumbers_the_outline(plan: Path) -> None:
    """A new parent moves the task to the end of that parent's subtasks."""
    made = update(plan, "3", {"parent": Ref(uid="4")})
    assert made.values["parent"] == Ref(uid="4")
    records = listing(adapter_for(plan))
    assert records["3"].values["parent"] == Ref(uid="4")
    text = plan.read_text(encoding="utf-8")
    assert "<WBS>2.3</WBS>\n\t\t\t<OutlineNumber>2.3</OutlineNumber>" in text
    assert records["2"].values["parent"] == Ref(uid="1")


def test_archive_deactivates_and_delete_removes_with_links(plan: Path) -> None:
    """Archiving sets Active 0; deleting removes the task, its links and its assignments."""

    async def body() -> None:
        async with adapter_for(plan) as adapter:
            await adapter.delete("task", "3", "archive")
            await adapter.delete("task", "2", "delete")
            await adapter.delete("task", "2", "delete")  # already gone: fine

    run(body())
    records = listing(adapter_for(plan))
    assert "3" not in records
    assert "2" not in records
    text = plan.read_text(encoding="utf-8")
    assert "<PredecessorUID>2</PredecessorUID>" not in text
    assert "<TaskUID>2</TaskUID>" not in text


def test_a_file_saved_meanwhile_is_not_overwritten(plan: Path) -> None:
    """If the person saves the file after syncd read it, syncd writes nothing."""

    async def body() -> None:
        async with adapter_for(plan) as adapter:
            await adapter.fetch(None)
            save_in_project(plan)
            with pytest.raises(Replan, match="saved by someone else"):
                await adapter.update("task", "3", {"title": "Mine"})

    run(body())
    text = plan.read_text(encoding="utf-8")
    assert "Front end" in text
    assert "Mine" not in text


def test_writes_keep_the_previous_version(plan: Path) -> None:
    """The file before the write is kept as <name>.bak."""
    before = plan.read_bytes()
    update(plan, "3", {"title": "Visual design (v2)"})
    assert plan.with_name("website.xml.bak").read_bytes() == before


def test_incremental_fetch_reads_only_what_changed(plan: Path) -> None:
    """An unchanged file lists nothing; a changed one lists only the changed records."""

    async def body() -> None:
        async with adapter_for(plan) as adapter:
            first = await adapter.fetch(None)
            quiet = await adapter.fetch(first.cursor)
            assert quiet.records == []
            assert not quiet.complete
            save_in_project(plan)
            delta = await adapter.fetch(first.cursor)
            assert [r.external_id for r in delta.records] == ["5"]

    run(body())


def test_a_bad_value_fails_that_record_not_the_listing(plan: Path) -> None:
    """A task with an unreadable value is reported with file, line and element; others list."""
    plan.write_bytes(
        plan.read_bytes().replace(
            b"<PercentComplete>40</PercentComplete>", b"<PercentComplete>lots</PercentComplete>"
        )
    )

    async def body() -> None:
        async with adapter_for(plan) as adapter:
            observation = await adapter.fetch(None)
        assert [e.external_id for e in observation.errors] == ["1"]
        message = str(observation.errors[0])
        assert str(plan) in message
        assert "<PercentComplete>" in message
        assert ":" in message.split("website.xml", 1)[1][:6]  # the line follows the file
        assert "2" in {r.external_id for r in observation.records}

    run(body())


def test_another_currency_keeps_costs_out(plan: Path) -> None:
    """When the plan's currency is not the group's, costs are neither read nor written."""
    adapter = adapter_for(plan, currency="USD")
    records = listing(adapter)
    assert "planned_cost" not in records["2"].values
    assert "planned" not in records["budget-3"].values

    async def body() -> None:
        async with adapter_for(plan, currency="USD") as again:
            result = await again.check()
            assert any("currency" in p.message for p in result.problems)
            made = await again.update("task", "3", {"planned_cost": Decimal(1)})
            assert "planned_cost" in made.unwritten

    run(body())


def test_an_outline_scope_keeps_to_its_subtree(plan: Path) -> None:
    """With outline '2', only Build's subtasks are records, and new ones go under Build."""
    records = listing(adapter_for(plan, outline="2"))
    assert set(records) - {"budget-3"} == {"5", "6"}
    assert records["5"].values["parent"] is None

    async def body() -> Observed:
        async with adapter_for(plan, outline="2") as adapter:
            return await adapter.create("task", {"title": "QA"}, uid="u")

    made = run(body())
    assert made.values["parent"] is None
    assert "<OutlineNumber>2.3</OutlineNumber>" in plan.read_text(encoding="utf-8")


def test_the_budget_is_the_budget_cost_of_the_project(plan: Path) -> None:
    """The planned budget is written to the budget resource's assignment on UID 0."""
    made = update(plan, "budget-3", {"planned": Decimal("17500.25")}, kind="budget")
    assert made.values["planned"] == Decimal("17500.25")
    assert b"<BudgetCost>1750025</BudgetCost>" in plan.read_bytes()


def test_a_batch_is_one_file_write(plan: Path) -> None:
    """create_many writes the file once for all its items; a failed item leaves no trace."""
    from adapters.base import CreateItem

    async def body() -> list[object]:
        async with adapter_for(plan) as adapter:
            results = await adapter.create_many(
                [
                    CreateItem("task", "a", {"title": "A"}),
                    CreateItem("task", "b", {"title": "B", "parent": Ref(uid="99")}),
                    CreateItem("milestone", "c", {"title": "C", "due": dt.date(2026, 5, 1)}),
                ]
            )
            assert adapter.writes == 1
            return list(results)

    results = run(body())
    assert isinstance(results[1], RecordError)
    text = plan.read_text(encoding="utf-8")
    assert "<Name>A</Name>" in text
    assert "<Name>B</Name>" not in text
    assert "<Name>C</Name>" in text


MILESTONE_VALUES = st.fixed_dictionaries(
    {
        "title": st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1)
        .map(str.strip)
        .filter(bool),
        "description": st.sampled_from(["", "Sign-off by the board", "Two\nlines"]),
        "due": st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)),
        "status": st.sampled_from(["todo", "done"]),
    }
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=MILESTONE_VALUES, planned=st.decimals(0, 10**8, places=2))
def test_milestones_and_the_budget_round_trip(
    tmp_path: Path, values: dict[str, object], planned: Decimal
) -> None:
    """A milestone's fields and the budget's planned amount read back exactly as written."""
    path = tmp_path / "plan.xml"
    shutil.copyfile(WEBSITE, path)
    values = normalise("milestone", values)

    async def body() -> None:
        async with adapter_for(path) as adapter:
            made = await adapter.create("milestone", values, uid="m")
            budget = await adapter.update("budget", "budget-3", {"planned": planned})
        assert made.values == values
        assert budget.values["planned"] == planned
        records = {r.external_id: r for r in (await adapter_for(path).fetch(None)).records}
        assert records[made.external_id].values == values
        assert records["budget-3"].values["planned"] == planned

    run(body())


def test_a_plan_without_a_project_summary_task_gets_top_level_tasks(tmp_path: Path) -> None:
    """Without UID 0, new top-level tasks follow the last one in ID and outline number."""
    path = tmp_path / "plan.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<Project xmlns="http://schemas.microsoft.com/project">'
        "<Tasks><Task><UID>4</UID><ID>1</ID><Name>A</Name><OutlineNumber>1</OutlineNumber>"
        "<OutlineLevel>1</OutlineLevel></Task><Task><UID>9</UID><ID>2</ID><Name>B</Name>"
        "<OutlineNumber>1.1</OutlineNumber><OutlineLevel>2</OutlineLevel></Task></Tasks>"
        "</Project>\n",
        encoding="utf-8",
    )

    async def body() -> Observed:
        async with adapter_for(path) as adapter:
            return await adapter.create("task", {"title": "C"}, uid="u")

    made = run(body())
    assert made.external_id == "10"
    assert made.values["parent"] is None
    text = path.read_text(encoding="utf-8")
    assert "<UID>10</UID><ID>3</ID><Name>C</Name>" in text
    assert "<OutlineNumber>2</OutlineNumber><OutlineLevel>1</OutlineLevel>" in text


def test_check_names_people_mapped_to_no_resource(plan: Path) -> None:
    """A person mapped to a resource name the plan lacks is reported, with the fix."""
    adapter = adapter_for(plan)
    adapter.context = AdapterContext(
        "plan", people={"ben@acme.example": "Ben Okafor", "cleo@acme.example": "Cleo"}
    )

    async def body() -> list[str]:
        async with adapter:
            return [p.message for p in (await adapter.check()).problems]

    assert run(body()) == [
        "people: cleo@acme.example is mapped to 'Cleo', which is not a resource of the plan"
    ]


def test_an_outline_without_levels_is_read_from_the_outline_numbers(tmp_path: Path) -> None:
    """Tools that write OutlineNumber but no OutlineLevel still give parents."""
    path = tmp_path / "plan.xml"
    path.write_text(
        '<Project xmlns="http://schemas.microsoft.com/project/2007"><Tasks>'
        "<Task><UID>1</UID><Name>A</Name><OutlineNumber>1</OutlineNumber></Task>"
        "<Task><UID>2</UID><Name>B</Name><OutlineNumber>1.1</OutlineNumber></Task>"
        "</Tasks></Project>",
        encoding="utf-8",
    )
    records = listing(adapter_for(path))
    assert records["2"].values["parent"] == Ref(uid="1")
    assert records["1"].values["parent"] is None


def test_a_link_from_a_milestone_is_no_dependency_and_is_kept(plan: Path) -> None:
    """A link from a milestone into a task ("starts after the gate") has no canonical form:
    it is not read as depends_on (other tools would try to link a task to a version or a
    label), syncd's own dependency edits leave it in place, and depending on a milestone is
    refused."""
    text = plan.read_text(encoding="utf-8")
    link = (
        "<PredecessorLink><PredecessorUID>7</PredecessorUID><Type>1</Type>"
        "<CrossProject>0</CrossProject><LinkLag>0</LinkLag><LagFormat>7</LagFormat>"
        "</PredecessorLink>"
    )
    wireframes = text.index("<Name>Wireframes</Name>")
    active = text.index("<Active>", wireframes)
    plan.write_text(text[:active] + link + text[active:], encoding="utf-8")
    assert listing(adapter_for(plan))["2"].values["depends_on"] == frozenset()
    made = update(plan, "2", {"depends_on": frozenset()})
    assert made.values["depends_on"] == frozenset()
    assert link in plan.read_text(encoding="utf-8")
    with pytest.raises(RecordError, match="depends_on: no task with UID 7"):
        update(plan, "2", {"depends_on": frozenset({Ref(uid="7")})})


def _delete_in_project(path: Path, uid: int) -> None:
    """A person deletes task ``uid`` in Project: the row, and the links to it."""
    from lxml import etree

    root = etree.fromstring(path.read_bytes())
    for task in root.iterfind("{*}Tasks/{*}Task"):
        if task.findtext("{*}UID") == str(uid):
            task.getparent().remove(task)
    for link in root.iterfind(".//{*}PredecessorLink"):
        if link.findtext("{*}PredecessorUID") == str(uid):
            link.getparent().remove(link)
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def test_a_task_deleted_in_project_shows_on_the_next_read_and_its_uid_stays_retired(
    plan: Path,
) -> None:
    """Found by the fault suite: an incremental read listed only what changed and vouched for
    no absence, so a deleted task stayed linked until the next full read; meanwhile a new task
    took its UID (the highest, freed), and syncd's link to the deleted task pointed at it."""
    adapter = adapter_for(plan)

    async def body() -> tuple[bool, set[str], str]:
        async with adapter:
            first = await adapter.fetch(None)
            _delete_in_project(plan, 7)
            again = await adapter.fetch(first.cursor)
            made = await adapter.create("task", {"title": "New"}, uid="u-new")
        return again.complete, {r.external_id for r in again.records}, made.external_id

    complete, listed, new_uid = asyncio.run(body())
    assert complete
    assert "7" not in listed
    assert {"1", "2", "3"} <= listed  # the unchanged tasks too: a complete listing
    assert int(new_uid) > 7
