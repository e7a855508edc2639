"""Canonical changes -> edits of an MSPDI plan, made the way Microsoft Project would make them.

The reading side and the table of what maps to what are in ``mapping``. Every edit keeps the
rest of the file as it was; where Project derives one value from another when it opens a file
(Finish from Start + Duration, Cost from resources + FixedCost), the edit sets both, so opening
the file in Project does not undo it. Values Project rolls up or cannot hold are refused per
field (``Edit.unwritten``), never half-written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from adapters.msproject import worktime
from adapters.msproject.mapping import (
    ROLLED_UP,
    Site,
    amount,
    budget_assignment,
    datetime_of,
    format_amount,
    is_work_resource,
    predecessors,
    read,
    status_of,
    work_assignment,
)
from adapters.msproject.schedule import (
    FINISH_TO_START,
    NO_RESOURCE,
    Schedule,
    flag,
    format_datetime,
    int_of,
    link_type,
)
from adapters.msproject.schema import ORDER
from adapters.msproject.xmldoc import Element, child, children, detach, text
from syncd.errors import RecordError
from syncd.model import Kind, Ref, Values

DAY_START, DAY_FINISH = dt.time(8), dt.time(17)
STRUCTURAL = frozenset({"assignee", "depends_on", "milestone"})  # what relink() indexes


# --- writing -------------------------------------------------------------------------------------


@dataclass
class Edit:
    """The outcome of applying changes to one task: fields refused, with the reason."""

    unwritten: dict[str, str] = field(default_factory=dict)


def check_refs(site: Site, uid: int | None, kind: Kind, changes: Values) -> None:
    """Refuse, before anything is changed, references the plan cannot hold.

    Raises:
        RecordError: a reference to a task that is not in scope, or a cycle.
    """
    in_scope = dict(site.records())
    parent = changes.get("parent")
    if isinstance(parent, Ref):
        target = _ref_uid(parent, in_scope, "task", "parent")
        if uid is not None and (target == uid or target in site.schedule.descendants(uid)):
            raise RecordError(f"task {uid} cannot be moved under itself")
    milestone = changes.get("milestone")
    if isinstance(milestone, Ref):
        _ref_uid(milestone, in_scope, "milestone", "milestone")
    for ref in changes.get("depends_on") or ():
        target = _ref_uid(ref, in_scope, "task", "depends_on")
        if uid is not None and (target == uid or uid in _upstream(site.schedule, target)):
            raise RecordError(f"task {uid} depending on {target} would make a cycle")


def _ref_uid(ref: Ref, in_scope: Mapping[int, Kind], kind: Kind | None, name: str) -> int:
    try:
        target = int(ref.uid)
    except ValueError:
        target = -1
    if target not in in_scope or (kind is not None and in_scope[target] != kind):
        raise RecordError(f"{name}: no {kind or 'task'} with UID {ref.uid} in this plan")
    return target


def _upstream(schedule: Schedule, uid: int) -> set[int]:
    seen: set[int] = set()
    todo = [uid]
    while todo:
        current = schedule.task(todo.pop())
        if current is None:
            continue
        for target in predecessors(current):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def write(site: Site, uid: int, kind: Kind, changes: Values) -> Edit:
    """Apply canonical changes to one task (references already checked by ``check_refs``)."""
    schedule, edit = site.schedule, Edit()
    element = schedule.nodes[uid].element
    # What the plan already holds is not written again: no needless edit, and no refusal of
    # a value the plan agrees with (an actual cost of nothing where Project computes them).
    held = read(site, uid, kind)
    changes = {k: v for k, v in changes.items() if k not in held or held[k] != v}
    summary = kind == "task" and schedule.is_summary(uid)
    for name in sorted(changes.keys() & ROLLED_UP) if summary else ():
        edit.unwritten[name] = (
            "a summary task's dates, work, costs and progress roll up from its subtasks"
        )
    if summary:
        changes = {k: v for k, v in changes.items() if k not in ROLLED_UP}
    if "title" in changes:
        schedule.doc.set_text(element, "Name", changes["title"], "Task")
    if "description" in changes:
        _set_optional(schedule, element, "Notes", changes["description"] or None)
    _write_progress(schedule, element, kind, changes)
    _write_dates(site, uid, kind, changes, edit)
    if "estimate_hours" in changes:
        hours = changes["estimate_hours"]
        work = None if hours is None else worktime.format_duration(dt.timedelta(hours=hours))
        _set_optional(schedule, element, "Work", work)
    _write_costs(site, element, changes, edit)
    if "assignee" in changes:
        set_assignee(site, uid, changes["assignee"])
    if "depends_on" in changes:
        _set_predecessors(schedule, element, {int(r.uid) for r in changes["depends_on"]})
    if "milestone" in changes:
        _set_milestone(schedule, uid, changes["milestone"])
    if "parent" in changes:
        parent = changes["parent"]
        target = int(parent.uid) if isinstance(parent, Ref) else site.top()
        if schedule.nodes[uid].parent != target:
            schedule.move_task(uid, target)
    if changes.keys() & STRUCTURAL:
        schedule.relink()  # links or people changed: keep the indexes true
    return edit


def _set_optional(schedule: Schedule, element: Element, name: str, value: str | None) -> None:
    if value is None:
        schedule.doc.remove(element, name)
    else:
        schedule.doc.set_text(element, name, value, "Task")


def _write_progress(schedule: Schedule, element: Element, kind: Kind, changes: Values) -> None:
    if "percent_complete" not in changes and "status" not in changes:
        return
    current = int_of(element, "PercentComplete", 0) or 0
    percent = changes.get("percent_complete", current)
    status = changes.get("status")
    if kind == "milestone":
        percent = 100 if status == "done" else 0
    elif status is not None and status_of(percent) != status:
        # The status moved without a matching percentage (most systems have no percent):
        # the nearest percentage that says the same.
        percent = {"todo": 0, "in_progress": min(max(current, 1), 99), "done": 100}[status]
    schedule.doc.set_text(element, "PercentComplete", str(percent), "Task")


# --- dates ---------------------------------------------------------------------------------------


def _write_dates(site: Site, uid: int, kind: Kind, changes: Values, edit: Edit) -> None:
    if "start" not in changes and "due" not in changes:
        return
    element = site.schedule.nodes[uid].element
    start, finish = datetime_of(site, element, "Start"), datetime_of(site, element, "Finish")
    # The calendar Project schedules the task on: its own, or its resources' working time.
    calendar = worktime.scheduling_calendar(site.schedule.doc.root, element)
    for name in ("start", "due"):
        if name in changes and changes[name] is None and (start if name == "start" else finish):
            edit.unwritten[name] = "a Microsoft Project task always has a start and a finish"
    day_start = site.schedule.header_time("DefaultStartTime", DAY_START)
    day_finish = site.schedule.header_time("DefaultFinishTime", DAY_FINISH)
    new_start, new_finish = start, finish
    if kind == "milestone":
        due = changes.get("due")
        if due is None:
            return
        held = finish if finish is not None else start
        moment = dt.datetime.combine(due, held.time() if held is not None else day_finish)
        _set_schedule(site, element, moment, moment, calendar)
        return
    if changes.get("start") is not None:
        new_start = dt.datetime.combine(changes["start"], start.time() if start else day_start)
    if changes.get("due") is not None:
        new_finish = dt.datetime.combine(changes["due"], finish.time() if finish else day_finish)
    if new_start is not None and new_finish is not None and new_finish < new_start:
        name = "due" if "due" in changes else "start"
        edit.unwritten[name] = "a task cannot finish before it starts"
        new_start, new_finish = (new_start, finish) if name == "due" else (start, new_finish)
        if new_start is not None and new_finish is not None and new_finish < new_start:
            return
    if new_start == start and new_finish == finish:
        return
    _set_schedule(site, element, new_start, new_finish, calendar)


def _set_schedule(
    site: Site,
    element: Element,
    start: dt.datetime | None,
    finish: dt.datetime | None,
    calendar: worktime.CalendarView,
) -> None:
    """Set Start/Finish and the Duration between them, mirrored in a manual task's own fields."""
    doc = site.schedule.doc
    old = {name: text(element, name) for name in ("Start", "Finish", "Duration")}
    values: dict[str, str] = {}
    if start is not None:
        values["Start"] = format_datetime(start)
    if finish is not None:
        values["Finish"] = format_datetime(finish)
    if start is not None and finish is not None:
        # Project recomputes Finish from Start + Duration when it opens the file: a lone
        # Finish edit would be undone, so Duration is set in working time of the calendar.
        elapsed = int_of(element, "DurationFormat") in worktime.ELAPSED_DURATION_FORMATS
        minutes = (
            int((finish - start).total_seconds() // 60)
            if elapsed  # an elapsed duration counts every minute, working or not
            else calendar.working_minutes(start, finish)
        )
        values["Duration"] = worktime.format_duration(dt.timedelta(minutes=minutes))
    for name, value in values.items():
        doc.set_text(element, name, value, "Task")
        # A manually scheduled task keeps the dates the user typed in Manual*: keep them in
        # step where they were in step before.
        manual = child(element, f"Manual{name}") if flag(element, "Manual") else None
        if manual is not None and (manual.text or "") == (old[name] or ""):
            manual.text = value


# --- costs ---------------------------------------------------------------------------------------


def _write_costs(site: Site, element: Element, changes: Values, edit: Edit) -> None:
    names = changes.keys() & {"planned_cost", "actual_cost"}
    if not names:
        return
    if not site.costs:
        for name in names:
            edit.unwritten[name] = "the plan's currency is not the group's"
        return
    doc = site.schedule.doc
    if "planned_cost" in changes:
        _write_planned(site, element, changes["planned_cost"], edit)
    if "actual_cost" in changes:
        if (site.schedule.header("EditableActualCosts") or "0").strip() not in ("1", "true"):
            edit.unwritten["actual_cost"] = (
                "the plan calculates actual costs from actual work (Project: File > Options > "
                "Schedule > clear 'Actual costs are always calculated by Project')"
            )
        else:
            value = changes["actual_cost"]
            _set_optional(
                site.schedule,
                element,
                "ActualCost",
                None if value is None else format_amount(value),
            )
    del doc


def _write_planned(site: Site, element: Element, value: Decimal | None, edit: Edit) -> None:
    # Project computes a task's Cost as its resources' costs plus its FixedCost, and does so
    # again when it opens the file: a lone Cost edit would be undone, so FixedCost takes the
    # difference.
    cost = amount(site, element, "Cost") or Decimal(0)
    fixed = amount(site, element, "FixedCost") or Decimal(0)
    resources = cost - fixed
    target = value if value is not None else Decimal(0)
    if target < resources:
        edit.unwritten["planned_cost"] = f"its resources alone cost {resources} in the plan"
        return
    schedule = site.schedule
    if value is None:
        schedule.doc.remove(element, "Cost")
    else:
        schedule.doc.set_text(element, "Cost", format_amount(value), "Task")
    new_fixed = target - resources
    if new_fixed != fixed:
        schedule.doc.set_text(element, "FixedCost", format_amount(new_fixed), "Task")


def write_budget(site: Site, changes: Values) -> Edit:
    """Apply changes to the budget (only ``planned`` is written: the rest is Project's)."""
    edit = Edit()
    found = budget_assignment(site.schedule)
    if found is None:
        raise RecordError("the plan has no budget cost resource assigned to the project")
    _, assignment = found
    if "planned" in changes:
        if not site.costs:
            edit.unwritten["planned"] = "the plan's currency is not the group's"
        else:
            value = changes["planned"]
            site.schedule.doc.set_text(
                assignment, "BudgetCost", format_amount(value or Decimal(0)), "Assignment"
            )
    return edit


# --- links ---------------------------------------------------------------------------------------


def _set_predecessors(schedule: Schedule, element: Element, wanted: set[int]) -> None:
    have: set[int] = set()
    for link in list(children(element, "PredecessorLink")):
        target = int_of(link, "PredecessorUID")
        if flag(link, "CrossProject") or target is None or target in schedule.milestones:
            continue  # not syncd's to change (links from milestones are not read as depends_on)
        if target in wanted and target not in have:
            have.add(target)  # kept with its own type and lag
        else:
            detach(link)
    for target in sorted(wanted - have):
        schedule.insert(element, _new_link(schedule, target), "Task")


def _new_link(schedule: Schedule, target: int) -> Element:
    # LinkLag counts tenths of a minute; LagFormat 7 shows it in days.
    return schedule.doc.new(
        "PredecessorLink",
        [
            ("PredecessorUID", str(target)),
            ("Type", FINISH_TO_START),
            ("CrossProject", "0"),
            ("LinkLag", "0"),
            ("LagFormat", "7"),
        ],
    )


def _set_milestone(schedule: Schedule, uid: int, milestone: Ref | None) -> None:
    target = int(milestone.uid) if isinstance(milestone, Ref) else None
    for other, node in schedule.nodes.items():
        if not flag(node.element, "Milestone") or other == target:
            continue
        for link in list(children(node.element, "PredecessorLink")):
            if int_of(link, "PredecessorUID") == uid and link_type(link) == FINISH_TO_START:
                detach(link)
    if target is None:
        return
    element = schedule.nodes[target].element
    if uid not in predecessors(element):
        schedule.insert(element, _new_link(schedule, uid), "Task")


# --- people --------------------------------------------------------------------------------------


def set_assignee(site: Site, uid: int, email: str | None) -> None:
    """Make ``email`` the task's person: a new work resource when the plan has none for it."""
    schedule = site.schedule
    work = work_assignment(schedule, uid)
    if email is None:
        while work is not None:
            detach(work)
            schedule.relink()
            work = work_assignment(schedule, uid)
        return
    resource = _resource_for(site, email.strip().lower())
    resource_uid = int_of(resource, "UID")
    if work is None:
        work = _placeholder_assignment(schedule, uid)
        if work is None:
            work = _new_assignment(site, uid)
    schedule.doc.set_text(work, "ResourceUID", str(resource_uid), "Assignment")
    schedule.relink()


def _resource_for(site: Site, email: str) -> Element:
    schedule = site.schedule
    name = site.people.get(email)
    for resource in schedule.resources.values():
        address = (text(resource, "EmailAddress") or "").strip().lower()
        named = bool(name) and (text(resource, "Name") or "").strip() == name
        if (address == email or named) and is_work_resource(resource):
            return resource
    section = schedule.doc.section("Resources", create=True)
    assert section is not None
    uid = schedule.next_uid(schedule.resources)
    next_id = max((int_of(r, "ID", 0) or 0 for r in schedule.resources.values()), default=0) + 1
    resource = schedule.doc.new(
        "Resource",
        [
            ("UID", str(uid)),
            ("ID", str(next_id)),
            ("Name", name or email),
            ("Type", "1"),
            ("IsNull", "0"),
            ("EmailAddress", email),
            ("MaxUnits", "1.00"),
        ],
    )
    schedule.append(section, resource, depth=2)
    schedule.relink()
    return resource


def _placeholder_assignment(schedule: Schedule, uid: int) -> Element | None:
    # Project writes an assignment to the "unassigned" resource (-65535) for tasks with work
    # but no resource; giving it a resource keeps its work and dates.
    for assignment in schedule.by_task.get(uid, ()):
        if int_of(assignment, "ResourceUID") == NO_RESOURCE:
            return assignment
    return None


def _new_assignment(site: Site, uid: int) -> Element:
    schedule = site.schedule
    section = schedule.doc.section("Assignments", create=True)
    assert section is not None
    task = schedule.nodes[uid].element
    fields = [
        ("UID", str(schedule.next_uid(schedule.assignments))),
        ("TaskUID", str(uid)),
        ("ResourceUID", str(NO_RESOURCE)),
    ]
    for name in ("Finish", "Start"):
        value = text(task, name)
        if value:
            fields.append((name, value))
    fields.append(("Units", "1"))
    work = text(task, "Work")
    if work:
        fields.append(("Work", work))
    assignment = schedule.doc.new("Assignment", _schema_sorted(fields, "Assignment"))
    schedule.append(section, assignment, depth=2)
    schedule.relink()
    return assignment


def _schema_sorted(fields: list[tuple[str, str]], kind: str) -> list[tuple[str, str]]:
    rank = {name: i for i, name in enumerate(ORDER[kind])}
    return sorted(fields, key=lambda item: rank.get(item[0], len(rank)))


# --- new records ---------------------------------------------------------------------------------


def create(
    site: Site, kind: Kind, values: Values, marker: str, now: dt.datetime
) -> tuple[int, Edit]:
    """Add a task or milestone at the end of its parent's subtasks; its UID and what was refused.

    The new task gets what Project needs to accept it (UID, ID, outline number and level,
    CreateDate) and keeps ``marker`` in the uid field. A task given a start date is
    auto-scheduled "start no earlier than" that date, as Project does when a date is typed in,
    so opening the file does not move it back to the project start.
    """
    schedule = site.schedule
    parent = values.get("parent")
    parent_uid = int(parent.uid) if isinstance(parent, Ref) else site.top()
    if parent_uid is not None:
        after: int | None = schedule.subtree_end(parent_uid)
        level = schedule.nodes[parent_uid].level + 1
    else:
        after, level = (schedule.order[-1] if schedule.order else None), 1
    uid = schedule.next_uid(schedule.nodes, schedule.retired)
    skeleton = _skeleton(site, kind, uid, level, now, values.get("title", ""))
    element = schedule.doc.new("Task", _schema_sorted(skeleton, "Task"))
    schedule.place_task(element, parent_uid, after)
    neighbour = schedule.task(after) if after is not None else None
    if neighbour is not None and child(neighbour, "WBS") is not None:
        schedule.doc.set_text(element, "WBS", text(element, "OutlineNumber") or "", "Task")
    schedule.set_marker(element, marker)
    rest = {k: v for k, v in values.items() if k not in ("parent", "title")}
    edit = write(site, uid, kind, rest)
    start = values.get("start") if kind == "task" else None
    if start is not None and "start" not in edit.unwritten:
        schedule.doc.set_text(element, "ConstraintType", "4", "Task")  # Start No Earlier Than
        schedule.doc.set_text(element, "ConstraintDate", text(element, "Start") or "", "Task")
    return uid, edit


def _skeleton(
    site: Site, kind: Kind, uid: int, level: int, now: dt.datetime, title: str
) -> list[tuple[str, str]]:
    fields = [
        ("UID", str(uid)),
        ("ID", "0"),  # renumbered once placed
        ("Name", title),
        ("IsNull", "0"),
        ("CreateDate", format_datetime(now)),
        ("OutlineNumber", ""),
        ("OutlineLevel", str(level)),
        ("Priority", "500"),
        ("Milestone", "1" if kind == "milestone" else "0"),
        ("Summary", "0"),
        ("PercentComplete", "0"),
    ]
    if kind == "milestone":
        fields.append(("Duration", "PT0H0M0S"))
    schedule = site.schedule
    others = [schedule.nodes[u].element for u in schedule.order[:20] if u != 0]  # a sample
    # Project 2010+ elements: written only when the file already uses them.
    if any(child(e, "Active") is not None for e in others):
        fields.append(("Active", "1"))
    if any(child(e, "Manual") is not None for e in others):
        fields.append(("Manual", "0"))
    return fields
