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

Replays. A verified delivery is remembered per connection by the SHA-256 of its body (the bytes
the signature covers; never the body itself), with the time the vendor wrote in it
(`adapters.base.DatedWebhooks`: Jira's ``timestamp``, Trello's ``action.date``, the newest
``created_at`` of Asana's events). Not by a vendor's delivery id: Jira Cloud's
``X-Atlassian-Webhook-Identifier`` is a header the signature does not cover, so a replay could
carry a fresh one.

- A delivery dated before the window (`REPLAY_WINDOW`, plus `CLOCK_SKEW`) or more than
  `CLOCK_SKEW` ahead is answered 401 and triggers nothing: it may be an old capture sent again.
- The same bytes again within the window are answered **200** ``{"triggered": [],
  "duplicate": true}`` and trigger nothing. Not 401, though it may be a replay: it may as well
  be the vendor's retry of a delivery whose answer was lost, or Jira's copy of a version event
  for another admin webhook of the site (each Jira member of a connection registers one, and
  version events pass every filter). Asana retries any answer but a 2xx and deletes a webhook
  whose attempts all fail for a day (``failure_deletion_timestamp`` in its API;
  https://developers.asana.com/docs/webhooks-guide): a 401 would end that project's live
  updates, where a 200 costs nothing.
- The window is a day for the same reason: after an outage of ours, Asana retries its
  deliveries for up to a day, with the events' own ``created_at``; refusing them as stale would
  get the webhook deleted. While the service runs, every copy within the window is caught;
  after a restart the memory is empty, and a copy of a delivery of the last day could trigger
  one run (debounced; a run reads the vendors, never the delivery).
- Memory is bounded (`REMEMBERED` per connection): past it the oldest are forgotten early, and
  from then on anything dated at or before the newest forgotten one is refused as stale (the
  window narrows under a flood rather than letting a forgotten delivery through).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.base import (
    Adapter,
    ConnectionSettings,
    DatedWebhooks,
    MemberSettings,
    WebhookRequest,
)
from syncd import runner
from syncd.config import Config, member_settings
from syncd.metrics import Metrics, WebhookOutcome
from syncd.redact import default_redactor

log = structlog.get_logger(__name__)

MAX_BODY = 1 << 20  # bytes; vendors' deliveries are a few KiB
REPLAY_WINDOW = dt.timedelta(hours=24)  # Asana's retries of a failed delivery last a day
CLOCK_SKEW = dt.timedelta(minutes=5)  # between the vendor's clock and ours
REMEMBERED = 4096  # deliveries remembered per connection (a digest and a time each)
STALE = "stale delivery (possible replay)"
FUTURE = "delivery dated in the future"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Webhooks:
    """Receives deliveries and turns them into live runs of the groups they concern."""

    def __init__(
        self,
        config: Callable[[], Config],
        trigger: Callable[[str], bool],
        metrics: Metrics,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        window: dt.timedelta = REPLAY_WINDOW,
        capacity: int = REMEMBERED,
    ) -> None:
        self._config = config
        self._trigger = trigger
        self._metrics = metrics
        self._clock = clock
        self._window, self._capacity = window, capacity
        self._secrets: dict[str, SecretStr] = {}  # Asana handshake secrets, by connection
        self._adapters: dict[tuple[str, str], Adapter] = {}  # (group, member), for _built_for
        self._built_for: Config | None = None
        self._seen: dict[str, Seen] = {}  # by connection (only the config's reach it)

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
        verified = self._verify(config, connection, delivery)
        if verified is None:
            self._metrics.webhook(connection=connection, outcome="rejected")
            log.warning("webhook.rejected", connection=connection)
            return JSONResponse({"error": "signature not valid"}, status_code=401)
        # No await from here on: a copy arriving meanwhile finds this one remembered.
        replayed = self._replayed(connection, body, verified.sent_at)
        if replayed is not None:
            return replayed
        for group in verified.groups:
            self._trigger(group)
        outcome: WebhookOutcome = "accepted" if verified.groups else "ignored"
        self._metrics.webhook(connection=connection, outcome=outcome)
        log.info("webhook.accepted", connection=connection, groups=verified.groups)
        return JSONResponse({"triggered": verified.groups})

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

    def _verify(self, config: Config, connection: str, delivery: WebhookRequest) -> Verified | None:
        """The groups whose members on ``connection`` recognise the delivery, and its time
        (None: no member's adapter verified it)."""
        verified: Verified | None = None
        for group in config.groups:
            for member, settings in member_settings(config, group):
                if member.connection != connection:
                    continue
                adapter = self._adapter(config, group, member, settings)
                ids = adapter.webhook(delivery)
                if ids is None:
                    continue
                if verified is None:
                    verified = Verified([], _sent_at(adapter, delivery))
                if ids and group not in verified.groups:
                    verified.groups.append(group)
        return verified

    def _replayed(
        self, connection: str, body: bytes, sent_at: dt.datetime | None
    ) -> Response | None:
        """The answer to a verified delivery seen before or dated outside the window; None for
        a new one, which is remembered from now on."""
        now = self._clock()
        seen = self._seen.setdefault(connection, Seen(self._capacity, self._window))
        digest = hashlib.sha256(body).digest()
        if digest in seen:  # 200, not 401: see the module's docstring
            self._metrics.webhook(connection=connection, outcome="ignored")
            log.info("webhook.duplicate", connection=connection)
            return JSONResponse({"triggered": [], "duplicate": True})
        refusal = seen.refusal(sent_at, now)
        if refusal is not None:
            self._metrics.webhook(connection=connection, outcome="rejected")
            log.warning("webhook.replay_refused", connection=connection, reason=refusal)
            return JSONResponse({"error": refusal}, status_code=401)
        seen.add(digest, sent_at, now)
        return None

    def remembered(self, connection: str) -> int:
        """How many deliveries to ``connection`` are remembered (at most ``capacity``)."""
        seen = self._seen.get(connection)
        return 0 if seen is None else len(seen)

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


@dataclass
class Verified:
    """A delivery some member's adapter verified: the groups it concerns, and when the vendor
    made it (None: the delivery carries no time, or the adapter cannot read one)."""

    groups: list[str]
    sent_at: dt.datetime | None


class Seen:
    """The deliveries one connection accepted lately: the SHA-256 of each body with its time
    (the vendor's, or when it came for an undated one), at most ``capacity``, each kept until
    its time leaves the window (from then on it would be refused as stale anyway)."""

    def __init__(self, capacity: int, window: dt.timedelta) -> None:
        self.capacity = capacity
        self.window = window + CLOCK_SKEW
        self.horizon: dt.datetime | None = None  # the newest dated delivery forgotten early
        self._kept: OrderedDict[bytes, tuple[dt.datetime, bool]] = OrderedDict()  # (time, dated)

    def __len__(self) -> int:
        return len(self._kept)

    def __contains__(self, digest: object) -> bool:
        return digest in self._kept

    def refusal(self, sent_at: dt.datetime | None, now: dt.datetime) -> str | None:
        """Why a delivery the vendor made at ``sent_at`` cannot be new (None: it can be)."""
        if sent_at is None:
            return None  # undated (Asana's heartbeat): only its exact copies are caught
        if sent_at > now + CLOCK_SKEW:
            return FUTURE
        if sent_at < now - self.window or (self.horizon is not None and sent_at <= self.horizon):
            return STALE
        return None

    def add(self, digest: bytes, sent_at: dt.datetime | None, now: dt.datetime) -> None:
        """Remember a delivery accepted ``now``; forget the expired, then the oldest past
        ``capacity`` (raising ``horizon`` to the newest time forgotten so)."""
        self._kept[digest] = (now if sent_at is None else sent_at, sent_at is not None)
        oldest = now - self.window
        while self._kept and next(iter(self._kept.values()))[0] < oldest:
            self._kept.popitem(last=False)
        while len(self._kept) > self.capacity:
            _, (time, dated) = self._kept.popitem(last=False)
            if dated and (self.horizon is None or time > self.horizon):
                self.horizon = time


def _sent_at(adapter: Adapter, delivery: WebhookRequest) -> dt.datetime | None:
    return adapter.webhook_time(delivery) if isinstance(adapter, DatedWebhooks) else None


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
