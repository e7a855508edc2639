"""Webhooks: ``POST /webhooks`` with the handshake, and the signed deliveries.

Creating a webhook POSTs a handshake to ``target`` carrying ``X-Hook-Secret``; the receiver
must answer 200 or 204 echoing that header, else the creation fails (400). Events are then
POSTed as ``{"events": [...]}`` with ``X-Hook-Signature``: the hex HMAC-SHA256 of the body
keyed with the secret. https://developers.asana.com/docs/webhooks-guide
The request (resource, filters) is checked before the handshake, so a refused one never
reaches the target. ``GET /webhooks`` lists the caller's own webhooks of a workspace ("your
app has registered for the authenticated user"), optionally of one resource, paged.
Deliveries run in background tasks; a failing receiver never breaks the simulator.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
import structlog
from pydantic import ValidationError

from adapters.asana.simulator.call import Call, Endpoint, Reply
from adapters.asana.simulator.errors import bad_request, not_found, unknown_reference
from adapters.asana.simulator.model import Event, WebhookFilter, WebhookRecord

if TYPE_CHECKING:
    from adapters.asana.simulator.core import AsanaSimulator

_log = structlog.get_logger(__name__)
TIMEOUT = 5.0


def signature(body: bytes, secret: str) -> str:
    """The ``X-Hook-Signature`` of a delivery's body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- the API ------------------------------------------------------------------------------------

# WebhookFilter.action: "one of changed, added, removed, deleted, and undeleted".
ACTIONS = frozenset({"changed", "added", "removed", "deleted", "undeleted"})


async def handshake(call: Call) -> None:
    """Before the webhook exists: the request is checked (under the lock), then the target
    must echo the secret (outside it, so the target may call the API meanwhile)."""
    data = call.data()
    target = data.get("target")
    if not data.get("resource") or not isinstance(target, str) or not target:
        raise bad_request("resource and target: Missing input")
    with call.sim.lock:
        _resource_workspace(call, str(data["resource"]))
    call.extras["filters"] = _filters(data.get("filters"))
    secret = secrets.token_hex(16)
    try:
        async with httpx.AsyncClient(
            transport=call.sim.webhooks.transport, timeout=TIMEOUT
        ) as client:
            answer = await client.post(target, headers={"X-Hook-Secret": secret})
    except (httpx.HTTPError, OSError):
        answer = None
    if answer is None or answer.status_code not in (200, 204):
        raise bad_request("target: The remote server did not respond to the handshake")
    if answer.headers.get("X-Hook-Secret") != secret:
        raise bad_request("target: The remote server did not echo X-Hook-Secret")
    call.extras["secret"] = secret


def _resource_workspace(call: Call, resource: str) -> str:
    """The workspace of the project or task a webhook watches (400 if unknown, 403 if the
    caller is not in its workspace)."""
    state = call.sim.store.state
    found = state.projects.get(resource) or state.tasks.get(resource)
    if found is None or getattr(found, "deleted", False):
        raise unknown_reference("resource", resource)
    call.sim.store.check_member(call.user, found.workspace)
    return found.workspace


def _filters(raw: Any) -> list[WebhookFilter]:
    """A request's ``filters``: a list of WebhookFilter objects (``fields`` only with the
    ``changed`` action)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request("filters: Must be an array")
    filters = []
    for item in raw:
        try:
            flt = WebhookFilter.model_validate(item)
        except ValidationError:
            raise bad_request(f"filters: Not a valid filter: {item!r}") from None
        if flt.action is not None and flt.action not in ACTIONS:
            raise bad_request(f"filters.action: Not a valid action: {flt.action}")
        if flt.fields is not None and flt.action != "changed":
            raise bad_request("filters.fields: Only valid for the action changed")
        filters.append(flt)
    return filters


def create_webhook(call: Call) -> Reply:
    store, data = call.sim.store, call.data()
    resource = str(data["resource"])
    _resource_workspace(call, resource)  # again: it may have gone during the handshake
    hook = WebhookRecord(
        gid=store.next_gid(),
        resource=resource,
        target=str(data["target"]),
        secret=call.extras["secret"],
        owner=call.user.gid,
        filters=call.extras["filters"],
        created_at=store.now(),
    )
    store.state.webhooks[hook.gid] = hook
    body = {"data": call.sim.render.one(hook, call.opt_fields()), "X-Hook-Secret": hook.secret}
    return Reply(201, body, {"X-Hook-Secret": hook.secret})


def list_webhooks(call: Call) -> Reply:
    """The caller's webhooks in ``workspace`` (only those on ``resource`` if given), paged:
    "all webhooks your app has registered for the authenticated user in the given workspace"."""
    from adapters.asana.simulator.paging import listing

    gid = call.query.get("workspace")
    if not gid:
        raise bad_request("workspace: Missing input")
    store = call.sim.store
    workspace = store.workspace(gid).gid
    store.check_member(call.user, workspace)
    resource = call.query.get("resource")
    hooks = [
        h
        for h in store.state.webhooks.values()
        if resource in (None, h.resource)
        and h.owner in (None, call.user.gid)
        and _workspace_of(call, h) == workspace
    ]
    return listing(call, hooks)


def _workspace_of(call: Call, hook: WebhookRecord) -> str | None:
    state = call.sim.store.state
    found = state.projects.get(hook.resource) or state.tasks.get(hook.resource)
    return found.workspace if found else None


def get_webhook(call: Call) -> Reply:
    hook = call.sim.store.state.webhooks.get(call.param("webhook_gid"))
    if hook is None:
        raise not_found("webhook", call.param("webhook_gid"))
    return Reply(200, {"data": call.sim.render.one(hook, call.opt_fields())})


def delete_webhook(call: Call) -> Reply:
    """Removes the webhook for good (``EmptyResponse``); one already gone is a 404."""
    if call.sim.store.state.webhooks.pop(call.param("webhook_gid"), None) is None:
        raise not_found("webhook", call.param("webhook_gid"))
    return Reply(200, {"data": {}})


ENDPOINTS = (
    Endpoint("POST", "/webhooks", create_webhook, prepare=handshake),
    Endpoint("GET", "/webhooks", list_webhooks),
    Endpoint("GET", "/webhooks/{webhook_gid}", get_webhook),
    Endpoint("DELETE", "/webhooks/{webhook_gid}", delete_webhook),
)


# --- deliveries ---------------------------------------------------------------------------------


def wants(hook: WebhookRecord, event: Event) -> bool:
    """An event reaches a webhook on a resource whose stream sees it, through any filter."""
    if not hook.active or hook.resource not in event.scopes:
        return False
    return not hook.filters or any(_passes(f, event.body) for f in hook.filters)


def _passes(flt: WebhookFilter, body: dict[str, Any]) -> bool:
    resource = body.get("resource") or {}
    change = body.get("change") or {}
    return (
        flt.resource_type in (None, resource.get("resource_type"))
        and flt.resource_subtype in (None, resource.get("resource_subtype"))
        and flt.action in (None, body.get("action"))
        and (flt.fields is None or change.get("field") in flt.fields)
    )


class WebhookSender:
    """Sends events in background tasks of the running event loop."""

    def __init__(self, sim: AsanaSimulator, transport: httpx.AsyncBaseTransport | None) -> None:
        self.sim = sim
        self.transport = transport
        self.delivered = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, events: Sequence[Event]) -> None:
        """Queue one delivery per webhook of the events it wants."""
        hooks = list(self.sim.store.state.webhooks.values())
        if not events or not hooks:
            return
        loop = asyncio.get_running_loop()
        for hook in hooks:
            chosen = [e.body for e in events if wants(hook, e)]
            if chosen:
                task = loop.create_task(self._deliver(hook, chosen))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the deliveries in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _deliver(self, hook: WebhookRecord, events: list[dict[str, Any]]) -> None:
        body = json.dumps({"events": events}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hook-Signature": signature(body, hook.secret),
        }
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT) as client:
                response = await client.post(hook.target, content=body, headers=headers)
            response.raise_for_status()
        except (httpx.HTTPError, OSError) as error:
            self._failed(hook, str(error))
            return
        self.delivered += 1
        with self.sim.lock:
            hook.last_success_at = self.sim.store.now()

    def _failed(self, hook: WebhookRecord, problem: str) -> None:
        self.failed += 1
        _log.warning("asana_sim.webhook.failed", target=hook.target, error=problem)
        with self.sim.lock:
            hook.last_failure_at = self.sim.store.now()
            hook.last_failure_content = problem[:500]
