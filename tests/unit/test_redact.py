"""The one redaction place: secrets, URLs, headers and nested values."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest

from syncd.redact import MASK, Redactor, default_redactor, is_secret_key

TOKEN = "tok/SECRET+1234=abcd"


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([TOKEN])


def test_plain_secret_is_masked(redactor: Redactor) -> None:
    """A known secret in plain text is replaced by the mask."""
    assert redactor.redact_text(f"token is {TOKEN}!") == f"token is {MASK}!"


@pytest.mark.parametrize("encode", [lambda s: quote(s, safe=""), quote, quote_plus])
def test_url_encoded_secret_is_masked(redactor: Redactor, encode: object) -> None:
    """A URL-encoded secret is masked as well as the plain one."""
    encoded = encode(TOKEN)  # type: ignore[operator]
    assert TOKEN not in redactor.redact_text(f"GET /x?t={encoded}")
    assert encoded not in redactor.redact_text(f"GET /x?t={encoded}")


def test_basic_auth_with_known_user_is_masked() -> None:
    """Base64 of ``user:secret`` is masked when the user was given with the secret."""
    redactor = Redactor()
    redactor.add(TOKEN, user="pm@acme.example")
    header = base64.b64encode(f"pm@acme.example:{TOKEN}".encode()).decode()
    assert redactor.redact_text(f"Authorization: Basic {header}") == f"Authorization: Basic {MASK}"


def test_basic_auth_with_unknown_user_is_masked(redactor: Redactor) -> None:
    """Base64 of ``anyone:secret`` is found by decoding and masked."""
    header = base64.b64encode(f"someone@else.example:{TOKEN}".encode()).decode()
    assert header not in redactor.redact_text(f"Basic {header}")


def test_short_and_empty_secrets_are_ignored() -> None:
    """Secrets shorter than four characters are not remembered, so ordinary text survives."""
    redactor = Redactor(["", "ab", "  x "])
    assert len(redactor) == 0
    assert redactor.redact_text("ab x cab") == "ab x cab"


def test_text_without_secrets_is_unchanged(redactor: Redactor) -> None:
    """Ids, words and base64-looking runs that hide no secret are left alone."""
    text = "card 5f1c0a2b3c4d5e6f7a8b9c0d moved; cursor eyJvZmZzZXQiOjEwMH0="
    assert redactor.redact_text(text) == text


def test_url_userinfo_password_is_removed(redactor: Redactor) -> None:
    """A password in a URL's userinfo is masked and the user kept."""
    url = "https://pm:hunter2pass@acme.atlassian.net/rest/api/3/myself"
    assert redactor.redact_url(url) == f"https://pm:{MASK}@acme.atlassian.net/rest/api/3/myself"


@pytest.mark.parametrize(
    "name", ["token", "key", "api_key", "access_token", "secret", "signature", "sig", "password"]
)
def test_url_secret_query_params_are_masked(redactor: Redactor, name: str) -> None:
    """Query parameters named like credentials have their values masked, others are kept."""
    url = f"https://api.trello.com/1/boards/b1/cards?limit=10&{name}=zzzz9999&fields=name"
    cleaned = redactor.redact_url(url)
    assert cleaned == f"https://api.trello.com/1/boards/b1/cards?limit=10&{name}={MASK}&fields=name"


def test_url_paging_token_is_kept(redactor: Redactor) -> None:
    """Paging cursors named like tokens are not credentials and stay readable."""
    url = "https://acme.atlassian.net/rest/api/3/search/jql?nextPageToken=CAEaAggD"
    assert redactor.redact_url(url) == url


def test_url_known_secret_in_path_is_masked(redactor: Redactor) -> None:
    """A known secret anywhere in a URL is masked, even under an innocent name."""
    url = f"https://example.test/hooks/{quote(TOKEN, safe='')}?x={quote_plus(TOKEN)}"
    cleaned = redactor.redact_url(url)
    assert "SECRET" not in cleaned


def test_headers_are_masked_by_name(redactor: Redactor) -> None:
    """Credential headers are masked whole; rate-limit counters and others stay readable."""
    headers = {
        "Authorization": "Bearer abcdef",
        "Proxy-Authorization": "Basic Zm9vOmJhcg==",
        "Cookie": "sid=1",
        "Set-Cookie": "sid=2",
        "X-Atlassian-Token": "no-check",
        "X-Api-Key": "k",
        "X-Hub-Signature": "sha256=00",
        "X-Rate-Limit-Api-Token-Remaining": "97",
        "Accept": "application/json",
        "X-Note": f"contains {TOKEN}",
    }
    cleaned = redactor.redact_headers(headers)
    masked = {name for name, value in cleaned.items() if value == MASK}
    assert masked == {
        "Authorization",
        "Proxy-Authorization",
        "Cookie",
        "Set-Cookie",
        "X-Atlassian-Token",
        "X-Api-Key",
        "X-Hub-Signature",
    }
    assert cleaned["X-Rate-Limit-Api-Token-Remaining"] == "97"
    assert cleaned["X-Note"] == f"contains {MASK}"


def test_data_is_redacted_recursively(redactor: Redactor) -> None:
    """Nested dicts, lists and tuples are redacted, and values under credential keys masked."""
    data = {
        "outer": [{"note": f"x {TOKEN}"}, (TOKEN,)],
        "webhook_secret": "abc-not-known",
        "Authorization": {"scheme": "Bearer"},
        "tokens_left": 42,
        "issue_key": "WEB-1",
        "raw": TOKEN.encode(),
    }
    assert redactor.redact_data(data) == {
        "outer": [{"note": f"x {MASK}"}, [MASK]],
        "webhook_secret": MASK,
        "Authorization": MASK,
        "tokens_left": 42,
        "issue_key": "WEB-1",
        "raw": MASK,
    }


def test_objects_holding_secrets_become_redacted_text(redactor: Redactor) -> None:
    """An exception whose message holds a secret becomes its redacted message."""
    error = RuntimeError(f"auth failed for {TOKEN}")
    assert redactor.redact_data(error) == f"auth failed for {MASK}"
    harmless = RuntimeError("timeout")
    assert redactor.redact_data(harmless) is harmless


def test_secret_added_later_is_masked() -> None:
    """A secret added after construction is masked from then on."""
    redactor = Redactor()
    assert redactor.redact_text("late-secret-value") == "late-secret-value"
    redactor.add("late-secret-value")
    assert redactor.redact_text("late-secret-value") == MASK


def test_default_redactor_is_one_instance() -> None:
    """The process-wide redactor is the same object on every call."""
    assert default_redactor() is default_redactor()


@pytest.mark.parametrize(
    ("name", "secret"),
    [("password", True), ("api_key", True), ("X-Token", True), ("key", False), ("group", False)],
)
def test_secret_key_names(name: str, secret: bool) -> None:
    """Log keys are recognised as credentials by name, but a plain ``key`` (Jira's) is not."""
    assert is_secret_key(name) is secret
