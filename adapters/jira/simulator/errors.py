"""Jira's error answers: ``{"errorMessages": [...], "errors": {field: message}}`` and a status.

https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#status-codes
"""

from __future__ import annotations

from typing import Any

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


class JiraError(Exception):
    """An error answer; raised anywhere in a handler, turned into the response by the app."""

    def __init__(
        self,
        status: int,
        *messages: str,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {'; '.join(messages) or errors}")
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body Jira sends."""
        return {"errorMessages": self.messages, "errors": self.errors}


def bad_request(*messages: str, **errors: str) -> JiraError:
    """A 400 with messages and/or errors by field."""
    return JiraError(400, *messages, errors=errors)


def issue_not_found() -> JiraError:
    """The 404 Jira gives for an issue that does not exist or that the caller cannot see."""
    return JiraError(404, ISSUE_NOT_FOUND)


class FieldProblem(Exception):
    """A field's value is refused; the message becomes ``errors[field]``."""
