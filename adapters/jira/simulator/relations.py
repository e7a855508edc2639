"""Issue links and project versions.

Links: ``POST /issueLink`` with ``outwardIssue`` [type.outward] ``inwardIssue`` (for Blocks, the
outward issue blocks the inward one); both issues show the link and get a new ``updated``.
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-links/
Versions: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-project-versions/
"""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.jira.simulator import events
from adapters.jira.simulator.call import Call, Endpoint, Reply
from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.issues import add_link, touch
from adapters.jira.simulator.model import Issue, Project, Version

NAME_TAKEN = "A version with this name already exists in this project."


# --- links --------------------------------------------------------------------------------------


def _linked_issue(call: Call, ref: Any) -> Issue:
    ident = ref.get("id") or ref.get("key") if isinstance(ref, dict) else None
    return call.sim.store.visible_issue(call.user, ident)


def create_link(call: Call) -> Reply:
    """``POST /issueLink``: 201 with no body."""
    body = call.object_body()
    store = call.sim.store
    type_ref = body.get("type") or {}
    link_type = store.link_type(str(type_ref.get("id") or type_ref.get("name") or ""))
    if link_type is None:
        raise JiraError(404, f"No issue link type with name '{type_ref.get('name')}' found.")
    inward = _linked_issue(call, body.get("inwardIssue"))
    outward = _linked_issue(call, body.get("outwardIssue"))
    for issue in (inward, outward):
        if not store.allowed(call.user, store.project_of(issue), "LINK_ISSUES"):
            # Cloud answers 404 here; Data Center 401 (their descriptions say so).
            status = 404 if call.sim.flavor == "cloud" else 401
            raise JiraError(status, "You do not have the permission to link issues.")
    if inward.id == outward.id:
        raise JiraError(400, "You cannot link an issue to itself.")
    add_link(call, link_type.id, inward.id, outward.id)
    return Reply(201)


def _link(call: Call) -> Any:
    link_id = call.param("linkId")
    link = call.sim.store.state.links.get(int(link_id)) if link_id.isdigit() else None
    store = call.sim.store
    if link is None or not all(
        store.allowed(call.user, store.project_of(store.state.issues[i]), "BROWSE_PROJECTS")
        for i in (link.inward_id, link.outward_id)
    ):
        raise JiraError(404, f"No issue link with id '{link_id}' exists.")
    return link


def get_link(call: Call) -> Reply:
    """``GET /issueLink/{linkId}``."""
    return Reply(200, call.render.link(_link(call)))


def delete_link(call: Call) -> Reply:
    """``DELETE /issueLink/{linkId}``: 204."""
    link = _link(call)
    store = call.sim.store
    store.delete_link(link)
    touch(call, [store.state.issues[link.inward_id], store.state.issues[link.outward_id]])
    return Reply(204)


# --- versions -----------------------------------------------------------------------------------


def project_versions(call: Call) -> Reply:
    """``GET /project/{projectIdOrKey}/versions``: all, unpaged."""
    project = call.sim.store.visible_project(call.user, call.param("projectIdOrKey"))
    return Reply(200, [call.render.version(v) for v in call.sim.store.project_versions(project)])


def project_version_page(call: Call) -> Reply:
    """``GET /project/{projectIdOrKey}/version?startAt=&maxResults=``: a page."""
    project = call.sim.store.visible_project(call.user, call.param("projectIdOrKey"))
    found = call.sim.store.project_versions(project)
    start, size = call.integer("startAt", 0), call.integer("maxResults", 50)
    page = found[start : start + size]
    base = call.render.url(f"/project/{project.key}/version")
    body: dict[str, Any] = {
        "self": f"{base}?maxResults={size}&startAt={start}",
        "maxResults": size,
        "startAt": start,
        "total": len(found),
        "isLast": start + size >= len(found),
        "values": [call.render.version(v) for v in page],
    }
    if not body["isLast"]:
        body["nextPage"] = f"{base}?maxResults={size}&startAt={start + size}"
    return Reply(200, body)


def _version(call: Call) -> Version:
    version = call.sim.store.version(call.param("id"))
    store = call.sim.store
    if version is None or not store.allowed(
        call.user, store.state.projects[version.project_id], "BROWSE_PROJECTS"
    ):
        raise JiraError(404, f"Could not find version for id '{call.param('id')}'")
    return version


def _may_administer(call: Call, project: Project) -> None:
    if not call.sim.store.allowed(call.user, project, "ADMINISTER_PROJECTS"):
        # Cloud answers 404 ("the user does not have the required permissions"), DC 403.
        status = 404 if call.sim.flavor == "cloud" else 403
        raise JiraError(
            status, "You do not have permission to manage the versions of this project."
        )


def create_version(call: Call) -> Reply:
    """``POST /version``: 201 with the version; a duplicate name in the project is a 400."""
    body = call.object_body()
    store = call.sim.store
    ref = body.get("projectId", body.get("project"))
    if ref is None:
        raise JiraError(400, errors={"projectId": "Project must be specified to create a version."})
    project = store.visible_project(call.user, str(ref))
    _may_administer(call, project)
    version = Version(id=0, project_id=project.id, name="")
    changed = _apply(call, version, body, creating=True)
    changed.id = store.next_id("version")
    store.state.versions[changed.id] = changed
    events.version_written(call, "jira:version_created", changed)
    return Reply(201, call.render.version(changed))


def get_version(call: Call) -> Reply:
    """``GET /version/{id}``."""
    return Reply(200, call.render.version(_version(call)))


def update_version(call: Call) -> Reply:
    """``PUT /version/{id}``: 200 with the version as stored."""
    version = _version(call)
    _may_administer(call, call.sim.store.state.projects[version.project_id])
    changed = _apply(call, version, call.object_body(), creating=False)
    call.sim.store.state.versions[version.id] = changed
    events.version_written(call, "jira:version_updated", changed)
    if changed.released and not version.released:
        events.version_written(call, "jira:version_released", changed)
    elif version.released and not changed.released:
        events.version_written(call, "jira:version_unreleased", changed)
    return Reply(200, call.render.version(changed))


def _apply(call: Call, version: Version, body: dict[str, Any], *, creating: bool) -> Version:
    changed = version.model_copy(deep=True)
    errors: dict[str, str] = {}
    if "name" in body or creating:
        changed.name = _name(call, version, body.get("name"), errors)
    for key, kind in (("description", str), ("released", bool), ("archived", bool)):
        if key in body and not isinstance(body[key], kind) and body[key] is not None:
            errors[key] = f"'{key}' must be a {kind.__name__}."
        elif key in body and body[key] is not None:
            setattr(changed, key, body[key])
    for key, attribute in (("releaseDate", "release_date"), ("startDate", "start_date")):
        if key in body:
            setattr(changed, attribute, _day(body[key], key, errors))
    if changed.start_date and changed.release_date and changed.start_date > changed.release_date:
        errors["startDate"] = "The start date must be before the release date."
    if errors:
        raise JiraError(400, errors=errors)
    return changed


def _name(call: Call, version: Version, value: Any, errors: dict[str, str]) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        errors["name"] = "You must specify a valid version name"
    elif len(name) > 255:
        errors["name"] = "The version name must not exceed 255 characters."
    else:
        project = call.sim.store.state.projects[version.project_id]
        others = [v for v in call.sim.store.project_versions(project) if v.id != version.id]
        if any(v.name.casefold() == name.casefold() for v in others):
            errors["name"] = NAME_TAKEN
    return name


def _day(value: Any, key: str, errors: dict[str, str]) -> date | None:
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[key] = f"Invalid date format. Please enter the date in the format yyyy-MM-dd: {value}"
    return None


def delete_version(call: Call) -> Reply:
    """``DELETE /version/{id}?moveFixIssuesTo=``: issues lose (or swap) the version."""
    return _remove(call, call.query.get("moveFixIssuesTo"))


def remove_and_swap(call: Call) -> Reply:
    """``POST /version/{id}/removeAndSwap`` ``{"moveFixIssuesTo": id}``."""
    body = call.body if isinstance(call.body, dict) else {}
    return _remove(call, body.get("moveFixIssuesTo"))


def _remove(call: Call, swap: Any) -> Reply:
    version = _version(call)
    store = call.sim.store
    _may_administer(call, store.state.projects[version.project_id])
    replacement = store.version(swap) if swap is not None else None
    if swap is not None and (replacement is None or replacement.project_id != version.project_id):
        raise JiraError(400, f"The version '{swap}' to move issues to is not valid.")
    del store.state.versions[version.id]
    for issue in [i for i in store.state.issues.values() if version.id in i.fix_version_ids]:
        kept = {v for v in issue.fix_version_ids if v != version.id}
        if replacement is not None:
            kept.add(replacement.id)
        after = issue.model_copy(update={"fix_version_ids": sorted(kept), "updated": store.now()})
        store.put_issue(after)
        events.issue_written(call, issue, after)
    events.version_written(call, "jira:version_deleted", version)
    return Reply(204)


ENDPOINTS = (
    Endpoint("POST", "/issueLink", create_link),
    Endpoint("GET", "/issueLink/{linkId}", get_link),
    Endpoint("DELETE", "/issueLink/{linkId}", delete_link),
    Endpoint("GET", "/project/{projectIdOrKey}/versions", project_versions),
    Endpoint("GET", "/project/{projectIdOrKey}/version", project_version_page),
    Endpoint("POST", "/version", create_version),
    Endpoint("GET", "/version/{id}", get_version),
    Endpoint("PUT", "/version/{id}", update_version),
    Endpoint("DELETE", "/version/{id}", delete_version),
    Endpoint("POST", "/version/{id}/removeAndSwap", remove_and_swap),
)
