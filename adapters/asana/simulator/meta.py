"""Users, workspaces, projects, sections, tags and custom fields.

Projects, custom fields and users are seeded in Python (`AsanaSimulator.add_*`); sections and
tags are also created through the API as Asana allows.
https://developers.asana.com/reference/users, /projects, /sections, /tags, /custom-fields
"""

from __future__ import annotations

from typing import Any

from adapters.asana.simulator import changes
from adapters.asana.simulator.call import Call, Endpoint, Reply
from adapters.asana.simulator.errors import bad_request, unknown_reference
from adapters.asana.simulator.model import Section, Tag, Workspace
from adapters.asana.simulator.paging import listing
from adapters.asana.simulator.tasks import visible_project
from adapters.asana.simulator.values import check_name


def _one(call: Call, record: Any, status: int = 200) -> Reply:
    return Reply(status, {"data": call.sim.render.one(record, call.opt_fields())})


def _workspace(call: Call, gid: str) -> Workspace:
    workspace = call.sim.store.workspace(gid)
    call.sim.store.check_member(call.user, workspace.gid)
    return workspace


def _workspace_query(call: Call) -> Workspace:
    gid = call.query.get("workspace")
    if not gid:
        raise bad_request("workspace: Missing input")
    return _workspace(call, gid)


# --- users and workspaces -----------------------------------------------------------------------


def get_user(call: Call) -> Reply:
    """GET /users/{gid}; ``me`` is the caller (GET /users/me)."""
    return _one(call, call.sim.store.user(call.param("user_gid"), me=call.user))


def list_users(call: Call) -> Reply:
    workspace = _workspace_query(call)
    users = [u for u in call.sim.store.state.users.values() if workspace.gid in u.workspaces]
    return listing(call, users)


def workspace_users(call: Call) -> Reply:
    workspace = _workspace(call, call.param("workspace_gid"))
    users = [u for u in call.sim.store.state.users.values() if workspace.gid in u.workspaces]
    return listing(call, users)


def list_workspaces(call: Call) -> Reply:
    spaces = call.sim.store.state.workspaces
    return listing(call, [spaces[g] for g in call.user.workspaces])


def get_workspace(call: Call) -> Reply:
    return _one(call, _workspace(call, call.param("workspace_gid")))


# --- projects and sections ----------------------------------------------------------------------


def get_project(call: Call) -> Reply:
    return _one(call, visible_project(call, call.param("project_gid")))


def _projects_of(call: Call, workspace: Workspace) -> Reply:
    projects = call.sim.store.state.projects.values()
    archived = call.query.get("archived")
    return listing(
        call,
        [
            p
            for p in projects
            if p.workspace == workspace.gid
            and (archived is None or p.archived == (archived == "true"))
        ],
    )


def list_projects(call: Call) -> Reply:
    return _projects_of(call, _workspace_query(call))


def workspace_projects(call: Call) -> Reply:
    return _projects_of(call, _workspace(call, call.param("workspace_gid")))


def project_sections(call: Call) -> Reply:
    project = visible_project(call, call.param("project_gid"))
    sections = call.sim.store.state.sections
    return listing(call, [sections[g] for g in project.sections])


def create_section(call: Call) -> Reply:
    """POST /projects/{gid}/sections: at the end, or before/after a section of the project."""
    store = call.sim.store
    project = visible_project(call, call.param("project_gid"))
    data = call.data()
    section = Section(
        gid=store.next_gid(),
        name=check_name(data.get("name", "")),
        project=project.gid,
        created_at=store.now(),
    )
    store.state.sections[section.gid] = section
    project.sections.insert(_position(project.sections, data), section.gid)
    parent = changes.resource(project.gid, "project", project.name)
    store.record(
        [project.gid],
        "added",
        changes.resource(section.gid, "section", section.name),
        call.user,
        parent=parent,
    )
    return _one(call, section, 201)


def _position(sections: list[str], data: dict[str, Any]) -> int:
    for key, shift in (("insert_before", 0), ("insert_after", 1)):
        if data.get(key) is not None:
            if str(data[key]) not in sections:
                raise unknown_reference(key, data[key])
            return sections.index(str(data[key])) + shift
    return len(sections)


def get_section(call: Call) -> Reply:
    section = call.sim.store.section(call.param("section_gid"))
    visible_project(call, section.project)
    return _one(call, section)


# --- tags ---------------------------------------------------------------------------------------


def _create_tag(call: Call, workspace: Workspace, data: dict[str, Any]) -> Reply:
    store = call.sim.store
    tag = Tag(
        gid=store.next_gid(),
        name=check_name(data.get("name", "")),
        workspace=workspace.gid,
        color=data.get("color"),
        created_at=store.now(),
    )
    store.state.tags[tag.gid] = tag
    return _one(call, tag, 201)


def create_tag(call: Call) -> Reply:
    data = call.data()
    if not data.get("workspace"):
        raise bad_request("workspace: Missing input")
    return _create_tag(call, _workspace(call, str(data["workspace"])), data)


def create_workspace_tag(call: Call) -> Reply:
    return _create_tag(call, _workspace(call, call.param("workspace_gid")), call.data())


def _tags_of(call: Call, workspace: Workspace) -> Reply:
    tags = call.sim.store.state.tags.values()
    return listing(call, [t for t in tags if t.workspace == workspace.gid])


def list_tags(call: Call) -> Reply:
    return _tags_of(call, _workspace_query(call))


def workspace_tags(call: Call) -> Reply:
    return _tags_of(call, _workspace(call, call.param("workspace_gid")))


def get_tag(call: Call) -> Reply:
    tag = call.sim.store.tag(call.param("tag_gid"))
    _workspace(call, tag.workspace)
    return _one(call, tag)


# --- custom fields ------------------------------------------------------------------------------


def custom_field_settings(call: Call) -> Reply:
    project = visible_project(call, call.param("project_gid"))
    return listing(call, project.custom_field_settings)


def get_custom_field(call: Call) -> Reply:
    found = call.sim.store.custom_field(call.param("custom_field_gid"))
    _workspace(call, found.workspace)
    return _one(call, found)


def workspace_custom_fields(call: Call) -> Reply:
    workspace = _workspace(call, call.param("workspace_gid"))
    fields = call.sim.store.state.custom_fields.values()
    return listing(call, [f for f in fields if f.workspace == workspace.gid])


ENDPOINTS = (
    Endpoint("GET", "/users", list_users),
    Endpoint("GET", "/users/{user_gid}", get_user),
    Endpoint("GET", "/workspaces", list_workspaces),
    Endpoint("GET", "/workspaces/{workspace_gid}", get_workspace),
    Endpoint("GET", "/workspaces/{workspace_gid}/users", workspace_users),
    Endpoint("GET", "/workspaces/{workspace_gid}/projects", workspace_projects),
    Endpoint("GET", "/workspaces/{workspace_gid}/tags", workspace_tags),
    Endpoint("POST", "/workspaces/{workspace_gid}/tags", create_workspace_tag),
    Endpoint("GET", "/workspaces/{workspace_gid}/custom_fields", workspace_custom_fields),
    Endpoint("GET", "/projects", list_projects),
    Endpoint("GET", "/projects/{project_gid}", get_project),
    Endpoint("GET", "/projects/{project_gid}/sections", project_sections),
    Endpoint("POST", "/projects/{project_gid}/sections", create_section),
    Endpoint("GET", "/projects/{project_gid}/custom_field_settings", custom_field_settings),
    Endpoint("GET", "/sections/{section_gid}", get_section),
    Endpoint("GET", "/tags", list_tags),
    Endpoint("POST", "/tags", create_tag),
    Endpoint("GET", "/tags/{tag_gid}", get_tag),
    Endpoint("GET", "/custom_fields/{custom_field_gid}", get_custom_field),
)
