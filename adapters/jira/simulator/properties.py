"""Issue entity properties: JSON values stored on an issue by key.

Setting a property does not change the issue's ``updated``.
https://developer.atlassian.com/cloud/jira/platform/jira-entity-properties/
"""

from __future__ import annotations

import json

from adapters.jira.simulator.call import Call, Endpoint, Reply
from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.issues import writable

VALUE_LIMIT = 32768
KEY_LIMIT = 255
NO_EDIT = "You do not have permission to edit this issue."


def _missing(key: str) -> JiraError:
    return JiraError(404, f"The property with key '{key}' does not exist.")


def keys(call: Call) -> Reply:
    """``GET /issue/{issueIdOrKey}/properties``."""
    issue = call.sim.store.visible_issue(call.user, call.param("issueIdOrKey"))
    listed = [
        {"key": k, "self": call.render.url(f"/issue/{issue.id}/properties/{k}")}
        for k in sorted(issue.properties)
    ]
    return Reply(200, {"keys": listed})


def get(call: Call) -> Reply:
    """``GET /issue/{issueIdOrKey}/properties/{propertyKey}``: ``{key, value}``."""
    issue = call.sim.store.visible_issue(call.user, call.param("issueIdOrKey"))
    key = call.param("propertyKey")
    if key not in issue.properties:
        raise _missing(key)
    return Reply(200, {"key": key, "value": issue.properties[key]})


def put(call: Call) -> Reply:
    """``PUT /issue/{issueIdOrKey}/properties/{propertyKey}``: 201 when new, 200 when replaced."""
    issue = writable(call, "EDIT_ISSUES", NO_EDIT, status=403)
    key = call.param("propertyKey")
    if call.body is None:
        raise JiraError(400, "The property value must be a valid, non-empty JSON value.")
    if len(key) > KEY_LIMIT:
        raise JiraError(400, f"The property key must not exceed {KEY_LIMIT} characters.")
    if len(json.dumps(call.body).encode()) > VALUE_LIMIT:
        raise JiraError(
            400, f"The property value exceeds the maximum length of {VALUE_LIMIT} bytes."
        )
    created = key not in issue.properties
    properties = {**issue.properties, key: call.body}
    call.sim.store.put_issue(issue.model_copy(update={"properties": properties}))
    return Reply(201 if created else 200)


def delete(call: Call) -> Reply:
    """``DELETE /issue/{issueIdOrKey}/properties/{propertyKey}``."""
    issue = writable(call, "EDIT_ISSUES", NO_EDIT, status=403)
    key = call.param("propertyKey")
    if key not in issue.properties:
        raise _missing(key)
    properties = {k: v for k, v in issue.properties.items() if k != key}
    call.sim.store.put_issue(issue.model_copy(update={"properties": properties}))
    return Reply(204)


ENDPOINTS = (
    Endpoint("GET", "/issue/{issueIdOrKey}/properties", keys),
    Endpoint("GET", "/issue/{issueIdOrKey}/properties/{propertyKey}", get),
    Endpoint("PUT", "/issue/{issueIdOrKey}/properties/{propertyKey}", put, writes_issue=True),
    Endpoint("DELETE", "/issue/{issueIdOrKey}/properties/{propertyKey}", delete, writes_issue=True),
)
