"""Jira's webhooks: ``jira:issue_*`` and ``jira:version_*`` events POSTed to configured URLs.

Two kinds of receivers: the simulator's own (``Webhook``s given to the simulator or added with
``POST /_sim/webhooks``: every event they want, unfiltered), and the admin webhooks registered
through Jira's API (``webhook_admin.py``: only the issues their JQL filter matches). The call
that makes an event decides its receivers (`Outgoing`), while it still holds the issue.

A webhook with a secret is signed as Jira signs it (Cloud; recent Data Center releases too):
``X-Hub-Signature: sha256=<hex>``, the HMAC-SHA256 of the body with the secret.
https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
https://confluence.atlassian.com/adminjiraserver/managing-webhooks-938846912.html
Deliveries run in background tasks; a failing receiver is logged and never breaks the simulator.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

_log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Webhook:
    """Where to send events; ``events`` None sends them all; ``exclude_body`` sends none of the
    payload (Jira's ``excludeBody``: the receiver only learns that something happened)."""

    url: str
    secret: str | None = None
    events: Sequence[str] | None = None
    exclude_body: bool = False

    def wants(self, event: str) -> bool:
        return self.events is None or event in self.events


@dataclass(frozen=True)
class Outgoing:
    """One event's payload and the webhooks it goes to."""

    payload: dict[str, Any]
    hooks: Sequence[Webhook]


def signature(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature`` value of a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Sends events in background tasks of the running event loop."""

    def __init__(
        self,
        hooks: Sequence[Webhook] = (),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.hooks = list(hooks)
        self.transport = transport
        self.delivered = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def wanting(self, event: str) -> list[Webhook]:
        """The simulator's own webhooks that want ``event``."""
        return [hook for hook in self.hooks if hook.wants(event)]

    def send(self, outgoing: Sequence[Outgoing]) -> None:
        """Queue the deliveries of each payload to its webhooks."""
        if not any(item.hooks for item in outgoing):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            _log.warning("jira_sim.webhook.no_loop", events=len(outgoing))
            return
        for item in outgoing:
            for hook in item.hooks:
                task = loop.create_task(self._deliver(hook, item.payload))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the deliveries in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _deliver(self, hook: Webhook, payload: dict[str, Any]) -> None:
        body = b"" if hook.exclude_body else json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Atlassian Webhook HTTP Client",
        }
        if hook.secret:
            headers["X-Hub-Signature"] = signature(body, hook.secret)
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=5.0) as client:
                response = await client.post(hook.url, content=body, headers=headers)
            response.raise_for_status()
            self.delivered += 1
        except (httpx.HTTPError, OSError) as error:
            self.failed += 1
            _log.warning("jira_sim.webhook.failed", url=hook.url, error=str(error))


def issue_event(
    event: str,
    timestamp: int,
    issue: dict[str, Any],
    user: dict[str, Any] | None,
    changes: list[dict[str, Any]],
) -> dict[str, Any]:
    """The payload of ``jira:issue_created``/``_updated``/``_deleted``."""
    payload: dict[str, Any] = {
        "timestamp": timestamp,
        "webhookEvent": event,
        "issue_event_type_name": event.removeprefix("jira:"),
        "user": user,
        "issue": issue,
    }
    if changes:
        payload["changelog"] = {"id": str(timestamp), "items": changes}
    return payload


def version_event(event: str, timestamp: int, version: dict[str, Any]) -> dict[str, Any]:
    """The payload of ``jira:version_created``/``_updated``/``_deleted``/``_released``/
    ``_unreleased``."""
    return {"timestamp": timestamp, "webhookEvent": event, "version": version}
