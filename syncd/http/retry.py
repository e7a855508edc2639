"""The one retry policy: a tenacity ``AsyncRetrying`` built per request by `retrying`.

An attempt that may be repeated raises `Retryable` (the client decides that with
`syncd.http.classify.classify`); anything else goes straight through. Between attempts we wait
what the vendor asked (``Retry-After``), or else an exponential backoff with jitter. We stop
after ``attempts`` attempts, or when the next wait would pass the ``deadline``, or at once when
the vendor asks for more than ``max_wait``; giving up raises `syncd.errors.RateLimited` for
throttling and `syncd.errors.MemberError` for outages.

Never stack another retry decorator on top of this: every request goes through it once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NoReturn

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type
from tenacity.stop import stop_base

from syncd.errors import MemberError, RateLimited
from syncd.logs import get_logger

SleepFn = Callable[[float], Awaitable[None]]
ClockFn = Callable[[], float]

log = get_logger(__name__)


class Retryable(Exception):
    """Raised by an attempt whose failure is worth another try.

    Args:
        message: what failed, already free of secrets (it ends up in the final error).
        rate_limited: True when the vendor throttled us, False for a transient failure.
        retry_after: the delay the vendor asked for, in seconds, if it said.
    """

    def __init__(
        self, message: str, *, rate_limited: bool = False, retry_after: float | None = None
    ) -> None:
        self.rate_limited = rate_limited
        self.retry_after = retry_after
        super().__init__(message)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. The defaults suit a background sync, not an interactive call.

    Attributes:
        attempts: the most attempts per request, the first included.
        deadline: seconds from the first attempt past which we no longer wait to retry.
        max_wait: the longest ``Retry-After`` we honour; a longer one raises RateLimited.
        backoff_initial: the first backoff, in seconds, when the vendor gave no delay.
        backoff_max: the longest backoff, in seconds.
        jitter: up to this many random seconds added to each backoff.
    """

    attempts: int = 5
    deadline: float = 300.0
    max_wait: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 1.0


class _Wait:
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, state: RetryCallState) -> float:
        exc = _last_retryable(state)
        if exc is not None and exc.retry_after is not None:
            return min(exc.retry_after, self._policy.max_wait)
        return self._backoff(state.attempt_number)

    def _backoff(self, attempt: int) -> float:
        policy = self._policy
        base = policy.backoff_initial * 2.0 ** (attempt - 1)
        # Jitter spreads the retries of many clients that failed together; not cryptographic.
        jitter = random.uniform(0, policy.jitter)  # noqa: S311
        return min(policy.backoff_max, base + jitter)


class _Stop(stop_base):
    def __init__(self, policy: RetryPolicy, clock: ClockFn) -> None:
        self._policy = policy
        self._clock = clock
        self._start = clock()

    def __call__(self, state: RetryCallState) -> bool:
        exc = _last_retryable(state)
        if exc is not None and (exc.retry_after or 0.0) > self._policy.max_wait:
            return True
        if state.attempt_number >= self._policy.attempts:
            return True
        elapsed = self._clock() - self._start
        return elapsed + state.upcoming_sleep > self._policy.deadline


def _last_retryable(state: RetryCallState) -> Retryable | None:
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None and outcome.failed else None
    return exc if isinstance(exc, Retryable) else None


def retrying(
    policy: RetryPolicy | None = None,
    *,
    member: str | None = None,
    sleep: SleepFn = asyncio.sleep,
    clock: ClockFn = time.monotonic,
) -> AsyncRetrying:
    """Build the retry controller for one request (the deadline starts now).

    Use as ``await retrying(...)(attempt_fn, *args)``; ``attempt_fn`` raises `Retryable` for
    failures worth another try.

    Args:
        policy: attempts, deadline and waits; `RetryPolicy()` when None.
        member: the member name put on the errors raised when giving up.
        sleep: the async sleep to wait with; tests pass a fake that records the delays.
        clock: a monotonic clock in seconds, for the deadline; tests pass a fake.

    Returns:
        A fresh ``AsyncRetrying``.

    Raises:
        RateLimited: (when awaited) throttled past ``max_wait``, attempts or the deadline.
        MemberError: (when awaited) a transient failure outlasted the attempts or deadline.
    """
    policy = policy or RetryPolicy()
    return AsyncRetrying(
        sleep=sleep,
        stop=_Stop(policy, clock),
        wait=_Wait(policy),
        retry=retry_if_exception_type(Retryable),
        before_sleep=_log_retry,
        retry_error_callback=_GiveUp(member),
    )


def _log_retry(state: RetryCallState) -> None:
    exc = _last_retryable(state)
    log.info(
        "http.retry",
        attempt=state.attempt_number,
        wait=round(state.upcoming_sleep, 3),
        reason=str(exc) if exc is not None else None,
    )


class _GiveUp:
    def __init__(self, member: str | None) -> None:
        self._member = member

    def __call__(self, state: RetryCallState) -> NoReturn:
        exc = _last_retryable(state)
        if exc is None:  # pragma: no cover - only Retryable is retried
            raise RuntimeError("retry stopped without a retryable error")
        attempts = state.attempt_number
        if exc.rate_limited:
            wait = exc.retry_after or 0.0
            message = f"{exc} (rate limited; asked to wait {wait:g}s, after {attempts} attempts)"
            raise RateLimited(message, member=self._member, retry_after=wait) from exc
        message = f"{exc} (gave up after {attempts} attempts)"
        raise MemberError(message, member=self._member) from exc
