"""Asana's REST calls, and nothing else.

Every body is wrapped in ``{"data": ...}``; lists page with ``limit`` (at most 100) and an
opaque ``offset``; errors are ``{"errors": [{"message": ...}]}``. Asana limits requests per
minute per token and, separately, reads (50) and writes (15) in flight per user.
https://developers.asana.com/docs/rate-limits
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.asana.config import AsanaConnection
from syncd.errors import MemberError
from syncd.http import (
    HttpClient,
    OffsetTokenPaginator,
    RetryPolicy,
    credential_key,
    default_error_text,
    limiter_for,
    paginate,
)
from syncd.http.client import answer_json, timeout_of
from syncd.http.retry import SleepFn
from syncd.redact import default_redactor

Json = dict[str, Any]
BATCH_LIMIT = 10  # actions per POST /batch: https://developers.asana.com/docs/batch-api
WEBHOOK_FIELDS = "active,resource,target"


class SyncExpired(Exception):
    """The events sync token is unknown or expired (412); Asana sent a fresh one."""

    def __init__(self, fresh: str) -> None:
        super().__init__("the events sync token expired")
        self.fresh = fresh


class WebhookRefused(Exception):
    """Asana would not create a webhook: 400 (mostly a target that failed the X-Hook-Secret
    handshake) or 403 (a target it does not accept, such as localhost)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Events:
    """One read of the Events API."""

    events: list[Json]
    sync: str
    has_more: bool


class AsanaClient:
    """The Asana REST API of one token."""

    def __init__(
        self,
        connection: AsanaConnection,
        member: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
    ) -> None:
        token = connection.token.get_secret_value()
        default_redactor().add(token)
        limiter = limiter_for(
            credential_key(connection.base_url, token), connection.requests_per_minute, 60.0
        )
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.http = HttpClient(
            base_url=connection.base_url,
            headers={"Authorization": f"Bearer {token}"},
            member=member,
            limiters=[limiter],
            retry_policy=retry_policy,
            transport=transport,
            timeout=timeout_of(connection.timeout),
            **extra,
        )
        self._reads = asyncio.Semaphore(connection.reads_in_flight)
        self._writes = Slots(connection.writes_in_flight)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET and unwrap ``data``."""
        async with self._reads:
            response = await self.http.request("GET", path, params=params)
        return _data(response)

    async def send(self, method: str, path: str, data: Any = None, fields: str = "") -> Any:
        """A write (POST/PUT/DELETE) with ``{"data": data}``; the answer's ``data``."""
        params = {"opt_fields": fields} if fields else None
        body = {"data": data} if data is not None else None
        async with self._writes.hold():
            response = await self.http.request(
                method, path, json=body, params=params, expected={404} if method == "DELETE" else ()
            )
        return _data(response) if response.status_code != 404 else None

    async def pages(self, path: str, params: Mapping[str, Any]) -> AsyncIterator[Json]:
        """Every item of a paged listing (100 per page)."""
        async with self._reads:
            async for item in paginate(
                self.http, "GET", path, OffsetTokenPaginator(100), params=params
            ):
                if not isinstance(item, dict):
                    # Not a task: it cannot be told apart from a deleted one, so the listing
                    # vouches for nothing (a task that is an object but malformed fails
                    # alone, later, with its gid).
                    raise MemberError(f"{path}: a listed item is not an object")
                yield item

    async def events(self, resource: str, sync: str | None) -> Events:
        """One page of the project's events since ``sync``.

        Raises:
            SyncExpired: no token yet, or it expired: Asana answers 412 with a fresh one.
        """
        params = {"resource": resource, **({"sync": sync} if sync else {})}
        async with self._reads:
            response = await self.http.request("GET", "/events", params=params, expected={412})
        body = answer_json(response)
        if response.status_code == 412:
            fresh = body.get("sync") if isinstance(body, dict) else None
            if not isinstance(fresh, str):
                raise MemberError("events: 412 without a fresh sync token")
            raise SyncExpired(fresh)
        events = body.get("data") if isinstance(body, dict) else None
        if not isinstance(events, list) or not isinstance(body.get("sync"), str):
            raise MemberError("events: malformed answer")
        return Events(
            [e for e in events if isinstance(e, dict)], body["sync"], bool(body.get("has_more"))
        )

    async def webhooks(self, workspace: str, resource: str) -> list[Json]:
        """This token's webhooks on ``resource`` (every page); ``GET /webhooks`` needs the
        workspace. https://developers.asana.com/reference/getwebhooks"""
        params = {"workspace": workspace, "resource": resource, "opt_fields": WEBHOOK_FIELDS}
        return [hook async for hook in self.pages("/webhooks", params)]

    async def create_webhook(self, resource: str, target: str, filters: Sequence[Json]) -> Json:
        """``POST /webhooks``: Asana shakes hands with ``target`` (it must echo
        ``X-Hook-Secret``) before answering 201 with the webhook.
        https://developers.asana.com/reference/createwebhook

        Raises:
            WebhookRefused: 400 (a failed handshake, mostly) or 403 (a target Asana refuses).
        """
        data = {"resource": resource, "target": target, "filters": list(filters)}
        async with self._writes.hold():
            response = await self.http.request(
                "POST",
                "/webhooks",
                json={"data": data},
                params={"opt_fields": WEBHOOK_FIELDS},
                expected={400, 403},
            )
        if response.status_code in (400, 403):
            text = default_redactor().redact_text(default_error_text(response))
            raise WebhookRefused(response.status_code, text or response.reason_phrase)
        body = answer_json(response)
        secret = body.get("X-Hook-Secret") if isinstance(body, dict) else None
        if isinstance(secret, str) and secret:
            default_redactor().add(secret)  # the deliveries' signing key: never logged
        hook = _data(response)
        if not isinstance(hook, dict) or not hook.get("gid"):
            raise MemberError("webhooks: the answer names no webhook", member=self.http.member)
        return hook

    async def batch(self, actions: Sequence[Json]) -> list[Json]:
        """Up to 10 actions in one call; one ``{status_code, body}`` per action, in order."""
        # Asana counts each action as a request, both in the rate limit and in the writes in
        # flight: "a batch request with five actions counts as five separate requests in the
        # standard rate limiter, and counts as five concurrent requests in the concurrent
        # request limiter" (its API description, on /batch).
        async with self._writes.hold(len(actions)):
            response = await self.http.request(
                "POST", "/batch", json={"data": {"actions": list(actions)}}, cost=len(actions)
            )
        results = _data(response)
        if not isinstance(results, list) or len(results) != len(actions):
            raise MemberError("batch: the answer does not match the actions sent")
        return [r if isinstance(r, dict) else {} for r in results]


class Slots:
    """A limit on requests in flight where one request may take several slots (Asana counts
    each action of a batch); a request waits until all its slots are free at once, so two
    batches never each hold part of what the other needs."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def hold(self, slots: int = 1) -> AsyncIterator[None]:
        """Hold ``slots`` (at most all of them) while the block runs."""
        slots = max(1, min(slots, self.size))
        async with self._changed:
            await self._changed.wait_for(lambda: self.free >= slots)
            self.free -= slots
        try:
            yield
        finally:
            async with self._changed:
                self.free += slots
                self._changed.notify_all()


def _data(response: httpx.Response) -> Any:
    body = answer_json(response)
    return body.get("data") if isinstance(body, dict) else None
