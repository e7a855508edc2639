"""Canonical records <-> MSPDI tasks, resources and assignments (pure: no file access).

What maps to what (both directions, exact round trip):

========================  ==================================================================
canonical                 MSPDI
========================  ==================================================================
title                     ``Task/Name``
description               ``Task/Notes`` (plain text)
status, percent_complete  ``Task/PercentComplete``: 0 todo, 1-99 in_progress, 100 done
start, due                ``Task/Start``, ``Task/Finish`` (local times; the date is synced and
                          the task's time of day kept), with ``Duration`` recomputed in
                          working time of the task's calendar
estimate_hours            ``Task/Work`` (ISO 8601 duration, ``PT8H0M0S``)
planned_cost              ``Task/Cost`` (hundredths: see ``COST_SCALE``), balanced by
                          ``FixedCost`` so Project's own sum (resources + fixed) gives it back
actual_cost               ``Task/ActualCost`` (hundredths)
assignee                  the resource (``EmailAddress``) of the task's first work assignment
parent                    the outline (``OutlineLevel``/``OutlineNumber``)
depends_on                ``Task/PredecessorLink`` (new links are finish-to-start)
milestone                 a finish-to-start ``PredecessorLink`` from the task into a
                          ``<Milestone>1</Milestone>`` task
budget planned            ``Assignment/BudgetCost`` of the budget cost resource (``IsBudget``)
                          assigned to the project summary task (UID 0)
========================  ==================================================================

References are by external id: a task's ``UID`` as a string.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.msproject import worktime
from adapters.msproject.schedule import (
    NO_RESOURCE,
    Schedule,
    flag,
    int_of,
    parse_datetime,
)
from adapters.msproject.xmldoc import Element, child, children, line_of, local, text
from syncd.errors import PayloadError
from syncd.model import Kind, Ref, Values, normalise_text

# MSPDI keeps every currency amount of tasks, resources and assignments (Cost, FixedCost,
# ActualCost, BudgetCost, cost custom fields) in hundredths of the currency unit: the sample
# files show a 50/h resource working 80 h at <Cost>409000</Cost>, and MPXJ's reader divides
# them by 100. Rates (StandardRate) are not scaled.
COST_SCALE = Decimal(100)

TASK_FIELDS = frozenset(
    {
        "title",
        "description",
        "status",
        "percent_complete",
        "start",
        "due",
        "estimate_hours",
        "planned_cost",
        "actual_cost",
        "assignee",
        "parent",
        "milestone",
        "depends_on",
    }
)
MILESTONE_FIELDS = frozenset({"title", "description", "due", "status"})
ROLLED_UP = frozenset(
    {"start", "due", "estimate_hours", "planned_cost", "actual_cost", "status", "percent_complete"}
)


@dataclass
class Site:
    """What the mapping knows beyond one task: the schedule, the scope and the people."""

    schedule: Schedule
    source: str  # the file, for messages
    scope: int | None = None  # UID of the summary task whose subtree is in scope
    people: Mapping[str, str] = field(default_factory=dict)  # email -> resource name
    costs: bool = True  # False when the file's currency is not the group's
    _records: tuple[int, list[tuple[int, Kind]]] | None = field(default=None, repr=False)

    def records(self) -> list[tuple[int, Kind]]:
        """Every task of the scope that is a record, in outline order, with its kind."""
        if self._records is not None and self._records[0] == self.schedule.generation:
            return self._records[1]
        found = self._find_records()
        self._records = (self.schedule.generation, found)
        return found

    def _find_records(self) -> list[tuple[int, Kind]]:
        schedule = self.schedule
        uids = (
            list(schedule.descendants(self.scope))
            if self.scope is not None
            else [u for u in schedule.order if u != 0]
        )
        out: list[tuple[int, Kind]] = []
        for uid in uids:
            kind = schedule.nodes[uid].kind
            if kind is not None:
                out.append((uid, kind))
        return out

    def top(self) -> int | None:
        """The UID that stands for "no parent": the scope's root or the project summary."""
        if self.scope is not None:
            return self.scope
        return 0 if 0 in self.schedule.nodes else None

    def fail(self, element: Element, message: str, name: str | None = None) -> PayloadError:
        """A record-level error naming the file, line and element (``element``'s child
        ``name`` when given)."""
        uid = text(element, "UID") if local(element) == "Task" else None
        found = child(element, name) if name is not None else None
        at = found if found is not None else element
        line = line_of(at)
        where = f"{self.source}:{line}" if line else self.source
        return PayloadError(
            f"{where}: element <{local(at)}>: {message}",
            external_id=uid.strip() if uid else None,
        )


# --- reading -------------------------------------------------------------------------------------


def read(site: Site, uid: int, kind: Kind) -> Values:
    """The canonical values of one task or milestone.

    Raises:
        PayloadError: a value in the file that cannot be read (names file, line and element).
    """
    element = site.schedule.nodes[uid].element
    if kind == "milestone":
        return _read_milestone(site, element)
    return _read_task(site, uid, element)


def _read_milestone(site: Site, element: Element) -> Values:
    finish = datetime_of(site, element, "Finish") or datetime_of(site, element, "Start")
    return {
        "title": (text(element, "Name") or "").strip(),
        "description": normalise_text(text(element, "Notes") or ""),
        "due": finish.date() if finish else None,
        "status": "done" if _percent(site, element) == 100 else "todo",
    }


def _read_task(site: Site, uid: int, element: Element) -> Values:
    percent = _percent(site, element)
    start, finish = datetime_of(site, element, "Start"), datetime_of(site, element, "Finish")
    values: Values = {
        "title": (text(element, "Name") or "").strip(),
        "description": normalise_text(text(element, "Notes") or ""),
        "status": status_of(percent),
        "percent_complete": percent,
        "start": start.date() if start else None,
        "due": finish.date() if finish else None,
        "estimate_hours": _hours(site, element),
        "parent": _parent(site, uid),
        "milestone": _milestone_of(site, uid),
        # A link from a milestone (the next phase starts after the gate) has no canonical
        # form: depends_on names tasks. It stays in the plan, untouched by syncd's writes.
        "depends_on": frozenset(
            Ref(uid=str(p)) for p in predecessors(element) if p not in site.schedule.milestones
        ),
    }
    if site.costs:
        values["planned_cost"] = amount(site, element, "Cost")
        values["actual_cost"] = amount(site, element, "ActualCost")
    person = assignee(site, uid)
    if person is not _UNKNOWN:
        values["assignee"] = person
    return values


def status_of(percent: int) -> str:
    """The canonical status a percent complete stands for."""
    return "todo" if percent <= 0 else "done" if percent >= 100 else "in_progress"


def _percent(site: Site, element: Element) -> int:
    raw = text(element, "PercentComplete")
    if raw is None or raw.strip() == "":
        return 0
    try:
        value = int(Decimal(raw.strip()))
    except InvalidOperation:
        raise site.fail(element, "not a number", "PercentComplete") from None
    return max(0, min(100, value))


def datetime_of(site: Site, element: Element, name: str) -> dt.datetime | None:
    try:
        return parse_datetime(text(element, name))
    except ValueError:
        raise site.fail(element, "not a date-time", name) from None


def _hours(site: Site, element: Element) -> float | None:
    raw = text(element, "Work")
    if raw is None or raw.strip() == "":
        return None
    try:
        return round(worktime.parse_duration(raw.strip()).total_seconds() / 3600, 6)
    except ValueError:
        raise site.fail(element, "not an ISO 8601 duration", "Work") from None


def amount(site: Site, element: Element, name: str) -> Decimal | None:
    raw = text(element, name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return Decimal(raw.strip()) / COST_SCALE
    except InvalidOperation:
        raise site.fail(element, "not an amount", name) from None


def format_amount(value: Decimal) -> str:
    """An amount in the file's hundredths, without exponent or needless zeros."""
    scaled = (value * COST_SCALE).normalize()
    if scaled == scaled.to_integral_value():
        return str(int(scaled))
    return format(scaled, "f")


def _parent(site: Site, uid: int) -> Ref | None:
    parent = site.schedule.nodes[uid].parent
    if parent is None or parent == site.top():
        return None
    return Ref(uid=str(parent))


def predecessors(element: Element) -> list[int]:
    """The UIDs this task depends on (links inside this project)."""
    out: list[int] = []
    for link in children(element, "PredecessorLink"):
        if flag(link, "CrossProject"):
            continue
        target = int_of(link, "PredecessorUID")
        if target is not None:
            out.append(target)
    return out


def _milestone_of(site: Site, uid: int) -> Ref | None:
    milestone = site.schedule.milestone_of.get(uid)
    return Ref(uid=str(milestone)) if milestone is not None else None


_UNKNOWN: Any = object()


def assignee(site: Site, uid: int) -> str | Any | None:
    """The email of the task's person, None when it has none, ``_UNKNOWN`` when unknowable."""
    work = work_assignment(site.schedule, uid)
    if work is None:
        return None
    resource = site.schedule.resources.get(int_of(work, "ResourceUID", NO_RESOURCE) or 0)
    if resource is None:
        return None
    email = (text(resource, "EmailAddress") or "").strip().lower()
    if "@" in email:
        return email
    name = (text(resource, "Name") or "").strip()
    for address, resource_name in site.people.items():
        if resource_name == name:
            return address.strip().lower()
    return _UNKNOWN  # a person with no address: not read as "nobody", and never overwritten


def work_assignment(schedule: Schedule, uid: int) -> Element | None:
    """The task's first assignment of a work resource (not a budget, cost or material one)."""
    for assignment in schedule.by_task.get(uid, ()):
        resource = schedule.resources.get(int_of(assignment, "ResourceUID", NO_RESOURCE) or 0)
        if resource is not None and is_work_resource(resource):
            return assignment
    return None


def is_work_resource(resource: Element) -> bool:
    """A person (or machine) doing work: Type 1, not a budget or cost resource."""
    kind = (text(resource, "Type") or "1").strip()
    return kind == "1" and not flag(resource, "IsBudget") and not flag(resource, "IsCostResource")


# --- the budget ----------------------------------------------------------------------------------


def budget_assignment(schedule: Schedule) -> tuple[Element, Element] | None:
    """The budget cost resource and its assignment to the project summary task, if any."""
    for assignment in schedule.by_task.get(0, ()):
        resource = schedule.resources.get(int_of(assignment, "ResourceUID", NO_RESOURCE) or 0)
        if resource is not None and flag(resource, "IsBudget") and _is_cost_resource(resource):
            return resource, assignment
    return None


def _is_cost_resource(resource: Element) -> bool:
    # Project 2010+ marks cost resources with IsCostResource; older files only say Type 0
    # (material) for them, so a budget resource that is not a work resource is taken as cost.
    return flag(resource, "IsCostResource") or (text(resource, "Type") or "1").strip() != "1"


def read_budget(site: Site) -> tuple[str, Values] | None:
    """The plan's budget (external id and values), when it has a budget cost resource."""
    found = budget_assignment(site.schedule)
    if found is None:
        return None
    resource, assignment = found
    code = (site.schedule.header("CurrencyCode") or "").strip().upper() or None
    values: Values = {"currency": code}
    if site.costs:
        values["planned"] = amount(site, assignment, "BudgetCost")
        summary = site.schedule.task(0)
        values["actual"] = amount(site, summary, "ActualCost") if summary is not None else None
    return f"budget-{int_of(resource, 'UID')}", values
