"""The one retry policy, driven with a fake clock: nothing really sleeps."""

from __future__ import annotations

import pytest

from syncd.errors import MemberError, RateLimited
from syncd.http.retry import Retryable, RetryPolicy, retrying

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeTime:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Flaky:
    """Raises the given errors in turn, then returns "done"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


async def test_retry_after_is_waited_exactly() -> None:
    """A Retry-After below the cap is waited exactly, then the call is repeated."""
    time = FakeTime()
    attempt = Flaky(Retryable("429", rate_limited=True, retry_after=7.0), Retryable("503"))
    controller = retrying(RetryPolicy(jitter=0), sleep=time.sleep, clock=time.clock)
    assert await controller(attempt) == "done"
    assert time.sleeps == [7.0, 1.0]  # the second failure backs off 0.5 * 2


async def test_retry_after_beyond_cap_raises_rate_limited_at_once() -> None:
    """A Retry-After above max_wait raises RateLimited carrying it, without waiting."""
    time = FakeTime()
    attempt = Flaky(Retryable("429", rate_limited=True, retry_after=600.0))
    controller = retrying(RetryPolicy(max_wait=60), member="m", sleep=time.sleep, clock=time.clock)
    with pytest.raises(RateLimited) as caught:
        await controller(attempt)
    assert caught.value.retry_after == 600.0
    assert caught.value.member == "m"
    assert (attempt.calls, time.sleeps) == (1, [])


async def test_backoff_grows_with_jitter_and_stops_after_attempts() -> None:
    """Without Retry-After, waits grow exponentially within jitter, and N attempts end it."""
    time = FakeTime()
    attempt = Flaky(*[Retryable("503 Service Unavailable") for _ in range(10)])
    policy = RetryPolicy(attempts=4, backoff_initial=1.0, backoff_max=30.0, jitter=0.5)
    controller = retrying(policy, member="m", sleep=time.sleep, clock=time.clock)
    with pytest.raises(MemberError, match="gave up after 4 attempts") as caught:
        await controller(attempt)
    assert not isinstance(caught.value, RateLimited)
    assert attempt.calls == 4
    for wait, base in zip(time.sleeps, [1.0, 2.0, 4.0], strict=True):
        assert base <= wait <= base + 0.5


async def test_backoff_is_capped() -> None:
    """No backoff exceeds backoff_max."""
    time = FakeTime()
    attempt = Flaky(*[Retryable("502") for _ in range(8)])
    policy = RetryPolicy(attempts=8, backoff_initial=1.0, backoff_max=3.0, jitter=0, deadline=1e6)
    with pytest.raises(MemberError):
        await retrying(policy, sleep=time.sleep, clock=time.clock)(attempt)
    assert max(time.sleeps) == 3.0


async def test_deadline_stops_before_a_wait_that_would_pass_it() -> None:
    """The next wait is not taken when it would end past the total deadline."""
    time = FakeTime()
    attempt = Flaky(*[Retryable("429", rate_limited=True, retry_after=4.0) for _ in range(9)])
    policy = RetryPolicy(attempts=9, deadline=10.0)
    with pytest.raises(RateLimited) as caught:
        await retrying(policy, sleep=time.sleep, clock=time.clock)(attempt)
    assert time.sleeps == [4.0, 4.0]
    assert caught.value.retry_after == 4.0


async def test_other_errors_are_not_retried() -> None:
    """An exception that is not Retryable goes straight through, with no wait."""
    time = FakeTime()
    attempt = Flaky(KeyError("bug"))
    with pytest.raises(KeyError):
        await retrying(sleep=time.sleep, clock=time.clock)(attempt)
    assert (attempt.calls, time.sleeps) == (1, [])
