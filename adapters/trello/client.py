"""Trello's REST calls, and nothing else.

Trello limits each API key to 300 requests per 10 s and each token to 100 per 10 s; a 429's
body names the limit hit (``API_TOKEN_LIMIT_EXCEEDED``) and carries no ``Retry-After``. syncd
paces itself under both budgets (one limiter per credential, fed by the
``x-rate-limit-api-{token,key}-remaining`` headers), so in normal running no 429 comes.
https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from adapters.trello.config import TrelloConnection
from syncd.errors import MemberError
from syncd.http import (
    HeaderHints,
    HttpClient,
    RetryPolicy,
    credential_key,
    default_error_text,
    limiter_for,
)
from syncd.http.client import answer_json, timeout_of
from syncd.http.retry import SleepFn
from syncd.redact import default_redactor

BATCH_LIMIT = 10  # URLs per GET /1/batch
# Trello's window; syncd's default pace (TrelloConnection) is 90% of its budgets, so that a
# person's browser on the same token still fits.
WINDOW = 10.0


class TrelloClient:
    """The Trello REST API of one key and token."""

    def __init__(
        self,
        connection: TrelloConnection,
        member: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
    ) -> None:
        key, token = connection.key.get_secret_value(), connection.token.get_secret_value()
        redactor = default_redactor()
        redactor.add(key)
        redactor.add(token)  # also masks it in /tokens/{token}/... paths (see token_webhooks)
        self._token = token
        self._redactor = redactor
        key_limiter = limiter_for(credential_key("trello-key", key), connection.key_pace, WINDOW)
        token_limiter = limiter_for(
            credential_key("trello-token", token), connection.token_pace, WINDOW
        )
        hints = [
            HeaderHints(
                token_limiter,
                "x-rate-limit-api-token-remaining",
                "x-rate-limit-api-token-interval-ms",
                0.001,
            ),
            HeaderHints(
                key_limiter,
                "x-rate-limit-api-key-remaining",
                "x-rate-limit-api-key-interval-ms",
                0.001,
            ),
        ]
        header = f'OAuth oauth_consumer_key="{key}", oauth_token="{token}"'
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.http = HttpClient(
            base_url=connection.base_url,
            headers={"Authorization": header},
            member=member,
            limiters=[key_limiter, token_limiter],
            response_hooks=hints,
            retry_policy=retry_policy,
            transport=transport,
            timeout=timeout_of(connection.timeout),
            **extra,
        )

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a resource (a JSON object or list)."""
        return answer_json(await self.http.request("GET", path, params=params))

    async def send(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """A write with a JSON body; the answer (the card, label ...), or None."""
        missing_ok = {404} if method == "DELETE" else ()
        response = await self.http.request(method, path, json=body, expected=missing_ok)
        return None if response.status_code == 404 else answer_json(response)

    async def token_webhooks(self) -> Any:
        """``GET /tokens/{token}/webhooks``: every webhook made with this token, on any model.

        Trello's path is the token itself (the one place syncd puts it in a URL); the token is
        registered with the redactor above, so logs, call records and error messages show the
        path as ``/tokens/***/webhooks``.
        https://developer.atlassian.com/cloud/trello/rest/api-group-tokens/
        """
        return await self.get(f"/tokens/{quote(self._token, safe='')}/webhooks")

    async def create_webhook(self, body: Mapping[str, Any]) -> tuple[int, Any]:
        """``POST /webhooks/``: ``(200, the webhook)``, or ``(400, Trello's text)``.

        Trello first sends ``HEAD callbackURL`` and refuses the webhook (400) unless it answers
        200; it also answers 400 to a duplicate (same callback, model and token). The caller
        tells them apart by the text, so a 400 is returned, not raised.
        https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/
        """
        response = await self.http.request("POST", "/webhooks/", json=body, expected={400})
        if response.status_code == 400:
            return 400, self._redactor.redact_text(default_error_text(response))
        return response.status_code, answer_json(response)

    async def batch(self, urls: Sequence[str]) -> list[tuple[int, Any]]:
        """Up to 10 GETs in one call: ``(status, body)`` per URL, in order.

        Trello answers ``[{"200": {...}}, {"404": "..."}]``; commas inside a URL must be
        escaped, since the list itself is comma-separated.
        https://developer.atlassian.com/cloud/trello/rest/api-group-batch/
        """
        joined = ",".join(url.replace(",", quote(",")) for url in urls)
        answer = await self.get("/batch", {"urls": joined})
        if not isinstance(answer, list) or len(answer) != len(urls):
            raise MemberError("batch: the answer does not match the URLs sent")
        out = []
        for item in answer:
            status, body = (
                next(iter(item.items())) if isinstance(item, dict) and item else ("0", None)
            )
            out.append((int(status) if str(status).isdigit() else 0, body))
        return out
