"""Asana tasks <-> canonical values: pure functions, no I/O.

Asana quirks handled here:

- ``completed`` is done; todo and in progress are sections (or options of an enum custom
  field) named in the member's ``status_map``.
- ``due_on`` is a day; ``due_at`` an instant, read as a day in the group's time zone. Writes use
  ``due_on`` (which clears ``due_at``). ``start_on`` needs a due date in the same request, and
  a milestone has no start. https://developers.asana.com/reference/createtask
- Milestones are tasks with ``resource_subtype: milestone``; a task's milestone is the
  milestone that depends on it.
- Tags are labels (by name); number custom fields hold costs and estimates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.asana.richtext import html_to_markdown, markdown_to_html
from syncd.errors import PayloadError
from syncd.model import Kind, Ref, TaskStatus, Values, normalise

NUMBER_FIELDS = ("planned_cost", "actual_cost", "estimate_hours")
OPT_FIELDS = ",".join(
    [
        "name",
        "html_notes",
        "completed",
        "assignee.email",
        "start_on",
        "due_on",
        "due_at",
        "resource_subtype",
        "parent",
        "memberships.project",
        "memberships.section.name",
        "tags.name",
        "custom_fields.number_value",
        "custom_fields.enum_value.name",
        "dependencies",
        "num_subtasks",
        "modified_at",
        "external",
        "permalink_url",
    ]
)


@dataclass(frozen=True)
class Site:
    """What the mapping knows of one Asana project."""

    project: str
    timezone: dt.tzinfo = dt.UTC
    custom: Mapping[str, str] = field(default_factory=dict)  # canonical -> custom field gid
    status_map: Mapping[str, TaskStatus] = field(default_factory=dict)  # casefolded name ->
    status_field: str | None = None  # enum custom field gid holding the status, if any
    status_options: Mapping[str, str] = field(default_factory=dict)  # canonical -> option gid
    emails: Mapping[str, str] = field(default_factory=dict)  # user gid -> email


@dataclass(frozen=True)
class TaskRead:
    """One Asana task in canonical form."""

    kind: Kind
    gid: str
    values: Values
    modified_at: dt.datetime | None
    marker: str | None
    url: str | None
    dependencies: frozenset[str]


def read_task(site: Site, task: Mapping[str, Any]) -> TaskRead:
    """Map an Asana task (with `OPT_FIELDS`) to canonical values.

    Raises:
        PayloadError: no gid, or a field of the wrong type.
    """
    raw_gid = task.get("gid")
    # Only text (or a number) is a gid: str() of a list or an object would make one up.
    gid = str(raw_gid) if isinstance(raw_gid, str | int) and not isinstance(raw_gid, bool) else ""
    if not gid:
        raise PayloadError("task without gid")
    try:
        kind: Kind = "milestone" if task.get("resource_subtype") == "milestone" else "task"
        values = _values(site, kind, task)
        values = normalise(kind, values)
        deps = frozenset(str(d["gid"]) for d in task.get("dependencies") or [] if d.get("gid"))
    except (TypeError, ValueError, KeyError, AttributeError, InvalidOperation) as exc:
        raise PayloadError(f"task {gid}: {exc}", external_id=gid) from exc
    external = task.get("external") or {}
    marker = external.get("gid") if isinstance(external, dict) else None
    return TaskRead(
        kind,
        gid,
        values,
        parse_instant(task.get("modified_at")),
        str(marker) if marker else None,
        task.get("permalink_url"),
        deps,
    )


def _values(site: Site, kind: Kind, task: Mapping[str, Any]) -> Values:
    values: Values = {
        "title": _name(task.get("name")),
        "description": html_to_markdown(task.get("html_notes")),
        "due": _due(site, task),
    }
    if kind == "milestone":
        values["status"] = "done" if task.get("completed") else "todo"
        return values
    values["status"] = read_status(site, task)
    values["start"] = parse_day(task.get("start_on"))
    assignee = task.get("assignee")
    email = (assignee or {}).get("email") or site.emails.get(str((assignee or {}).get("gid")))
    if assignee is None or email:
        values["assignee"] = str(email).lower() if email else None
    values["labels"] = frozenset(
        str(t.get("name")) for t in task.get("tags") or [] if t.get("name")
    )
    parent = task.get("parent")
    values["parent"] = Ref(uid=str(parent["gid"])) if parent and parent.get("gid") else None
    values["depends_on"] = frozenset(
        Ref(uid=str(d["gid"])) for d in task.get("dependencies") or [] if d.get("gid")
    )
    numbers = _numbers(task)
    for name, gid in site.custom.items():
        if name in NUMBER_FIELDS:
            raw = numbers.get(gid)
            values[name] = _number(name, raw)
    return values


def read_status(site: Site, task: Mapping[str, Any]) -> TaskStatus:
    """done when completed; else the status_map of its section or status field; else todo."""
    if task.get("completed"):
        return "done"
    if site.status_field is not None:
        for cf in task.get("custom_fields") or []:
            if cf.get("gid") == site.status_field:
                option = ((cf.get("enum_value") or {}).get("name")) or ""
                return site.status_map.get(option.casefold(), "todo")
        return "todo"
    for membership in task.get("memberships") or []:
        if ((membership.get("project") or {}).get("gid")) == site.project:
            section = ((membership.get("section") or {}).get("name")) or ""
            return site.status_map.get(section.casefold(), "todo")
    return "todo"


def _numbers(task: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(cf.get("gid")): cf.get("number_value")
        for cf in task.get("custom_fields") or []
        if isinstance(cf, dict)
    }


def _number(name: str, raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("a number field holds a boolean")
    if name == "estimate_hours":
        return float(raw)
    return Decimal(repr(raw) if isinstance(raw, float) else str(raw))


def _name(raw: Any) -> str:
    """The title: Asana always sends ``name`` (``""`` for an unnamed task), so a missing, null
    or non-text name is a malformed task, not a title to clear (nor ``"['a']"``)."""
    if not isinstance(raw, str):
        raise ValueError(f"name is {type(raw).__name__}, not text")
    return raw.strip()


def _due(site: Site, task: Mapping[str, Any]) -> dt.date | None:
    if task.get("due_on"):
        return parse_day(task["due_on"])
    raw = task.get("due_at")
    instant = parse_instant(raw)
    if raw and instant is None:  # unreadable is not "no due date": that would clear it
        raise ValueError(f"due_at is not a time: {raw!r}")
    return instant.astimezone(site.timezone).date() if instant else None


# --- writing ------------------------------------------------------------------------------------


def write_fields(site: Site, kind: Kind, changes: Values, users: Mapping[str, str]) -> Json:
    """The ``data`` of a create or update for these canonical changes (plain fields only).

    Tags, dependencies, sections and parents go through their own endpoints (the adapter).
    """
    out: Json = {}
    for name, value in changes.items():
        if name == "title":
            out["name"] = value
        elif name == "description":
            out["html_notes"] = markdown_to_html(value)
        elif name == "due":
            out["due_on"] = value.isoformat() if value else None
        elif name == "start":
            out["start_on"] = value.isoformat() if value else None
        elif name == "status":
            out["completed"] = value == "done"
            option = site.status_options.get(value)
            if site.status_field is not None and option is not None:
                out.setdefault("custom_fields", {})[site.status_field] = option
        elif name == "assignee":
            out["assignee"] = users[value] if value else None
        elif name in NUMBER_FIELDS and name in site.custom:
            out.setdefault("custom_fields", {})[site.custom[name]] = _json_number(value)
    return out


def _json_number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return float(value)


def parse_day(raw: Any) -> dt.date | None:
    """An Asana day ("2026-01-31")."""
    if not raw:
        return None
    if not isinstance(raw, str):  # str(20260131) would read as a day (ISO's basic format)
        raise ValueError(f"not a day: {raw!r}")
    return dt.date.fromisoformat(raw[:10])


def parse_instant(raw: Any) -> dt.datetime | None:
    """An Asana timestamp ("2026-01-31T14:05:07.123Z") as aware UTC."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


Json = dict[str, Any]
