"""Injected faults and latency, and Jira Cloud's rate limiting (off unless configured).

Rate limits answer 429 with ``Retry-After`` (seconds), ``X-RateLimit-Limit``,
``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` (``yyyy-MM-ddTHH:mmZ``) and ``RateLimit-Reason``
(``jira-burst-based``, or ``jira-per-issue-on-write`` for too many writes to one issue), as
https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ describes.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.jira.simulator.errors import JiraError

RATE_LIMITED = "Rate limit exceeded."
NEAR_LIMIT_SHARE = 0.2


@dataclass
class RateLimit:
    """A budget of ``requests`` per ``window`` seconds per credential, and optionally of
    ``issue_writes`` per ``issue_window`` seconds per issue (Jira Cloud's per-issue write limit:
    https://developer.atlassian.com/cloud/jira/platform/rate-limiting/#per-issue-write-rate-limits)."""

    requests: int = 100
    window: float = 1.0
    issue_writes: int | None = None
    issue_window: float = 2.0


class RateLimiter:
    """Fixed windows on the simulator's clock."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._used: Counter[tuple[str, int]] = Counter()

    def reset(self) -> None:
        self._used.clear()

    def charge(self, credential: str, now: datetime) -> dict[str, str]:
        """Count one request; the headers to send with its answer.

        Raises:
            JiraError: 429 when the budget of this window is spent.
        """
        limit = self.limit
        return self._charge(
            f"cred:{credential}", limit.requests, limit.window, now, "jira-burst-based"
        )

    def charge_issue_write(self, issue_id: int, now: datetime) -> None:
        """Count one write to an issue.

        Raises:
            JiraError: 429 with ``RateLimit-Reason: jira-per-issue-on-write``.
        """
        limit = self.limit
        if limit.issue_writes is not None:
            key = f"issue:{issue_id}"
            self._charge(
                key, limit.issue_writes, limit.issue_window, now, "jira-per-issue-on-write"
            )

    def _charge(
        self, key: str, budget: int, window: float, now: datetime, reason: str
    ) -> dict[str, str]:
        slot = math.floor(now.timestamp() / window)
        used = self._used[(key, slot)]
        if used >= budget:
            raise _limited(budget, window, slot, now, reason)
        self._used[(key, slot)] = used + 1
        remaining = budget - used - 1
        headers = {"X-RateLimit-Limit": str(budget), "X-RateLimit-Remaining": str(remaining)}
        if remaining < budget * NEAR_LIMIT_SHARE:
            headers["X-RateLimit-NearLimit"] = "true"
        return headers


def _limited(budget: int, window: float, slot: int, now: datetime, reason: str) -> JiraError:
    reset = datetime.fromtimestamp((slot + 1) * window, tz=now.tzinfo)
    wait = max(1, math.ceil((reset - now) / timedelta(seconds=1)))
    headers = {
        "Retry-After": str(wait),
        "X-RateLimit-Limit": str(budget),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": (now + timedelta(seconds=wait)).strftime("%Y-%m-%dT%H:%MZ"),
        "RateLimit-Reason": reason,
    }
    return JiraError(429, RATE_LIMITED, headers=headers)
