"""The events a task's changes produce, as Asana's Events API and webhooks describe them.

``added``/``removed`` carry the ``parent`` the task joined or left (a project, section, tag or
parent task); ``changed`` carries ``change: {field, action}``; ``deleted``/``undeleted`` have no
parent. https://developers.asana.com/docs/webhooks-guide#event-types
"""

from __future__ import annotations

from typing import Any

from adapters.asana.simulator.model import Task, User
from adapters.asana.simulator.store import Store


def resource(gid: str, resource_type: str, name: str, subtype: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"gid": gid, "resource_type": resource_type, "name": name}
    if subtype is not None:
        found["resource_subtype"] = subtype
    return found


def task_resource(task: Task) -> dict[str, Any]:
    return resource(task.gid, "task", task.name, task.resource_subtype)


def task_event(
    store: Store,
    task: Task,
    action: str,
    user: User | None,
    *,
    parent: dict[str, Any] | None = None,
    field: str | None = None,
    change_action: str = "changed",
    also: tuple[str, ...] = (),
) -> None:
    """Record one event about ``task``, seen by its streams (and ``also`` those)."""
    change = None if field is None else {"field": field, "action": change_action}
    scopes = list(dict.fromkeys([*store.task_scopes(task), *also]))
    store.record(scopes, action, task_resource(task), user, parent=parent, change=change)


def created(store: Store, task: Task, user: User) -> None:
    """A new task is ``added`` to each of its projects, or to its parent task."""
    state = store.state
    if task.parent is not None:
        parent = state.tasks[task.parent]
        task_event(store, task, "added", user, parent=task_resource(parent))
    for membership in task.memberships:
        project = state.projects[membership.project]
        parent_json = resource(project.gid, "project", project.name)
        task_event(store, task, "added", user, parent=parent_json)
    if task.parent is None and not task.memberships:
        task_event(store, task, "added", user)


def changed(store: Store, task: Task, user: User, fields: list[str]) -> None:
    for field in fields:
        task_event(store, task, "changed", user, field=field)
