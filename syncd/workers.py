"""Several ``syncd run`` workers sharing the groups, through procrastinate on PostgreSQL.

The same rules as the in-process queue (``syncd.scheduler``), kept by the database instead of
one process, with procrastinate (a PostgreSQL job queue: ``FOR UPDATE SKIP LOCKED``,
LISTEN/NOTIFY, worker heartbeats) rather than a home-made scheduler:

- **One job per group run**, with the group as ``lock`` (two runs of a group never overlap,
  whichever workers take them) and as ``queueing_lock`` (a burst of triggers collapses into one
  waiting job; a trigger meeting one answers ``AlreadyEnqueued``, which is the point).
- **Polls, deduplicated across workers**: every worker computes the same poll slots for a group
  (multiples of the interval, offset per group so groups spread out) and defers the slot's job
  through procrastinate's periodic deferral, which the database lets happen once per slot
  whatever the number of workers.
- **Live edits first**: a webhook delivery received by any worker defers the group's job at a
  higher priority, after the debounce.
- **Stalled jobs**: workers send heartbeats; each worker sweeps, every half heartbeat timeout,
  the jobs of workers silent for longer than the timeout (killed mid-run) back to the queue, so
  their groups are not blocked by a dead worker's lock for longer than that.

- **Shared rate budgets**: each worker counts the live workers and paces itself at its share of
  every credential's budget, so N workers on one Trello token together stay under its limit.

Back-off of failing groups is per worker here (the worker that ran a failing group skips its
next slots); a group failing on every worker backs off on each of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections.abc import Callable, Iterable

import procrastinate
import structlog
from procrastinate import exceptions as pexc
from procrastinate import jobs

from syncd.http.ratelimit import (
    BACKFILL_PRIORITY,
    CALL_PRIORITY,
    LIVE_PRIORITY,
    share_budgets,
)
from syncd.scheduler import RunGroup

log = structlog.get_logger(__name__)

TASK = "syncd.sync_group"
LIVE, POLL = 10, 0  # procrastinate runs higher priorities first


def conninfo(url: str) -> str:
    """A libpq URI from the state URL (SQLAlchemy's ``postgresql+psycopg://`` form too)."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith("postgres"):
        raise ValueError("the shared queue needs a postgresql:// state URL")
    return f"postgresql://{rest}"


class SharedScheduler:
    """The queue of several workers: same interface as ``LocalScheduler``."""

    def __init__(
        self,
        run: RunGroup,
        *,
        url: str,
        interval: float,
        workers: int = 4,
        debounce: float = 1.0,
        heartbeat_timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._run = run
        self.interval = interval
        self.workers = workers
        self.debounce = debounce
        self.heartbeat_timeout = heartbeat_timeout
        self.clock = clock
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=conninfo(url))
        )
        self.task = self.app.task(name=TASK, retry=False)(self._job)
        self.groups: set[str] = set()
        self._running: set[str] = set()
        self._failures: dict[str, int] = {}
        self._deferred: dict[str, int] = {}  # group -> last poll slot this worker deferred
        self._pending: set[asyncio.Task[None]] = set()
        self.sharing = 1  # workers sharing the credentials' budgets, as last counted

    # -- the interface the service uses ---------------------------------------------------------

    def set_groups(self, groups: Iterable[str]) -> None:
        """Schedule exactly these groups (at start, and after a config reload)."""
        self.groups = set(groups)

    def set_interval(self, seconds: float) -> None:
        """A new poll period (a config reload)."""
        self.interval = seconds

    def running(self) -> set[str]:
        """The groups this worker is reconciling now."""
        return set(self._running)

    def trigger(self, group: str, *, live: bool = True) -> bool:
        """Ask for a run of ``group`` (deferred in the background); whether it is known."""
        if group not in self.groups:
            return False
        task = asyncio.get_running_loop().create_task(self._defer_live(group, live))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return True

    async def serve(self, stop: asyncio.Event, *, grace: float = 30.0) -> None:
        """Work the shared queue until ``stop``; then let runs in flight finish (``grace``)."""
        async with self.app.open_async():
            await self._ensure_schema()
            worker = asyncio.create_task(
                self.app.run_worker_async(
                    concurrency=self.workers,
                    wait=True,
                    install_signal_handlers=False,
                    shutdown_graceful_timeout=grace,
                    update_heartbeat_interval=max(self.heartbeat_timeout / 6, 0.5),
                    stalled_worker_timeout=self.heartbeat_timeout,
                    delete_jobs="successful",
                    listen_notify=True,
                    # NOTIFY wakes workers for new jobs, but not when a debounced job's time
                    # comes or a group's lock frees: look again often (a cheap SKIP LOCKED query).
                    fetch_job_polling_interval=0.5,
                )
            )
            helpers = [
                asyncio.create_task(self._poll_loop(stop)),
                asyncio.create_task(self._sweep_loop(stop)),
                asyncio.create_task(self._budget_loop(stop)),
            ]
            await stop.wait()
            for helper in helpers:
                helper.cancel()
            worker.cancel()  # procrastinate stops fetching and waits up to the grace period
            for task in (*helpers, worker):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # -- jobs -----------------------------------------------------------------------------------

    async def _job(self, group: str, timestamp: int = 0, live: bool = False) -> None:
        """One group run, as a procrastinate job."""
        if group not in self.groups:
            return  # removed by a reload
        CALL_PRIORITY.set(LIVE_PRIORITY if live else BACKFILL_PRIORITY)
        self._running.add(group)
        try:
            failed = await self._run(group)
        except Exception as exc:  # noqa: BLE001  # one group's crash must not stop the worker
            log.error("service.run.crashed", group=group, error=f"{type(exc).__name__}: {exc}")
            failed = True
        finally:
            self._running.discard(group)
        self._failures[group] = self._failures.get(group, 0) + 1 if failed else 0

    async def _defer_live(self, group: str, live: bool) -> None:
        deferrer = self.task.configure(
            lock=group,
            queueing_lock=group,
            priority=LIVE if live else POLL,
            schedule_in={"seconds": round(self.debounce) if live else 0},
        )
        with contextlib.suppress(pexc.AlreadyEnqueued):  # a waiting run will see this edit too
            await deferrer.defer_async(group=group, live=live)

    # -- polls and the sweeper ------------------------------------------------------------------

    def slot(self, group: str, now: float) -> int:
        """The group's latest poll slot at ``now`` (the same on every worker)."""
        offset = zlib.crc32(group.encode()) % max(int(self.interval), 1)
        return int((now - offset) // self.interval * self.interval + offset)

    async def _poll_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            now = self.clock()
            for group in sorted(self.groups):
                slot = self.slot(group, now)
                if self._deferred.get(group) == slot or self._backing_off(group, slot):
                    continue
                self._deferred[group] = slot
                await self._defer_poll(group, slot)
            await asyncio.sleep(min(1.0, self.interval / 10))

    def _backing_off(self, group: str, slot: int) -> bool:
        failures = self._failures.get(group, 0)
        if not failures:
            return False
        every = 2 ** min(failures, 10)  # run one slot in 2**n while failing
        return bool((slot // max(int(self.interval), 1)) % every != 0)

    async def _defer_poll(self, group: str, slot: int) -> None:
        deferrer = self.task.configure(
            lock=group, queueing_lock=group, priority=POLL, task_kwargs={"timestamp": slot}
        )
        with contextlib.suppress(pexc.AlreadyEnqueued):  # a run is waiting already
            await deferrer.job_manager.defer_periodic_job(
                job=deferrer.job.evolve(task_kwargs={"group": group, "timestamp": slot}),
                periodic_id=group,
                defer_timestamp=slot,
            )

    async def _sweep_loop(self, stop: asyncio.Event) -> None:
        manager = self.task.configure().job_manager
        while not stop.is_set():
            await asyncio.sleep(max(self.heartbeat_timeout / 2, 0.5))
            stalled = await manager.get_stalled_jobs(
                task_name=TASK, seconds_since_heartbeat=self.heartbeat_timeout
            )
            for job in stalled:
                log.warning("service.job.stalled", group=job.task_kwargs.get("group"))
                try:
                    await manager.retry_job(job)
                except pexc.UniqueViolation:
                    # A run of the group is already waiting: end the dead one, which frees the
                    # group's lock for it.
                    await manager.finish_job(job, status=jobs.Status.FAILED, delete_job=False)

    async def _budget_loop(self, stop: asyncio.Event) -> None:
        """Keep this worker to its share of every credential's rate budget.

        The vendors' limits are per credential, whoever spends them: with N live workers (a
        heartbeat within the timeout), each paces itself at 1/N of each budget.
        """
        while not stop.is_set():
            found = await self.app.connector.execute_query_one_async(
                "SELECT count(*) AS n FROM procrastinate_workers"
                " WHERE last_heartbeat > now() - make_interval(secs => %(timeout)s)",
                timeout=self.heartbeat_timeout,
            )
            workers = max(int(found["n"]), 1)
            if workers != self.sharing:
                log.info("service.budget.shared", workers=workers)
                self.sharing = workers
                share_budgets(workers)
            await asyncio.sleep(max(self.heartbeat_timeout / 3, 0.5))

    async def _ensure_schema(self) -> None:
        """Apply procrastinate's schema if the database has none yet.

        The schema is one statement, so one transaction: two workers starting together cannot
        leave half of it; the one that loses the race finds the objects there and goes on.
        """
        if await self._schema_present():
            return
        try:
            await self.app.schema_manager.apply_schema_async()
        except Exception:
            if not await self._schema_present():  # not the race with another worker
                raise
            return
        log.info("service.queue.schema_applied")

    async def _schema_present(self) -> bool:
        found = await self.app.connector.execute_query_one_async(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        return bool(found["present"])
