"""Webhook payloads for a call's writes, with the changelog Jira puts in ``issue_updated``.

https://developer.atlassian.com/cloud/jira/platform/webhooks/#example-callback-for-an-issue-related-event
"""

from __future__ import annotations

from typing import Any

from adapters.jira.simulator.call import Call
from adapters.jira.simulator.model import Issue, Version
from adapters.jira.simulator.render import FieldSelection
from adapters.jira.simulator.webhooks import issue_event, version_event

_ALL = FieldSelection(all=True)
_UNTRACKED = {
    "updated",
    "created",
    "statuscategorychangedate",
    "resolutiondate",
    "timeestimate",
    "subtasks",
}


def _now_ms(call: Call) -> int:
    return int(call.sim.store.now().timestamp() * 1000)


def issue_written(call: Call, before: Issue | None, after: Issue | None) -> None:
    """Queue ``jira:issue_created``, ``_updated`` or ``_deleted`` for one issue."""
    if not call.sim.webhooks.hooks:
        return
    current = after or before
    if current is None:
        return
    event = (
        "jira:issue_created"
        if before is None
        else "jira:issue_deleted"
        if after is None
        else "jira:issue_updated"
    )
    changes = changelog(call, before, after) if before is not None and after is not None else []
    issue = call.render.issue(current, _ALL)
    payload = issue_event(event, _now_ms(call), issue, call.render.user(call.user), changes)
    call.events.append(payload)


def version_written(call: Call, event: str, version: Version) -> None:
    """Queue ``jira:version_created``, ``_updated``, ``_released`` or ``_deleted``."""
    if call.sim.webhooks.hooks:
        call.events.append(version_event(event, _now_ms(call), call.render.version(version)))


def changelog(call: Call, before: Issue, after: Issue) -> list[dict[str, Any]]:
    """The changelog items between two versions of an issue."""
    items = []
    for definition in call.sim.store.state.fields.values():
        if definition.id in _UNTRACKED:
            continue
        old = call.render.field_value(before, definition.id)
        new = call.render.field_value(after, definition.id)
        if old != new:
            items.append(
                {
                    "field": definition.name,
                    "fieldtype": "custom" if definition.custom else "jira",
                    "fieldId": definition.id,
                    "from": _ident(old),
                    "fromString": _text(old),
                    "to": _ident(new),
                    "toString": _text(new),
                }
            )
    return items


def _ident(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("id", value.get("accountId"))
        return str(found) if found is not None else None
    if isinstance(value, list):
        return ", ".join(filter(None, (_ident(v) for v in value))) or None
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        for key in ("displayName", "name", "key"):
            if key in value:
                return str(value[key])
        return None
    if isinstance(value, list):
        return " ".join(filter(None, (_text(v) for v in value)))
    return str(value)
