"""The demo's sample plan: a realistic, valid, self-consistent Microsoft Project file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from adapters.msproject import worktime
from adapters.msproject.demoplan import BUDGET, LATE_PERCENT, LATE_TASK, PHASES, sample_plan
from syncd.demo import CAST
from tests.contract.adapter_suite import run
from tests.contract.mspdi import MSPDI_DIR, schema_errors
from tests.unit.msproject.helpers import adapter_for

PEOPLE = [(p.name, p.email) for p in CAST]


def listing(path: Path) -> dict[str, object]:
    async def body() -> dict[str, object]:
        async with adapter_for(path) as adapter:
            observation = await adapter.fetch(None)
        assert not observation.errors
        return {r.external_id: r for r in observation.records}

    return run(body())


def test_the_plan_has_the_shape_of_an_it_project(tmp_path: Path) -> None:
    """60 tasks under 6 phases, 5 milestones, people with emails, costs and a budget."""
    path = tmp_path / "website-relaunch.xml"
    path.write_text(sample_plan(PEOPLE), encoding="utf-8")
    records = listing(path)
    tasks = [r for r in records.values() if r.kind == "task"]  # type: ignore[attr-defined]
    leaves = [t for t in tasks if t.values["parent"] is not None]
    milestones = [r for r in records.values() if r.kind == "milestone"]  # type: ignore[attr-defined]
    assert (len(leaves), len(tasks) - len(leaves), len(milestones)) == (60, 6, 5)
    assert {t.values.get("assignee") for t in leaves} >= {
        "ana@acme.example",
        "ben@acme.example",
        "chloe@acme.example",
    }
    assert sum(1 for t in leaves if t.values["depends_on"]) >= 55
    # Every task of a phase with a gate leads into it; the Deployment phase has none.
    gated = sum(len(tasks) for _, tasks, milestone in PHASES if milestone is not None)
    assert sum(1 for t in leaves if t.values["milestone"] is not None) == gated == 52
    budget = records["budget-7"].values  # type: ignore[attr-defined]
    assert budget == {"planned": BUDGET, "actual": Decimal(0), "currency": "EUR"}
    planned = sum(t.values["planned_cost"] for t in leaves)
    assert Decimal(100_000) < planned < BUDGET  # the plan fits its budget, with a margin


def test_every_date_duration_and_cost_is_consistent() -> None:
    """Durations are the working time between Start and Finish; costs are rate x work + fixed."""
    root = etree.fromstring(sample_plan(PEOPLE).encode())
    calendar = worktime.calendar_for(root, None)
    rates = {
        r.findtext("{*}UID"): Decimal(r.findtext("{*}StandardRate") or 0)
        for r in root.iterfind("{*}Resources/{*}Resource")
    }
    people = {
        a.findtext("{*}TaskUID"): rates[a.findtext("{*}ResourceUID")]
        for a in root.iterfind("{*}Assignments/{*}Assignment")
    }
    for task in root.iterfind("{*}Tasks/{*}Task"):
        start = dt.datetime.fromisoformat(task.findtext("{*}Start") or "")
        finish = dt.datetime.fromisoformat(task.findtext("{*}Finish") or "")
        assert start.weekday() < 5
        assert finish.weekday() < 5
        hours = worktime.parse_duration(task.findtext("{*}Duration") or "").total_seconds() / 3600
        if task.findtext("{*}Summary") == "0":
            assert calendar.working_minutes(start, finish) == hours * 60, task.findtext("{*}Name")
            work = worktime.parse_duration(task.findtext("{*}Work") or "").total_seconds() / 3600
            rate = people.get(task.findtext("{*}UID"), Decimal(0))
            fixed = Decimal(task.findtext("{*}FixedCost") or 0) / 100
            assert Decimal(task.findtext("{*}Cost") or 0) / 100 == rate * Decimal(work) + fixed


def test_the_plan_is_valid_against_microsofts_schema() -> None:
    """Not one error against the MSPDI schema (skipped, with the reason, without the specs)."""
    if not MSPDI_DIR.is_dir():
        pytest.skip(f"{MSPDI_DIR} not found: the MSPDI schema is read from ../shared/specs")
    assert schema_errors(sample_plan(PEOPLE).encode()) == frozenset()


def test_a_status_date_records_the_progress_of_a_project_in_flight(tmp_path: Path) -> None:
    """Work due by the status date is done but for the one late task, the task under way is
    partly done, later work has not started; actual costs follow the work done, a milestone
    whose work is not all done is not reached, and the summaries roll progress up."""
    path = tmp_path / "in-flight.xml"
    plan = sample_plan(PEOPLE, dt.date(2026, 9, 14), dt.date(2026, 11, 27))
    path.write_text(plan, encoding="utf-8")
    found = listing(path).values()
    records = {r.values["title"]: r.values for r in found if "title" in r.values}  # type: ignore[attr-defined]
    assert records["Stakeholder interviews"]["status"] == "done"
    assert records["Kickoff complete"]["status"] == "done"
    late = records[LATE_TASK]
    assert (late["status"], late["percent_complete"]) == ("in_progress", LATE_PERCENT)
    assert late["actual_cost"] == late["planned_cost"] * LATE_PERCENT / 100
    assert records["Design approved"]["status"] == "todo"  # its late task holds it back
    under_way = [v for v in records.values() if 0 < v.get("percent_complete", 0) < 100]
    assert {v["title"] for v in under_way} >= {LATE_TASK, "Design", "Build"}
    assert records["Project closure report"]["status"] == "todo"
    assert records["Project closure report"]["actual_cost"] == 0
    root = etree.fromstring(path.read_bytes())
    summary = root.find("{*}Tasks/{*}Task")
    assert summary is not None
    leaves = [r for r in records.values() if r.get("parent") is not None and "planned_cost" in r]
    spent = sum(v["actual_cost"] for v in leaves if v["title"] not in {p for p, _, _ in PHASES})
    assert Decimal(summary.findtext("{*}ActualCost") or 0) / 100 == spent


def test_the_plan_in_flight_is_valid_against_microsofts_schema() -> None:
    if not MSPDI_DIR.is_dir():
        pytest.skip(f"{MSPDI_DIR} not found: the MSPDI schema is read from ../shared/specs")
    plan = sample_plan(PEOPLE, dt.date(2026, 9, 14), dt.date(2026, 11, 27))
    assert schema_errors(plan.encode()) == frozenset()
