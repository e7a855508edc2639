"""Response classification and Retry-After parsing (pure functions, no network)."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

import httpx
import pytest

from syncd.http.classify import Verdict, classify, retry_after

NOW = 1_700_000_000.0
REQUEST = httpx.Request("GET", "https://api.example.test/x")


def _response(status: int, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=REQUEST, **kwargs)


TRELLO_429 = {"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}


@pytest.mark.parametrize(
    ("status", "idempotent", "verdict"),
    [
        (200, True, Verdict.OK),
        (201, False, Verdict.OK),
        (204, True, Verdict.OK),
        (304, True, Verdict.OK),
        (301, False, Verdict.FAIL_MEMBER),
        (302, True, Verdict.FAIL_MEMBER),
        (400, True, Verdict.FAIL_RECORD),
        (404, True, Verdict.FAIL_RECORD),
        (409, False, Verdict.FAIL_RECORD),
        (412, True, Verdict.FAIL_RECORD),
        (422, False, Verdict.FAIL_RECORD),
        (401, True, Verdict.FAIL_MEMBER),
        (403, True, Verdict.FAIL_MEMBER),
        (407, True, Verdict.FAIL_MEMBER),
        (410, True, Verdict.FAIL_MEMBER),
        (408, False, Verdict.RETRY),
        (429, True, Verdict.RATE_LIMITED),
        (429, False, Verdict.RATE_LIMITED),
        (500, True, Verdict.RETRY),
        (502, True, Verdict.RETRY),
        (503, True, Verdict.RETRY),
        (504, True, Verdict.RETRY),
        (503, False, Verdict.RETRY),
        (500, False, Verdict.FAIL_RECORD),
        (502, False, Verdict.FAIL_RECORD),
        (504, False, Verdict.FAIL_RECORD),
        (501, True, Verdict.FAIL_MEMBER),
    ],
)
def test_status_table(status: int, idempotent: bool, verdict: Verdict) -> None:
    """Each status class maps to its verdict; unknown-outcome 5xx are not repeated for writes."""
    assert classify(_response(status), None, idempotent=idempotent) is verdict


def test_503_with_retry_after_is_rate_limited() -> None:
    """A 503 carrying Retry-After is a rate limit (Jira's resource limit), not an outage."""
    response = _response(503, {"Retry-After": "5"})
    assert classify(response, None, idempotent=False) is Verdict.RATE_LIMITED


def test_trello_limit_body_is_rate_limited_whatever_the_4xx() -> None:
    """A 4xx whose body names Trello's key or token limit is a rate limit."""
    body = {"error": "API_KEY_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}
    assert classify(_response(400, json=body), None, idempotent=True) is Verdict.RATE_LIMITED


@pytest.mark.parametrize(
    ("exc", "idempotent", "verdict"),
    [
        (httpx.ConnectError("refused"), False, Verdict.RETRY),
        (httpx.ConnectTimeout("slow"), False, Verdict.RETRY),
        (httpx.PoolTimeout("busy"), False, Verdict.RETRY),
        (httpx.ReadTimeout("slow"), True, Verdict.RETRY),
        (httpx.ReadTimeout("slow"), False, Verdict.FAIL_RECORD),
        (httpx.WriteError("reset"), True, Verdict.RETRY),
        (httpx.RemoteProtocolError("eof"), True, Verdict.RETRY),
        (httpx.RemoteProtocolError("eof"), False, Verdict.FAIL_RECORD),
        (httpx.UnsupportedProtocol("ftp"), True, Verdict.FAIL_MEMBER),
        (httpx.LocalProtocolError("bad"), True, Verdict.FAIL_MEMBER),
        (httpx.TooManyRedirects("loop"), True, Verdict.FAIL_MEMBER),
        (ValueError("odd"), True, Verdict.FAIL_MEMBER),
    ],
)
def test_exception_table(exc: Exception, idempotent: bool, verdict: Verdict) -> None:
    """Network errors retry only when idempotent, except connections never made."""
    assert classify(None, exc, idempotent=idempotent) is verdict


def test_classify_needs_something() -> None:
    """Classifying neither a response nor an exception is a programming error."""
    with pytest.raises(ValueError, match="response or an exception"):
        classify(None, None, idempotent=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": formatdate(NOW + 42, usegmt=True)}, 42.0),
        ({"Retry-After": formatdate(NOW - 42, usegmt=True)}, 0.0),
        ({"RateLimit-Reset": "12"}, 12.0),
        ({"X-RateLimit-Reset": "2023-11-14T22:15Z"}, 1_700_000_100.0 - NOW),
        ({"X-RateLimit-Reset": str(int(NOW) + 30)}, 30.0),
        ({"Retry-After": "3", "X-RateLimit-Reset": str(int(NOW) + 30)}, 3.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], expected: float | None) -> None:
    """Retry-After seconds and dates, RateLimit-Reset and Jira's X-RateLimit-Reset are read."""
    assert retry_after(_response(429, headers), NOW) == expected


def test_retry_after_for_trello_is_one_window() -> None:
    """Trello's 429 has no Retry-After; one 10-second window is waited."""
    assert retry_after(_response(429, json=TRELLO_429), NOW) == 10.0
