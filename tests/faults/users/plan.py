"""The project manager in Microsoft Project: the plan saved as Project saves it (MSPDI)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from lxml import etree

from adapters.base import DemoSite
from adapters.msproject import worktime, xmldoc
from tests.faults.users.common import (
    STATUSES,
    Seen,
    day_of,
    only_one,
)

MAX_BYTES = 64 * 2**20
PERCENT = {"todo": 0, "in_progress": 50, "done": 100}
FINISH_NO_EARLIER_THAN = "6"  # Project's constraint when a finish date is typed in


class PlanUser:
    """A project manager editing the plan file in Project and saving it as XML.

    Like the demo's own `PlanSite.edit`, it leaves summary tasks as they were: Project would
    roll their dates, costs and % complete up from the subtasks when it opens the file.
    """

    statuses: tuple[str, ...] = STATUSES

    def __init__(self, member: str, site: DemoSite) -> None:
        if site.member.get("outline"):
            raise ValueError(f"{member}: the plan user edits whole plans, not an outline")
        self.member = member
        self._path = Path(site.member["path"])

    async def tasks(self) -> list[Seen]:
        return [_plan_seen(row) for row in _rows(self._load()) if _is_task(row)]

    async def create(self, title: str, due: dt.date | None = None) -> None:
        """A new top-level task at the end of the plan, as a row typed into Project's Gantt
        table: scheduled on the project calendar on its due day (Finish No Earlier Than the
        date typed), or, undated, one estimated day ("1 day?") from the project's start."""
        root = self._load()
        rows = _rows(root)
        calendar = worktime.calendar_for(root, None)
        start, finish = _new_dates(root, calendar, due)
        fields = _new_task(root, rows, title, start, finish, calendar, dated=due is not None)
        _append_row(_tasks_of(root), rows[-1] if rows else None, fields)
        _renumber(_rows(root))
        self._save(root)

    async def set_due(self, title: str, due: dt.date) -> None:
        """A new Finish on ``due`` at the same time of day, and the Duration in working time
        (Project recomputes Finish from Start + Duration when it opens the file)."""
        document = xmldoc.parse(self._path.read_bytes(), str(self._path), max_bytes=MAX_BYTES)
        root = document.root
        task = self._find(root, title)
        calendar = worktime.calendar_for(root, task)
        held_start, held_finish = xmldoc.text(task, "Start"), xmldoc.text(task, "Finish")
        if not held_start or not held_finish:
            # A task syncd wrote without dates (MSPDI allows it; Project schedules it when it
            # opens the file): typing a due date makes it a one-day task on that day.
            start, finish = _new_dates(root, calendar, due)
        else:
            start = dt.datetime.fromisoformat(held_start)
            finish = dt.datetime.combine(due, dt.datetime.fromisoformat(held_finish).time())
            if finish < start:  # the task now starts on its due day, as a one-day task
                start = dt.datetime.combine(due, _day_bounds(root, calendar, due)[0])
        duration = worktime.format_duration(calendar.working_time(start, finish))
        for name, value in (
            ("Start", start.isoformat()),
            ("Finish", finish.isoformat()),
            ("Duration", duration),
        ):
            document.set_text(task, name, value, "Task")
        self._save(root)

    async def set_status(self, title: str, status: str) -> None:
        root = self._load()
        task = self._find(root, title)
        _set(task, "PercentComplete", str(PERCENT[status]))
        if task.find("{*}PercentWorkComplete") is not None:
            _set(task, "PercentWorkComplete", str(PERCENT[status]))
        self._save(root)

    async def delete(self, title: str) -> None:
        """Delete the row (a summary row with its subtasks), the links from other tasks to
        it and its resource assignments; the rows below are renumbered."""
        root = self._load()
        rows = _rows(root)
        first = rows.index(self._find(root, title))
        last = first + 1
        while last < len(rows) and _level(rows[last]) > _level(rows[first]):
            last += 1
        doomed = {xmldoc.text(row, "UID") for row in rows[first:last]}
        for row in rows[first:last]:
            _detach(row)
        for link in list(root.iterfind("{*}Tasks/{*}Task/{*}PredecessorLink")):
            if xmldoc.text(link, "PredecessorUID") in doomed:
                _detach(link)
        for assignment in list(root.iterfind("{*}Assignments/{*}Assignment")):
            if xmldoc.text(assignment, "TaskUID") in doomed:
                _detach(assignment)
        _renumber(_rows(root))
        self._save(root)

    def _load(self) -> etree._Element:
        data = self._path.read_bytes()
        return xmldoc.parse(data, str(self._path), max_bytes=MAX_BYTES).root

    def _find(self, root: etree._Element, title: str) -> etree._Element:
        rows = [r for r in _rows(root) if _is_task(r) and _name(r) == title]
        return only_one(rows, title, self._path.name)

    def _save(self, root: etree._Element) -> None:
        """Write beside the file, then rename over it, as an editor saves."""
        saved = root.find("{*}LastSaved")
        if saved is not None:
            saved.text = dt.datetime.now().replace(microsecond=0).isoformat()
        temporary = self._path.with_name(f".{self._path.name}.saving")
        temporary.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        os.replace(temporary, self._path)


def _tasks_of(root: etree._Element) -> etree._Element:
    tasks = root.find("{*}Tasks")
    if tasks is None:
        raise LookupError("the plan has no <Tasks>")
    return tasks


def _rows(root: etree._Element) -> list[etree._Element]:
    return list(_tasks_of(root).iterchildren("{*}Task"))


def _flag(row: etree._Element, name: str) -> bool:
    return (xmldoc.text(row, name) or "").strip().lower() in ("1", "true")


def _name(row: etree._Element) -> str:
    return (xmldoc.text(row, "Name") or "").strip()


def _level(row: etree._Element) -> int:
    return int(xmldoc.text(row, "OutlineLevel") or "1")


def _is_task(row: etree._Element) -> bool:
    """A row syncd takes for a task: not the project summary, a blank row, a link to another
    project's task, an inactive task or a milestone."""
    return not (
        (xmldoc.text(row, "UID") or "").strip() == "0"
        or _level(row) == 0
        or _flag(row, "IsNull")
        or _flag(row, "ExternalTask")
        or (xmldoc.text(row, "Active") or "1").strip() == "0"
        or _flag(row, "Milestone")
    )


def _plan_seen(row: etree._Element) -> Seen:
    percent = int(float(xmldoc.text(row, "PercentComplete") or 0))
    status = "todo" if percent <= 0 else "done" if percent >= 100 else "in_progress"
    finish = xmldoc.text(row, "Finish")
    return Seen(_name(row), day_of(finish), status)


def _set(task: etree._Element, name: str, value: str) -> None:
    element = task.find(f"{{*}}{name}")
    if element is None:
        raise LookupError(f"the task {_name(task)!r} has no <{name}>")
    element.text = value


def _detach(element: etree._Element) -> None:
    """Remove an element, keeping the whitespace after it in place of the one before it."""
    parent = element.getparent()
    assert parent is not None
    previous = element.getprevious()
    if previous is not None:
        previous.tail = element.tail
    else:
        parent.text = element.tail
    parent.remove(element)


def _day_bounds(
    root: etree._Element, calendar: worktime.CalendarView, day: dt.date
) -> tuple[dt.time, dt.time]:
    """The first and last working moment of ``day``; the project's default times when the
    calendar does not work that day."""
    bounds = calendar.day_bounds(day)
    if bounds is not None:
        return bounds
    start = dt.time.fromisoformat(xmldoc.text(root, "DefaultStartTime") or "08:00:00")
    return start, dt.time.fromisoformat(xmldoc.text(root, "DefaultFinishTime") or "17:00:00")


def _new_dates(
    root: etree._Element, calendar: worktime.CalendarView, due: dt.date | None
) -> tuple[dt.datetime, dt.datetime]:
    if due is not None:
        first, last = _day_bounds(root, calendar, due)
        return dt.datetime.combine(due, first), dt.datetime.combine(due, last)
    raw = xmldoc.text(root, "StartDate")
    if raw:
        start = dt.datetime.fromisoformat(raw)
    else:
        today = dt.date.today()
        start = dt.datetime.combine(today, _day_bounds(root, calendar, today)[0])
    minutes = int(xmldoc.text(root, "MinutesPerDay") or 480)
    return start, calendar.add_working_minutes(start, minutes)


def _new_task(
    root: etree._Element,
    rows: list[etree._Element],
    title: str,
    start: dt.datetime,
    finish: dt.datetime,
    calendar: worktime.CalendarView,
    *,
    dated: bool,
) -> list[tuple[str, str]]:
    """The fields of a new top-level task as Project writes them, in the schema's order.

    The ID and outline number (and the WBS code, where the plan's follow the outline) are
    given by `_renumber`; an unassigned task has no work and costs nothing.
    """
    uids = [int(xmldoc.text(row, "UID") or 0) for row in rows]
    duration = worktime.format_duration(calendar.working_time(start, finish))
    fields = [
        ("UID", str(max(uids, default=0) + 1)),
        ("ID", "0"),
        ("Name", title),
        ("Type", xmldoc.text(root, "DefaultTaskType") or "0"),
        ("IsNull", "0"),
        ("CreateDate", dt.datetime.now().replace(microsecond=0).isoformat()),
        ("WBS", ""),
        ("OutlineNumber", ""),
        ("OutlineLevel", "1"),
        ("Priority", "500"),
        ("Start", start.isoformat()),
        ("Finish", finish.isoformat()),
        ("Duration", duration),
        ("DurationFormat", xmldoc.text(root, "DurationFormat") or "7"),
        ("Work", "PT0H0M0S"),
        ("Estimated", "0" if dated else "1"),
        ("Milestone", "0"),
        ("Summary", "0"),
        ("Critical", "0"),
        ("FixedCost", "0"),
        ("FixedCostAccrual", "3"),
        ("PercentComplete", "0"),
        ("PercentWorkComplete", "0"),
        ("Cost", "0"),
        ("ActualCost", "0"),
        ("ConstraintType", FINISH_NO_EARLIER_THAN if dated else "0"),
        ("CalendarUID", "-1"),
        ("ConstraintDate", finish.isoformat() if dated else ""),
        ("Active", "1"),
        ("Manual", "0"),
    ]
    sample = rows[1:21]  # elements only some plans carry: written when the plan has them
    optional = {"WBS", "PercentWorkComplete", "Critical", "Active", "Manual"}
    return [
        (name, value)
        for name, value in fields
        if (name not in optional or any(r.find(f"{{*}}{name}") is not None for r in sample))
        and (name != "ConstraintDate" or dated)
    ]


def _append_row(
    tasks: etree._Element, last: etree._Element | None, fields: list[tuple[str, str]]
) -> None:
    """Append a ``<Task>`` after ``last``, indented like it."""
    namespace = etree.QName(tasks).namespace
    row = etree.Element(etree.QName(namespace, "Task"))
    inner = (last.text if last is not None else None) or "\n\t\t\t"
    outer = (last[-1].tail if last is not None and len(last) else None) or "\n\t\t"
    row.text = inner
    for name, value in fields:
        etree.SubElement(row, etree.QName(namespace, name)).text = value
        row[-1].tail = inner
    row[-1].tail = outer
    if last is not None:
        row.tail, last.tail = last.tail, tasks.text
    tasks.append(row)


def _renumber(rows: list[etree._Element]) -> None:
    """Rewrite the row numbers (``ID``), outline numbers (and the WBS codes that follow them)
    and ``Summary`` flags, as Project does once rows are added or removed."""
    levels = [_level(row) for row in rows]
    first_id = 0 if levels and levels[0] == 0 else 1
    counts: list[int] = []
    for index, (row, level) in enumerate(zip(rows, levels, strict=True)):
        _set(row, "ID", str(first_id + index))
        if level == 0:
            continue
        del counts[level:]
        counts += [0] * (level - len(counts))
        counts[level - 1] += 1
        number = ".".join(str(n) for n in counts)
        wbs = row.find("{*}WBS")
        if wbs is not None and (wbs.text or "") == (xmldoc.text(row, "OutlineNumber") or ""):
            wbs.text = number
        _set(row, "OutlineNumber", number)
        summary = row.find("{*}Summary")
        if summary is not None:
            summary.text = "1" if index + 1 < len(rows) and levels[index + 1] > level else "0"
