"""The per-credential rate limiter, on virtual time."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from syncd.http.ratelimit import (
    HeaderHints,
    LimiterRegistry,
    RateLimiter,
    credential_key,
    limiter_for,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class VirtualTime:
    """A clock that sleeping advances; concurrent sleepers overlap as in real time."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, target)


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


def _limiter(vt: VirtualTime, rate: float, per: float, burst: int | None = None) -> RateLimiter:
    return RateLimiter(rate, per, burst, clock=vt.clock, sleep=vt.sleep)


async def _times(limiter: RateLimiter, vt: VirtualTime, n: int) -> list[float]:
    times = []
    for _ in range(n):
        await limiter.acquire()
        times.append(vt.now)
    return times


async def test_paces_to_rate_per_window(vt: VirtualTime) -> None:
    """Two per second: two at once, then each next pair one second later."""
    limiter = _limiter(vt, 2, 1.0)
    assert await _times(limiter, vt, 5) == [0.0, 0.0, 1.0, 1.0, 2.0]


async def test_never_more_than_rate_in_any_window(vt: VirtualTime) -> None:
    """Trello's 100 per 10 s: no 10-second window ever holds more than 100 grants."""
    limiter = _limiter(vt, 100, 10.0)
    times = await _times(limiter, vt, 350)
    assert all(times[i + 100] - times[i] >= 10.0 for i in range(len(times) - 100))


async def test_burst_spreads_grants(vt: VirtualTime) -> None:
    """With a burst of 2 out of 10 per 10 s, grants come two at a time every 2 seconds."""
    limiter = _limiter(vt, 10, 10.0, burst=2)
    assert await _times(limiter, vt, 6) == [0.0, 0.0, 2.0, 2.0, 4.0, 4.0]


async def test_lower_priority_number_goes_first(vt: VirtualTime) -> None:
    """Waiting webhook work (priority 0) is served before earlier-queued backfill (10)."""
    limiter = _limiter(vt, 1, 1.0)
    await limiter.acquire()
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await limiter.acquire(priority)
        order.append(name)

    await asyncio.gather(take("backfill-1", 10), take("backfill-2", 10), take("webhook", 0))
    assert order == ["webhook", "backfill-1", "backfill-2"]
    assert vt.now == 3.0


async def test_cancelled_waiter_leaves_the_queue(vt: VirtualTime) -> None:
    """A cancelled acquire frees its place so the next caller is served."""
    limiter = RateLimiter(1, 3600.0)
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    assert limiter.waiting == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.waiting == 0


async def test_server_hint_of_nothing_left_blocks_until_reset(vt: VirtualTime) -> None:
    """After note_remaining(0, 5) the next request waits five seconds."""
    limiter = _limiter(vt, 100, 10.0)
    limiter.note_remaining(0, 5.0)
    assert limiter.delay() == 5.0
    assert await _times(limiter, vt, 1) == [5.0]


async def test_server_hint_budget_is_spent_then_waits(vt: VirtualTime) -> None:
    """With two requests left for 4 seconds, two go at once and the third waits for the reset."""
    limiter = _limiter(vt, 100, 10.0)
    limiter.note_remaining(2, 4.0)
    assert await _times(limiter, vt, 3) == [0.0, 0.0, 4.0]


def test_registry_shares_one_limiter_per_credential() -> None:
    """Groups on one credential get the same limiter; another credential gets its own."""
    registry = LimiterRegistry()
    first = registry.get(credential_key("token-A"), 100, 10)
    assert registry.get(credential_key("token-A"), 5, 1) is first
    assert registry.get(credential_key("token-B"), 100, 10) is not first
    assert limiter_for("k-shared", 1, 1) is limiter_for("k-shared", 1, 1)


def test_credential_key_hides_the_credential() -> None:
    """The key is a stable short digest that does not contain the credential."""
    key = credential_key("my-trello-token-value")
    assert key == credential_key("my-trello-token-value")
    assert "trello" not in key
    assert len(key) == 16


@pytest.mark.parametrize(("rate", "per", "burst"), [(0.5, 1.0, None), (1, 0, None), (5, 1, 0)])
def test_invalid_limits_are_refused(rate: float, per: float, burst: int | None) -> None:
    """A rate under one, an empty window or a zero burst is refused."""
    with pytest.raises(ValueError, match="invalid rate limit"):
        RateLimiter(rate, per, burst)


def test_header_hints_ignore_missing_and_default_the_reset(vt: VirtualTime) -> None:
    """Responses without the header change nothing; an unreadable reset uses the default."""
    limiter = _limiter(vt, 100, 10.0)
    hints = HeaderHints(limiter, remaining="x-ratelimit-remaining", reset="x-reset")
    hints(httpx.Response(200))
    assert limiter.delay() == 0.0
    hints(httpx.Response(200, headers={"x-ratelimit-remaining": "0", "x-reset": "soon"}))
    assert limiter.delay() == 10.0


def test_waits_are_reported_by_credential_key() -> None:
    """A request that waited for its budget is reported with the limiter's key and seconds."""
    import asyncio

    from syncd.http import ratelimit

    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    seen: list[tuple[str, float]] = []
    limiter = ratelimit.RateLimiter(1, 1.0, clock=lambda: now[0], sleep=sleep, name="k3y")
    ratelimit.WAIT_OBSERVERS.append(lambda key, seconds: seen.append((key, seconds)))
    try:

        async def twice() -> None:
            await limiter.acquire()
            await limiter.acquire()

        asyncio.run(twice())
    finally:
        ratelimit.WAIT_OBSERVERS.clear()
    assert seen == [("k3y", 1.0)]


def test_a_budget_shared_by_workers_is_split_between_them() -> None:
    """With N workers on a credential, each process takes 1/N of its budget, new limiters too."""
    from syncd.http.ratelimit import LimiterRegistry

    registry = LimiterRegistry()
    token = registry.get("k", 100, 10.0)
    registry.share(3)
    assert token.limit == 33
    later = registry.get("other", 300, 10.0, burst=50)
    assert (later.limit, later.burst) == (100, 50)
    registry.share(1)
    assert (token.limit, later.limit) == (100, 300)
    registry.share(500)
    assert token.limit == 1  # never nothing


async def test_a_request_counted_as_several_waits_for_room_for_all(vt: VirtualTime) -> None:
    """Asana counts each action of a batch: ten per second lets a batch of 8 and one of 2
    go at once, and a third batch of 3 waits for the window to pass."""
    limiter = _limiter(vt, 10, 1.0)
    await limiter.acquire(cost=8)
    await limiter.acquire(cost=2)
    assert vt.now == 0.0
    assert limiter.delay(cost=3) == pytest.approx(1.0)
    await limiter.acquire(cost=3)
    assert vt.now == pytest.approx(1.0)
    assert limiter.delay(cost=10) > 0  # three of the ten are taken in this window
