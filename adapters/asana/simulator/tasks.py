"""Tasks: create, read, update, delete (to the trash), and the lists of tasks.

https://developers.asana.com/reference/tasks
"""

from __future__ import annotations

from typing import Any

from adapters.asana.simulator import changes
from adapters.asana.simulator.call import Call, Endpoint, Reply
from adapters.asana.simulator.errors import AsanaError, bad_request, unknown_reference
from adapters.asana.simulator.model import Membership, Project, Task
from adapters.asana.simulator.paging import listing
from adapters.asana.simulator.taskwrite import check_keys, write_scalars
from adapters.asana.simulator.values import parse_datetime


def visible_task(call: Call, gid: str) -> Task:
    """The task (404 when unknown or in the trash; 403 outside the caller's workspaces)."""
    task = call.sim.store.task(gid)
    call.sim.store.check_member(call.user, task.workspace)
    return task


def visible_project(call: Call, gid: str) -> Project:
    project = call.sim.store.project(gid)
    call.sim.store.check_member(call.user, project.workspace)
    return project


def task_reply(call: Call, task: Task, status: int = 200) -> Reply:
    body = {"data": call.sim.render.one(task, call.opt_fields())}
    headers = {"Location": f"/tasks/{task.gid}"} if status == 201 else {}
    return Reply(status, body, headers)


# --- one task -------------------------------------------------------------------------------------


def get_task(call: Call) -> Reply:
    return task_reply(call, visible_task(call, call.param("task_gid")))


def update_task(call: Call) -> Reply:
    task = visible_task(call, call.param("task_gid"))
    data = call.data()
    check_keys(data, creating=False)
    new, changed = write_scalars(call.sim.store, call.user, task, data)
    if changed:
        new.modified_at = call.sim.store.now()
    call.sim.store.state.tasks[new.gid] = new
    changes.changed(call.sim.store, new, call.user, changed)
    return task_reply(call, new)


def delete_task(call: Call) -> Reply:
    """Deleting moves the task (and its subtasks) to the trash: gone from lists and reads.
    https://developers.asana.com/reference/deletetask"""
    store = call.sim.store
    task = visible_task(call, call.param("task_gid"))
    for doomed in [task, *_descendants(call, task)]:
        changes.task_event(store, doomed, "deleted", call.user)
        doomed.deleted = True
        doomed.modified_at = store.now()
    return Reply(200, {"data": {}})


def _descendants(call: Call, task: Task) -> list[Task]:
    found: list[Task] = []
    for child in call.sim.store.subtasks(task):
        found += [child, *_descendants(call, child)]
    return found


# --- creating -----------------------------------------------------------------------------------


def create_task(call: Call) -> Reply:
    return task_reply(call, create(call, call.data()), 201)


def create_subtask(call: Call) -> Reply:
    parent = visible_task(call, call.param("task_gid"))
    data = {**call.data(), "parent": parent.gid}
    return task_reply(call, create(call, data), 201)


def create(call: Call, data: dict[str, Any]) -> Task:
    """A new task from a create request's ``data``; Asana's 400s otherwise."""
    check_keys(data, creating=True)
    store = call.sim.store
    memberships = _memberships(call, data)
    parent = _parent(call, data.get("parent"))
    workspace = _workspace(call, data, memberships, parent)
    now = store.now()
    task = Task(
        gid=store.next_gid(),
        workspace=workspace,
        parent=parent.gid if parent else None,
        memberships=memberships,
        tags=_tags(call, data.get("tags", []), workspace),
        created_by=call.user.gid,
        created_at=now,
        modified_at=now,
    )
    task, _ = write_scalars(store, call.user, task, data)
    store.state.tasks[task.gid] = task
    changes.created(store, task, call.user)
    return task


def _memberships(call: Call, data: dict[str, Any]) -> list[Membership]:
    found: list[Membership] = []
    for item in data.get("memberships") or []:
        if not isinstance(item, dict) or "project" not in item:
            raise bad_request("memberships: Each membership needs a project")
        project = _project_ref(call, item["project"], "memberships")
        section = str(item.get("section") or project.sections[0])
        if section not in project.sections:
            raise bad_request(f"memberships: Section {section} is not in project {project.gid}")
        found.append(Membership(project=project.gid, section=section))
    for gid in data.get("projects") or []:
        project = _project_ref(call, gid, "projects")
        if all(m.project != project.gid for m in found):
            found.append(Membership(project=project.gid, section=project.sections[0]))
    return found


def _project_ref(call: Call, gid: Any, field: str) -> Project:
    project = call.sim.store.state.projects.get(str(gid))
    if project is None:
        raise unknown_reference(field, gid)
    call.sim.store.check_member(call.user, project.workspace)
    return project


def _parent(call: Call, gid: Any) -> Task | None:
    if gid is None:
        return None
    try:
        return visible_task(call, str(gid))
    except AsanaError as error:
        if error.status == 404:
            raise unknown_reference("parent", gid) from None
        raise


def _workspace(
    call: Call, data: dict[str, Any], memberships: list[Membership], parent: Task | None
) -> str:
    state = call.sim.store.state
    candidates = {state.projects[m.project].workspace for m in memberships}
    if parent is not None:
        candidates.add(parent.workspace)
    if "workspace" in data:
        if str(data["workspace"]) not in state.workspaces:
            raise unknown_reference("workspace", data["workspace"])
        candidates.add(str(data["workspace"]))
    if not candidates:
        # https://developers.asana.com/docs/errors: "workspace: Missing input".
        raise bad_request("workspace: Missing input")
    if len(candidates) > 1:
        raise bad_request("workspace: The task's projects and parent must be in one workspace")
    workspace = candidates.pop()
    call.sim.store.check_member(call.user, workspace)
    return workspace


def _tags(call: Call, gids: Any, workspace: str) -> list[str]:
    found: list[str] = []
    for gid in gids if isinstance(gids, list) else [gids]:
        tag = call.sim.store.state.tags.get(str(gid))
        if tag is None or tag.workspace != workspace:
            raise unknown_reference("tags", gid)
        found.append(tag.gid)
    return found


# --- lists --------------------------------------------------------------------------------------


def project_task_list(call: Call, project: Project) -> list[Task]:
    """The project's tasks, section by section: the tasks it holds itself, not their subtasks
    (a subtask appears only if added to the project). https://developers.asana.com/reference/gettasksforproject"""
    tasks = [t for t in call.sim.store.live_tasks() if project.gid in t.projects()]
    order = {gid: i for i, gid in enumerate(project.sections)}

    def section_of(task: Task) -> int:
        return next(order[m.section] for m in task.memberships if m.project == project.gid)

    return sorted(tasks, key=section_of)


def project_tasks(call: Call) -> Reply:
    project = visible_project(call, call.param("project_gid"))
    return listing(call, _filtered(call, project_task_list(call, project)))


def section_task_list(call: Call, section_gid: str) -> list[Task]:
    section = call.sim.store.section(section_gid)
    project = visible_project(call, section.project)
    return [
        t
        for t in project_task_list(call, project)
        if any(m.section == section.gid for m in t.memberships)
    ]


def section_tasks(call: Call) -> Reply:
    return listing(call, _filtered(call, section_task_list(call, call.param("section_gid"))))


def subtasks(call: Call) -> Reply:
    return listing(call, call.sim.store.subtasks(visible_task(call, call.param("task_gid"))))


def search_tasks(call: Call) -> Reply:
    """GET /tasks: by project, section, tag, or assignee + workspace (exactly one).
    https://developers.asana.com/reference/gettasks"""
    query = call.query
    if "project" in query:
        tasks = project_task_list(call, visible_project(call, query["project"]))
    elif "section" in query:
        tasks = section_task_list(call, query["section"])
    elif "tag" in query:
        tag = call.sim.store.tag(query["tag"])
        tasks = [t for t in call.sim.store.live_tasks() if tag.gid in t.tags]
    elif "assignee" in query and "workspace" in query:
        who = call.sim.store.user(query["assignee"], me=call.user)
        tasks = [
            t
            for t in call.sim.store.live_tasks()
            if t.assignee == who.gid and t.workspace == query["workspace"]
        ]
    else:
        raise bad_request(
            "Must specify exactly one of project, tag, section, user task list, "
            "or assignee + workspace"
        )
    return listing(call, _filtered(call, tasks))


def _filtered(call: Call, tasks: list[Task]) -> list[Task]:
    """``modified_since`` and ``completed_since`` (``now``: incomplete tasks only)."""
    since = call.query.get("modified_since")
    if since:
        moment = parse_datetime("modified_since", since)
        tasks = [t for t in tasks if moment is None or t.modified_at >= moment]
    completed = call.query.get("completed_since")
    if completed:
        cut = (
            call.sim.store.now()
            if completed == "now"
            else parse_datetime("completed_since", completed)
        )
        tasks = [
            t
            for t in tasks
            if not t.completed or (t.completed_at and cut and t.completed_at >= cut)
        ]
    return tasks


ENDPOINTS = (
    Endpoint("GET", "/tasks", search_tasks),
    Endpoint("POST", "/tasks", create_task),
    Endpoint("GET", "/tasks/{task_gid}", get_task),
    Endpoint("PUT", "/tasks/{task_gid}", update_task),
    Endpoint("DELETE", "/tasks/{task_gid}", delete_task),
    Endpoint("GET", "/tasks/{task_gid}/subtasks", subtasks),
    Endpoint("POST", "/tasks/{task_gid}/subtasks", create_subtask),
    Endpoint("GET", "/projects/{project_gid}/tasks", project_tasks),
    Endpoint("GET", "/sections/{section_gid}/tasks", section_tasks),
)
