"""Webhook payloads for a call's writes, with the changelog Jira puts in ``issue_updated``, and
their receivers: the simulator's own webhooks, and the enabled admin webhooks that ask for the
event (whose JQL, for an issue event, matches the issue: as it is now, or was when deleted).

https://developer.atlassian.com/cloud/jira/platform/webhooks/#example-callback-for-an-issue-related-event
"""

from __future__ import annotations

from typing import Any

from adapters.jira.simulator.call import Call
from adapters.jira.simulator.model import Issue, Version
from adapters.jira.simulator.render import FieldSelection
from adapters.jira.simulator.webhook_admin import filter_matches
from adapters.jira.simulator.webhooks import Outgoing, Webhook, issue_event, version_event

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
    hooks = receivers(call, event, current)
    if not hooks:
        return
    changes = changelog(call, before, after) if before is not None and after is not None else []
    issue = call.render.issue(current, _ALL)
    payload = issue_event(event, _now_ms(call), issue, call.render.user(call.user), changes)
    call.events.append(Outgoing(payload, hooks))


def version_written(call: Call, event: str, version: Version) -> None:
    """Queue ``jira:version_created``, ``_updated``, ``_released``, ``_unreleased`` or
    ``_deleted``."""
    hooks = receivers(call, event, None)
    if hooks:
        payload = version_event(event, _now_ms(call), call.render.version(version))
        call.events.append(Outgoing(payload, hooks))


def receivers(call: Call, event: str, issue: Issue | None) -> list[Webhook]:
    """Who gets ``event``: the simulator's webhooks, then the admin webhooks (by id) that ask
    for it and, for an issue event, whose JQL matches ``issue`` (versions are not filtered)."""
    store = call.sim.store
    hooks = call.sim.webhooks.wanting(event)
    for hook in sorted(store.state.webhooks.values(), key=lambda h: h.id):
        if not hook.enabled or event not in hook.events:
            continue
        if issue is not None and not filter_matches(store, hook, issue):
            continue
        hooks.append(Webhook(hook.url, hook.secret, exclude_body=hook.exclude_body))
    return hooks


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
