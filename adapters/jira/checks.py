"""``syncd check`` for a Jira member: everything that would stop or spoil a sync, with its fix."""

from __future__ import annotations

from typing import Any

from adapters.base import CheckResult, Problem
from adapters.jira.client import JiraClient
from adapters.jira.config import JiraMember
from adapters.jira.site import resolve_fields, user_timezone
from syncd.errors import AdapterError, RecordError, RecordNotFound

# What syncd does in a project. LINK_ISSUES only matters when depends_on is synced, which it
# always is for tasks.
# https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/#api-rest-api-3-mypermissions-get
PERMISSIONS = (
    "BROWSE_PROJECTS",
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "TRANSITION_ISSUES",
    "LINK_ISSUES",
)


async def check(client: JiraClient, member: JiraMember, name: str) -> CheckResult:
    """Verify credentials, the project, permissions and every mapping of the member."""
    result = CheckResult()
    try:
        myself = await client.get("/myself")
    except AdapterError as exc:
        result.problems.append(Problem(f"{name}: credentials refused ({exc})", fix=_AUTH_FIX))
        return result
    _who(result, myself)
    try:
        project = await client.get(f"/project/{member.project}")
    except RecordNotFound:
        result.problems.append(
            Problem(
                f"{name}: project {member.project} does not exist or is not visible",
                fix="check the key, or give the account Browse projects permission",
            )
        )
        return result
    await _permissions(client, member, result)
    await _fields(client, member, result)
    await _link_type(client, member, result)
    _issue_types(project, member, result)
    await _statuses(client, member, result)
    await _jql(client, member, result)
    return result


async def _jql(client: JiraClient, member: JiraMember, result: CheckResult) -> None:
    """The member's JQL, tried in one search of one issue, so a typo shows here, not at sync."""
    if not member.jql:
        return
    jql = f'project = "{member.project}" AND ({member.jql})'
    try:
        async for _ in client.search(jql, ["id"], page_size=1):
            break
    except RecordError as exc:
        result.problems.append(
            Problem(f"jql {member.jql!r} is refused: {exc}", fix="correct the member's jql")
        )


_AUTH_FIX = (
    "Cloud: email + API token (id.atlassian.com/manage-profile/security/api-tokens); "
    "Data Center: a personal access token"
)


def _who(result: CheckResult, myself: Any) -> None:
    if not isinstance(myself, dict):
        return
    result.info["user"] = str(myself.get("displayName") or myself.get("name") or "?")
    zone = user_timezone(myself)
    if zone is None:
        result.info["time zone"] = "unknown (incremental reads take a 15-hour margin)"
    else:
        result.info["time zone"] = str(zone)


async def _permissions(client: JiraClient, member: JiraMember, result: CheckResult) -> None:
    answer = await client.get(
        "/mypermissions", {"projectKey": member.project, "permissions": ",".join(PERMISSIONS)}
    )
    granted = (answer or {}).get("permissions") or {}
    missing = [p for p in PERMISSIONS if not (granted.get(p) or {}).get("havePermission")]
    if missing:
        result.problems.append(
            Problem(
                f"missing permissions in {member.project}: {', '.join(missing)}",
                fix="grant them to the account in the project's permission scheme",
            )
        )


async def _fields(client: JiraClient, member: JiraMember, result: CheckResult) -> None:
    resolved = await resolve_fields(client, member.fields)
    for canonical, field_id in resolved.items():
        if field_id is None:
            result.problems.append(
                Problem(
                    f"custom field {member.fields[canonical]!r} (for {canonical}) does not exist",
                    fix="use the field's id (customfield_NNNNN) or exact name from Jira's "
                    "field settings",
                )
            )
        else:
            result.info[f"field {canonical}"] = field_id
    for canonical in sorted(set(member.fields) - set(resolved)):
        result.problems.append(
            Problem(
                f"fields: {canonical} is not kept in a Jira custom field",
                fix="only start, planned_cost and actual_cost map to custom fields",
            )
        )


async def _link_type(client: JiraClient, member: JiraMember, result: CheckResult) -> None:
    answer = await client.get("/issueLinkType")
    names = {str(t.get("name")) for t in (answer or {}).get("issueLinkTypes") or []}
    if member.link_type not in names:
        result.problems.append(
            Problem(
                f"issue link type {member.link_type!r} does not exist",
                fix=f"set link_type to one of: {', '.join(sorted(names)) or 'none'}",
            )
        )


def _issue_types(project: Any, member: JiraMember, result: CheckResult) -> None:
    types = {str(t.get("name")).casefold() for t in (project or {}).get("issueTypes") or []}
    wanted = [member.issue_type, member.milestone_issue_type, member.subtask_type]
    for type_name in [t for t in wanted if t]:
        if type_name.casefold() not in types:
            result.problems.append(
                Problem(
                    f"project {member.project} has no issue type {type_name!r}",
                    fix="use one of the project's issue types",
                )
            )


async def _statuses(client: JiraClient, member: JiraMember, result: CheckResult) -> None:
    if not member.status_map:
        return
    answer = await client.get(f"/project/{member.project}/statuses")
    known = {
        str(status.get("name")).casefold()
        for issue_type in answer or []
        for status in issue_type.get("statuses") or []
    }
    for status in member.status_map:
        if status.casefold() not in known:
            result.problems.append(
                Problem(
                    f"status_map names {status!r}, which no workflow of {member.project} has",
                    fix="use the status names shown on the project's board",
                )
            )
