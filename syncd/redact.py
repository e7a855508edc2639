"""The one place that removes secrets from text, URLs, headers and log values.

A `Redactor` knows the secret strings of the running configuration (the config loader calls
`add` for every `SecretStr` it reads) and replaces each of them, and the forms they take on the
wire, with ``***``:

- the secret itself, and its URL-encoded forms (a token in a query string);
- base64 of ``user:secret`` (an HTTP basic ``Authorization`` header), both when the user is known
  at ``add`` time and, for any user, by decoding base64-looking runs of text.

Besides known values, names give secrets away: `redact_url` masks query parameters and
passwords in userinfo, `redact_headers` masks credential headers, and `redact_data` masks the
values of keys named like ``token`` or ``password``, whatever the value.

One process-wide instance is available from `default_redactor()`; every function that redacts
also accepts an explicit instance, which tests use.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Iterable, Mapping
from functools import cache
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

MASK = "***"
MIN_SECRET_LENGTH = 4

# Pagination cursors are named like tokens but are not credentials; masking them would only
# hide what a debugging engineer needs (Jira's nextPageToken, generic page tokens).
_NOT_SECRET_NAMES = frozenset({"nextpagetoken", "pagetoken", "next_page_token", "page_token"})
_SECRET_PARAM_WORDS = ("token", "secret", "password", "passwd", "signature", "apikey", "api_key")
_SECRET_PARAM_NAMES = frozenset({"key", "api-key", "auth", "sig", "pwd", "code_verifier"})
_SECRET_HEADER_WORDS = (
    "secret",
    "token",
    "key",
    "signature",
    "authorization",
    "cookie",
    "password",
)
# Rate-limit headers (Trello's x-rate-limit-api-token-remaining, ...) hold counts, not secrets.
_RATE_LIMIT_HEADER_PREFIXES = ("x-rate-limit", "x-ratelimit", "ratelimit")
_SECRET_KEY_WORDS = ("token", "secret", "password", "passwd", "authorization", "signature")
_SECRET_KEY_NAMES = frozenset(
    {"api_key", "apikey", "private_key", "cookie", "set_cookie", "auth", "credentials"}
)
# Base64 runs long enough to hide "user:secret" (standard and URL-safe alphabets).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _normalise(name: str) -> str:
    return name.strip().lower()


def is_secret_param(name: str) -> bool:
    """Tell whether a URL query parameter of this name carries a credential.

    Args:
        name: the parameter name, as it appears in the query string.

    Returns:
        True for names like ``token``, ``key``, ``api_key``, ``access_token``, ``signature``.
    """
    low = _normalise(name)
    if low in _NOT_SECRET_NAMES:
        return False
    return low in _SECRET_PARAM_NAMES or any(word in low for word in _SECRET_PARAM_WORDS)


def is_secret_header(name: str) -> bool:
    """Tell whether an HTTP header of this name carries a credential.

    Args:
        name: the header name, in any case.

    Returns:
        True for Authorization, Proxy-Authorization, Cookie, Set-Cookie, ``X-*-Token`` and any
        name with "secret", "token", "key" or "signature" in it (rate-limit counters excepted).
    """
    low = _normalise(name)
    if low.startswith(_RATE_LIMIT_HEADER_PREFIXES):
        return False
    return any(word in low for word in _SECRET_HEADER_WORDS)


def is_secret_key(name: str) -> bool:
    """Tell whether a log or payload key of this name holds a credential.

    Args:
        name: a mapping key, e.g. a structlog event key.

    Returns:
        True for ``authorization``, ``token``, ``password``, ``secret``, ``api_key`` and
        names containing those words (``webhook_secret``, ``access_token``). A plain ``key``
        is not one: it is how Jira names issues (``WEB-1``).
    """
    low = _normalise(name).replace("-", "_")
    if low in _NOT_SECRET_NAMES:
        return False
    return low in _SECRET_KEY_NAMES or any(word in low for word in _SECRET_KEY_WORDS)


class Redactor:
    """A set of secret strings, and the functions that mask them.

    Args:
        secrets: secrets known from the start; more can be added with `add`.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._forms: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str, *, user: str | None = None) -> None:
        """Remember a secret; later redactions mask it and its encoded forms.

        Args:
            secret: the secret value. Values shorter than 4 characters are ignored: masking
                them would garble ordinary text and they protect nothing.
            user: the user name the secret is paired with in HTTP basic auth, if any.
        """
        if len(secret.strip()) < MIN_SECRET_LENGTH:
            return
        forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
        if user is not None:
            forms.add(base64.b64encode(f"{user}:{secret}".encode()).decode("ascii"))
        with self._lock:
            self._secrets = self._secrets | {secret}
            self._forms = self._forms | forms
            ordered = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(form) for form in ordered))

    def __len__(self) -> int:
        return len(self._secrets)

    def redact_text(self, text: str) -> str:
        """Mask every known secret in a text, plain, URL-encoded or inside base64.

        Args:
            text: any text: a message, a URL, a header value, a traceback.

        Returns:
            The text with each secret replaced by ``***``.
        """
        pattern = self._pattern
        if pattern is None:
            return text
        text = pattern.sub(MASK, text)
        return _BASE64_RUN.sub(self._mask_base64_run, text)

    def _mask_base64_run(self, match: re.Match[str]) -> str:
        run = match.group(0)
        decoded = _decode_base64(run)
        if decoded is not None and any(secret in decoded for secret in self._secrets):
            return MASK
        return run

    def redact_url(self, url: str) -> str:
        """Remove credentials from a URL: userinfo passwords, secret query values, known secrets.

        Args:
            url: an absolute or relative URL.

        Returns:
            The URL with the password of its userinfo and the values of query parameters
            named like credentials replaced by ``***``, and known secrets masked anywhere.
        """
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user, has_password, _ = userinfo.partition(":")
            netloc = f"{user}:{MASK}@{host}" if has_password else netloc
        query = "&".join(_mask_query_pair(pair) for pair in parts.query.split("&"))
        cleaned = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        return self.redact_text(cleaned)

    def redact_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Copy headers with credential headers masked and known secrets removed from the rest.

        Args:
            headers: any mapping of header names to values (``httpx.Headers`` included).

        Returns:
            A new dict with the same names; see `is_secret_header` for which are masked.
        """
        return {
            name: MASK if is_secret_header(name) else self.redact_text(value)
            for name, value in headers.items()
        }

    def redact_data(self, value: object) -> object:
        """Redact a structure recursively: dicts, lists, tuples, sets and strings.

        Values under keys named like credentials (`is_secret_key`) are masked whole, unless
        they are numbers, booleans or None (counters such as ``tokens_left`` stay readable).
        Other objects are masked through their ``str``/``repr`` only when it holds a secret.

        Args:
            value: any value, e.g. a structlog event dict.

        Returns:
            The redacted value; containers are copied, never changed in place.
        """
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, bool | int | float | None):
            return value
        if isinstance(value, bytes):
            return self.redact_text(value.decode("utf-8", "replace"))
        if isinstance(value, Mapping):
            return {key: self._redact_item(key, item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_data(item) for item in value]
        return self._redact_object(value)

    def _redact_item(self, key: object, item: object) -> object:
        masked = isinstance(key, str) and is_secret_key(key)
        if masked and item is not None and not isinstance(item, bool | int | float):
            return MASK
        return self.redact_data(item)

    def _redact_object(self, value: object) -> object:
        shown = str(value) if isinstance(value, BaseException) else repr(value)
        cleaned = self.redact_text(shown)
        return value if cleaned == shown else cleaned


def _mask_query_pair(pair: str) -> str:
    name, has_value, _ = pair.partition("=")
    if has_value and is_secret_param(unquote_plus(name)):
        return f"{name}={MASK}"
    return pair


def _decode_base64(run: str) -> str | None:
    padded = run + "=" * (-len(run) % 4)
    try:
        if "-" in run or "_" in run:
            raw = base64.urlsafe_b64decode(padded)
        else:
            raw = base64.b64decode(padded, validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


@cache
def default_redactor() -> Redactor:
    """Return the process-wide redactor the config loader fills and the log layer uses.

    Returns:
        The same `Redactor` on every call.
    """
    return Redactor()
