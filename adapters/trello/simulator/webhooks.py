"""Webhooks: ``POST /webhooks/`` with its HEAD check, ``GET /tokens/{token}/webhooks``, and the
signed deliveries.

Creating a webhook first sends ``HEAD`` to ``callbackURL``, which must answer 200, else the
creation fails (400). Each action on the watched model (board, list, card or member) is then
POSTed as ``{"action": ..., "model": ...}`` with ``X-Trello-Webhook``: the base64 HMAC-SHA1 of
the body followed by the callback URL, keyed with the app's secret.
https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/
Webhooks belong to the token that made them: a token lists, reads and deletes only its own.
Deliveries run in background tasks; a failing receiver never breaks the simulator.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
import structlog

from adapters.trello.simulator import render
from adapters.trello.simulator.call import Call, Endpoint, Reply
from adapters.trello.simulator.errors import (
    UNAUTHORIZED_TOKEN,
    TrelloError,
    invalid_value,
    not_found,
    unauthorized,
)
from adapters.trello.simulator.model import Action, Webhook
from adapters.trello.simulator.values import as_id, as_text

if TYPE_CHECKING:
    from adapters.trello.simulator.core import TrelloSimulator

_log = structlog.get_logger(__name__)
TIMEOUT = 5.0
DUPLICATE = "A webhook with that callback, model, and token already exists"


def signature(body: bytes, callback_url: str, secret: str) -> str:
    """The ``X-Trello-Webhook`` header of a delivery."""
    digest = hmac.new(secret.encode(), body + callback_url.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# --- the API ------------------------------------------------------------------------------------


async def check_callback(call: Call) -> None:
    """Before the webhook exists: ``HEAD callbackURL`` must answer 200 (outside the lock)."""
    url = call.arg("callbackURL")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise invalid_value("callbackURL")
    as_id(call.arg("idModel"), "idModel")
    try:
        async with httpx.AsyncClient(
            transport=call.sim.webhooks.transport, timeout=TIMEOUT
        ) as client:
            status = str((await client.head(url)).status_code)
    except (httpx.HTTPError, OSError):
        status = "no response"
    if status != "200":
        raise TrelloError(400, f"URL ({url}) did not return 200 status code, got {status}")


def create_webhook(call: Call) -> Reply:
    store = call.sim.store
    model, url = str(call.arg("idModel")), str(call.arg("callbackURL"))
    if model_json(call.sim, model) is None or not _visible(call, model):
        raise invalid_value("idModel")
    for hook in store.state.webhooks.values():
        if (hook.callback_url, hook.id_model, hook.token) == (url, model, call.token.token):
            raise TrelloError(400, DUPLICATE)
    hook = Webhook(
        id=store.next_id(),
        description=as_text(call.arg("description") or "", "description"),
        id_model=model,
        callback_url=url,
        token=call.token.token,
        key=call.token.key,
        active=call.arg("active") in (None, True, "true"),
    )
    store.state.webhooks[hook.id] = hook
    return Reply(200, render.webhook(hook))


def _visible(call: Call, model: str) -> bool:
    """Whether the token's member may watch ``model`` (a board of theirs, or in one)."""
    state = call.sim.store.state
    if model in state.members:
        return True
    thing = state.cards.get(model) or state.lists.get(model)
    board = state.boards.get(thing.board if thing else model)
    return board is not None and call.member.id in board.members


def _own(call: Call) -> Webhook:
    hook = call.sim.store.state.webhooks.get(call.param("id"))
    if hook is None or hook.token != call.token.token:
        raise not_found()
    return hook


def get_webhook(call: Call) -> Reply:
    return Reply(200, render.webhook(_own(call)))


def delete_webhook(call: Call) -> Reply:
    del call.sim.store.state.webhooks[_own(call).id]
    return Reply(200, {"_value": None})


def token_webhooks(call: Call) -> Reply:
    """``GET /tokens/{token}/webhooks``: the webhooks made with the calling token, oldest first.

    The path must name the caller's own token: any other (another member's, or none known)
    is refused with 401, never listed.
    https://developer.atlassian.com/cloud/trello/rest/api-group-tokens/
    """
    if call.param("token") != call.token.token:
        raise unauthorized(UNAUTHORIZED_TOKEN)
    hooks = call.sim.store.state.webhooks.values()
    return Reply(200, [render.webhook(h) for h in hooks if h.token == call.token.token])


ENDPOINTS = (
    Endpoint("POST", "/webhooks/", create_webhook, prepare=check_callback),
    Endpoint("GET", "/tokens/{token}/webhooks", token_webhooks),
    Endpoint("GET", "/webhooks/{id}", get_webhook),
    Endpoint("DELETE", "/webhooks/{id}", delete_webhook),
)


# --- deliveries ---------------------------------------------------------------------------------


def model_json(sim: TrelloSimulator, model: str) -> dict[str, Any] | None:
    """The watched model as a delivery carries it (None: no such model)."""
    store, state = sim.store, sim.store.state
    if model in state.boards:
        return render.board(store, state.boards[model], "all")
    if model in state.cards:
        return render.card(store, state.cards[model])
    if model in state.lists:
        return render.trello_list(state.lists[model])
    if model in state.members:
        return render.member(state.members[model])
    return None


class WebhookSender:
    """Sends actions in background tasks of the running event loop."""

    def __init__(self, sim: TrelloSimulator, transport: httpx.AsyncBaseTransport | None) -> None:
        self.sim = sim
        self.transport = transport
        self.delivered = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, actions: Sequence[Action]) -> None:
        """Queue one delivery per action and active webhook watching one of its models."""
        if not actions or not self.sim.store.state.webhooks:
            return
        loop = asyncio.get_running_loop()
        with self.sim.lock:
            deliveries = list(self._payloads(actions))
        for hook, body in deliveries:
            task = loop.create_task(self._deliver(hook, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _payloads(self, actions: Sequence[Action]) -> Any:
        store = self.sim.store
        for action in actions:
            for hook in list(store.state.webhooks.values()):
                if hook.active and hook.id_model in action.models:
                    model = model_json(self.sim, hook.id_model) or {"id": hook.id_model}
                    payload = {"action": render.action(store, action), "model": model}
                    yield hook, json.dumps(payload).encode()

    async def drain(self) -> None:
        """Wait for the deliveries in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _deliver(self, hook: Webhook, body: bytes) -> None:
        app = self.sim.store.state.apps.get(hook.key)
        headers = {"Content-Type": "application/json"}
        if app is not None:
            headers["X-Trello-Webhook"] = signature(body, hook.callback_url, app.secret)
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT) as client:
                response = await client.post(hook.callback_url, content=body, headers=headers)
            response.raise_for_status()
        except (httpx.HTTPError, OSError) as error:
            self._failed(hook, str(error))
            return
        self.delivered += 1
        with self.sim.lock:
            hook.consecutive_failures = 0
            hook.first_consecutive_fail_date = None

    def _failed(self, hook: Webhook, problem: str) -> None:
        self.failed += 1
        _log.warning("trello_sim.webhook.failed", callback=hook.callback_url, error=problem)
        with self.sim.lock:
            if hook.consecutive_failures == 0:
                hook.first_consecutive_fail_date = self.sim.store.now()
            hook.consecutive_failures += 1
