"""The Microsoft Project side of ``syncd demo``: the sample plan in a file, and a project
manager who edits it the way Project saves it.

The plan starts ten weeks before the demo's day and records the progress due by then
(``demoplan.sample_plan``), so the project is in flight: some phases done, one task late.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.base import DemoSetup, DemoSite
from adapters.msproject import worktime, xmldoc
from adapters.msproject.demoplan import sample_plan

FILE_NAME = "website-relaunch.xml"
WEEKS_IN = 10  # how far into the project the demo's day falls
MAX_BYTES = 64 * 1024 * 1024


def plan_start(today: dt.date) -> dt.date:
    """The Monday ``WEEKS_IN`` weeks before ``today``'s week."""
    return today - dt.timedelta(days=today.weekday(), weeks=WEEKS_IN)


class PlanSite:
    """The plan file, and a project manager editing it in Project."""

    name = "Microsoft Project"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self.connection: dict[str, Any] = {"type": "msproject"}
        self.member: dict[str, Any] = {"path": str(path)}
        self.people: dict[str, str] = {}  # resources carry their email: nothing to map

    async def edit(self, title: str, changes: Mapping[str, Any]) -> list[str]:
        """Change a task as Project would save it: a new cost raises the fixed cost by the
        difference (Project recomputes Cost = resources + fixed), a new finish date keeps the
        time of day and recomputes the duration in working time, a status sets % complete."""
        document = xmldoc.parse(self.path.read_bytes(), str(self.path), max_bytes=MAX_BYTES)
        root = document.root
        task = next(
            (t for t in root.iterfind("{*}Tasks/{*}Task") if xmldoc.text(t, "Name") == title),
            None,
        )
        if task is None:
            raise LookupError(f"no task named {title!r} in {self.path.name}")
        done = []
        for field, value in changes.items():
            if field == "planned_cost":
                done.append(self._cost(task, Decimal(value)))
            elif field == "due":
                done.append(self._finish(root, task, value))
            elif field == "status":
                percent = {"todo": 0, "in_progress": 50, "done": 100}[value]
                _set(task, "PercentComplete", str(percent))
                done.append(f"% Complete = {percent}%")
            else:
                raise ValueError(f"the demo's plan edits do not cover {field!r}")
        saved = root.find("{*}LastSaved")
        if saved is not None:
            saved.text = dt.datetime.now().replace(microsecond=0).isoformat()
        _save(self.path, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        return done

    @staticmethod
    def _cost(task: etree._Element, cost: Decimal) -> str:
        # MSPDI amounts are hundredths of the currency.
        old = Decimal(xmldoc.text(task, "Cost") or 0) / 100
        fixed = Decimal(xmldoc.text(task, "FixedCost") or 0) / 100 + cost - old
        _set(task, "FixedCost", str(int(fixed * 100)))
        _set(task, "Cost", str(int(cost * 100)))
        return f"Cost {old:,.0f} → {cost:,.0f} (fixed cost now {fixed:,.0f})"

    @staticmethod
    def _finish(root: etree._Element, task: etree._Element, due: dt.date) -> str:
        start = dt.datetime.fromisoformat(xmldoc.text(task, "Start") or "")
        old = dt.datetime.fromisoformat(xmldoc.text(task, "Finish") or "")
        finish = dt.datetime.combine(due, old.time())
        calendar = worktime.calendar_for(root, task)
        _set(task, "Finish", finish.isoformat())
        _set(task, "Duration", worktime.format_duration(calendar.working_time(start, finish)))
        return f"Finish {old:%a %d %b} → {finish:%a %d %b}"


def _set(task: etree._Element, name: str, value: str) -> None:
    element = task.find(f"{{*}}{name}")
    if element is None:
        raise LookupError(f"the task has no <{name}>")
    element.text = value


def _save(path: Path, data: bytes) -> None:
    """Replace the file as an editor does: write beside it, then rename over it."""
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_bytes(data)
    os.replace(temporary, path)


@asynccontextmanager
async def demo_site(setup: DemoSetup) -> AsyncIterator[DemoSite]:
    """Write the sample plan into the demo's folder; it stays there for the user."""
    path = setup.directory / FILE_NAME
    people = [(p.name, p.email) for p in setup.people]
    path.write_text(sample_plan(people, plan_start(setup.today), setup.today), encoding="utf-8")
    yield PlanSite(path)
