"""The service's queue: polling with jitter, one run per group, bursts, live first, back-off."""

from __future__ import annotations

import asyncio
import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.scheduler import JITTER, LocalScheduler, Priority, Timetable


def table(interval: float = 60.0, **kw: float) -> Timetable:
    return Timetable(interval, rng=random.Random(7), **kw)  # type: ignore[arg-type]


def test_groups_are_polled_every_interval_with_jitter() -> None:
    """A group runs at once at start, then again within ±10 % of the interval."""
    t = table()
    t.add("web", 0.0)
    assert t.take(6.0, 4) == ["web"]  # the start is spread over a tenth of the interval
    t.finished("web", 10.0, failed=False)
    due = t.slots["web"].due
    assert 10.0 + 60 * (1 - JITTER) <= due <= 10.0 + 60 * (1 + JITTER)
    assert t.take(due - 0.01, 4) == []
    assert t.take(due, 4) == ["web"]


def test_a_running_group_is_never_started_again() -> None:
    """While a group runs, it is not handed out, however due it is."""
    t = table()
    t.add("web", 0.0)
    assert t.take(10.0, 4) == ["web"]
    assert t.take(1000.0, 4) == []
    t.trigger("web", 1000.0)
    assert t.take(2000.0, 4) == []


def test_a_burst_of_deliveries_makes_one_run() -> None:
    """Fifty triggers while idle make one run; fifty while running make one more after it."""
    t = table(debounce=1.0)
    t.add("web", 0.0)
    t.take(10.0, 4)
    t.finished("web", 11.0, failed=False)
    for n in range(50):
        t.trigger("web", 12.0 + n / 100)
    assert t.take(12.5, 4) == []  # still debouncing the burst
    assert t.take(13.0, 4) == ["web"]  # one second after its first delivery
    for n in range(50):
        t.trigger("web", 13.1 + n / 100)
    t.finished("web", 14.0, failed=False)
    assert t.take(14.2, 4) == ["web"]  # the one waiting run
    t.finished("web", 15.0, failed=False)
    assert t.take(16.0, 4) == []  # and no more


def test_live_edits_go_ahead_of_polls() -> None:
    """With one free slot, a group with a webhook delivery runs before a merely due one."""
    t = table(debounce=0.0)
    for group in ("a", "b"):
        t.add(group, 0.0)
    t.take(100.0, 2)
    t.finished("a", 100.0, failed=False)
    t.finished("b", 100.0, failed=False)
    t.trigger("b", 200.0)
    assert t.take(200.0, 1) == ["b"]  # "a" is overdue too, but "b" has a live edit
    assert t.take(200.0, 1) == ["a"]


def test_failing_groups_back_off_and_recover() -> None:
    """Each failure in a row doubles the wait, up to the cap; a good run resets it."""
    t = table(interval=60.0, max_backoff=600.0)
    t.add("web", 0.0)
    waits = []
    now = 0.0
    for _ in range(6):
        now = t.slots["web"].due
        assert t.take(now, 1) == ["web"]
        t.finished("web", now, failed=True)
        waits.append(t.slots["web"].due - now)
    for wait, expected in zip(waits, [120, 240, 480, 600, 600, 600], strict=True):
        assert expected * (1 - JITTER) <= wait <= expected * (1 + JITTER)
    now = t.slots["web"].due
    t.take(now, 1)
    t.finished("web", now, failed=False)
    assert t.slots["web"].due - now <= 60 * (1 + JITTER)


def test_a_live_edit_does_not_wait_for_the_back_off() -> None:
    """A webhook delivery runs a backed-off group after the debounce."""
    t = table(debounce=1.0, max_backoff=3600.0)
    t.add("web", 0.0)
    t.take(10.0, 1)
    t.finished("web", 10.0, failed=True)
    t.trigger("web", 20.0)
    assert t.take(21.0, 1) == ["web"]


def test_wake_at_is_the_next_due_moment() -> None:
    """The loop sleeps until the earliest due poll or debounced delivery."""
    t = table(debounce=2.0)
    t.add("a", 0.0)
    t.add("b", 0.0)
    t.take(100.0, 2)
    t.finished("a", 100.0, failed=False)
    t.finished("b", 100.0, failed=False)
    t.trigger("b", 110.0)
    assert t.wake_at() == 112.0
    assert t.trigger("nope", 0.0) is False


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["take", "finish", "fail", "trigger", "poll"]),
            st.sampled_from(["a", "b", "c"]),
            st.floats(0, 50),
        ),
        max_size=60,
    )
)
def test_no_group_is_ever_handed_out_twice_at_once(steps: list[tuple[str, str, float]]) -> None:
    """Whatever happens, a group is handed out only when it is not running, and slots hold."""
    t = table(interval=10.0, debounce=0.5)
    now, running = 0.0, set()
    for group in "abc":
        t.add(group, now)
    for step, group, delta in steps:
        now += delta
        if step == "take":
            started = t.take(now, 2 - len(running))
            assert not set(started) & running
            running |= set(started)
            assert len(running) <= 2
        elif step in ("finish", "fail") and group in running:
            running.discard(group)
            t.finished(group, now, failed=step == "fail")
        elif step in ("trigger", "poll"):
            t.trigger(group, now, Priority.LIVE if step == "trigger" else Priority.POLL)


def test_the_local_scheduler_runs_groups_without_overlap_and_stops_cleanly() -> None:
    """Runs repeat per interval, never overlap per group, take triggers, and drain on stop."""
    spans: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}

    async def body() -> None:
        loop = asyncio.get_running_loop()

        async def run(group: str) -> bool:
            start = loop.time()
            await asyncio.sleep(0.02)
            spans[group].append((start, loop.time()))
            return False

        scheduler = LocalScheduler(run, interval=0.05, debounce=0.0, clock=loop.time)
        scheduler.set_groups(["a", "b"])
        stop = asyncio.Event()
        serving = asyncio.create_task(scheduler.serve(stop, grace=1.0))
        await asyncio.sleep(0.3)
        assert scheduler.trigger("a") is True
        assert scheduler.trigger("zzz") is False
        await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(serving, 2.0)
        assert scheduler.running() == set()

    asyncio.run(body())
    for group, runs in spans.items():
        assert len(runs) >= 3, group
        for (_, end), (start, _) in itertools.pairwise(runs):
            assert start >= end, f"{group} overlapped itself"


def test_a_crashing_run_is_logged_and_backs_off() -> None:
    """A run that raises counts as a failure; the scheduler goes on."""

    async def body() -> int:
        loop = asyncio.get_running_loop()
        calls = 0

        async def run(group: str) -> bool:
            nonlocal calls
            calls += 1
            raise RuntimeError("boom")

        scheduler = LocalScheduler(run, interval=0.02, max_backoff=10.0, clock=loop.time)
        scheduler.set_groups(["a"])
        stop = asyncio.Event()
        serving = asyncio.create_task(scheduler.serve(stop))
        await asyncio.sleep(0.3)
        stop.set()
        await serving
        assert scheduler.table.slots["a"].failures == calls
        return calls

    calls = asyncio.run(body())
    assert 2 <= calls <= 6  # 0.02, then 0.04, 0.08, 0.16 s apart: backed off, not hammering


def test_a_live_run_queues_its_requests_ahead_of_polls() -> None:
    """Polls run with backfill priority on shared rate budgets; live runs with live priority."""
    from syncd.http.ratelimit import BACKFILL_PRIORITY, CALL_PRIORITY, LIVE_PRIORITY

    seen: list[int] = []

    async def body() -> None:
        loop = asyncio.get_running_loop()

        ran = asyncio.Event()

        async def run(group: str) -> bool:
            seen.append(CALL_PRIORITY.get())
            ran.set()
            return False

        scheduler = LocalScheduler(
            run, interval=60.0, debounce=0.0, clock=loop.time, rng=random.Random(1)
        )
        scheduler.table.add("a", loop.time() - 10)  # due at once
        scheduler.set_groups(["a"])
        stop = asyncio.Event()
        serving = asyncio.create_task(scheduler.serve(stop))
        await asyncio.wait_for(ran.wait(), 5)  # the first poll, due at once
        ran.clear()
        scheduler.trigger("a")
        await asyncio.wait_for(ran.wait(), 5)
        stop.set()
        await serving

    asyncio.run(body())
    assert seen == [BACKFILL_PRIORITY, LIVE_PRIORITY]
    assert CALL_PRIORITY.get() == LIVE_PRIORITY  # the runs' setting stayed in their tasks
