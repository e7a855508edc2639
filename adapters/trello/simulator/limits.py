"""Trello's rate limits, on by default: 300 requests per 10 seconds per API key and 100 per
10 seconds per token. Every answer says what is left in ``x-rate-limit-api-{token,key}-*``
headers; over a limit the answer is 429 with a JSON body naming it and no ``Retry-After``.
https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from adapters.trello.simulator.errors import TrelloError

MESSAGE = "Rate limit exceeded"


@dataclass(frozen=True)
class RateLimit:
    """``key_requests`` per API key and ``token_requests`` per token, per ``window`` seconds."""

    key_requests: int = 300
    token_requests: int = 100
    window: float = 10.0


TRELLO_LIMITS = RateLimit()


class RateLimiter:
    """Fixed windows on the simulator's clock."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._used: Counter[tuple[str, str, int]] = Counter()

    def reset(self) -> None:
        self._used.clear()

    def charge(self, key: str, token: str, now: datetime) -> dict[str, str]:
        """Count one request of ``token`` under ``key``; the headers to answer with.

        Raises:
            TrelloError: 429 ``API_KEY_LIMIT_EXCEEDED`` or ``API_TOKEN_LIMIT_EXCEEDED``.
        """
        slot = math.floor(now.timestamp() / self.limit.window)
        used_key, used_token = self._used[("key", key, slot)], self._used[("token", token, slot)]
        over = None
        if used_key >= self.limit.key_requests:
            over = "API_KEY_LIMIT_EXCEEDED"
        elif used_token >= self.limit.token_requests:
            over = "API_TOKEN_LIMIT_EXCEEDED"
        else:
            self._used[("key", key, slot)] = used_key = used_key + 1
            self._used[("token", token, slot)] = used_token = used_token + 1
        headers = self._headers(used_key, used_token)
        if over is not None:
            raise TrelloError(429, {"error": over, "message": MESSAGE}, headers=headers)
        return headers

    def _headers(self, used_key: int, used_token: int) -> dict[str, str]:
        interval = str(round(self.limit.window * 1000))
        limits = {"token": (self.limit.token_requests, used_token)}
        limits["key"] = (self.limit.key_requests, used_key)
        headers: dict[str, str] = {}
        for name, (budget, used) in limits.items():
            headers[f"x-rate-limit-api-{name}-interval-ms"] = interval
            headers[f"x-rate-limit-api-{name}-max"] = str(budget)
            headers[f"x-rate-limit-api-{name}-remaining"] = str(max(0, budget - used))
        return headers
