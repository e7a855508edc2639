"""Client-side rate limiting per credential, with priorities and server hints.

Vendors count requests per credential, not per group: Trello allows 100 requests per 10 s per
token and 300 per 10 s per key, Asana 1,500 per minute per token. Every group that uses one
credential must therefore share one budget: `limiter_for` returns the same `RateLimiter` for the
same key, and the key is a hash of the credential (`credential_key`), never the credential.

`RateLimiter` is a sliding window: never more than ``rate`` grants in any ``per`` seconds (what
Trello enforces; a token bucket would allow a burst on top of the refill). ``burst`` spreads them
out: at most ``burst`` grants in any ``per * burst / rate`` seconds. Waiting callers are served
by priority (lower first: live webhook work before backfill), then in arrival order.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

SleepFn = Callable[[float], Awaitable[None]]
ClockFn = Callable[[], float]


@dataclass(order=True)
class _Ticket:
    priority: int
    seq: int
    cost: int = field(default=1, compare=False)
    wakeup: asyncio.Future[None] | None = field(default=None, compare=False)


class RateLimiter:
    """An async sliding-window limiter with priorities.

    Args:
        rate: the most grants in any window of ``per`` seconds (whole requests; at least 1).
        per: the window, in seconds.
        burst: the most grants in a row before spacing them out; ``rate`` when None.
        clock: a monotonic clock in seconds; tests pass a fake.
        sleep: the async sleep to wait with; tests pass one that advances the fake clock.

    Raises:
        ValueError: rate below 1, or a non-positive window or burst.
    """

    def __init__(
        self,
        rate: float,
        per: float,
        burst: int | None = None,
        *,
        clock: ClockFn = time.monotonic,
        sleep: SleepFn = asyncio.sleep,
        name: str = "",
    ) -> None:
        self.name = name  # the credential key: a hash, never the credential
        self._full = (math.floor(rate), burst)  # the budget before any share (see share())
        self.limit = math.floor(rate)
        self.burst = self.limit if burst is None else min(burst, self.limit)
        if self.limit < 1 or per <= 0 or self.burst < 1:
            raise ValueError(f"invalid rate limit: {rate} per {per}s, burst {burst}")
        self.per = per
        self._burst_window = per * self.burst / self.limit
        self._clock = clock
        self._sleep = sleep
        self._grants: deque[float] = deque(maxlen=self.limit)
        self._queue: list[_Ticket] = []
        self._seq = itertools.count()
        self._hint_remaining = 0
        self._hint_until = -math.inf

    async def acquire(self, priority: int = 0, cost: int = 1) -> None:
        """Wait until a request may be sent, then count it.

        Args:
            priority: lower goes first among waiting callers (0: live work; 10: backfill).
            cost: how many requests the vendor counts it as (Asana counts each action of a
                batch); at most the burst.
        """
        cost = max(1, min(cost, self.burst))
        ticket = _Ticket(priority, next(self._seq), cost)
        heapq.heappush(self._queue, ticket)
        started = self._clock()
        try:
            while True:
                if self._queue[0] is not ticket:
                    await self._park(ticket)
                    continue
                delay = self.delay(ticket.cost)
                if delay <= 0:
                    self._grant(ticket)
                    self._report_wait(self._clock() - started)
                    return
                await self._sleep(delay)
        except BaseException:
            self._withdraw(ticket)
            raise

    def share(self, workers: int) -> None:
        """Take ``1/workers`` of the budget: several processes spend one credential's budget.

        Args:
            workers: the processes sharing the credential now (at least 1).
        """
        full, burst = self._full
        limit = max(1, full // max(workers, 1))
        if limit == self.limit:
            return
        self.limit = limit
        self.burst = limit if burst is None else max(1, min(burst, limit))
        self._burst_window = self.per * self.burst / self.limit
        self._grants = deque(self._grants, maxlen=self.limit)
        self._wake_head()

    def _report_wait(self, seconds: float) -> None:
        if seconds > 0:
            for observer in WAIT_OBSERVERS:
                observer(self.name, seconds)

    @property
    def waiting(self) -> int:
        """The number of callers waiting in `acquire`."""
        return len(self._queue)

    def delay(self, cost: int = 1) -> float:
        """Return how long the next request (counting ``cost``) would wait now (0: it may go)."""
        now = self._clock()
        cost = max(1, min(cost, self.burst))
        waits = [self._window_delay(self.limit - cost + 1, self.per, now)]
        waits.append(self._window_delay(self.burst - cost + 1, self._burst_window, now))
        if now < self._hint_until and self._hint_remaining < cost:
            waits.append(self._hint_until - now)
        return max(waits)

    def note_remaining(self, remaining: int, reset_in: float) -> None:
        """Adapt to what the server says is left of our budget.

        Feed it from headers such as Trello's ``x-rate-limit-api-token-remaining`` (with the
        ``...-interval-ms`` window), Jira's ``X-RateLimit-Remaining``, or after a 429 with
        ``remaining=0`` and the delay the vendor asked for.

        Args:
            remaining: requests the server will still accept before ``reset_in`` elapses.
            reset_in: seconds until the server's budget is refilled.
        """
        self._hint_remaining = max(0, remaining)
        self._hint_until = self._clock() + max(0.0, reset_in)
        self._wake_head()

    def _window_delay(self, count: int, window: float, now: float) -> float:
        if len(self._grants) < count:
            return 0.0
        return self._grants[-count] + window - now

    def _grant(self, ticket: _Ticket) -> None:
        heapq.heappop(self._queue)
        now = self._clock()
        self._grants.extend([now] * ticket.cost)
        if now < self._hint_until:
            self._hint_remaining -= ticket.cost
        self._wake_head()

    async def _park(self, ticket: _Ticket) -> None:
        ticket.wakeup = asyncio.get_running_loop().create_future()
        try:
            await ticket.wakeup
        finally:
            ticket.wakeup = None

    def _withdraw(self, ticket: _Ticket) -> None:
        if ticket in self._queue:
            self._queue.remove(ticket)
            heapq.heapify(self._queue)
        self._wake_head()

    def _wake_head(self) -> None:
        if self._queue:
            wakeup = self._queue[0].wakeup
            if wakeup is not None and not wakeup.done():
                wakeup.set_result(None)


@dataclass(frozen=True)
class HeaderHints:
    """A response hook that feeds a limiter from a vendor's remaining-budget headers.

    Trello sends ``x-rate-limit-api-token-remaining`` and ``...-interval-ms`` (and the same for
    ``api-key``) on every response; Jira sends ``X-RateLimit-Remaining``.
    https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/

    Attributes:
        limiter: the credential's limiter to inform.
        remaining: the header holding the requests left.
        reset: the header holding the time until the budget refills (or the window), if any.
        reset_scale: multiplies the reset header into seconds (0.001 for milliseconds).
        default_reset: seconds assumed when the reset header is absent or unreadable.
    """

    limiter: RateLimiter
    remaining: str
    reset: str | None = None
    reset_scale: float = 1.0
    default_reset: float = 10.0

    def __call__(self, response: httpx.Response) -> None:
        """Pass the response's hint, if it carries a readable one, to the limiter."""
        try:
            remaining = int(response.headers[self.remaining])
        except (KeyError, ValueError):
            return
        self.limiter.note_remaining(remaining, self._reset_in(response))

    def _reset_in(self, response: httpx.Response) -> float:
        raw = response.headers.get(self.reset) if self.reset else None
        try:
            return float(raw) * self.reset_scale if raw is not None else self.default_reset
        except ValueError:
            return self.default_reset


def credential_key(*parts: str) -> str:
    """Hash a credential (or several parts of one) into a registry key.

    Args:
        parts: the secret values identifying the budget, e.g. a Trello token.

    Returns:
        A short hex digest that names the credential without revealing it.
    """
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8"))
    return digest.hexdigest()[:16]


CALL_PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar("call_priority", default=0)
"""The limiter priority of the current run's requests: the service's queue sets 10 for polls
and full reads, so a run triggered by a live edit (0) goes first on a shared credential."""
LIVE_PRIORITY, BACKFILL_PRIORITY = 0, 10

WAIT_OBSERVERS: list[Callable[[str, float], None]] = []
"""Called with (credential key, seconds) each time a request waited for its budget (metrics)."""


class LimiterRegistry:
    """Limiters by credential key, so that everything using one credential shares a budget."""

    def __init__(self) -> None:
        self._limiters: dict[str, RateLimiter] = {}
        self.workers = 1

    def share(self, workers: int) -> None:
        """Give every limiter ``1/workers`` of its credential's budget (see `RateLimiter.share`);
        limiters made later get the same share."""
        self.workers = max(workers, 1)
        for limiter in self._limiters.values():
            limiter.share(self.workers)

    def get(self, key: str, rate: float, per: float, burst: int | None = None) -> RateLimiter:
        """Return the limiter for this key, creating it with these limits the first time.

        Args:
            key: a `credential_key`, never the credential itself.
            rate: requests allowed per window (used only when creating).
            per: the window in seconds (used only when creating).
            burst: see `RateLimiter` (used only when creating).

        Returns:
            The one limiter for ``key``.
        """
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter(rate, per, burst, name=key)
            limiter.share(self.workers)
        return limiter


_registry = LimiterRegistry()


def share_budgets(workers: int) -> None:
    """Several workers run on this machine's credentials: each process takes its share."""
    _registry.share(workers)


def limiter_for(key: str, rate: float, per: float, burst: int | None = None) -> RateLimiter:
    """Return the process-wide limiter for a credential key (see `LimiterRegistry.get`).

    Args:
        key: a `credential_key`, never the credential itself.
        rate: requests allowed per window, when the limiter is created.
        per: the window in seconds, when the limiter is created.
        burst: see `RateLimiter`, when the limiter is created.

    Returns:
        The one limiter for ``key`` in this process.
    """
    return _registry.get(key, rate, per, burst)
