"""The one HTTP policy every vendor adapter uses.

```
client.py     HttpClient: rate limit -> send -> count + log -> classify -> retry -> raise
classify.py   PURE: response/exception -> Verdict; retry_after() reads the wait asked for
retry.py      the one tenacity AsyncRetrying (Retry-After, backoff with jitter, deadline)
ratelimit.py  per-credential sliding-window limiter with priorities and server hints
paginate.py   paginator state objects per vendor, and the one page loop with a loop guard
calls.py      per-client call counter with hooks for metrics
errortext.py  the vendor's error message out of a failed response
```
Redaction lives in `syncd.redact`, logging in `syncd.logs`.
"""

from __future__ import annotations

from syncd.http.calls import CallCounter, CallRecord
from syncd.http.classify import Verdict, classify, retry_after
from syncd.http.client import DEFAULT_TIMEOUT, HttpClient, make_async_client, user_agent
from syncd.http.errortext import default_error_text
from syncd.http.paginate import (
    BeforeIdPaginator,
    NextPageTokenPaginator,
    OffsetTokenPaginator,
    Paginator,
    StartAtPaginator,
    paginate,
)
from syncd.http.ratelimit import (
    HeaderHints,
    LimiterRegistry,
    RateLimiter,
    credential_key,
    limiter_for,
)
from syncd.http.retry import Retryable, RetryPolicy, retrying

__all__ = [
    "DEFAULT_TIMEOUT",
    "BeforeIdPaginator",
    "CallCounter",
    "CallRecord",
    "HeaderHints",
    "HttpClient",
    "LimiterRegistry",
    "NextPageTokenPaginator",
    "OffsetTokenPaginator",
    "Paginator",
    "RateLimiter",
    "RetryPolicy",
    "Retryable",
    "StartAtPaginator",
    "Verdict",
    "classify",
    "credential_key",
    "default_error_text",
    "limiter_for",
    "make_async_client",
    "paginate",
    "retry_after",
    "retrying",
    "user_agent",
]
