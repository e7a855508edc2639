"""Admin webhooks: ``/rest/webhooks/1.0/webhook``, the same on Cloud and Data Center.

Not under ``/rest/api/*``, and in neither OpenAPI description (Cloud's ``/rest/api/3/webhook``
is another thing: dynamic webhooks, for Connect and OAuth 2.0 apps only).
https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-using-the-jira-rest-api
https://confluence.atlassian.com/adminjiraserver/managing-webhooks-938846912.html

- Only Jira administrators may list or change them (Administer Jira global permission); the
  simulator answers others 403.
- ``POST`` takes ``{"name", "url", "events", "filters": {"issue-related-events-section": JQL},
  "excludeBody", "secret"}`` and answers 201 with the webhook; ``GET`` lists them all, unpaged.
- The webhook's id is only in ``self`` (``.../rest/webhooks/1.0/webhook/{id}``).
- The ``secret`` is write-only: no answer ever shows it.
- The JQL filters issue events only: version events reach every webhook that asks for them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from adapters.jira.simulator.call import Call, Endpoint, Reply
from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.jql import JqlError, parse
from adapters.jira.simulator.jql_eval import CompiledQuery, JqlContext
from adapters.jira.simulator.model import Issue, WebhookRegistration
from adapters.jira.simulator.store import Store

ROOT = "/rest/webhooks/1.0"
ISSUE_FILTER = "issue-related-events-section"
NOT_ADMIN = "You must be a Jira administrator to manage webhooks."


def _administrator(call: Call) -> None:
    if not call.user.admin:
        raise JiraError(403, NOT_ADMIN)


def _registration(call: Call) -> WebhookRegistration:
    raw = call.param("webhookId")
    found = call.sim.store.state.webhooks.get(int(raw)) if raw.isdigit() else None
    if found is None:
        raise JiraError(404, f"No webhook with id {raw} exists.")
    return found


def render(call: Call, hook: WebhookRegistration) -> dict[str, Any]:
    """The webhook as Jira answers it (never with its secret)."""
    store = call.sim.store
    user = store.user(hook.updated_by)
    cloud = call.sim.flavor == "cloud"
    return {
        "self": f"{call.render.base}{ROOT}/webhook/{hook.id}",
        "name": hook.name,
        "url": hook.url,
        "excludeBody": hook.exclude_body,
        "filters": {ISSUE_FILTER: hook.jql},
        "events": list(hook.events),
        "enabled": hook.enabled,
        # Cloud names people by accountId, Data Center by username.
        "lastUpdatedUser": (user.account_id if cloud else user.name) if user else None,
        "lastUpdatedDisplayName": user.display_name if user else None,
        "lastUpdated": int(hook.updated.timestamp() * 1000),
    }


def list_webhooks(call: Call) -> Reply:
    """``GET /rest/webhooks/1.0/webhook``: every admin webhook of the site."""
    _administrator(call)
    hooks = sorted(call.sim.store.state.webhooks.values(), key=lambda h: h.id)
    return Reply(200, [render(call, hook) for hook in hooks])


def get_webhook(call: Call) -> Reply:
    """``GET /rest/webhooks/1.0/webhook/{id}``."""
    _administrator(call)
    return Reply(200, render(call, _registration(call)))


def create_webhook(call: Call) -> Reply:
    """``POST /rest/webhooks/1.0/webhook``: 201 with the webhook."""
    _administrator(call)
    body = call.object_body()
    errors: dict[str, str] = {}
    name = _text(body.get("name"))
    if not name:
        errors["name"] = "The webhook name must be specified."
    url = _text(body.get("url"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["url"] = "The webhook URL must be a valid absolute http(s) URL."
    events = body.get("events") or []
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        errors["events"] = "The events must be a list of event names."
        events = []
    filters = body.get("filters") or {}
    raw_jql = filters.get(ISSUE_FILTER) if isinstance(filters, dict) else 0
    if raw_jql is not None and not isinstance(raw_jql, str):
        errors["filters"] = f"The filter '{ISSUE_FILTER}' must be a JQL string."
    jql = _text(raw_jql)
    secret = body.get("secret")
    if secret is not None and not isinstance(secret, str):
        errors["secret"] = "The secret must be a string."  # noqa: S105 - a message, not a secret
    if errors:
        raise JiraError(400, errors=errors)
    _check_jql(call, jql)
    store = call.sim.store
    hook = WebhookRegistration(
        id=store.next_id("webhook", 1),
        name=name,
        url=url,
        events=[str(e) for e in events],
        jql=jql,
        exclude_body=body.get("excludeBody") is True,
        enabled=body.get("enabled", True) is not False,
        secret=secret or None,
        updated_by=call.user.account_id,
        updated=store.now(),
    )
    store.state.webhooks[hook.id] = hook
    return Reply(201, render(call, hook))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def delete_webhook(call: Call) -> Reply:
    """``DELETE /rest/webhooks/1.0/webhook/{id}``: 204; an unknown id is a 404."""
    _administrator(call)
    del call.sim.store.state.webhooks[_registration(call).id]
    return Reply(204)


def _check_jql(call: Call, jql: str) -> None:
    """Jira refuses a filter it cannot run."""
    if not jql:
        return
    try:
        CompiledQuery(parse(jql), JqlContext(call.sim.store, call.user, call.sim.store.now()))
    except JqlError as error:
        raise JiraError(400, errors={"filters": str(error)}) from None


def filter_matches(store: Store, hook: WebhookRegistration, issue: Issue) -> bool:
    """Whether an issue event passes the webhook's JQL (run as the webhook's last editor)."""
    if not hook.jql:
        return True
    user = store.user(hook.updated_by)
    if user is None:
        return False
    try:
        query = CompiledQuery(parse(hook.jql), JqlContext(store, user, store.now()))
    except JqlError:
        return False  # the filter names something gone since (a deleted project)
    return query.matches(issue)


ENDPOINTS = (
    Endpoint("GET", "/webhook", list_webhooks, root=ROOT),
    Endpoint("POST", "/webhook", create_webhook, root=ROOT),
    Endpoint("GET", "/webhook/{webhookId}", get_webhook, root=ROOT),
    Endpoint("DELETE", "/webhook/{webhookId}", delete_webhook, root=ROOT),
)
