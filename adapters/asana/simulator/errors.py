"""Asana's error answers: ``{"errors": [{"message": ..., "help": ...}]}`` and a status.

https://developers.asana.com/docs/errors
"""

from __future__ import annotations

from typing import Any

HELP = (
    "For more information on API status codes and how to handle them, read the docs on errors: "
    "https://developers.asana.com/docs/errors"
)
# A 500 carries a phrase support can look the incident up by (node-asana-phrase).
SERVER_ERROR_PHRASE = "6 sad squid snuggle softly"


class AsanaError(Exception):
    """An error answer; raised anywhere in a handler, turned into the response by the app.

    ``extra`` adds top-level keys to the body (the Events API's fresh ``sync`` token on 412).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The JSON body Asana sends."""
        error: dict[str, str] = {"message": self.message, "help": HELP}
        if self.status >= 500:
            error["phrase"] = SERVER_ERROR_PHRASE
        return {"errors": [error], **self.extra}


def bad_request(message: str) -> AsanaError:
    return AsanaError(400, message)


def not_found(kind: str, gid: str) -> AsanaError:
    """The 404 of an object named in the path that does not exist (or is in the trash)."""
    return AsanaError(404, f"{kind}: Unknown object: {gid}")


def unknown_reference(field: str, gid: Any) -> AsanaError:
    """The 400 of an object named in the body that does not exist."""
    return AsanaError(400, f"{field}: Not a recognized ID: {gid}")


def payment_required(feature: str) -> AsanaError:
    """A premium feature used in a free workspace: 402 for reads and writes alike since 2018.
    https://forum.asana.com/t/premium-only-api-error-changes/17088"""
    return AsanaError(402, f"{feature} are not available for free users or guests.")
