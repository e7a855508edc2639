"""Real Microsoft Project files (read in place from ../shared/specs/mspdi): nothing is damaged.

For every sample: an unchanged round trip is canonically identical (C14N); one changed field
changes only its element (and the Duration a date depends on); and no write adds a schema error
the file did not have (real files rarely validate, so the rule is "never less valid").
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from adapters.msproject.adapter import MSProjectAdapter
from adapters.msproject.xmldoc import parse
from syncd.model import Ref
from tests.contract.adapter_suite import run
from tests.contract.mspdi import new_errors, sample_params, schema_or_skip
from tests.unit.msproject.helpers import adapter_for, c14n, changed

SAMPLES = sample_params()


@pytest.fixture
def copy(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    source: Path = request.param
    target = tmp_path / source.name
    shutil.copyfile(source, target)
    return target


def _records(path: Path) -> dict[str, Any]:
    async def body() -> dict[str, Any]:
        async with adapter_for(path, currency=None) as adapter:
            observation = await adapter.fetch(None)
        assert observation.complete
        return {r.external_id: r for r in observation.records}

    return run(body())


def _edit(path: Path, step: Callable[[MSProjectAdapter], Any]) -> Any:
    async def body() -> Any:
        async with adapter_for(path, currency=None) as adapter:
            await adapter.fetch(None)
            return await step(adapter)

    return run(body())


def _leaf_task(path: Path, *, manual: bool = False) -> str:
    tasks = {
        (t.findtext("{*}UID") or ""): t
        for t in etree.parse(str(path)).getroot().iterfind("{*}Tasks/{*}Task")
    }
    for ext, record in _records(path).items():
        if record.kind != "task" or record.values.get("due") is None:
            continue
        task = tasks[ext]
        if task.findtext("{*}Summary") != "1" and (task.findtext("{*}Manual") == "1") == manual:
            return ext
    how = "manually " if manual else "auto-"
    pytest.skip(f"{path.name} has no {how}scheduled leaf task with dates")


@pytest.mark.parametrize("source", SAMPLES)
def test_an_unchanged_round_trip_is_canonically_identical(source: Path) -> None:
    """Parsing and serialising a real file gives the same document (C14N)."""
    data = source.read_bytes()
    assert c14n(parse(data, source.name, max_bytes=1 << 26).to_bytes()) == c14n(data)


@pytest.mark.parametrize("copy", SAMPLES, indirect=True)
def test_every_sample_lists_without_errors(copy: Path) -> None:
    """Each real file reads into records, none of them failing."""

    async def body() -> None:
        async with adapter_for(copy, currency=None) as adapter:
            observation = await adapter.fetch(None)
        assert not observation.errors, observation.errors
        if "headertest" not in copy.name:  # a file holding only its project summary task
            assert observation.records

    run(body())


@pytest.mark.parametrize("copy", SAMPLES, indirect=True)
def test_a_new_title_changes_only_that_name(copy: Path) -> None:
    """Renaming one task rewrites its Name and nothing else, and adds no schema error."""
    schema_or_skip()
    before = copy.read_bytes()
    ext = next((e for e, r in _records(copy).items() if r.kind == "task"), None)
    if ext is None:
        pytest.skip(f"{copy.name} holds no task but its project summary")
    _edit(copy, lambda a: a.update("task", ext, {"title": "Renamed by syncd"}))
    after = copy.read_bytes()
    assert changed(before, after) == {f"Project/Tasks/Task[UID={ext}]/Name"}
    assert not new_errors(before, after)


@pytest.mark.parametrize("copy", SAMPLES, indirect=True)
def test_a_new_due_date_changes_only_finish_and_duration(copy: Path) -> None:
    """A due date moves Finish (time of day kept) and the Duration that depends on it."""
    schema_or_skip()
    ext = _leaf_task(copy)
    before = copy.read_bytes()
    due = _records(copy)[ext].values["due"] + dt.timedelta(days=7)
    made = _edit(copy, lambda a: a.update("task", ext, {"due": due}))
    assert made.values["due"] == due
    after = copy.read_bytes()
    paths = changed(before, after)
    task = f"Project/Tasks/Task[UID={ext}]"
    assert f"{task}/Finish" in paths
    assert paths <= {f"{task}/Finish", f"{task}/Duration"}
    assert not new_errors(before, after)


@pytest.mark.parametrize("copy", SAMPLES, indirect=True)
def test_a_manual_task_keeps_its_own_dates_in_step(copy: Path) -> None:
    """A manually scheduled task's ManualFinish/ManualDuration follow Finish/Duration."""
    schema_or_skip()
    ext = _leaf_task(copy, manual=True)
    before = copy.read_bytes()
    due = _records(copy)[ext].values["due"] + dt.timedelta(days=1)
    _edit(copy, lambda a: a.update("task", ext, {"due": due}))
    after = copy.read_bytes()
    task = f"Project/Tasks/Task[UID={ext}]"
    names = {"Finish", "Duration", "ManualFinish", "ManualDuration"}
    assert changed(before, after) == {f"{task}/{n}" for n in names}
    assert not new_errors(before, after)


@pytest.mark.parametrize("copy", SAMPLES, indirect=True)
def test_new_tasks_people_and_links_add_no_schema_error(copy: Path) -> None:
    """Creating a task and a milestone, assigning a person and linking add no schema error."""
    schema_or_skip()
    before = copy.read_bytes()

    async def step(adapter: MSProjectAdapter) -> None:
        task = await adapter.create(
            "task",
            {
                "title": "Added by syncd",
                "description": "From Jira",
                "start": dt.date(2026, 3, 2),
                "due": dt.date(2026, 3, 6),
                "estimate_hours": 12.5,
                "planned_cost": Decimal(1250),
                "assignee": "new.person@acme.example",
            },
            uid="u-new",
        )
        milestone = await adapter.create(
            "milestone", {"title": "Gate", "due": dt.date(2026, 3, 9)}, uid="u-gate"
        )
        await adapter.update(
            "task", task.external_id, {"milestone": Ref(uid=milestone.external_id)}
        )

    _edit(copy, step)
    after = copy.read_bytes()
    assert not new_errors(before, after)
    records = _records(copy)
    added = next(r for r in records.values() if r.marker == "u-new")
    assert added.values["assignee"] == "new.person@acme.example"
    assert added.values["estimate_hours"] == 12.5
