"""What a response (or a transport error) means: the one place that decides.

`classify` is pure: it looks at a status, a few headers and the error type, never at the clock
or the network, and returns a `Verdict`. `retry_after` reads how long the vendor asked us to
wait. The client, the retry policy and the error messages all follow from these two.

Vendor behaviours handled here:

- Jira Cloud answers 429 with ``Retry-After`` (seconds) and ``X-RateLimit-Reset`` (an ISO 8601
  instant, ``yyyy-MM-ddTHH:mmZ``); some 503s carry ``Retry-After`` too and are to be treated
  like rate limits. https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
- Asana answers 429 with ``Retry-After`` (seconds).
  https://developers.asana.com/docs/rate-limits
- Trello answers 429 *without* ``Retry-After``; the JSON body names the limit,
  ``{"error": "API_TOKEN_LIMIT_EXCEEDED"}`` (100 requests / 10 s per token) or
  ``API_KEY_LIMIT_EXCEEDED`` (300 / 10 s per key), and after 200 such errors every request of
  the key is refused for the rest of the 10 s window.
  https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/
"""

from __future__ import annotations

import enum
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

# Trello's rate-limit window: with no Retry-After, waiting one window is always enough.
TRELLO_WINDOW_SECONDS = 10.0
TRELLO_LIMIT_NAMES = ("API_TOKEN_LIMIT_EXCEEDED", "API_KEY_LIMIT_EXCEEDED")
# Epoch seconds are above this; smaller numbers in a reset header are a delay in seconds.
_EPOCH_THRESHOLD = 1_000_000_000


class Verdict(enum.Enum):
    """What to do with the outcome of one HTTP attempt."""

    OK = "ok"
    """The call succeeded; use the response."""
    RETRY = "retry"
    """A transient failure: try again after a backoff."""
    RATE_LIMITED = "rate_limited"
    """The vendor throttled us: wait as long as it says, then try again."""
    FAIL_RECORD = "fail_record"
    """This request failed (bad input, missing record); other records go on."""
    FAIL_MEMBER = "fail_member"
    """The member is unusable (credentials, permission, API gone); stop using it this run."""


# A request that never left: retrying it cannot repeat a write.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Our own bugs or configuration: retrying cannot help.
_NEVER_RETRY = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)
# The request may have reached the server: only safe to repeat when idempotent.
_MAYBE_SENT = (httpx.TransportError,)
# Gateway statuses after which the origin may still have done the work.
UNKNOWN_OUTCOME_STATUSES = frozenset({500, 502, 504})
_MEMBER_STATUSES = frozenset({401, 403, 407, 410})


def classify(
    response: httpx.Response | None, exc: BaseException | None, *, idempotent: bool
) -> Verdict:
    """Decide what one attempt's outcome means.

    Args:
        response: the response, when one was received.
        exc: the exception raised instead of a response, if any.
        idempotent: whether repeating the request is harmless (GET, PUT, DELETE, ...).

    Returns:
        The verdict. 2xx and 304 are OK; a redirect left unfollowed (writes never follow
        one) is FAIL_MEMBER. Network errors are retried only for idempotent requests, except a
        connection that was never made (refused, connect timeout), which is always retried.
        A non-idempotent request whose outcome is unknown (read timeout, 500, 502, 504) is
        FAIL_RECORD: the write may have happened, and the journal adopts it on the next run.
    """
    if response is not None:
        return _classify_status(response, idempotent=idempotent)
    if exc is None:
        raise ValueError("classify needs a response or an exception")
    return _classify_exception(exc, idempotent=idempotent)


def _classify_exception(exc: BaseException, *, idempotent: bool) -> Verdict:
    if isinstance(exc, _NOT_SENT):
        return Verdict.RETRY
    if isinstance(exc, _NEVER_RETRY):
        return Verdict.FAIL_MEMBER
    if isinstance(exc, _MAYBE_SENT):
        return Verdict.RETRY if idempotent else Verdict.FAIL_RECORD
    # TooManyRedirects, DecodingError, and anything that is not httpx's: not transient.
    return Verdict.FAIL_MEMBER


def _classify_status(response: httpx.Response, *, idempotent: bool) -> Verdict:
    status = response.status_code
    if status < 300 or status == 304:
        return Verdict.OK
    if status < 400:
        # A redirect the client did not follow (writes never follow one): the base URL or
        # the site moved, which no retry will fix.
        return Verdict.FAIL_MEMBER
    # Trello's 429 body names the limit it hit:
    # https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/
    if status == 429 or is_trello_rate_limit(response):
        return Verdict.RATE_LIMITED
    if status == 503:
        # Jira: "a 503 response may be returned when a resource limit has been reached",
        # with Retry-After; without it, a plain outage.
        # https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
        return Verdict.RATE_LIMITED if "retry-after" in response.headers else Verdict.RETRY
    if status in UNKNOWN_OUTCOME_STATUSES:
        return Verdict.RETRY if idempotent else Verdict.FAIL_RECORD
    if status == 408:
        return Verdict.RETRY
    if status in _MEMBER_STATUSES or status >= 500:
        return Verdict.FAIL_MEMBER
    return Verdict.FAIL_RECORD


def is_trello_rate_limit(response: httpx.Response) -> bool:
    """Tell whether a response is Trello's rate-limit refusal (its body names the limit).

    Args:
        response: a received response whose body has been read.

    Returns:
        True when the status is 4xx and the body names API_TOKEN_LIMIT_EXCEEDED or
        API_KEY_LIMIT_EXCEEDED.
    """
    if not 400 <= response.status_code < 500:
        return False
    body = _body_text(response)
    return any(name in body for name in TRELLO_LIMIT_NAMES)


def _body_text(response: httpx.Response) -> str:
    try:
        return response.text
    except httpx.ResponseNotRead:
        return ""


def retry_after(response: httpx.Response, now: float) -> float | None:
    """Read how many seconds the vendor asked us to wait, from headers or Trello's body.

    Looked at in order: ``Retry-After`` (seconds or an HTTP date), ``RateLimit-Reset``
    (seconds, IETF draft), ``X-RateLimit-Reset`` (Jira's ISO 8601 instant, or epoch seconds, or
    seconds), and for Trello's 429 (no header) one 10-second window.

    Args:
        response: the throttling response.
        now: the current time, as seconds since the epoch (``time.time()``).

    Returns:
        The delay in seconds (never negative), or None when the response does not say.
    """
    headers = response.headers
    for name in ("retry-after", "ratelimit-reset", "x-ratelimit-reset"):
        value = headers.get(name)
        delay = _parse_delay(value, now) if value is not None else None
        if delay is not None:
            return delay
    # Trello sends no Retry-After: wait out its 10 s window.
    # https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/
    if is_trello_rate_limit(response):
        return TRELLO_WINDOW_SECONDS
    return None


def _parse_delay(value: str, now: float) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        instant = _parse_instant(value)
        return None if instant is None else max(0.0, instant - now)
    if not math.isfinite(number):
        return None
    if number >= _EPOCH_THRESHOLD:
        return max(0.0, number - now)
    return max(0.0, number)


def _parse_instant(value: str) -> float | None:
    # Retry-After dates are RFC 9110 HTTP dates; Jira's X-RateLimit-Reset is ISO 8601
    # ("yyyy-MM-ddTHH:mmZ"), https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
