"""Status changes (only through workflow transitions, as in Jira) and archiving.

https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-post
"""

from __future__ import annotations

from typing import Any

from adapters.jira.simulator import events
from adapters.jira.simulator.call import Call, Endpoint, Reply
from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.fields import cannot_set
from adapters.jira.simulator.model import Issue, Transition

ARCHIVE_LIMIT = 1000
NOT_ADMIN = "Only admins can archive or unarchive issues. Access denied."


def available(call: Call, issue: Issue) -> list[Transition]:
    """The transitions the caller may take from the issue's status."""
    store = call.sim.store
    if not store.allowed(call.user, store.project_of(issue), "TRANSITION_ISSUES"):
        return []
    workflow = store.project_of(issue).workflow
    return [t for t in workflow.transitions if t.sources is None or issue.status_id in t.sources]


def list_transitions(call: Call) -> Reply:
    """``GET /issue/{issueIdOrKey}/transitions[?expand=transitions.fields]``."""
    issue = call.sim.store.visible_issue(call.user, call.param("issueIdOrKey"))
    with_fields = "transitions.fields" in call.listed("expand")
    wanted = call.query.get("transitionId")
    found = [t for t in available(call, issue) if wanted is None or t.id == wanted]
    body = [call.render.transition(t, with_fields=with_fields) for t in found]
    return Reply(200, {"expand": "transitions", "transitions": body})


def transition(call: Call) -> Reply:
    """``POST /issue/{issueIdOrKey}/transitions``: ``{"transition": {"id"}, "fields": {...}}``."""
    body = call.object_body()
    issue = call.sim.store.visible_issue(call.user, call.param("issueIdOrKey"))
    ident = (
        (body.get("transition") or {}).get("id")
        if isinstance(body.get("transition"), dict)
        else None
    )
    if ident is None:
        raise JiraError(400, "Missing 'transition' identifier")
    chosen = next((t for t in available(call, issue) if t.id == str(ident)), None)
    if chosen is None or issue.archived:
        raise JiraError(400, f"Transition id '{ident}' is not valid for this issue.")
    resolution = _screen(call, chosen, body)
    after = _moved(call, issue, chosen, resolution)
    call.sim.store.put_issue(after)
    events.issue_written(call, issue, after)
    return Reply(204)


def _screen(call: Call, chosen: Transition, body: dict[str, Any]) -> str | None:
    """The resolution id the transition's screen received; other fields are refused."""
    fields = body.get("fields") or {}
    update = {k: v for k, v in (body.get("update") or {}).items() if k != "comment"}
    errors = {
        k: cannot_set(k)
        for k in (*fields, *update)
        if k != "resolution" or chosen.resolution == "none"
    }
    resolution = None
    if "resolution" in fields and "resolution" not in errors:
        resolution = _resolution(call, fields["resolution"], errors)
    elif chosen.resolution == "required":
        errors["resolution"] = "Resolution is required."
    if errors:
        raise JiraError(400, errors=errors)
    return resolution


def _resolution(call: Call, ref: Any, errors: dict[str, str]) -> str | None:
    wanted = str(ref.get("id") or ref.get("name") or "") if isinstance(ref, dict) else ""
    for found in call.sim.store.state.resolutions.values():
        if wanted and wanted.casefold() in (found.id, found.name.casefold()):
            return found.id
    errors["resolution"] = f"Resolution '{wanted}' is not valid."
    return None


def _moved(call: Call, issue: Issue, chosen: Transition, resolution: str | None) -> Issue:
    store = call.sim.store
    now = store.now()
    before = store.status(issue.status_id).category
    after = store.status(chosen.to).category
    changes: dict[str, Any] = {"status_id": chosen.to, "updated": now}
    if before != after:
        changes["status_changed"] = now
    if after == "done":
        changes["resolution_id"] = resolution or chosen.default_resolution or issue.resolution_id
        changes["resolution_date"] = now if changes["resolution_id"] else None
    elif before == "done":
        # Leaving done clears the resolution (the default workflows' post function).
        changes.update(resolution_id=None, resolution_date=None)
    return issue.model_copy(update=changes)


# --- archiving ----------------------------------------------------------------------------------


def archive_cloud(call: Call) -> Reply:
    """``PUT /issue/archive`` (Cloud): ``{"issueIdsOrKeys": [...]}``, admins only.

    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-archive-put
    """
    return _archive_many(call, archived=True)


def unarchive_cloud(call: Call) -> Reply:
    """``PUT /issue/unarchive`` (Cloud)."""
    return _archive_many(call, archived=False)


def _archive_many(call: Call, *, archived: bool) -> Reply:
    if not call.user.admin:
        raise JiraError(403, NOT_ADMIN)
    refs = [str(r) for r in call.object_body().get("issueIdsOrKeys") or []]
    if len(refs) > ARCHIVE_LIMIT:
        raise JiraError(
            412, "The number of issues to archive or unarchive exceeds the hard limit of 1000."
        )
    not_found, subtasks, done = [], [], 0
    store = call.sim.store
    for ref in refs:
        issue = store.issue(ref)
        if issue is None or not store.allowed(
            call.user, store.project_of(issue), "BROWSE_PROJECTS"
        ):
            not_found.append(ref)
        elif store.issue_type(issue.type_id).subtask:
            subtasks.append(ref)
        else:
            done += _set_archived(call, issue, archived)
    if not done and (not_found or subtasks or not refs):
        raise JiraError(400, "No valid issue to archive or unarchive. Bad request.")
    errors: dict[str, Any] = {}
    if not_found:
        errors["issuesNotFound"] = _problem(not_found, "Issue does not exist.")
    if subtasks:
        errors["issueIsSubtask"] = _problem(subtasks, "Issue is subtask.")
    return Reply(200, {"errors": errors, "numberOfIssuesUpdated": done})


def _problem(refs: list[str], message: str) -> dict[str, Any]:
    return {"count": len(refs), "issueIdsOrKeys": refs, "message": message}


def _set_archived(call: Call, issue: Issue, archived: bool) -> int:
    """Archive or restore an issue with its sub-tasks; the number changed."""
    store = call.sim.store
    changed = 0
    for item in [issue, *store.children(issue.id)]:
        if item.archived != archived:
            store.put_issue(item.model_copy(update={"archived": archived}))
            changed += 1
    return changed


def archive_dc(call: Call) -> Reply:
    """``PUT /issue/{issueIdOrKey}/archive`` (Data Center)."""
    issue = call.sim.store.visible_issue(call.user, call.param("issueIdOrKey"))
    if not call.user.admin or issue.archived:
        raise JiraError(
            403,
            "You cannot archive this issue: it is archived already, or you are not an admin.",
        )
    _set_archived(call, issue, True)
    return Reply(204)


def restore_dc(call: Call) -> Reply:
    """``PUT /issue/{issueIdOrKey}/restore`` (Data Center)."""
    issue = call.sim.store.visible_issue(call.user, call.param("issueIdOrKey"))
    if not call.user.admin:
        raise JiraError(403, NOT_ADMIN)
    _set_archived(call, issue, False)
    return Reply(204)


ENDPOINTS = (
    Endpoint("GET", "/issue/{issueIdOrKey}/transitions", list_transitions),
    Endpoint("POST", "/issue/{issueIdOrKey}/transitions", transition, writes_issue=True),
    Endpoint("PUT", "/issue/archive", archive_cloud, ("cloud",)),
    Endpoint("PUT", "/issue/unarchive", unarchive_cloud, ("cloud",)),
    Endpoint("PUT", "/issue/{issueIdOrKey}/archive", archive_dc, ("dc",), writes_issue=True),
    Endpoint("PUT", "/issue/{issueIdOrKey}/restore", restore_dc, ("dc",), writes_issue=True),
)
