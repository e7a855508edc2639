"""The HTTP client every adapter uses: rate limit, send, count, log, classify, retry, raise.

An adapter builds one `HttpClient` per connection with its base URL, its auth headers (or an
``httpx.Auth``), the rate limiters of its credentials and, if its error bodies are unusual, an
``error_text`` function. Then it calls `HttpClient.request` and gets either a successful
response or a `syncd.errors` exception whose message holds the vendor's error text and never a
secret.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, NoReturn, Self

import httpx
from pydantic import Field

from syncd.errors import (
    AdapterError,
    MemberError,
    OutcomeUnknown,
    PayloadError,
    RecordError,
    RecordNotFound,
)
from syncd.http.calls import CallCounter, CallRecord
from syncd.http.classify import UNKNOWN_OUTCOME_STATUSES, Verdict, classify, retry_after
from syncd.http.errortext import default_error_text
from syncd.http.ratelimit import CALL_PRIORITY, RateLimiter
from syncd.http.retry import ClockFn, Retryable, RetryPolicy, SleepFn, retrying
from syncd.logs import get_logger
from syncd.redact import Redactor, default_redactor

# Vendors answer in seconds; a read that takes longer than 30 s is stuck, not slow.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_CONNECT_SECONDS = 10.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_REDIRECTABLE_METHODS = frozenset({"GET", "HEAD"})
ErrorTextFn = Callable[[httpx.Response], str]
ResponseHook = Callable[[httpx.Response], None]

log = get_logger(__name__)


def user_agent() -> str:
    """Return the User-Agent syncd sends: ``syncd/<version>``."""
    try:
        return f"syncd/{version('syncd')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "syncd/0+unknown"


def timeout_of(seconds: float) -> httpx.Timeout:
    """The timeouts of a connection's ``timeout`` setting: ``seconds`` to read, write or wait
    for a pooled connection; connecting waits at most 10 s (a host that does not answer a
    connect in 10 s is down, however slow its answers may be)."""
    return httpx.Timeout(seconds, connect=min(seconds, MAX_CONNECT_SECONDS))


def timeout_setting() -> Any:
    """The ``timeout`` field of a web connection's settings (see `timeout_of`)."""
    return Field(
        default=30.0,
        gt=0,
        le=600,
        description="Seconds to wait for an answer before the call is given up (connecting "
        "waits at most 10 s). A write that times out is not repeated: its record is retried "
        "next run, after the journal has looked for it.",
    )


def answer_json(response: httpx.Response) -> Any:
    """A vendor's answer decoded (None when it has no body).

    Raises:
        PayloadError: a read's answer is not JSON.
        OutcomeUnknown: a write's answer is not JSON (cut short, garbled): the write may well
            have happened, so a create's intent stays pending, to be looked for.
    """
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        request = response.request
        error = PayloadError if request.method in ("GET", "HEAD") else OutcomeUnknown
        raise error(f"{request.method} {request.url.path}: the answer is not JSON") from exc


def make_async_client(
    *,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    auth: httpx.Auth | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
) -> httpx.AsyncClient:
    """Create the ``httpx.AsyncClient`` under an `HttpClient`, with explicit timeouts.

    Args:
        base_url: the vendor's API root; request URLs are relative to it.
        headers: extra headers for every request (the adapter's auth headers).
        auth: an ``httpx.Auth`` instead of, or besides, auth headers.
        transport: a transport for simulators (``httpx.ASGITransport``) or ``httpx.MockTransport``;
            leave None for the network (respx mocks that too).
        timeout: connect 10 s, read/write/pool 30 s unless given.

    Returns:
        A client sending ``User-Agent: syncd/<version>`` and ``Accept: application/json``.
    """
    merged = {"User-Agent": user_agent(), "Accept": "application/json", **(headers or {})}
    return httpx.AsyncClient(
        base_url=base_url,
        headers=merged,
        auth=auth,
        transport=transport,
        timeout=timeout,
        # Redirects are followed per request, for reads only (see `HttpClient`).
        follow_redirects=False,
    )


@dataclass(frozen=True)
class _Call:
    method: str
    url: str
    json: Any
    params: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    idempotent: bool
    expected: frozenset[int]
    priority: int
    cost: int = 1


class HttpClient:
    """One connection's HTTP client, following syncd's one HTTP policy.

    Args:
        base_url: the vendor's API root.
        headers: auth and other headers for every request.
        auth: an ``httpx.Auth``, if the adapter prefers one to headers.
        member: the member (or connection) name carried by the errors raised.
        limiters: the rate limiters of the credentials used (e.g. Trello's key and token).
        response_hooks: called with every response received, e.g. `HeaderHints` feeding a
            limiter from rate-limit headers.
        retry_policy: attempts, deadline and waits; `RetryPolicy()` when None.
        error_text: extracts the vendor's error message from a failed response.
        redactor: the secrets to keep out of messages and logs; `default_redactor()` if None.
        transport: a transport for simulators or tests (see `make_async_client`).
        timeout: the request timeouts.
        sleep: the async sleep between retries; tests inject a recording fake.
        clock: a monotonic clock for the retry deadline and call durations.
        wall_clock: seconds since the epoch, for ``Retry-After`` dates.
    """

    def __init__(
        self,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        member: str | None = None,
        limiters: Sequence[RateLimiter] = (),
        response_hooks: Sequence[ResponseHook] = (),
        retry_policy: RetryPolicy | None = None,
        error_text: ErrorTextFn = default_error_text,
        redactor: Redactor | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: SleepFn = asyncio.sleep,
        clock: ClockFn = time.monotonic,
        wall_clock: ClockFn = time.time,
    ) -> None:
        self.member = member
        self.calls = CallCounter()
        self.limiters = tuple(limiters)
        self.response_hooks = list(response_hooks)
        self._client = make_async_client(
            base_url=base_url, headers=headers, auth=auth, transport=transport, timeout=timeout
        )
        self._policy = retry_policy or RetryPolicy()
        self._error_text = error_text
        self._redactor = redactor or default_redactor()
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        expected: Iterable[int] | None = None,
        priority: int | None = None,
        cost: int = 1,
    ) -> httpx.Response:
        """Send a request under the rate limit, retrying what is worth retrying.

        Args:
            method: the HTTP method.
            url: relative to the base URL (or absolute).
            json: a JSON body.
            params: query parameters.
            headers: headers for this request only.
            idempotent: whether repeating the request is harmless; by default True for GET,
                HEAD, PUT, DELETE, OPTIONS and False for POST and PATCH. Only idempotent
                requests are retried after a network error that may have reached the server.
            expected: error statuses to return instead of raising (e.g. ``{404}`` to test
                existence, ``{412}`` for Asana's expired sync token); 2xx and 304 always return.
            priority: rate-limiter priority; lower goes first (0: live work, 10: backfill).
                By default the run's (``ratelimit.CALL_PRIORITY``, set by the service's queue).
            cost: how many requests the vendor's rate limit counts this one as (Asana counts
                every action of a batch).

        Returns:
            The response: 2xx or 304, or a status in ``expected``.

        Raises:
            RecordNotFound: 404.
            RecordError: another request-level failure (400, 409, 422, ...), or a write whose
                outcome is unknown (timeout or 500/502/504 after a POST/PATCH).
            MemberError: credentials or permissions refused (401, 403), the API is gone (410),
                an unfollowed redirect, or a transient failure outlasted the retries.
            RateLimited: the vendor throttled us longer than the retry policy allows.
        """
        method = method.upper()
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        rank = CALL_PRIORITY.get() if priority is None else priority
        call = _Call(
            method, url, json, params, headers, safe, frozenset(expected or ()), rank, cost
        )
        controller = retrying(
            self._policy, member=self.member, sleep=self._sleep, clock=self._clock
        )
        response: httpx.Response = await controller(self._attempt, call)
        return response

    async def _attempt(self, call: _Call) -> httpx.Response:
        for limiter in self.limiters:
            await limiter.acquire(call.priority, call.cost)
        request = self._client.build_request(
            call.method, call.url, json=call.json, params=call.params, headers=call.headers
        )
        started = self._clock()
        try:
            # Follow redirects for reads only: httpx would turn a redirected POST into a GET.
            # It drops Authorization when a redirect leaves the origin.
            follow = call.method in _REDIRECTABLE_METHODS
            response = await self._client.send(request, follow_redirects=follow)
        except httpx.HTTPError as exc:
            self._record(request, None, exc, started)
            self._raise_for_exception(call, request, exc)
        for hop in response.history:
            self._record(hop.request, hop, None, started)
        self._record(response.request, response, None, started)
        for hook in self.response_hooks:
            hook(response)
        if response.status_code in call.expected:
            return response
        verdict = classify(response, None, idempotent=call.idempotent)
        if verdict is Verdict.OK:
            return response
        raise self._error_for_response(call, response, verdict)

    def _raise_for_exception(
        self, call: _Call, request: httpx.Request, exc: httpx.HTTPError
    ) -> NoReturn:
        verdict = classify(None, exc, idempotent=call.idempotent)
        where = f"{call.method} {self._redactor.redact_url(str(request.url))}"
        reason = self._redactor.redact_text(f"{type(exc).__name__}: {exc}".rstrip(": "))
        if verdict is Verdict.RETRY:
            raise Retryable(f"{where}: {reason}") from exc
        if verdict is Verdict.FAIL_RECORD:
            message = f"{where}: {reason}; the write may or may not have happened"
            raise OutcomeUnknown(message, member=self.member) from exc
        raise MemberError(f"{where}: {reason}", member=self.member) from exc

    def _error_for_response(
        self, call: _Call, response: httpx.Response, verdict: Verdict
    ) -> Exception:
        message = self._describe(call, response)
        if verdict in (Verdict.RETRY, Verdict.RATE_LIMITED):
            delay = retry_after(response, self._wall_clock())
            throttled = verdict is Verdict.RATE_LIMITED
            if throttled and delay is not None:
                for limiter in self.limiters:
                    limiter.note_remaining(0, delay)
            return Retryable(message, rate_limited=throttled, retry_after=delay)
        error_type: type[AdapterError] = MemberError
        if verdict is Verdict.FAIL_RECORD:
            error_type = RecordNotFound if response.status_code == 404 else RecordError
            if not call.idempotent and response.status_code in UNKNOWN_OUTCOME_STATUSES:
                error_type = OutcomeUnknown
        return error_type(message, member=self.member)

    def _describe(self, call: _Call, response: httpx.Response) -> str:
        url = self._redactor.redact_url(str(response.request.url))
        status = f"{response.status_code} {response.reason_phrase}".strip()
        text = self._error_text(response).strip()
        message = f"{call.method} {url} -> {status}" + (f": {text}" if text else "")
        return self._redactor.redact_text(message)

    def _record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        exc: BaseException | None,
        started: float,
    ) -> None:
        record = CallRecord(
            method=request.method,
            url=self._redactor.redact_url(str(request.url)),
            status=response.status_code if response is not None else None,
            error=type(exc).__name__ if exc is not None else None,
            elapsed=self._clock() - started,
        )
        self.calls.record(record)
        log.debug(
            "http.request",
            method=record.method,
            url=record.url,
            status=record.status,
            error=record.error,
            elapsed_ms=round(record.elapsed * 1000, 1),
            headers=self._redactor.redact_headers(request.headers),
        )
