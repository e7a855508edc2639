"""Evaluating parsed JQL against issues, with Jira's semantics where they surprise.

- Dates and times in a query are read in the SEARCHING USER's time zone, as Jira does:
  ``updated >= "2024-01-31 14:05"`` means 14:05 where the caller lives.
  https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated
- ``!=`` and ``NOT IN`` never match an issue whose field is empty (``assignee != bob`` leaves out
  unassigned issues). https://support.atlassian.com/jira-software-cloud/docs/jql-operators/
- Naming an issue key or value that does not exist is an error, not an empty result.
- Without ORDER BY, issues come newest key first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adapters.jira.simulator.jql import And, Clause, JqlError, Node, Not, Or, Query, Value
from adapters.jira.simulator.model import CATEGORIES, Issue, User
from adapters.jira.simulator.store import Store

Predicate = Callable[[Issue], bool]
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_PERIOD = re.compile(r"([+-]?)((?:\s*\d+\s*[wdhm])+)\s*", re.IGNORECASE)
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhm])", re.IGNORECASE)
_PERIOD_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class JqlContext:
    """Who searches, and when."""

    store: Store
    user: User
    now: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.user.time_zone)


def not_found(value: str, field: str) -> JqlError:
    return JqlError(f"The value '{value}' does not exist for the field '{field}'.")


def unknown_field(field: str) -> JqlError:
    return JqlError(f"Field '{field}' does not exist or you do not have permission to view it.")


def unsupported(operator: str, field: str) -> JqlError:
    return JqlError(f"The operator '{operator.upper()}' is not supported by the '{field}' field.")


class CompiledQuery:
    """A query ready to filter and sort issues.

    Raises:
        JqlError: an unknown field, operator or value.
    """

    def __init__(self, query: Query, context: JqlContext) -> None:
        self.bounded = query.where is not None
        self.context = context
        self.predicate: Predicate = (
            _compile(query.where, context) if query.where is not None else (lambda _: True)
        )
        self.order = [(_sort_key(name), descending) for name, descending in query.order]

    def matches(self, issue: Issue) -> bool:
        return self.predicate(issue)

    def sort(self, issues: list[Issue]) -> list[Issue]:
        """Issues in the query's order (newest key first without ORDER BY)."""
        ordered = sorted(issues, key=lambda i: i.id, reverse=True)
        order = self.order or [(_sort_key("key"), True)]
        for key, descending in reversed(order):
            ordered.sort(key=self._sorter(key), reverse=descending)
        return ordered

    def _sorter(self, key: SortKey) -> Callable[[Issue], tuple[Any, ...]]:
        return lambda issue: _nulls_last(key(self.context, issue))


def _nulls_last(value: Any) -> tuple[Any, ...]:
    return (1,) if value is None else (0, value)


def _compile(node: Node, context: JqlContext) -> Predicate:
    if isinstance(node, Not):
        inner = _compile(node.part, context)
        return lambda issue: not inner(issue)
    if isinstance(node, And | Or):
        parts = [_compile(p, context) for p in node.parts]
        combine = all if isinstance(node, And) else any
        return lambda issue: combine(p(issue) for p in parts)
    compiler = _FIELDS.get(node.field.casefold())
    if compiler is None:
        raise unknown_field(node.field)
    return compiler(node, context)


# --- membership fields --------------------------------------------------------------------------

Resolve = Callable[[Value], set[Any]]
Extract = Callable[[Issue], set[Any]]


def _membership(
    clause: Clause, resolve: Resolve, extract: Extract, *, can_be_empty: bool
) -> Predicate:
    operator = clause.operator
    if _is_empty_test(clause):
        if not can_be_empty:
            raise unsupported(operator, clause.field)
        empty = operator in ("is", "=")
        return lambda issue: (not extract(issue)) == empty
    if operator not in ("=", "!=", "in", "not in"):
        raise unsupported(operator, clause.field)
    wanted: set[Any] = set().union(*(resolve(v) for v in clause.values))
    if operator in ("=", "in"):
        return lambda issue: bool(extract(issue) & wanted)
    return lambda issue: bool(extract(issue)) and not extract(issue) & wanted


def _is_empty_test(clause: Clause) -> bool:
    empty = [v.function and v.text == "empty" for v in clause.values]
    return clause.operator in ("is", "is not") or (all(empty) and clause.operator in ("=", "!="))


def _project(clause: Clause, ctx: JqlContext) -> Predicate:
    def resolve(value: Value) -> set[Any]:
        project = ctx.store.project(value.text)
        if project is None:
            wanted = value.text.casefold()
            found = ctx.store.state.projects.values()
            project = next((p for p in found if p.name.casefold() == wanted), None)
        if project is None or not ctx.store.allowed(ctx.user, project, "BROWSE_PROJECTS"):
            raise not_found(value.text, "project")
        return {project.id}

    return _membership(clause, resolve, lambda i: {i.project_id}, can_be_empty=False)


def _issue_key(field: str) -> Callable[[Clause, JqlContext], Predicate]:
    def compile_(clause: Clause, ctx: JqlContext) -> Predicate:
        def resolve(value: Value) -> set[Any]:
            issue = ctx.store.issue(value.text)
            visible = issue is not None and ctx.store.allowed(
                ctx.user, ctx.store.project_of(issue), "BROWSE_PROJECTS"
            )
            if issue is None or not visible or (field == "id" and not value.text.isdigit()):
                raise JqlError(
                    f"An issue with key '{value.text}' does not exist for field '{field}'."
                )
            return {issue.id}

        return _membership(clause, resolve, lambda i: {i.id}, can_be_empty=False)

    return compile_


def _by_name(kind: str) -> Callable[[Clause, JqlContext], Predicate]:
    """Issue type and status: by name (case-insensitive) or id."""

    def compile_(clause: Clause, ctx: JqlContext) -> Predicate:
        table: dict[str, Any] = (
            ctx.store.state.issue_types if kind == "issuetype" else ctx.store.state.statuses
        )

        def resolve(value: Value) -> set[Any]:
            wanted = value.text.casefold()
            found = {k for k, v in table.items() if wanted in (k, v.name.casefold())}
            if not found:
                raise not_found(value.text, clause.field)
            return found

        def extract(issue: Issue) -> set[Any]:
            return {issue.type_id if kind == "issuetype" else issue.status_id}

        return _membership(clause, resolve, extract, can_be_empty=False)

    return compile_


def _status_category(clause: Clause, ctx: JqlContext) -> Predicate:
    def resolve(value: Value) -> set[Any]:
        wanted = value.text.casefold()
        for key, (number, name, _) in CATEGORIES.items():
            if wanted in (key, name.casefold(), str(number)):
                return {key}
        raise not_found(value.text, "statusCategory")

    def extract(issue: Issue) -> set[Any]:
        return {ctx.store.status(issue.status_id).category}

    return _membership(clause, resolve, extract, can_be_empty=False)


def _labels(clause: Clause, ctx: JqlContext) -> Predicate:
    return _membership(clause, lambda v: {v.text}, lambda i: set(i.labels), can_be_empty=True)


def _fix_version(clause: Clause, ctx: JqlContext) -> Predicate:
    def resolve(value: Value) -> set[Any]:
        found = {
            v.id for v in ctx.store.state.versions.values() if value.text in (str(v.id), v.name)
        }
        if not found:
            raise not_found(value.text, "fixVersion")
        return found

    return _membership(clause, resolve, lambda i: set(i.fix_version_ids), can_be_empty=True)


def _parent(clause: Clause, ctx: JqlContext) -> Predicate:
    def resolve(value: Value) -> set[Any]:
        issue = ctx.store.issue(value.text)
        if issue is None:
            raise not_found(value.text, "parent")
        return {issue.id}

    def extract(issue: Issue) -> set[Any]:
        return {issue.parent_id} if issue.parent_id is not None else set()

    return _membership(clause, resolve, extract, can_be_empty=True)


def _person(attribute: str) -> Callable[[Clause, JqlContext], Predicate]:
    def compile_(clause: Clause, ctx: JqlContext) -> Predicate:
        def resolve(value: Value) -> set[Any]:
            if value.function and value.text == "currentuser":
                return {ctx.user.account_id}
            user = ctx.store.user(value.text) or ctx.store.user_by_name(value.text)
            if user is None:
                raise not_found(value.text, clause.field)
            return {user.account_id}

        def extract(issue: Issue) -> set[Any]:
            found = getattr(issue, attribute)
            return {found} if found else set()

        return _membership(clause, resolve, extract, can_be_empty=True)

    return compile_


def _resolution(clause: Clause, ctx: JqlContext) -> Predicate:
    if all(v.text.casefold() == "unresolved" for v in clause.values):
        clause = Clause(clause.field, clause.operator, (Value("empty", function=True),))

    def resolve(value: Value) -> set[Any]:
        wanted = value.text.casefold()
        found = {
            r.id
            for r in ctx.store.state.resolutions.values()
            if wanted in (r.id, r.name.casefold())
        }
        if not found:
            raise not_found(value.text, "resolution")
        return found

    def extract(issue: Issue) -> set[Any]:
        return {issue.resolution_id} if issue.resolution_id else set()

    return _membership(clause, resolve, extract, can_be_empty=True)


def _text(clause: Clause, ctx: JqlContext) -> Predicate:
    if clause.operator not in ("~", "!~"):
        raise unsupported(clause.operator, clause.field)
    words = clause.values[0].text.casefold().split()
    contains = clause.operator == "~"

    def predicate(issue: Issue) -> bool:
        summary = str(issue.values.get("summary", "")).casefold()
        return all(w.strip("*") in summary for w in words) == contains

    return predicate


# --- dates --------------------------------------------------------------------------------------


def _moment(attribute: str) -> Callable[[Clause, JqlContext], Predicate]:
    def compile_(clause: Clause, ctx: JqlContext) -> Predicate:
        if _is_empty_test(clause):
            empty = clause.operator in ("is", "=")
            return lambda issue: (getattr(issue, attribute) is None) == empty
        compare = _COMPARE.get(clause.operator)
        if compare is None:
            raise unsupported(clause.operator, clause.field)
        bound = _instant(clause.values[0], clause.field, ctx)

        def predicate(issue: Issue) -> bool:
            moment = getattr(issue, attribute)
            return moment is not None and compare(moment, bound)

        return predicate

    return compile_


def _due(clause: Clause, ctx: JqlContext) -> Predicate:
    if _is_empty_test(clause):
        empty = clause.operator in ("is", "=")
        return lambda issue: (issue.values.get("duedate") is None) == empty
    compare = _COMPARE.get(clause.operator)
    if compare is None:
        raise unsupported(clause.operator, clause.field)
    bound = _instant(clause.values[0], clause.field, ctx).astimezone(ctx.zone).date()

    def predicate(issue: Issue) -> bool:
        due = issue.values.get("duedate")
        return due is not None and compare(date.fromisoformat(due), bound)

    return predicate


def _instant(value: Value, field: str, ctx: JqlContext) -> datetime:
    """A date or time of a query, in the searching user's time zone."""
    if value.function:
        return _function_time(value.text, ctx)
    period = _PERIOD.fullmatch(value.text)
    if period is not None:
        sign = -1 if period.group(1) == "-" else 1
        return ctx.now + sign * sum(
            (_unit(u) * int(n) for n, u in _PERIOD_PART.findall(period.group(2))), timedelta()
        )
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value.text, pattern).replace(tzinfo=ctx.zone)
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{value.text}' for field '{field}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
        "format e.g. '-5d', '4w 2d'."
    )


def _unit(unit: str) -> timedelta:
    return _PERIOD_UNITS.get(unit.lower(), timedelta(minutes=1))


def _function_time(name: str, ctx: JqlContext) -> datetime:
    today = ctx.now.astimezone(ctx.zone).date()
    if name == "now":
        return ctx.now
    if name == "startofday":
        return datetime.combine(today, time(), ctx.zone)
    if name == "endofday":
        return datetime.combine(today + timedelta(days=1), time(), ctx.zone)
    raise JqlError(f"Unable to find JQL function '{name}()'.")


_FIELDS: dict[str, Callable[[Clause, JqlContext], Predicate]] = {
    "project": _project,
    "key": _issue_key("key"),
    "issuekey": _issue_key("key"),
    "issue": _issue_key("key"),
    "id": _issue_key("id"),
    "issuetype": _by_name("issuetype"),
    "type": _by_name("issuetype"),
    "status": _by_name("status"),
    "statuscategory": _status_category,
    "labels": _labels,
    "fixversion": _fix_version,
    "parent": _parent,
    "assignee": _person("assignee"),
    "reporter": _person("reporter"),
    "resolution": _resolution,
    "summary": _text,
    "updated": _moment("updated"),
    "updateddate": _moment("updated"),
    "created": _moment("created"),
    "createddate": _moment("created"),
    "resolutiondate": _moment("resolution_date"),
    "resolved": _moment("resolution_date"),
    "statuscategorychangeddate": _moment("status_changed"),
    "duedate": _due,
    "due": _due,
}

# --- ORDER BY -----------------------------------------------------------------------------------

SortKey = Callable[[JqlContext, Issue], Any]


def _key_order(ctx: JqlContext, issue: Issue) -> Any:
    return (ctx.store.project_of(issue).key, int(issue.key.rsplit("-", 1)[1]))


_SORT_KEYS: dict[str, SortKey] = {
    "key": _key_order,
    "issuekey": _key_order,
    "id": lambda ctx, i: i.id,
    "created": lambda ctx, i: i.created,
    "updated": lambda ctx, i: i.updated,
    "resolutiondate": lambda ctx, i: i.resolution_date,
    "summary": lambda ctx, i: str(i.values.get("summary", "")).casefold(),
    "status": lambda ctx, i: ctx.store.status(i.status_id).name.casefold(),
    "issuetype": lambda ctx, i: ctx.store.issue_type(i.type_id).name.casefold(),
    "type": lambda ctx, i: ctx.store.issue_type(i.type_id).name.casefold(),
    "project": lambda ctx, i: ctx.store.project_of(i).key,
    "duedate": lambda ctx, i: i.values.get("duedate"),
}


def _sort_key(name: str) -> SortKey:
    key = _SORT_KEYS.get(name.casefold())
    if key is not None:
        return key
    if name.casefold() in _FIELDS:
        raise JqlError(f"Field '{name}' does not support sorting.")
    raise unknown_field(name)
