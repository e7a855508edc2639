"""The JSON of every object, shaped by ``opt_fields``.

Asana answers lists with compact records (gid, name, resource_type, resource_subtype) and a
single object with its full record; ``opt_fields`` names exactly the fields wanted instead,
dotted paths reaching into related objects (``assignee.email``, ``memberships.section.name``).
The gid is always there. https://developers.asana.com/docs/inputoutput-options
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from adapters.asana.simulator.model import (
    CustomField,
    CustomFieldSetting,
    Project,
    Section,
    Tag,
    Task,
    User,
    WebhookRecord,
    Workspace,
)
from adapters.asana.simulator.store import Store, timestamp
from adapters.asana.simulator.values import custom_value, option_json

Tree = dict[str, "Tree"]
_RESOURCE_TYPES: dict[type[BaseModel], str] = {
    Task: "task",
    User: "user",
    Project: "project",
    Section: "section",
    Tag: "tag",
    Workspace: "workspace",
    CustomField: "custom_field",
    CustomFieldSetting: "custom_field_setting",
    WebhookRecord: "webhook",
}
_COMPACT = ("gid", "name", "resource_type", "resource_subtype")
# What Asana's compact records hold besides (CustomFieldCompact, WebhookCompact, ...).
_COMPACT_EXTRA: dict[type[BaseModel], tuple[str, ...]] = {
    CustomField: ("type", "enum_options", "enabled", "precision"),
    CustomFieldSetting: ("custom_field", "project", "is_important"),
    WebhookRecord: ("active", "resource", "target"),
}
# Fields a full record leaves out unless named in opt_fields.
_OPT_IN = {"dependencies", "dependents", "created_by", "num_subtasks"}


def parse_fields(opt_fields: list[str]) -> Tree:
    """``["assignee.email", "name"]`` -> ``{"assignee": {"email": {}}, "name": {}}``."""
    tree: Tree = {}
    for path in opt_fields:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


class _Lazy:
    """A field that scans every task: worked out only when the answer includes it."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], Any]) -> None:
        self.compute = compute


class Renderer:
    """Turns records into Asana's JSON for one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._subtask_counts: Counter[str] | None = None  # while a page is rendered

    def page(self, records: Sequence[BaseModel], opt_fields: list[str] | None) -> list[Any]:
        """A list's items (as `listed`), counting every task's subtasks once for the page.

        Rendering changes nothing, and the simulator's lock is held: the counts stay true.
        """
        self._subtask_counts = Counter(t.parent for t in self.store.live_tasks() if t.parent)
        try:
            return [self.listed(r, opt_fields) for r in records]
        finally:
            self._subtask_counts = None

    def one(self, record: BaseModel, opt_fields: list[str] | None) -> dict[str, Any]:
        """A single object: its full record, or the fields named."""
        if opt_fields is None:
            fields = self.fields(record)
            return {k: self._value(v, {}) for k, v in fields.items() if k not in _OPT_IN}
        return self._selected(record, parse_fields(opt_fields))

    def listed(self, record: BaseModel, opt_fields: list[str] | None) -> dict[str, Any]:
        """A list's item: compact, or the fields named."""
        if opt_fields is None:
            return self.compact(record)
        return self._selected(record, parse_fields(opt_fields))

    def compact(self, record: BaseModel) -> dict[str, Any]:
        found = self.fields(record)
        keys = _COMPACT + _COMPACT_EXTRA.get(type(record), ())
        return {k: self._value(found[k], {}) for k in keys if k in found}

    # --- projection -----------------------------------------------------------------------------

    def _selected(self, record: BaseModel, tree: Tree) -> dict[str, Any]:
        fields = self.fields(record)
        chosen = {"gid": fields["gid"]}
        chosen.update({k: self._value(fields[k], sub) for k, sub in tree.items() if k in fields})
        return chosen

    def _value(self, value: Any, tree: Tree) -> Any:
        if isinstance(value, _Lazy):
            value = value.compute()
        if isinstance(value, BaseModel):
            return self._selected(value, tree) if tree else self.compact(value)
        if isinstance(value, list):
            return [self._value(item, tree) for item in value]
        if isinstance(value, dict):
            keys = [k for k in value if not tree or k in tree or k == "gid"]
            return {k: self._value(value[k], tree.get(k, {})) for k in keys}
        return value

    # --- each kind's fields ---------------------------------------------------------------------

    def fields(self, record: BaseModel) -> dict[str, Any]:
        """Every field of a record; related objects stay records (projected by the caller)."""
        kind = _RESOURCE_TYPES[type(record)]
        found: dict[str, Any] = getattr(self, f"_{kind}")(record)
        return {"gid": getattr(record, "gid"), "resource_type": kind, **found}  # noqa: B009

    def _workspace(self, w: Workspace) -> dict[str, Any]:
        return {"name": w.name, "is_organization": w.is_organization, "email_domains": []}

    def _user(self, u: User) -> dict[str, Any]:
        spaces = [self.store.state.workspaces[g] for g in u.workspaces]
        return {"name": u.name, "email": u.email, "photo": None, "workspaces": spaces}

    def _project(self, p: Project) -> dict[str, Any]:
        return {
            "name": p.name,
            "archived": p.archived,
            "notes": p.notes,
            "workspace": self.store.state.workspaces[p.workspace],
            "created_at": timestamp(p.created_at),
            "modified_at": timestamp(p.modified_at),
            "permalink_url": f"https://app.asana.com/0/{p.gid}/list",
        }

    def _section(self, s: Section) -> dict[str, Any]:
        project = self.store.state.projects[s.project]
        return {
            "name": s.name,
            "project": project,
            "projects": [project],
            "created_at": timestamp(s.created_at),
        }

    def _tag(self, t: Tag) -> dict[str, Any]:
        return {
            "name": t.name,
            "color": t.color,
            "notes": "",
            "workspace": self.store.state.workspaces[t.workspace],
            "followers": [],
            "created_at": timestamp(t.created_at),
            "permalink_url": f"https://app.asana.com/0/{t.gid}/list",
        }

    def _custom_field(self, f: CustomField) -> dict[str, Any]:
        found: dict[str, Any] = {
            "name": f.name,
            "type": f.kind,
            "resource_subtype": f.kind,
            "description": "",
            "enabled": True,
            "is_global_to_workspace": False,
            "has_notifications_enabled": False,
        }
        if f.kind == "enum":
            found["enum_options"] = [option_json(o) for o in f.enum_options]
        if f.kind == "number":
            found["precision"] = f.precision
        return found

    def _custom_field_setting(self, s: CustomFieldSetting) -> dict[str, Any]:
        state = self.store.state
        project = state.projects[s.project]
        return {
            "custom_field": state.custom_fields[s.custom_field],
            "project": project,
            "parent": project,
            "is_important": s.is_important,
        }

    def _webhook(self, w: WebhookRecord) -> dict[str, Any]:
        return {
            "active": w.active,
            "resource": self._named(w.resource),
            "target": w.target,
            "created_at": timestamp(w.created_at),
            "filters": [f.model_dump(exclude_none=True) for f in w.filters],
            "last_failure_content": w.last_failure_content,
            # Only once there was a delivery (the description has no null for them).
            **({"last_success_at": _time(w.last_success_at)} if w.last_success_at else {}),
            **({"last_failure_at": _time(w.last_failure_at)} if w.last_failure_at else {}),
        }

    def _named(self, gid: str) -> dict[str, Any]:
        for table in (self.store.state.projects, self.store.state.tasks):
            record = table.get(gid)
            if record is not None:
                return self.compact(record)
        return {"gid": gid}

    def _task(self, t: Task) -> dict[str, Any]:
        state = self.store.state
        projects = [state.projects[m.project] for m in t.memberships]
        return {
            "name": t.name,
            "resource_subtype": t.resource_subtype,
            "notes": t.notes,
            "html_notes": t.html_notes,
            "completed": t.completed,
            "completed_at": _time(t.completed_at),
            "assignee": state.users.get(t.assignee) if t.assignee else None,
            "start_on": t.start_on.isoformat() if t.start_on else None,
            "due_on": t.due_on.isoformat() if t.due_on else None,
            "due_at": _time(t.due_at),
            "parent": state.tasks.get(t.parent) if t.parent else None,
            "memberships": [
                {"project": state.projects[m.project], "section": state.sections[m.section]}
                for m in t.memberships
            ],
            "projects": projects,
            "workspace": state.workspaces[t.workspace],
            "tags": [state.tags[g] for g in t.tags],
            "custom_fields": self._custom_values(t),
            "dependencies": self._live(t.dependencies),
            "dependents": _Lazy(
                lambda: self._live(
                    d.gid for d in self.store.live_tasks() if t.gid in d.dependencies
                )
            ),
            "num_subtasks": _Lazy(lambda: self._num_subtasks(t)),
            "followers": [],
            "liked": False,
            "num_likes": 0,
            # Returned only when set: https://developers.asana.com/docs/external-data
            **({"external": t.external} if t.external is not None else {}),
            "created_by": state.users.get(t.created_by) if t.created_by else None,
            "created_at": timestamp(t.created_at),
            "modified_at": timestamp(t.modified_at),
            "permalink_url": f"https://app.asana.com/0/{projects[0].gid if projects else 0}"
            f"/{t.gid}",
        }

    def _num_subtasks(self, t: Task) -> int:
        if self._subtask_counts is not None:
            return self._subtask_counts[t.gid]
        return len(self.store.subtasks(t))

    def _live(self, gids: Any) -> list[Task]:
        tasks = self.store.state.tasks
        return [tasks[g] for g in gids if g in tasks and not tasks[g].deleted]

    def _custom_values(self, t: Task) -> list[dict[str, Any]]:
        state = self.store.state
        seen: dict[str, None] = {}
        for project in (state.projects[m.project] for m in t.memberships):
            seen.update({s.custom_field: None for s in project.custom_field_settings})
        seen.update(dict.fromkeys(t.custom_values))
        definitions = (state.custom_fields[gid] for gid in seen if gid in state.custom_fields)
        return [custom_value(d, t.custom_values.get(d.gid)) for d in definitions]


def _time(moment: Any) -> str | None:
    return timestamp(moment) if moment is not None else None
