"""Extracting a vendor's error message from a failed response.

The default understands the vendors' JSON error shapes:

- Jira: ``{"errorMessages": ["Issue does not exist"], "errors": {"summary": "required"}}``
- Asana: ``{"errors": [{"message": "project: Not a recognized ID"}]}``
- Trello: ``{"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}``, and
  plain-text bodies such as ``invalid id``.

An adapter whose vendor answers otherwise passes its own ``error_text`` to `HttpClient`.
The client redacts whatever this returns.
"""

from __future__ import annotations

from typing import Any

import httpx

MAX_ERROR_TEXT = 300
_SCALAR_KEYS = ("message", "error", "error_description", "detail")


def default_error_text(response: httpx.Response) -> str:
    """Return the vendor's error message, or a short plain-text body, or "".

    Args:
        response: a failed response whose body has been read.

    Returns:
        The messages found, joined by "; " and cut to 300 characters.
    """
    try:
        body = response.json()
    except ValueError:
        return _plain_text(response)
    parts = _messages(body)
    return "; ".join(parts)[:MAX_ERROR_TEXT]


def _messages(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [str(body)] if isinstance(body, str) else []
    parts = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts.extend(f"{field}: {text}" for field, text in errors.items())
    elif isinstance(errors, list):
        parts.extend(_error_item(item) for item in errors)
    parts.extend(str(body[key]) for key in _SCALAR_KEYS if isinstance(body.get(key), str))
    return [part for part in parts if part]


def _error_item(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("message") or item.get("error") or "")
    return str(item)


def _plain_text(response: httpx.Response) -> str:
    text = response.text.strip()
    # An HTML error page says nothing useful in one line.
    if not text or text.startswith("<"):
        return ""
    return text.splitlines()[0][:MAX_ERROR_TEXT]
