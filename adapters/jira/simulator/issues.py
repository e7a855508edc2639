"""Issues: create (one or in bulk), read, edit, delete.

https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/
"""

from __future__ import annotations

from typing import Any

from adapters.jira.simulator import events
from adapters.jira.simulator.call import Call, Endpoint, Reply
from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.fields import IssueWriter, PendingLink
from adapters.jira.simulator.model import Issue, Link
from adapters.jira.simulator.render import FieldSelection

BULK_LIMIT = 50
NO_EDIT = "You do not have permission to edit issues in this project."
NO_DELETE = "You do not have permission to delete issues in this project."


def _writer(call: Call) -> IssueWriter:
    return IssueWriter(call.sim.store, call.sim.flavor, call.user)


def _created(call: Call, issue: Issue) -> dict[str, str]:
    return {"id": str(issue.id), "key": issue.key, "self": call.render.url(f"/issue/{issue.id}")}


def _create_one(call: Call, body: Any) -> Issue:
    """Validate, number and store one new issue (Jira's ids and keys only for valid ones)."""
    if not isinstance(body, dict):
        raise JiraError(400, "The request body must be a JSON object.")
    writer = _writer(call)
    draft = writer.create(body)
    store = call.sim.store
    project = store.state.projects[draft.project_id]
    project.counter += 1
    issue = draft.model_copy(
        update={"id": store.next_id("issue"), "key": f"{project.key}-{project.counter}"}
    )
    store.put_issue(issue)
    events.issue_written(call, None, issue)
    _make_links(call, issue, writer.links)
    return issue


def _make_links(call: Call, issue: Issue, pending: list[PendingLink]) -> None:
    for link in pending:
        outward, inward = (
            (issue.id, link.other_id) if link.this_is_outward else (link.other_id, issue.id)
        )
        add_link(call, link.type_id, inward, outward)


def add_link(call: Call, type_id: str, inward_id: int, outward_id: int) -> None:
    """Link two issues (once) and bump both issues' ``updated``."""
    store = call.sim.store
    for existing in store.links_of(inward_id):
        if (existing.type_id, existing.inward_id, existing.outward_id) == (
            type_id,
            inward_id,
            outward_id,
        ):
            return
    store.add_link(
        Link(id=store.next_id("link"), type_id=type_id, inward_id=inward_id, outward_id=outward_id)
    )
    touch(call, [store.state.issues[inward_id], store.state.issues[outward_id]])


def touch(call: Call, issues: list[Issue]) -> None:
    """Bump ``updated`` of issues changed indirectly (links, versions), with their webhooks."""
    store = call.sim.store
    for issue in issues:
        after = issue.model_copy(update={"updated": store.now()})
        store.put_issue(after)
        events.issue_written(call, issue, after)


def create(call: Call) -> Reply:
    """``POST /issue``: 201 ``{id, key, self}``."""
    issue = _create_one(call, call.object_body())
    return Reply(201, _created(call, issue))


def create_bulk(call: Call) -> Reply:
    """``POST /issue/bulk``: creates what it can; ``errors[].failedElementNumber`` names the rest.

    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-bulk-post
    """
    updates = call.object_body().get("issueUpdates")
    if not isinstance(updates, list):
        raise JiraError(400, "issueUpdates must be a list.")
    if len(updates) > BULK_LIMIT:
        raise JiraError(400, f"Bulk create is limited to {BULK_LIMIT} issues per request.")
    created, failed = [], []
    for number, body in enumerate(updates):
        try:
            created.append(_created(call, _create_one(call, body)))
        except JiraError as error:
            failed.append(
                {
                    "status": error.status,
                    "elementErrors": error.body(),
                    "failedElementNumber": number,
                }
            )
    return Reply(201 if created or not updates else 400, {"issues": created, "errors": failed})


def get(call: Call) -> Reply:
    """``GET /issue/{issueIdOrKey}?fields=&properties=&expand=`` (strongly consistent)."""
    issue = call.sim.store.visible_issue(call.user, call.param("issueIdOrKey"))
    return Reply(200, _issue_body(call, issue))


def _issue_body(call: Call, issue: Issue) -> dict[str, Any]:
    selection = FieldSelection.parse(call.listed("fields"), "*all")
    return call.render.issue(issue, selection, call.listed("properties"), call.listed("expand"))


def writable(call: Call, permission: str, message: str, status: int = 400) -> Issue:
    """The issue of the path, if the caller may change it."""
    store = call.sim.store
    issue = store.visible_issue(call.user, call.param("issueIdOrKey"))
    if issue.archived:
        raise JiraError(400, "The issue is archived and can't be changed.")
    if not store.allowed(call.user, store.project_of(issue), permission):
        raise JiraError(status, message)
    return issue


def edit(call: Call) -> Reply:
    """``PUT /issue/{issueIdOrKey}``: 204, or 200 and the issue if ``returnIssue=true`` (Cloud)."""
    body = call.object_body()
    before = writable(call, "EDIT_ISSUES", NO_EDIT)
    writer = _writer(call)
    after = writer.edit(before, body)
    if after != before:
        after.updated = call.sim.store.now()
        call.sim.store.put_issue(after)
        events.issue_written(call, before, after)
    _make_links(call, after, writer.links)
    if call.sim.flavor == "cloud" and call.flag("returnIssue"):
        return Reply(200, _issue_body(call, call.sim.store.state.issues[after.id]))
    return Reply(204)


def delete(call: Call) -> Reply:
    """``DELETE /issue/{issueIdOrKey}?deleteSubtasks=true``."""
    issue = writable(call, "DELETE_ISSUES", NO_DELETE, status=403)
    store = call.sim.store
    children = store.children(issue.id)
    subtasks = [c for c in children if store.issue_type(c.type_id).subtask]
    if subtasks and not call.flag("deleteSubtasks"):
        raise JiraError(
            400,
            f"The issue '{issue.key}' has subtasks. Set deleteSubtasks to true to delete them too.",
        )
    for subtask in subtasks:
        _delete(call, subtask)
    orphans = [c for c in children if c not in subtasks]
    for child in orphans:
        after = child.model_copy(update={"parent_id": None, "updated": store.now()})
        store.put_issue(after)
        events.issue_written(call, child, after)
    _delete(call, issue)
    return Reply(204)


def _delete(call: Call, issue: Issue) -> None:
    store = call.sim.store
    links = store.links_of(issue.id)
    linked = {k.inward_id if k.outward_id == issue.id else k.outward_id for k in links}
    store.delete_issue(issue)
    events.issue_written(call, issue, None)
    touch(call, [store.state.issues[i] for i in sorted(linked) if i in store.state.issues])


ENDPOINTS = (
    Endpoint("POST", "/issue", create),
    Endpoint("POST", "/issue/bulk", create_bulk),
    Endpoint("GET", "/issue/{issueIdOrKey}", get),
    Endpoint("PUT", "/issue/{issueIdOrKey}", edit, writes_issue=True),
    Endpoint("DELETE", "/issue/{issueIdOrKey}", delete, writes_issue=True),
)
