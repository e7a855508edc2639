"""Cross-tool project health for the project manager: milestones, budget, consistency.

The report reads only what the state store agreed at the last sync (each record's ``base``),
never a vendor: it is cheap, works offline and shows one truth whichever tool a person looks
at. Per-member shadows are deliberately ignored: they lag behind base between runs, so a
difference there is a sync about to happen, not a problem to report.

``build_report`` is pure: a ``GroupState`` and a few config facts in, frozen dataclasses out,
which the terminal (``syncd.reportterm``), JSON (``to_json``) and HTML (``syncd.reporthtml``)
renderings share. Rules a reader might not guess:

* Absent is not zero. A field no tool holds is missing from base: sums skip it and count it,
  and a figure no task carries at all is ``None``, never 0.
* Costs and progress come from *leaf* tasks only: a summary task (MS Project) carries the
  rolled-up cost of its children, so counting it as well would double the figures.
* A task belongs to its own milestone, else to its nearest ancestor's: plans often link only
  the summary task to the milestone.
* Signs: a cost line's variance is planned - actual, the budget's is budget - planned; positive
  means money left.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from syncd.model import Kind, Ref, Values, normalise_decimal, title_of
from syncd.state import GroupState

if TYPE_CHECKING:
    from syncd.config import Config
    from syncd.store import Store

Severity: TypeAlias = Literal["error", "warning"]
Basis: TypeAlias = Literal["hours", "tasks"]

MAPPED_TYPES = frozenset({"jira", "asana", "trello"})
"""Connection types whose users syncd finds through ``people:``. MS Project (and the memory
adapter) name people by email, so a person missing from ``people:`` is no problem there."""

_LISTED = 3  # tasks named in a message; the rest are counted ("and 4 more")


@dataclass(frozen=True, slots=True)
class Item:
    """A record the report names: enough to find it in any tool."""

    uid: str
    kind: Kind
    title: str


@dataclass(frozen=True, slots=True)
class Risk:
    """One reason a milestone is at risk, with the tasks that cause it."""

    code: str  # overdue | late_task | task_after_milestone | unassigned
    message: str
    tasks: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class MilestoneReport:
    """A milestone's date, progress, cost and risks, from the leaf tasks that lead to it."""

    uid: str
    title: str
    due: dt.date | None
    status: str | None  # None: no tool holds the milestone's status
    done: bool
    start: dt.date | None  # the earliest start of its tasks, for the timeline
    tasks: int  # leaf tasks
    open_tasks: int
    progress: float | None  # 0..100; None when no task says how far it is
    progress_basis: Basis | None  # weighted by estimate_hours, or a plain mean over tasks
    at_risk: bool
    risks: tuple[Risk, ...]
    planned: Decimal | None
    actual: Decimal | None


@dataclass(frozen=True, slots=True)
class CostLine:
    """Planned and actual cost of some leaf tasks: a milestone's, the unscheduled, or all."""

    milestone: str | None  # the milestone's uid; None for the unscheduled line and the total
    title: str
    tasks: int
    planned: Decimal | None
    actual: Decimal | None
    variance: Decimal | None  # planned - actual
    without_planned: int  # tasks whose planned cost no tool holds
    without_actual: int


@dataclass(frozen=True, slots=True)
class BudgetReport:
    """The project's money: task costs rolled up, against the Budget record if there is one."""

    currency: str | None  # the group's currency, which every task cost is in
    exists: bool
    uid: str | None
    planned: Decimal | None  # the Budget record's amounts
    actual: Decimal | None
    budget_currency: str | None
    variance: Decimal | None  # budget planned - tasks' planned total
    remaining: Decimal | None  # budget planned - tasks' actual total
    lines: tuple[CostLine, ...]
    total: CostLine
    note: str | None  # why there is no variance, when there is none


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the tools disagree on or get wrong, with the rule that found it."""

    rule: str
    severity: Severity
    message: str
    records: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """A group's health as of ``today``, from what was last synced."""

    group: str
    today: dt.date
    currency: str | None
    milestones: tuple[MilestoneReport, ...]
    budget: BudgetReport
    problems: tuple[Problem, ...]
    conflicts: int  # open conflicts in the store
    tasks: int  # live tasks, summary tasks included
    leaf_tasks: int


# --- the group's records, indexed once ---------------------------------------------------------


def _ref(values: Values, name: str) -> str | None:
    value = values.get(name)
    return value.uid if isinstance(value, Ref) else None


@dataclass(slots=True)
class _Index:
    """The live records of a group by kind, with the task tree and milestone of each task."""

    tasks: dict[str, Values]
    milestones: dict[str, Values]
    budgets: dict[str, Values]
    children: dict[str, list[str]]

    @classmethod
    def of(cls, state: GroupState) -> _Index:
        live = sorted((r for r in state.records.values() if not r.deleted), key=lambda r: r.uid)
        kinds: dict[str, dict[str, Values]] = {"task": {}, "milestone": {}, "budget": {}}
        for rec in live:
            kinds[rec.kind][rec.uid] = rec.base
        index = cls(kinds["task"], kinds["milestone"], kinds["budget"], {})
        for uid in index.tasks:
            parent = index.parent(uid)
            if parent is not None:
                index.children.setdefault(parent, []).append(uid)
        return index

    def parent(self, uid: str) -> str | None:
        """The task's parent, when that is a live task (a deleted one counts as none)."""
        parent = _ref(self.tasks[uid], "parent")
        return parent if parent in self.tasks and parent != uid else None

    def leaves(self) -> list[str]:
        """Tasks that are no live task's parent: the ones whose costs are not roll-ups."""
        return [uid for uid in self.tasks if uid not in self.children]

    def milestone_of(self, uid: str) -> str | None:
        """The task's milestone, or its nearest ancestor's (the walk survives a parent loop)."""
        seen: set[str] = set()
        current: str | None = uid
        while current is not None and current not in seen:
            seen.add(current)
            milestone = _ref(self.tasks[current], "milestone")
            if milestone in self.milestones:
                return milestone
            current = self.parent(current)
        return None

    def item(self, uid: str) -> Item:
        kind: Kind = "task" if uid in self.tasks else "milestone"
        values = self.tasks.get(uid) or self.milestones.get(uid) or {}
        return Item(uid, kind, title_of(values) or uid)


def _is_done(values: Values) -> bool:
    """Done by status, or (where no tool holds a status) by being 100% complete."""
    status = values.get("status")
    return status == "done" if status is not None else values.get("percent_complete") == 100


def _percent(values: Values) -> float | None:
    """How far a task is: its percent complete, else what its status says, else unknown."""
    percent = values.get("percent_complete")
    if percent is not None:
        return float(percent)
    status = values.get("status")
    if status is None:
        return None
    return 100.0 if status == "done" else 0.0


def plural(n: int, noun: str) -> str:
    """``1 task``, ``2 tasks``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _names(items: Sequence[Item], detail: Mapping[str, str] | None = None) -> str:
    """The first few titles, each with its detail, and how many more there are."""
    shown = [f"{i.title} ({detail[i.uid]})" if detail else i.title for i in items[:_LISTED]]
    more = len(items) - _LISTED
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


# --- milestones ----------------------------------------------------------------------------------


def _progress(tasks: Sequence[Values]) -> tuple[float | None, Basis | None]:
    """Weighted by estimate_hours when every task with a known progress has one, else a mean."""
    known = [(p, v.get("estimate_hours")) for v in tasks if (p := _percent(v)) is not None]
    if not known:
        return None, None
    hours = [h for _, h in known if h is not None]
    if len(hours) == len(known) and sum(hours) > 0:
        weighted = sum(p * (h or 0.0) for p, h in known) / sum(hours)
        return round(weighted, 1), "hours"
    return round(sum(p for p, _ in known) / len(known), 1), "tasks"


def _risk(code: str, message: str, index: _Index, hits: Sequence[str], dated: bool) -> Risk:
    """A risk naming its first few tasks, each with its due date when that is the point."""
    items = [index.item(uid) for uid in hits]
    detail = {uid: f"due {index.tasks[uid]['due']}" for uid in hits} if dated else None
    return Risk(code, f"{message}: {_names(items, detail)}", tuple(items))


def _risks(index: _Index, milestone: Values, leaves: Sequence[str], today: dt.date) -> list[Risk]:
    """Why a milestone that is not done may slip; only open tasks can make it slip."""
    due: dt.date | None = milestone.get("due")
    risks = []
    if due is not None and due < today:
        risks.append(Risk("overdue", f"the milestone was due {due} and is not done"))
    open_ = sorted(
        (uid for uid in leaves if not _is_done(index.tasks[uid])),
        key=lambda uid: (index.tasks[uid].get("due") or dt.date.max, index.item(uid).title),
    )  # soonest due first: the tasks a message names are the most urgent ones
    late = [u for u in open_ if (d := index.tasks[u].get("due")) is not None and d < today]
    after = [u for u in open_ if due and (d := index.tasks[u].get("due")) and d > due]
    # Only an assignee a tool holds as empty is "unassigned"; an absent one is unknown.
    nobody = [u for u in open_ if "assignee" in index.tasks[u] and not index.tasks[u]["assignee"]]
    if late:
        risks.append(
            _risk("late_task", f"{plural(len(late), 'open task')} late", index, late, True)
        )
    if after:
        text = f"{plural(len(after), 'open task')} due after the milestone"
        risks.append(_risk("task_after_milestone", text, index, after, True))
    if nobody:
        text = f"{plural(len(nobody), 'open task')} unassigned"
        risks.append(_risk("unassigned", text, index, nobody, False))
    return risks


def _milestone(index: _Index, uid: str, leaves: Sequence[str], today: dt.date) -> MilestoneReport:
    values = index.milestones[uid]
    tasks = [index.tasks[t] for t in leaves]
    done = values.get("status") == "done"
    risks = () if done else tuple(_risks(index, values, leaves, today))
    progress, basis = _progress(tasks)
    planned, _ = _sum(tasks, "planned_cost")
    actual, _ = _sum(tasks, "actual_cost")
    starts = [s for v in tasks if (s := v.get("start")) is not None]
    return MilestoneReport(
        uid=uid,
        title=title_of(values) or uid,
        due=values.get("due"),
        status=values.get("status"),
        done=done,
        start=min(starts, default=None),
        tasks=len(tasks),
        open_tasks=sum(1 for v in tasks if not _is_done(v)),
        progress=progress,
        progress_basis=basis,
        at_risk=bool(risks),
        risks=risks,
        planned=planned,
        actual=actual,
    )


def _milestone_order(index: _Index) -> list[str]:
    """By due date (undated last), then title: the order a timeline reads in."""

    def key(uid: str) -> tuple[bool, dt.date, str]:
        due = index.milestones[uid].get("due")
        return (due is None, due or dt.date.min, index.item(uid).title.casefold())

    return sorted(index.milestones, key=key)


# --- money ----------------------------------------------------------------------------------------


def _sum(tasks: Sequence[Values], name: str) -> tuple[Decimal | None, int]:
    """The sum of the amounts present (None if none is) and how many tasks lack one."""
    amounts = [a for v in tasks if (a := v.get(name)) is not None]
    total = normalise_decimal(sum(amounts, Decimal(0))) if amounts else None
    return total, len(tasks) - len(amounts)


def _cost_line(milestone: str | None, title: str, tasks: Sequence[Values]) -> CostLine:
    planned, without_planned = _sum(tasks, "planned_cost")
    actual, without_actual = _sum(tasks, "actual_cost")
    variance = _minus(planned, actual)
    return CostLine(
        milestone, title, len(tasks), planned, actual, variance, without_planned, without_actual
    )


def _budget(
    index: _Index, lines: Sequence[CostLine], total: CostLine, currency: str | None
) -> tuple[BudgetReport, list[Problem]]:
    """The rollup against the Budget record, and what is wrong with that record."""
    note = "no budget in this group: sync one from a tool that holds it (MS Project)"
    empty = BudgetReport(
        currency, False, None, None, None, None, None, None, (*lines,), total, note
    )
    if not index.budgets:
        return empty, []
    problems: list[Problem] = []
    uid, values = next(iter(index.budgets.items()))  # the lowest uid: stable across runs
    if len(index.budgets) > 1:
        message = f"{len(index.budgets)} budget records; the report uses {uid}"
        problems.append(Problem("several_budgets", "warning", message))
    planned, their = values.get("planned"), values.get("currency")
    usable = planned
    note = "" if planned is not None else "the budget has no planned amount"
    if their is not None and currency is not None and their != currency:
        note = f"the budget is in {their}, task costs in {currency}: no variance"
        problems.append(Problem("budget_currency", "error", note))
        usable = None  # amounts in two currencies do not subtract
    budget = dataclasses.replace(
        empty,
        exists=True,
        uid=uid,
        planned=planned,
        actual=values.get("actual"),
        budget_currency=their,
        variance=_minus(usable, total.planned),
        remaining=_minus(usable, total.actual),
        note=note or None,
    )
    return budget, problems


def _minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return normalise_decimal(a - b) if a is not None and b is not None else None


# --- consistency problems -------------------------------------------------------------------------


def _after_milestone(index: _Index) -> Iterable[Problem]:
    """A task due after the milestone it leads to (whichever tool set either date)."""
    for uid, values in index.tasks.items():
        milestone = index.milestone_of(uid)
        if milestone is None:
            continue
        due, limit = values.get("due"), index.milestones[milestone].get("due")
        if due is not None and limit is not None and due > limit:
            task, ms = index.item(uid), index.item(milestone)
            message = f"{task.title!r} is due {due}, after its milestone {ms.title!r} ({limit})"
            yield Problem("task_after_milestone", "error", message, (task, ms))


def _outside_parent(index: _Index) -> Iterable[Problem]:
    """A child whose start or due lies outside its parent's start..due."""
    for uid, values in index.tasks.items():
        parent = index.parent(uid)
        if parent is None:
            continue
        lo, hi = index.tasks[parent].get("start"), index.tasks[parent].get("due")
        bad = [
            f"{name} {day}"
            for name in ("start", "due")
            if (day := values.get(name)) is not None
            and ((lo is not None and day < lo) or (hi is not None and day > hi))
        ]
        if bad:
            child, outer = index.item(uid), index.item(parent)
            span = f"{lo or '?'} to {hi or '?'}"
            message = f"{child.title!r} ({', '.join(bad)}) lies outside {outer.title!r} ({span})"
            yield Problem("child_outside_parent", "warning", message, (child, outer))


def _done_with_open_children(index: _Index) -> Iterable[Problem]:
    for uid, kids in index.children.items():
        if not _is_done(index.tasks[uid]):
            continue
        open_ = [index.item(k) for k in kids if not _is_done(index.tasks[k])]
        if open_:
            message = f"{index.item(uid).title!r} is done but has open subtasks: {_names(open_)}"
            yield Problem("done_with_open_children", "error", message, (index.item(uid), *open_))


def _people(
    index: _Index,
    people: Mapping[str, Mapping[str, str]],
    members: Mapping[str, str],
    types: Mapping[str, str],
) -> Iterable[Problem]:
    """People missing from ``people:`` for a connection that finds users only through it.

    A person counts when they are assigned a task, or mapped in another of the group's
    connections (so they exist in one tool and not in the other). Trello has no way to find a
    member by email, so there the assignment is lost; Jira and Asana fall back to looking the
    email up, which fails when the site hides emails.
    """
    connections = list(dict.fromkeys(members.values()))
    checked = [c for c in connections if types.get(c) in MAPPED_TYPES]
    assigned: dict[str, list[str]] = {}
    for uid, values in index.tasks.items():
        if isinstance(email := values.get("assignee"), str):
            assigned.setdefault(email.lower(), []).append(uid)
    emails = {e.lower(): ids for e, ids in people.items()}
    for email in sorted({*assigned, *emails}):
        ids = emails.get(email, {})
        mapped = [c for c in connections if c in ids]
        tasks = [index.item(uid) for uid in assigned.get(email, [])]
        if not tasks and not (mapped and len(connections) > 1):
            continue
        for connection in (c for c in checked if c not in ids):
            yield _unmapped(email, connection, types[connection], mapped, tasks)


def _unmapped(
    email: str, connection: str, kind: str, mapped: Sequence[str], tasks: Sequence[Item]
) -> Problem:
    where = f"mapped in {', '.join(mapped)} but " if mapped else ""
    message = f"{email} is {where}not mapped in {connection} (people:)"
    if tasks:
        message += f"; assigned {plural(len(tasks), 'task')}: {_names(tasks)}"
    if kind == "trello":
        message += "; Trello cannot find a member by email, so their cards stay unassigned"
        return Problem("person_not_mapped", "error", message, tuple(tasks))
    return Problem("person_not_mapped", "warning", message, tuple(tasks))


# --- the report ----------------------------------------------------------------------------------


def build_report(
    state: GroupState,
    *,
    group: str,
    currency: str | None,
    today: dt.date,
    people: Mapping[str, Mapping[str, str]],
    members: Mapping[str, str],
    connection_types: Mapping[str, str] | None = None,
    conflicts: int = 0,
) -> Report:
    """A group's project health from its synced state. Pure: no I/O, no clock.

    Args:
        state: the group's state, as the store loads it.
        group: the group's name.
        currency: the group's currency (task costs are in it).
        today: the date in the group's time zone; lateness is judged against it.
        people: the config's ``people:``, email -> {connection -> user id}.
        members: member name -> connection name, for the group's members.
        connection_types: connection name -> adapter type; without it no person is checked.
        conflicts: how many open conflicts the store holds for the group.

    Returns:
        The report; render it with ``render_terminal``, ``to_json`` or ``reporthtml``.
    """
    index = _Index.of(state)
    leaves = index.leaves()
    by_milestone: dict[str | None, list[str]] = {}
    for uid in leaves:
        by_milestone.setdefault(index.milestone_of(uid), []).append(uid)
    order = _milestone_order(index)
    milestones = tuple(_milestone(index, m, by_milestone.get(m, []), today) for m in order)
    lines = [
        _cost_line(m.uid, m.title, _values(index, by_milestone.get(m.uid, []))) for m in milestones
    ]
    if by_milestone.get(None):
        lines.append(
            _cost_line(None, "unscheduled (no milestone)", _values(index, by_milestone[None]))
        )
    total = _cost_line(None, "project", _values(index, leaves))
    budget, problems = _budget(index, lines, total, currency)
    problems += [
        *_after_milestone(index),
        *_outside_parent(index),
        *_done_with_open_children(index),
        *_people(index, people, members, connection_types or {}),
    ]
    problems.sort(key=lambda p: (p.severity != "error", p.rule, p.message))
    return Report(
        group,
        today,
        currency,
        milestones,
        budget,
        tuple(problems),
        conflicts,
        len(index.tasks),
        len(leaves),
    )


def _values(index: _Index, uids: Iterable[str]) -> list[Values]:
    return [index.tasks[uid] for uid in uids]


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data: amounts as strings (exact), dates ISO, tuples as lists."""
    data: dict[str, Any] = _jsonable(report)  # a dataclass always becomes a dict
    return data


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def report_for(config: Config, store: Store, group: str, today: dt.date | None = None) -> Report:
    """The report of one configured group from the state store (no vendor is called).

    Args:
        config: the loaded config.
        store: the open state store.
        group: the group's name.
        today: the report's date; default: now in the group's time zone.

    Raises:
        ConfigError: no such group.
        StoreError: the store cannot be read.
    """
    settings = config.group(group)
    return build_report(
        store.load_group(group),
        group=group,
        currency=settings.currency,
        today=today or dt.datetime.now(settings.tz).date(),
        people=config.people,
        members={m.member_name: m.connection for m in settings.members},
        connection_types={name: c.type for name, c in config.connections.items()},
        conflicts=len(store.conflicts(group)),
    )


# --- the number formats every rendering shares -----------------------------------------------


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """An amount for people: thousands separated, cents shown, ``—`` when unknown."""
    if amount is None:
        return "—"
    return f"{amount:,.2f}" + (f" {currency}" if currency else "")


def percent(value: float | None) -> str:
    """A progress figure for people, ``—`` when unknown."""
    return "—" if value is None else f"{value:.0f}%"
