"""Injected faults and latency, and Asana's rate limits (off unless configured).

Asana limits each token to a number of requests per minute (150 free, 1500 paid) and to a
number of requests in flight (50 reads, 15 writes); either answers 429 with ``Retry-After``
(seconds). https://developers.asana.com/docs/rate-limits
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.asana.simulator.errors import AsanaError

RATE_LIMITED = (
    "You've made too many requests and hit a rate limit. Please retry after the given amount "
    "of time."
)
CONCURRENCY_LIMITED = "You have too many concurrent requests. Please retry after one second."


@dataclass
class Fault:
    """Answer requests matching ``method`` and ``path`` (a regex searched in the URL path) with
    ``status`` (None: only wait ``delay`` seconds, then serve normally), ``times`` times
    (None: until removed)."""

    path: str = ".*"
    method: str | None = None
    status: int | None = 500
    times: int | None = 1
    delay: float = 0.0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    id: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    def response_body(self) -> Any:
        if self.body is not None:
            return self.body
        return AsanaError(self.status or 500, f"Injected fault: HTTP {self.status}.").body()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "times": self.times,
            "delay": self.delay,
            "body": self.body,
            "headers": self.headers,
        }


class FaultSet:
    """The faults in force; the first match is used and counts down."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, fault: Fault) -> Fault:
        fault.id = next(self._ids)
        self._faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) < before

    def clear(self) -> None:
        self._faults.clear()

    def all(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The matching fault, used once."""
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None


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

    def charge(self, token: str, now: datetime) -> None:
        """Count one request in this window.

        Raises:
            AsanaError: 429 with ``Retry-After`` when the window's budget is spent.
        """
        budget, window = self.limit.per_minute, self.limit.window
        if budget is None:
            return
        slot = math.floor(now.timestamp() / window)
        if self._used[(token, slot)] >= budget:
            wait = max(1, math.ceil((slot + 1) * window - now.timestamp()))
            raise AsanaError(429, RATE_LIMITED, headers={"Retry-After": str(wait)})
        self._used[(token, slot)] += 1

    def enter(self, token: str, write: bool) -> None:
        """Count one request in flight (`leave` when it is answered).

        Raises:
            AsanaError: 429 with ``Retry-After: 1`` when too many are in flight.
        """
        cap = self.limit.writes if write else self.limit.reads
        if cap is not None and self._in_flight[(token, write)] >= cap:
            raise AsanaError(429, CONCURRENCY_LIMITED, headers={"Retry-After": "1"})
        self._in_flight[(token, write)] += 1

    def leave(self, token: str, write: bool) -> None:
        self._in_flight[(token, write)] -= 1
