"""Writing a task's fields as Asana validates them (create and update).

https://developers.asana.com/reference/createtask and /reference/updatetask. Each write is
checked as a whole and then stored; the changed fields become ``changed`` events.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.asana.simulator import richtext
from adapters.asana.simulator.errors import AsanaError, bad_request, payment_required
from adapters.asana.simulator.model import Task, User
from adapters.asana.simulator.store import Store
from adapters.asana.simulator.values import (
    check_name,
    parse_custom_value,
    parse_date,
    parse_datetime,
)

SCALARS = (
    "name", "resource_subtype", "notes", "html_notes", "completed", "assignee", "start_on",
    "due_on", "due_at", "custom_fields", "external",
)  # fmt: skip
# Set only when the task is created; afterwards through their own endpoints (addProject,
# setParent, addTag, addFollowers).
CREATE_ONLY = ("workspace", "projects", "memberships", "parent", "tags", "followers")
# Accepted and not simulated.
IGNORED = (
    "liked", "assignee_section", "assignee_status", "approval_status", "completed_by",
    "start_at", "custom_type", "custom_type_status_option",
)  # fmt: skip
SUBTYPES = ("default_task", "milestone")


def check_keys(data: dict[str, Any], *, creating: bool) -> None:
    """Asana refuses what a task has no such (writable) property for."""
    writable = set(SCALARS) | set(IGNORED) | (set(CREATE_ONLY) if creating else set())
    for key in data:
        if key not in writable:
            known = key in CREATE_ONLY or key in ("gid", "resource_type", "created_at")
            problem = "Cannot write this property" if known else "Unknown property"
            raise bad_request(f"{key}: {problem}")


def write_scalars(
    store: Store, user: User, task: Task, data: dict[str, Any]
) -> tuple[Task, list[str]]:
    """The task with the fields of ``data`` written, and the names of the changed fields."""
    if data.get("due_on") is not None and data.get("due_at") is not None:
        # https://developers.asana.com/reference/createtask: due_on and due_at are exclusive.
        raise bad_request("You may only provide one of due_on or due_at!")
    new = task.model_copy(deep=True)
    for key in SCALARS:
        if key in data:
            _WRITERS[key](store, user, new, data[key])
    _check_dates(new)
    changed = [k for k in SCALARS if _differs(task, new, k)]
    return new, changed


def _differs(before: Task, after: Task, key: str) -> bool:
    attribute = {"custom_fields": "custom_values"}.get(key, key)
    return bool(getattr(before, attribute) != getattr(after, attribute))


def _check_dates(task: Task) -> None:
    due = task.due_on or (task.due_at.date() if task.due_at else None)
    if task.start_on is None:
        return
    if task.resource_subtype == "milestone":
        # A milestone is one moment in time: it has no start date (TaskCompact.resource_subtype).
        raise bad_request("start_on: Milestones cannot have a start date")
    if due is None:
        # https://developers.asana.com/reference/updatetask: start_on requires a due date.
        raise bad_request("You must specify a due date to set start_on")
    if task.start_on >= due:
        # The API refuses a start date on or after the due date
        # (https://github.com/Asana/export_importer/pull/60).
        raise bad_request("start_on: The start date must be before the due date")


def _name(store: Store, user: User, task: Task, value: Any) -> None:
    task.name = check_name(value)


def _subtype(store: Store, user: User, task: Task, value: Any) -> None:
    if value not in SUBTYPES:
        raise bad_request(f"resource_subtype: Invalid value: {value!r} (one of {SUBTYPES})")
    task.resource_subtype = value


def _notes(store: Store, user: User, task: Task, value: Any) -> None:
    text = "" if value is None else str(value)
    task.notes, task.html_notes = text, richtext.from_text(text)


def _html_notes(store: Store, user: User, task: Task, value: Any) -> None:
    if not isinstance(value, str):
        raise bad_request("html_notes: XML is invalid")
    root = richtext.parse_html_notes(value)
    task.html_notes, task.notes = value, richtext.to_text(root)


def _completed(store: Store, user: User, task: Task, value: Any) -> None:
    if not isinstance(value, bool):
        raise bad_request(f"completed: Not a boolean: {value!r}")
    if value != task.completed:
        task.completed_at = store.now() if value else None
    task.completed = value


def _assignee(store: Store, user: User, task: Task, value: Any) -> None:
    if value is None:
        task.assignee = None
        return
    try:
        assignee = store.user(str(value), me=user)
    except AsanaError:
        raise bad_request(f"assignee: Not a recognized ID: {value}") from None
    if task.workspace not in assignee.workspaces:
        raise bad_request("assignee: The user is not a member of the task's workspace")
    task.assignee = assignee.gid


def _start_on(store: Store, user: User, task: Task, value: Any) -> None:
    task.start_on = parse_date("start_on", value)


def _due_on(store: Store, user: User, task: Task, value: Any) -> None:
    task.due_on = parse_date("due_on", value)
    if task.due_on is not None:
        task.due_at = None


def _due_at(store: Store, user: User, task: Task, value: Any) -> None:
    task.due_at = parse_datetime("due_at", value)
    if task.due_at is not None:
        task.due_on = None


def _custom_fields(store: Store, user: User, task: Task, value: Any) -> None:
    if not isinstance(value, dict):
        raise bad_request("custom_fields: Must be an object mapping custom field gids to values")
    if value and not store.workspace(task.workspace).premium:
        raise payment_required("Custom Fields")
    allowed = _fields_on(store, task)
    for gid, raw in value.items():
        definition = store.state.custom_fields.get(str(gid))
        if definition is None:
            raise bad_request(f"custom_fields: Not a recognized ID: {gid}")
        if definition.gid not in allowed:
            raise bad_request(f"custom_fields: Custom field with ID {gid} is not on given object")
        task.custom_values[definition.gid] = parse_custom_value(definition, raw)
    task.custom_values = {k: v for k, v in task.custom_values.items() if v is not None}


def _fields_on(store: Store, task: Task) -> set[str]:
    """Custom fields a task may hold: those of its projects (and any it already holds)."""
    found = set(task.custom_values)
    for project in (store.state.projects[p] for p in task.projects()):
        found.update(s.custom_field for s in project.custom_field_settings)
    return found


def _external(store: Store, user: User, task: Task, value: Any) -> None:
    # https://developers.asana.com/docs/external-data: {gid, data} kept for the app.
    if value is None:
        task.external = None
        return
    if not isinstance(value, dict) or set(value) - {"gid", "data"}:
        raise bad_request("external: Must be an object with gid and data")
    if not all(isinstance(v, str) for v in value.values()):
        raise bad_request("external: gid and data must be strings")
    task.external = dict(value)


_WRITERS = {
    "name": _name,
    "resource_subtype": _subtype,
    "notes": _notes,
    "html_notes": _html_notes,
    "completed": _completed,
    "assignee": _assignee,
    "start_on": _start_on,
    "due_on": _due_on,
    "due_at": _due_at,
    "custom_fields": _custom_fields,
    "external": _external,
}


def due_date(task: Task) -> date | None:
    return task.due_on or (task.due_at.date() if task.due_at else None)
