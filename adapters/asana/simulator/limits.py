"""Injected faults and latency, and Asana's rate limits (off unless configured).

Asana limits each token to a number of requests per minute (150 free, 1500 paid) and to a
number of requests in flight (50 reads, 15 writes); either answers 429 with ``Retry-After``
(seconds). https://developers.asana.com/docs/rate-limits
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from adapters.asana.simulator.errors import AsanaError

RATE_LIMITED = (
    "You've made too many requests and hit a rate limit. Please retry after the given amount "
    "of time."
)
CONCURRENCY_LIMITED = "You have too many concurrent requests. Please retry after one second."


@dataclass
class RateLimit:
    """``per_minute`` requests per token per minute-long window (None: no such limit), and at
    most ``reads``/``writes`` requests of a token in flight at once (None: unlimited)."""

    per_minute: int | None = 1500
    reads: int | None = 50
    writes: int | None = 15
    window: float = 60.0


class RateLimiter:
    """Fixed windows on the simulator's clock, and in-flight counters."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._used: Counter[tuple[str, int]] = Counter()
        self._in_flight: Counter[tuple[str, bool]] = Counter()

    def reset(self) -> None:
        self._used.clear()

    def charge(self, token: str, now: datetime, weight: int = 1) -> None:
        """Count one request (``weight``: the actions of a batch, each counted) in this window.

        Raises:
            AsanaError: 429 with ``Retry-After`` when the window's budget is spent.
        """
        budget, window = self.limit.per_minute, self.limit.window
        if budget is None:
            return
        slot = math.floor(now.timestamp() / window)
        if self._used[(token, slot)] + weight > budget:
            wait = max(1, math.ceil((slot + 1) * window - now.timestamp()))
            raise AsanaError(429, RATE_LIMITED, headers={"Retry-After": str(wait)})
        self._used[(token, slot)] += weight

    def enter(self, token: str, write: bool, weight: int = 1) -> None:
        """Count one request (``weight`` for a batch) in flight (`leave` when it is answered).

        Raises:
            AsanaError: 429 with ``Retry-After: 1`` when too many are in flight.
        """
        cap = self.limit.writes if write else self.limit.reads
        if cap is not None and self._in_flight[(token, write)] + weight > cap:
            raise AsanaError(429, CONCURRENCY_LIMITED, headers={"Retry-After": "1"})
        self._in_flight[(token, write)] += weight

    def leave(self, token: str, write: bool, weight: int = 1) -> None:
        self._in_flight[(token, write)] -= weight
