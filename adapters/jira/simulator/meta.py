"""Who and where: myself, serverInfo, projects, permissions, fields, link types, users."""

from __future__ import annotations

from typing import Any

from adapters.jira.simulator.call import Call, Endpoint, Reply
from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.model import PERMISSIONS, Project, User

CLOUD_VERSION = ("1001.0.0-SNAPSHOT", [1001, 0, 0], 100280, "Cloud")
DC_VERSION = ("10.3.0", [10, 3, 0], 10030000, "Server")
NO_USER_CLOUD = "Specified user does not exist or you do not have required permissions"


def myself(call: Call) -> Reply:
    """``GET /myself``."""
    return Reply(200, call.render.user(call.user))


def server_info(call: Call) -> Reply:
    """``GET /serverInfo``."""
    version, numbers, build, deployment = (
        CLOUD_VERSION if call.sim.flavor == "cloud" else DC_VERSION
    )
    now = call.render.timestamp(call.sim.store.now())
    body: dict[str, Any] = {
        "baseUrl": call.render.base,
        "version": version,
        "versionNumbers": numbers,
        "deploymentType": deployment,
        "buildNumber": build,
        "buildDate": "2024-01-01T00:00:00.000+0000",
        "serverTime": now,
        "scmInfo": "0000000000000000000000000000000000000000",
        "serverTitle": "Jira (simulated)",
    }
    if call.sim.flavor == "cloud":
        body["displayUrl"] = call.render.base
        body["serverTimeZone"] = call.sim.time_zone
    return Reply(200, body)


def project(call: Call) -> Reply:
    """``GET /project/{projectIdOrKey}`` (with its issue types and versions)."""
    found = call.sim.store.visible_project(call.user, call.param("projectIdOrKey"))
    return Reply(200, call.render.project(found))


def project_statuses(call: Call) -> Reply:
    """``GET /project/{projectIdOrKey}/statuses``: each issue type with its workflow's statuses.

    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/#api-rest-api-3-project-projectidorkey-statuses-get
    """
    store = call.sim.store
    found = store.visible_project(call.user, call.param("projectIdOrKey"))
    workflow = found.workflow
    ids = [workflow.initial, *(t.to for t in workflow.transitions)]
    for transition in workflow.transitions:
        ids.extend(transition.sources or [])
    statuses = [call.render.status(store.status(i)) for i in dict.fromkeys(ids)]
    body = [
        {
            "self": call.render.url(f"/issuetype/{issue_type.id}"),
            "id": issue_type.id,
            "name": issue_type.name,
            "subtask": issue_type.subtask,
            "statuses": statuses,
        }
        for issue_type in store.project_issue_types(found)
    ]
    return Reply(200, body)


def my_permissions(call: Call) -> Reply:
    """``GET /mypermissions?projectKey=&permissions=A,B``.

    Cloud requires ``permissions``; Data Center lists all when it is absent.
    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/#api-rest-api-3-mypermissions-get
    """
    keys = call.listed("permissions")
    if not keys and call.sim.flavor == "cloud":
        raise JiraError(400, "The 'permissions' query parameter is required.")
    unknown = [k for k in keys if k not in PERMISSIONS]
    if unknown:
        raise JiraError(400, f"Permission key(s) {', '.join(unknown)} not found.")
    projects = _context_projects(call)
    body = {key: _permission(call, key, projects) for key in keys or PERMISSIONS}
    return Reply(200, {"permissions": body})


def _context_projects(call: Call) -> list[Project]:
    store = call.sim.store
    ref = call.query.get("projectKey") or call.query.get("projectId")
    issue_ref = call.query.get("issueKey") or call.query.get("issueId")
    if issue_ref:
        return [store.project_of(store.visible_issue(call.user, issue_ref))]
    if ref:
        return [store.visible_project(call.user, ref)]
    return list(store.state.projects.values())


def _permission(call: Call, key: str, projects: list[Project]) -> dict[str, Any]:
    number, name, description = PERMISSIONS[key]
    have = any(call.sim.store.allowed(call.user, p, key) for p in projects)
    return {
        "id": number,
        "key": key,
        "name": name,
        "type": "PROJECT",
        "description": description,
        "havePermission": have,
    }


def fields(call: Call) -> Reply:
    """``GET /field``: system and custom fields with their schema."""
    return Reply(200, [call.render.field(f) for f in call.sim.store.state.fields.values()])


def link_types(call: Call) -> Reply:
    """``GET /issueLinkType``."""
    found = [call.render.link_type(t) for t in call.sim.store.state.link_types.values()]
    return Reply(200, {"issueLinkTypes": found})


def user_search(call: Call) -> Reply:
    """``GET /user/search``: ``query`` (Cloud: display name or email) or ``username`` (DC)."""
    users = _cloud_matches(call) if call.sim.flavor == "cloud" else _dc_matches(call)
    start = call.integer("startAt", 0)
    size = call.integer("maxResults", 50)
    page = sorted(users, key=lambda u: u.display_name.casefold())[start : start + size]
    return Reply(200, [call.render.user(u) for u in page])


def _cloud_matches(call: Call) -> list[User]:
    query = call.query.get("query")
    account = call.query.get("accountId")
    if not query and not account:
        raise JiraError(400, "One of 'accountId', 'query' or 'property' must be provided.")
    if query and account:
        raise JiraError(400, "Only one of 'accountId' or 'query' may be provided.")
    users = list(call.sim.store.state.users.values())
    if account:
        return [u for u in users if u.account_id == account]
    return [u for u in users if _matches(u, str(query).casefold())]


def _matches(user: User, query: str) -> bool:
    """Cloud matches the start of the display name's words or of the email; a hidden email
    still matches when given whole."""
    words = user.display_name.casefold().split()
    email = user.email.casefold()
    if any(w.startswith(query) for w in words) or user.display_name.casefold().startswith(query):
        return True
    return email == query or (user.email_visible and email.startswith(query))


def _dc_matches(call: Call) -> list[User]:
    wanted = (call.query.get("username") or "").casefold()
    if not wanted:
        raise JiraError(400, "The username query parameter was not provided")
    include_inactive = call.flag("includeInactive")
    users = call.sim.store.state.users.values()
    return [
        u
        for u in users
        if (u.active or include_inactive)
        and any(x.casefold().startswith(wanted) for x in (u.name, u.email, u.display_name))
    ]


def user(call: Call) -> Reply:
    """``GET /user?accountId=`` (Cloud) or ``?username=`` / ``?key=`` (Data Center)."""
    store = call.sim.store
    if call.sim.flavor == "cloud":
        account = call.query.get("accountId")
        if not account:
            raise JiraError(400, "The accountId query parameter needs to be provided.")
        found = store.user(account)
        if found is None:
            raise JiraError(404, NO_USER_CLOUD)
        return Reply(200, call.render.user(found))
    name = call.query.get("username") or call.query.get("key")
    if not name:
        raise JiraError(400, "Either the 'username' or the 'key' query parameter must be provided.")
    found = store.user_by_name(name)
    if found is None:
        raise JiraError(404, f"The user named '{name}' does not exist")
    return Reply(200, call.render.user(found))


ENDPOINTS = (
    Endpoint("GET", "/myself", myself),
    Endpoint("GET", "/serverInfo", server_info),
    Endpoint("GET", "/project/{projectIdOrKey}", project),
    Endpoint("GET", "/project/{projectIdOrKey}/statuses", project_statuses),
    Endpoint("GET", "/mypermissions", my_permissions),
    Endpoint("GET", "/field", fields),
    Endpoint("GET", "/issueLinkType", link_types),
    Endpoint("GET", "/user/search", user_search),
    Endpoint("GET", "/user", user),
)
