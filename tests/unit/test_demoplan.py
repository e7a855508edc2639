"""The demo's sample plan: a realistic, valid, self-consistent Microsoft Project file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from adapters.msproject import worktime
from syncd.demoplan import BUDGET, sample_plan
from tests.contract.adapter_suite import run
from tests.contract.mspdi import MSPDI_DIR, schema_errors
from tests.unit.msproject.helpers import adapter_for


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
    path.write_text(sample_plan(), encoding="utf-8")
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
    assert sum(1 for t in leaves if t.values["milestone"] is not None) == 5
    budget = records["budget-7"].values  # type: ignore[attr-defined]
    assert budget == {"planned": BUDGET, "actual": Decimal(0), "currency": "EUR"}
    planned = sum(t.values["planned_cost"] for t in leaves)
    assert Decimal(100_000) < planned < BUDGET  # the plan fits its budget, with a margin


def test_every_date_duration_and_cost_is_consistent() -> None:
    """Durations are the working time between Start and Finish; costs are rate x work + fixed."""
    root = etree.fromstring(sample_plan().encode())
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
    assert schema_errors(sample_plan().encode()) == frozenset()
