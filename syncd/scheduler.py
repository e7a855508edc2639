"""Which group runs when: the service's queue of group runs.

The rules, the same for this in-process queue (SQLite, one worker) and for the PostgreSQL queue
that several workers share:

- **One run of a group at a time**: the group is the lock.
- **A burst collapses**: a group has at most one waiting run, however many triggers arrive
  (the group is also the queueing lock); a trigger during a run asks for one run after it.
- **Polling**: each group runs every ``interval``, with jitter (±10 %) so that groups started
  together spread out. The engine itself turns a run into a complete read once ``full_resync``
  has passed (``SyncOptions.full_resync``), so the queue needs no second timer for it.
- **Live edits first**: a run triggered by a webhook (``live``) starts ``debounce`` after the
  first delivery of a burst, and goes ahead of polls when all run slots are taken.
- **Back-off**: a group whose runs fail (a member unreadable, or the run raising) waits
  ``interval * 2**n`` after its n-th failure in a row, capped at ``max_backoff``; its first good
  run brings it back to the interval. A live trigger does not wait for the back-off: the edit is
  real, and a run is cheap to refuse.

``Timetable`` holds these rules as a pure, synchronous state machine over a clock value, so they
are tested without sleeping; ``LocalScheduler`` runs it on asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

import structlog

from syncd.http.ratelimit import BACKFILL_PRIORITY, CALL_PRIORITY, LIVE_PRIORITY

log = structlog.get_logger(__name__)

JITTER = 0.1


class Priority(IntEnum):
    """Why a run is wanted; lower goes first."""

    LIVE = 0  # a webhook delivery: a person just edited something
    POLL = 1  # the interval passed (or the service started)


@dataclass
class Slot:
    """What the timetable knows of one group."""

    due: float  # clock value at which the group's next poll is due
    waiting: Priority | None = None  # a run asked for by a trigger
    waiting_since: float = 0.0
    running: bool = False
    failures: int = 0  # failed runs in a row
    live: bool = False  # whether the run handed out (or last run) was asked for by a live edit


@dataclass
class Timetable:
    """The queue's rules over a clock value (seconds); pure and synchronous."""

    interval: float
    debounce: float = 1.0
    max_backoff: float = 3600.0
    rng: random.Random = field(default_factory=random.Random)  # jitter only
    slots: dict[str, Slot] = field(default_factory=dict)

    def add(self, group: str, now: float) -> None:
        """Start polling a group: its first run is due at once (spread by the jitter)."""
        if group not in self.slots:
            self.slots[group] = Slot(due=now + self.rng.uniform(0, self.interval * JITTER))

    def remove(self, group: str) -> None:
        """Stop scheduling a group (a run in progress finishes)."""
        self.slots.pop(group, None)

    def trigger(self, group: str, now: float, priority: Priority = Priority.LIVE) -> bool:
        """Ask for a run of ``group``; whether the group is known."""
        slot = self.slots.get(group)
        if slot is None:
            return False
        if slot.waiting is None:
            slot.waiting, slot.waiting_since = priority, now
        elif priority < slot.waiting:
            slot.waiting = priority  # a burst keeps its first delivery's time: bounded latency
        return True

    def take(self, now: float, free: int) -> list[str]:
        """The groups to start now (at most ``free``), marked running; live ones first."""
        ready: list[tuple[int, float, str]] = []
        for group, slot in self.slots.items():
            if slot.running:
                continue
            if slot.waiting == Priority.LIVE and now >= slot.waiting_since + self.debounce:
                ready.append((Priority.LIVE, slot.waiting_since, group))
            elif now >= slot.due:
                ready.append((Priority.POLL, slot.due, group))
            elif slot.waiting == Priority.POLL:
                ready.append((Priority.POLL, slot.waiting_since, group))
        picked = sorted(ready)[: max(free, 0)]
        for priority, _, group in picked:
            slot = self.slots[group]
            slot.running, slot.waiting, slot.live = True, None, priority == Priority.LIVE
        return [group for _, _, group in picked]

    def finished(self, group: str, now: float, *, failed: bool) -> None:
        """Record a run's end and set the group's next poll."""
        slot = self.slots.get(group)
        if slot is None:
            return
        slot.running = False
        slot.failures = slot.failures + 1 if failed else 0
        wait = self.interval * (2 ** min(slot.failures, 30)) if failed else self.interval
        wait = min(wait, max(self.max_backoff, self.interval))
        slot.due = now + wait * self.rng.uniform(1 - JITTER, 1 + JITTER)

    def wake_at(self) -> float | None:
        """When something next becomes due (None: nothing scheduled)."""
        times: list[float] = []
        for slot in self.slots.values():
            if slot.running:
                continue
            times.append(slot.due)
            if slot.waiting == Priority.LIVE:
                times.append(slot.waiting_since + self.debounce)
            elif slot.waiting == Priority.POLL:
                times.append(slot.waiting_since)
        return min(times, default=None)


RunGroup = Callable[[str], Awaitable[bool]]
"""Runs one group once; returns whether it failed (a member unreadable, or nothing done)."""


class Scheduler(Protocol):
    """What the service asks of a queue: this in-process one, or the shared one on PostgreSQL
    (``syncd.workers``)."""

    def set_groups(self, groups: Iterable[str]) -> None: ...
    def set_interval(self, seconds: float) -> None: ...
    def trigger(self, group: str, *, live: bool = True) -> bool: ...
    def running(self) -> set[str]: ...
    async def serve(self, stop: asyncio.Event, *, grace: float = 30.0) -> None: ...


class LocalScheduler:
    """The in-process queue (the SQLite default): a timetable served on asyncio."""

    def __init__(
        self,
        run: RunGroup,
        *,
        interval: float,
        workers: int = 4,
        debounce: float = 1.0,
        max_backoff: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._run = run
        self.workers = workers
        self.clock = clock
        self.table = Timetable(interval, debounce, max_backoff, rng or random.Random())  # noqa: S311  # jitter, not crypto
        self._wake = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def set_groups(self, groups: Iterable[str]) -> None:
        """Schedule exactly these groups (at start, and after a config reload)."""
        wanted = set(groups)
        now = self.clock()
        for group in list(self.table.slots):
            if group not in wanted:
                self.table.remove(group)
        for group in sorted(wanted):
            self.table.add(group, now)
        self._wake.set()

    def set_interval(self, seconds: float) -> None:
        """A new poll period (a config reload); it applies from each group's next run."""
        self.table.interval = seconds

    def trigger(self, group: str, *, live: bool = True) -> bool:
        """Ask for a run of ``group`` (a webhook delivery when ``live``); whether it is known."""
        priority = Priority.LIVE if live else Priority.POLL
        known = self.table.trigger(group, self.clock(), priority)
        self._wake.set()
        return known

    def running(self) -> set[str]:
        """The groups being reconciled now."""
        return set(self._tasks)

    async def serve(self, stop: asyncio.Event, *, grace: float = 30.0) -> None:
        """Start runs as they fall due until ``stop`` is set; then let the runs in flight
        finish for up to ``grace`` seconds (a run cut short is settled by the journal next
        time)."""
        while not stop.is_set():
            free = self.workers - len(self._tasks)
            for group in self.table.take(self.clock(), free):
                self._tasks[group] = asyncio.create_task(self._one(group), name=f"sync {group}")
            await self._sleep(stop)
        await self._drain(grace)

    async def _sleep(self, stop: asyncio.Event) -> None:
        wake = self.table.wake_at()
        timeout = None if wake is None else max(0.0, wake - self.clock())
        self._wake.clear()
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _one(self, group: str) -> None:
        failed = True
        slot = self.table.slots.get(group)
        live = slot is not None and slot.live
        # The run's vendor requests queue on shared credentials behind live edits' (this task's
        # own context: other groups' runs keep theirs).
        CALL_PRIORITY.set(LIVE_PRIORITY if live else BACKFILL_PRIORITY)
        try:
            failed = await self._run(group)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  # one group's crash must not stop the others
            log.error("service.run.crashed", group=group, error=f"{type(exc).__name__}: {exc}")
        finally:
            self.table.finished(group, self.clock(), failed=failed)
            self._tasks.pop(group, None)
            self._wake.set()

    async def _drain(self, grace: float) -> None:
        if not self._tasks:
            return
        log.info("service.stopping", running=sorted(self._tasks), grace_s=grace)
        pending = list(self._tasks.values())
        _, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
