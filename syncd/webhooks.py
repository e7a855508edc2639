"""Webhook deliveries: ``/webhooks/<connection>`` on the service's listener.

A delivery is checked by the adapters of every member on that connection (each verifies the
vendor's signature and names the records it concerns, ``Adapter.webhook``); the groups whose
members recognise it are triggered as live runs (the queue debounces a burst into one run).
Polling stays on as the safety net: a delivery lost or refused only delays a change.

Vendor quirks handled here:

- **Trello** checks a callback URL with a ``HEAD`` request when a webhook is created and wants
  200. https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/
- **Asana** opens a webhook with a handshake: a POST carrying ``X-Hook-Secret``, which must be
  echoed back; later deliveries are signed with that secret (``X-Hook-Signature``).
  https://developers.asana.com/docs/webhooks-guide. syncd keeps a handshake's secret in memory
  only (secrets never reach the state store): set it as the connection's ``webhook_secret`` to
  keep verifying after a restart; the log says so, without the secret.
- A delivery no member accepts is answered 401 and triggers nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.base import Adapter, ConnectionSettings, MemberSettings, WebhookRequest
from syncd import runner
from syncd.config import Config, member_settings
from syncd.metrics import Metrics
from syncd.redact import default_redactor

log = structlog.get_logger(__name__)

MAX_BODY = 1 << 20  # bytes; vendors' deliveries are a few KiB


class Webhooks:
    """Receives deliveries and turns them into live runs of the groups they concern."""

    def __init__(
        self,
        config: Callable[[], Config],
        trigger: Callable[[str], bool],
        metrics: Metrics,
    ) -> None:
        self._config = config
        self._trigger = trigger
        self._metrics = metrics
        self._secrets: dict[str, SecretStr] = {}  # Asana handshake secrets, by connection
        self._adapters: dict[tuple[str, str], Adapter] = {}  # (group, member), for _built_for
        self._built_for: Config | None = None

    def routes(self) -> list[BaseRoute]:
        """The route to mount on the service's app."""
        return [Route("/webhooks/{connection}", self.receive, methods=["GET", "HEAD", "POST"])]

    async def receive(self, request: Request) -> Response:
        """One delivery (or a vendor's check of the URL)."""
        connection = request.path_params["connection"]
        config = self._config()
        if connection not in config.connections:
            self._metrics.webhook(connection="unknown", outcome="ignored")
            return JSONResponse({"error": "unknown connection"}, status_code=404)
        if request.method in ("GET", "HEAD"):
            return Response(status_code=200)  # Trello's check of a new callback URL
        body = await _body_within(request, MAX_BODY)
        if body is None:
            self._metrics.webhook(connection=connection, outcome="rejected")
            return JSONResponse({"error": "delivery too large"}, status_code=413)
        handshake = request.headers.get("x-hook-secret")
        if handshake is not None and config.connections[connection].type == "asana":
            return self._handshake(connection, handshake)
        delivery = WebhookRequest(dict(request.headers), body, dict(request.query_params))
        groups = self._groups_for(config, connection, delivery)
        if groups is None:
            self._metrics.webhook(connection=connection, outcome="rejected")
            log.warning("webhook.rejected", connection=connection)
            return JSONResponse({"error": "signature not valid"}, status_code=401)
        for group in groups:
            self._trigger(group)
        self._metrics.webhook(connection=connection, outcome="accepted" if groups else "ignored")
        log.info("webhook.accepted", connection=connection, groups=groups)
        return JSONResponse({"triggered": groups})

    def _handshake(self, connection: str, secret: str) -> Response:
        self._secrets[connection] = SecretStr(secret)
        default_redactor().add(secret)
        self._adapters = {}  # rebuilt with the secret
        log.warning(
            "webhook.asana.handshake",
            connection=connection,
            note="the secret is kept in memory only: set it as this connection's webhook_secret"
            " to verify deliveries after a restart",
        )
        self._metrics.webhook(connection=connection, outcome="accepted")
        return Response(status_code=200, headers={"X-Hook-Secret": secret})

    def _groups_for(
        self, config: Config, connection: str, delivery: WebhookRequest
    ) -> list[str] | None:
        """The groups whose members on ``connection`` recognise the delivery (None: refused)."""
        verified = False
        groups: list[str] = []
        for group in config.groups:
            for member, settings in member_settings(config, group):
                if member.connection != connection:
                    continue
                ids = self._adapter(config, group, member, settings).webhook(delivery)
                if ids is None:
                    continue
                verified = True
                if ids and group not in groups:
                    groups.append(group)
        return groups if verified else None

    def _adapter(
        self,
        config: Config,
        group: str,
        member: MemberSettings,
        connection: ConnectionSettings,
    ) -> Adapter:
        """The member's adapter, constructed once per config (never opened: ``webhook`` only
        checks a signature and reads the body)."""
        if config is not self._built_for:  # a reload: adapters of the new config
            self._adapters, self._built_for = {}, config
        key = (group, member.member_name)
        adapter = self._adapters.get(key)
        if adapter is None:
            secret = self._secrets.get(member.connection)
            if secret is not None and getattr(connection, "webhook_secret", "") is None:
                connection = connection.model_copy(update={"webhook_secret": secret})
            adapter = runner.make_adapter(config, group, member, connection)
            self._adapters[key] = adapter
        return adapter


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The request's body, or None when it is larger than ``limit`` bytes: refused on its
    declared length, or as soon as the stream passes the limit, so a hostile sender cannot make
    the listener hold an unbounded body in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
