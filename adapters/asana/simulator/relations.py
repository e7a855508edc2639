"""A task's relations: parent, dependencies, tags, projects and sections.

https://developers.asana.com/reference/setparentfortask, /adddependenciesfortask,
/addtagfortask, /addtaskforsection, /addprojectfortask
"""

from __future__ import annotations

from typing import Any

from adapters.asana.simulator import changes
from adapters.asana.simulator.call import Call, Endpoint, Reply
from adapters.asana.simulator.errors import bad_request, payment_required, unknown_reference
from adapters.asana.simulator.model import Membership, Project, Task
from adapters.asana.simulator.paging import listing
from adapters.asana.simulator.tasks import task_reply, visible_project, visible_task

# "A task can have at most 30 dependents and dependencies combined."
# https://developers.asana.com/reference/adddependenciesfortask
MAX_DEPENDENCIES = 30
EMPTY = Reply(200, {"data": {}})


def _touch(call: Call, task: Task) -> None:
    task.modified_at = call.sim.store.now()


def _task_ref(call: Call, gid: Any, field: str) -> Task:
    found = call.sim.store.state.tasks.get(str(gid))
    if found is None or found.deleted:
        raise unknown_reference(field, gid)
    return found


# --- parent -------------------------------------------------------------------------------------


def set_parent(call: Call) -> Reply:
    """POST /tasks/{gid}/setParent: null makes a top-level task; loops are refused."""
    task = visible_task(call, call.param("task_gid"))
    data = call.data()
    if "parent" not in data:
        raise bad_request("parent: Missing input")
    parent = None if data["parent"] is None else _task_ref(call, data["parent"], "parent")
    if parent is not None:
        chain = [parent, *call.sim.store.ancestors(parent)]
        if any(t.gid == task.gid for t in chain):
            raise bad_request("parent: A task cannot be a subtask of itself or of its subtasks")
    if parent is not None and parent.workspace != task.workspace:
        raise bad_request("parent: The parent must be in the task's workspace")
    old = call.sim.store.state.tasks.get(task.parent) if task.parent else None
    task.parent = parent.gid if parent else None
    _touch(call, task)
    also = tuple(call.sim.store.task_scopes(old)) if old else ()
    changes.task_event(call.sim.store, task, "changed", call.user, field="parent", also=also)
    return task_reply(call, task)


# --- dependencies (premium) ---------------------------------------------------------------------


def _premium(call: Call, task: Task) -> None:
    if not call.sim.store.workspace(task.workspace).premium:
        raise payment_required("Dependencies")


def _dependency_list(call: Call, task: Task) -> list[Task]:
    data = call.data()
    gids = data.get("dependencies")
    if not isinstance(gids, list) or not gids:
        raise bad_request("dependencies: Missing input")
    return [_task_ref(call, gid, "dependencies") for gid in gids]


def add_dependencies(call: Call) -> Reply:
    """Premium only (402); a task cannot depend on itself or on what depends on it (400)."""
    task = visible_task(call, call.param("task_gid"))
    _premium(call, task)
    wanted = list(task.dependencies)
    for dependency in _dependency_list(call, task):
        if dependency.gid == task.gid or _reaches(call, dependency, task.gid):
            raise bad_request("dependencies: Cannot add a dependency that creates a cycle")
        if dependency.gid not in wanted:
            wanted.append(dependency.gid)
    if len(wanted) + _dependent_count(call, task) > MAX_DEPENDENCIES:
        raise bad_request(
            f"dependencies: A task can have at most {MAX_DEPENDENCIES} dependencies and "
            "dependents combined"
        )
    task.dependencies = wanted
    _touch(call, task)
    changes.task_event(
        call.sim.store, task, "changed", call.user, field="dependencies", change_action="added"
    )
    return EMPTY


def _reaches(call: Call, start: Task, target: str) -> bool:
    """Whether ``start`` depends, directly or not, on ``target``."""
    tasks, seen, todo = call.sim.store.state.tasks, set(), [start.gid]
    while todo:
        gid = todo.pop()
        if gid == target:
            return True
        if gid not in seen and gid in tasks:
            seen.add(gid)
            todo += tasks[gid].dependencies
    return False


def _dependent_count(call: Call, task: Task) -> int:
    return sum(1 for t in call.sim.store.live_tasks() if task.gid in t.dependencies)


def remove_dependencies(call: Call) -> Reply:
    task = visible_task(call, call.param("task_gid"))
    _premium(call, task)
    gone = {t.gid for t in _dependency_list(call, task)}
    task.dependencies = [g for g in task.dependencies if g not in gone]
    _touch(call, task)
    changes.task_event(
        call.sim.store, task, "changed", call.user, field="dependencies", change_action="removed"
    )
    return EMPTY


def dependencies(call: Call) -> Reply:
    task = visible_task(call, call.param("task_gid"))
    _premium(call, task)
    tasks = call.sim.store.state.tasks
    return listing(call, [tasks[g] for g in task.dependencies if not tasks[g].deleted])


def dependents(call: Call) -> Reply:
    task = visible_task(call, call.param("task_gid"))
    _premium(call, task)
    return listing(call, [t for t in call.sim.store.live_tasks() if task.gid in t.dependencies])


# --- tags ---------------------------------------------------------------------------------------


def _tag_change(call: Call, add: bool) -> Reply:
    task = visible_task(call, call.param("task_gid"))
    tag = call.sim.store.state.tags.get(str(call.data().get("tag")))
    if tag is None or tag.workspace != task.workspace:
        raise unknown_reference("tag", call.data().get("tag"))
    present = tag.gid in task.tags
    if add and not present:
        task.tags.append(tag.gid)
    elif not add and present:
        task.tags.remove(tag.gid)
    _touch(call, task)
    parent = changes.resource(tag.gid, "tag", tag.name)
    action = "added" if add else "removed"
    changes.task_event(call.sim.store, task, action, call.user, parent=parent, also=(tag.gid,))
    return EMPTY


def add_tag(call: Call) -> Reply:
    return _tag_change(call, add=True)


def remove_tag(call: Call) -> Reply:
    return _tag_change(call, add=False)


# --- projects and sections ----------------------------------------------------------------------


def _place(call: Call, task: Task, project: Project, section: str) -> None:
    """Put ``task`` in ``section`` of ``project`` (joining the project if needed)."""
    known = next((m for m in task.memberships if m.project == project.gid), None)
    if known is not None and known.section == section:
        return
    if known is None:
        task.memberships.append(Membership(project=project.gid, section=section))
    else:
        known.section = section
    section_record = call.sim.store.state.sections[section]
    parent = changes.resource(section_record.gid, "section", section_record.name)
    _touch(call, task)
    if known is None:
        project_json = changes.resource(project.gid, "project", project.name)
        changes.task_event(call.sim.store, task, "added", call.user, parent=project_json)
    changes.task_event(call.sim.store, task, "added", call.user, parent=parent)


def add_task_to_section(call: Call) -> Reply:
    """POST /sections/{gid}/addTask moves the task there (into the project if needed)."""
    section = call.sim.store.section(call.param("section_gid"))
    project = visible_project(call, section.project)
    task = _task_ref(call, call.data().get("task"), "task")
    _place(call, task, project, section.gid)
    return EMPTY


def add_project(call: Call) -> Reply:
    task = visible_task(call, call.param("task_gid"))
    data = call.data()
    project = call.sim.store.state.projects.get(str(data.get("project")))
    if project is None:
        raise unknown_reference("project", data.get("project"))
    section = str(data.get("section") or project.sections[0])
    if section not in project.sections:
        raise unknown_reference("section", section)
    _place(call, task, project, section)
    return EMPTY


def remove_project(call: Call) -> Reply:
    task = visible_task(call, call.param("task_gid"))
    project = call.sim.store.state.projects.get(str(call.data().get("project")))
    if project is None:
        raise unknown_reference("project", call.data().get("project"))
    if any(m.project == project.gid for m in task.memberships):
        scopes = tuple(call.sim.store.task_scopes(task))
        task.memberships = [m for m in task.memberships if m.project != project.gid]
        _touch(call, task)
        parent = changes.resource(project.gid, "project", project.name)
        changes.task_event(call.sim.store, task, "removed", call.user, parent=parent, also=scopes)
    return EMPTY


ENDPOINTS = (
    Endpoint("POST", "/tasks/{task_gid}/setParent", set_parent),
    Endpoint("POST", "/tasks/{task_gid}/addDependencies", add_dependencies),
    Endpoint("POST", "/tasks/{task_gid}/removeDependencies", remove_dependencies),
    Endpoint("GET", "/tasks/{task_gid}/dependencies", dependencies),
    Endpoint("GET", "/tasks/{task_gid}/dependents", dependents),
    Endpoint("POST", "/tasks/{task_gid}/addTag", add_tag),
    Endpoint("POST", "/tasks/{task_gid}/removeTag", remove_tag),
    Endpoint("POST", "/tasks/{task_gid}/addProject", add_project),
    Endpoint("POST", "/tasks/{task_gid}/removeProject", remove_project),
    Endpoint("POST", "/sections/{section_gid}/addTask", add_task_to_section),
)
