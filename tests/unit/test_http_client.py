"""HttpClient against respx: retries, errors, counting, logging; nothing really sleeps."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from email.utils import formatdate

import httpx
import pytest
import respx
import structlog
from structlog.testing import capture_logs

from syncd.errors import MemberError, RateLimited, RecordError, RecordNotFound
from syncd.http import (
    CallRecord,
    HeaderHints,
    HttpClient,
    RateLimiter,
    RetryPolicy,
    make_async_client,
)
from syncd.http.client import timeout_of
from syncd.logs import build_processors, configure_logging
from syncd.redact import Redactor

pytestmark = pytest.mark.anyio

BASE = "https://api.example.test"
NOW = 1_700_000_000.0
TOKEN = "trello-token-0123456789abcdef"
TRELLO_429 = {"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeTime:
    """A monotonic clock that sleeping advances, recording each requested sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([TOKEN])


@pytest.fixture
async def client(time: FakeTime, redactor: Redactor) -> AsyncIterator[HttpClient]:
    http = HttpClient(
        base_url=BASE,
        headers={"Authorization": f"Bearer {TOKEN}"},
        member="acme",
        retry_policy=RetryPolicy(attempts=3, jitter=0),
        redactor=redactor,
        sleep=time.sleep,
        clock=time.clock,
        wall_clock=lambda: NOW,
    )
    async with http:
        yield http


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


@pytest.fixture
def debug_logs(redactor: Redactor) -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("debug", json=True, redactor=redactor)
    yield
    structlog.reset_defaults()
    root.handlers[:], root.level = handlers, level


async def test_retry_after_seconds_is_honoured(
    client: HttpClient, mock: respx.MockRouter, time: FakeTime
) -> None:
    """A 429 with Retry-After: 3 is retried after sleeping exactly 3 seconds."""
    mock.get("/items").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200)]
    )
    response = await client.request("GET", "/items")
    assert response.status_code == 200
    assert time.sleeps == [3.0]


async def test_retry_after_http_date_is_honoured(
    client: HttpClient, mock: respx.MockRouter, time: FakeTime
) -> None:
    """A Retry-After given as an HTTP date is waited until that date."""
    later = formatdate(NOW + 20, usegmt=True)
    mock.get("/items").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": later}), httpx.Response(200)]
    )
    await client.request("GET", "/items")
    assert time.sleeps == [20.0]


async def test_trello_429_waits_one_window(
    client: HttpClient, mock: respx.MockRouter, time: FakeTime
) -> None:
    """Trello's 429 without Retry-After is retried after its 10-second window."""
    mock.get("/1/boards/b/cards").mock(
        side_effect=[httpx.Response(429, json=TRELLO_429), httpx.Response(200, json=[])]
    )
    await client.request("GET", "/1/boards/b/cards")
    assert time.sleeps == [10.0]


async def test_long_retry_after_raises_rate_limited(
    client: HttpClient, mock: respx.MockRouter, time: FakeTime
) -> None:
    """A Retry-After beyond the policy's cap raises RateLimited at once, with the delay."""
    route = mock.get("/items").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"})
    )
    with pytest.raises(RateLimited) as caught:
        await client.request("GET", "/items")
    assert caught.value.retry_after == 3600.0
    assert caught.value.member == "acme"
    assert (route.call_count, time.sleeps) == (1, [])


async def test_persistent_503_gives_up_with_member_error(
    client: HttpClient, mock: respx.MockRouter, time: FakeTime
) -> None:
    """Repeated 503s are retried up to the attempt limit, then raise MemberError."""
    route = mock.get("/items").mock(return_value=httpx.Response(503))
    with pytest.raises(MemberError, match="503 Service Unavailable") as caught:
        await client.request("GET", "/items")
    assert not isinstance(caught.value, RateLimited)
    assert route.call_count == 3
    assert time.sleeps == [0.5, 1.0]


async def test_post_is_not_retried_after_read_timeout(
    client: HttpClient, mock: respx.MockRouter, time: FakeTime
) -> None:
    """A POST whose response timed out may have been applied, so it fails without a retry."""
    route = mock.post("/tasks").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(RecordError, match="may or may not have happened"):
        await client.request("POST", "/tasks", json={"name": "x"})
    assert (route.call_count, time.sleeps) == (1, [])


async def test_get_is_retried_after_read_timeout(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """An idempotent GET is repeated after a read timeout."""
    route = mock.get("/items").mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(200)]
    )
    await client.request("GET", "/items")
    assert route.call_count == 2


async def test_post_is_retried_on_503(client: HttpClient, mock: respx.MockRouter) -> None:
    """A POST refused with 503 was not processed, so it is repeated."""
    route = mock.post("/tasks").mock(side_effect=[httpx.Response(503), httpx.Response(201)])
    response = await client.request("POST", "/tasks", json={"name": "x"})
    assert response.status_code == 201
    assert route.call_count == 2


async def test_post_is_retried_when_the_connection_was_refused(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """A POST that never reached the server (connection refused) is repeated."""
    route = mock.post("/tasks").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201)]
    )
    await client.request("POST", "/tasks", json={})
    assert route.call_count == 2


async def test_explicit_idempotent_post_is_retried(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """A POST marked idempotent (a search) is repeated after a read timeout."""
    route = mock.post("/search/jql").mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(200, json={})]
    )
    await client.request("POST", "/search/jql", json={}, idempotent=True)
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (404, {"errorMessages": ["Issue does not exist"], "errors": {}}, RecordNotFound, "Issue"),
        (400, {"errors": [{"message": "project: Not a recognized ID"}]}, RecordError, "project"),
        (422, {"errors": {"summary": "required"}}, RecordError, "summary: required"),
        (401, {"message": "Unauthorized"}, MemberError, "Unauthorized"),
        (403, "unauthorized permission requested", MemberError, "permission"),
        (410, {"errorMessages": ["The requested API has been removed."]}, MemberError, "removed"),
    ],
)
async def test_failures_raise_the_right_error_with_vendor_text(
    client: HttpClient,
    mock: respx.MockRouter,
    status: int,
    body: object,
    error: type[Exception],
    text: str,
) -> None:
    """Each failure raises its syncd error, with the vendor's message, and is not retried."""
    response = (
        httpx.Response(status, text=body)
        if isinstance(body, str)
        else httpx.Response(status, json=body)
    )
    route = mock.get("/thing").mock(return_value=response)
    with pytest.raises(error, match=text) as caught:
        await client.request("GET", "/thing")
    assert type(caught.value) is error
    assert route.call_count == 1


async def test_expected_status_is_returned(client: HttpClient, mock: respx.MockRouter) -> None:
    """A status listed in ``expected`` is returned instead of raised."""
    mock.get("/maybe").mock(return_value=httpx.Response(404))
    response = await client.request("GET", "/maybe", expected={404})
    assert response.status_code == 404


async def test_error_messages_never_hold_the_token(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """A failure's message has the token masked, from the URL and from an echoing body."""
    mock.get("/1/cards/c1").mock(
        return_value=httpx.Response(400, json={"message": f"bad token {TOKEN}"})
    )
    with pytest.raises(RecordError) as caught:
        await client.request("GET", "/1/cards/c1", params={"key": "k1", "token": TOKEN})
    assert TOKEN not in str(caught.value)
    assert "token=***" in str(caught.value)


async def test_calls_are_counted_by_method_and_status(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """Every attempt is counted by method and outcome, and passed to hooks."""
    seen: list[CallRecord] = []
    client.calls.hooks.append(seen.append)
    mock.get("/items").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(500), httpx.Response(200)]
    )
    mock.put("/items/1").mock(return_value=httpx.Response(204))
    await client.request("GET", "/items")
    await client.request("PUT", "/items/1", json={})
    assert client.calls.total == 4
    assert client.calls.count("GET") == 3
    assert client.calls.count("GET", 500) == 1
    assert client.calls.count(status="ConnectError") == 1
    assert client.calls.count("put", "204") == 1
    assert [record.outcome for record in seen] == ["ConnectError", "500", "200", "204"]


@pytest.mark.usefixtures("debug_logs")
async def test_each_call_is_logged_redacted_at_debug(
    client: HttpClient, mock: respx.MockRouter, redactor: Redactor
) -> None:
    """Each attempt logs ``http.request`` at debug, with the token masked in URL and headers."""
    mock.get("/1/cards").mock(return_value=httpx.Response(200, json=[]))
    with capture_logs(processors=build_processors(redactor)) as events:
        await client.request("GET", "/1/cards", params={"token": TOKEN})
    (event,) = [e for e in events if e["event"] == "http.request"]
    assert event["log_level"] == "debug"
    assert event["status"] == 200
    assert event["url"] == f"{BASE}/1/cards?token=***"
    assert event["headers"]["authorization"] == "***"
    assert TOKEN not in repr(events)


async def test_requests_carry_user_agent_and_auth(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """Requests send the adapter's auth header and ``User-Agent: syncd/<version>``."""
    route = mock.get("/me").mock(return_value=httpx.Response(200))
    await client.request("GET", "/me")
    sent = route.calls.last.request
    assert sent.headers["User-Agent"].startswith("syncd/")
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_reads_follow_redirects_but_writes_do_not(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """A GET follows a redirect; a redirected POST fails rather than silently becoming a GET."""
    moved = httpx.Response(301, headers={"Location": f"{BASE}/new"})
    mock.get("/old").mock(return_value=moved)
    mock.get("/new").mock(return_value=httpx.Response(200, json={"ok": True}))
    mock.post("/old").mock(return_value=moved)
    assert (await client.request("GET", "/old")).json() == {"ok": True}
    assert (client.calls.count("GET", 301), client.calls.count("GET", 200)) == (1, 1)
    with pytest.raises(MemberError, match="301"):
        await client.request("POST", "/old", json={})


async def test_client_factory_sets_explicit_timeouts() -> None:
    """The factory's client connects within 10 s and reads within 30 s."""
    async with make_async_client(base_url=BASE) as raw:
        assert raw.timeout.connect == 10.0
        assert raw.timeout.read == 30.0


async def test_each_call_takes_a_rate_limit_slot(mock: respx.MockRouter, time: FakeTime) -> None:
    """With one request per 10 s, the second call waits for the credential's limiter."""
    limiter = RateLimiter(1, 10.0, clock=time.clock, sleep=time.sleep)
    mock.get("/items").mock(return_value=httpx.Response(200))
    async with HttpClient(base_url=BASE, limiters=[limiter], clock=time.clock) as http:
        await http.request("GET", "/items")
        await http.request("GET", "/items")
    assert time.sleeps == [10.0]


async def test_429_holds_the_limiter_back(mock: respx.MockRouter, time: FakeTime) -> None:
    """A 429 tells the credential's limiter to hold every caller until the vendor's delay."""
    limiter = RateLimiter(100, 10.0, clock=time.clock, sleep=time.sleep)
    mock.get("/items").mock(return_value=httpx.Response(429, headers={"Retry-After": "5"}))
    policy = RetryPolicy(max_wait=1.0)
    async with HttpClient(
        base_url=BASE, limiters=[limiter], retry_policy=policy, clock=time.clock
    ) as http:
        with pytest.raises(RateLimited):
            await http.request("GET", "/items")
    assert limiter.delay() == 5.0


async def test_trello_budget_headers_feed_the_limiter(
    mock: respx.MockRouter, time: FakeTime
) -> None:
    """Trello's remaining-budget headers, through HeaderHints, make the next call wait."""
    limiter = RateLimiter(100, 10.0, clock=time.clock, sleep=time.sleep)
    hints = HeaderHints(
        limiter,
        remaining="x-rate-limit-api-token-remaining",
        reset="x-rate-limit-api-token-interval-ms",
        reset_scale=0.001,
    )
    budget = {
        "x-rate-limit-api-token-remaining": "0",
        "x-rate-limit-api-token-interval-ms": "10000",
    }
    mock.get("/1/members/me").mock(return_value=httpx.Response(200, headers=budget))
    async with HttpClient(
        base_url=BASE, limiters=[limiter], response_hooks=[hints], clock=time.clock
    ) as http:
        await http.request("GET", "/1/members/me")
        await http.request("GET", "/1/members/me")
    assert time.sleeps == [10.0]


async def test_simulator_transport_is_used(time: FakeTime) -> None:
    """An explicit transport (a simulator) receives the requests instead of the network."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": request.url.path})

    transport = httpx.MockTransport(handler)
    async with HttpClient(base_url=BASE, transport=transport, sleep=time.sleep) as http:
        response = await http.request("GET", "/sim")
    assert response.json() == {"path": "/sim"}


def test_a_connection_timeout_bounds_reads_and_writes_and_caps_connecting() -> None:
    """``timeout`` (seconds) is the read, write and pool timeout; connecting waits 10 s at
    most, and less when the setting is shorter."""
    slow = timeout_of(120.0)
    assert (slow.read, slow.write, slow.pool, slow.connect) == (120.0, 120.0, 120.0, 10.0)
    quick = timeout_of(2.5)
    assert (quick.read, quick.connect) == (2.5, 2.5)
