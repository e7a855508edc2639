"""Trello's error answers: mostly plain text (``invalid id``, ``invalid value for due``), JSON
for a few (rate limits), and a status.

Trello documents no error catalogue; the texts are those its API sends (see the rate-limit
guide for the JSON ones: https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/).
"""

from __future__ import annotations

from typing import Any

INVALID_ID = "invalid id"
NOT_FOUND = "The requested resource was not found."
CARD_NOT_FOUND = "card not found"
INVALID_KEY = "invalid key"
INVALID_TOKEN = "invalid token"  # noqa: S105 - an error message, not a credential
UNAUTHORIZED = "unauthorized permission requested"
# The 401 of /tokens/{token}/webhooks when Trello refuses the path's token (here: any token but
# the caller's), as reported in https://github.com/trello-archive/api-docs/issues/156
UNAUTHORIZED_TOKEN = "unauthorized token"  # noqa: S105 - an error message, not a credential
INVALID_JSON = "Invalid JSON"


class TrelloError(Exception):
    """An error answer; raised anywhere in a handler, turned into the response by the app.

    ``body`` is a string (sent as ``text/plain``) or JSON-ready data.
    """

    def __init__(self, status: int, body: Any, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def invalid_value(name: str) -> TrelloError:
    """The 400 of a parameter Trello refuses (``invalid value for idList``)."""
    return TrelloError(400, f"invalid value for {name}")


def not_found(message: str = NOT_FOUND) -> TrelloError:
    return TrelloError(404, message)


def unauthorized(message: str = UNAUTHORIZED) -> TrelloError:
    return TrelloError(401, message)
