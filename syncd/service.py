"""``syncd run``: the background service.

One process reconciles every group of the config on the in-process queue
(``syncd.scheduler``) and serves ``/healthz``, ``/readyz`` and ``/metrics`` (``syncd.web``) on
``service.listen``. Signals:

- SIGTERM / SIGINT: no new runs start; runs in flight get ``grace`` seconds (30) to finish their
  writes and record themselves; the listener closes; the process exits 0. A run cut short by the
  grace limit leaves journaled intents that the next run settles.
- SIGHUP: the config file is read again. A bad new config is refused with a log line naming its
  problems and the old one keeps running; a new ``state`` URL needs a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import structlog
import uvicorn

from syncd import runner
from syncd.config import Config, load_config
from syncd.errors import ConfigError
from syncd.http import calls, ratelimit
from syncd.metrics import Metrics
from syncd.scheduler import LocalScheduler, RunGroup, Scheduler
from syncd.store import Store, default_url
from syncd.web import GroupHealth, make_app
from syncd.webhooks import Webhooks

log = structlog.get_logger(__name__)

GRACE = 30.0  # seconds runs in flight get to finish after SIGTERM


class Service:
    """The service's state: config, store, queue, health and metrics."""

    def __init__(
        self,
        config: Config,
        config_path: Path | str | None = None,
        *,
        store: Store | None = None,
        workers: int = 4,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.store = store or Store.open(config.state or default_url())
        self.metrics = Metrics()
        self.clock = clock
        self.scheduler = _scheduler(config, self._run_group, workers)
        self.scheduler.set_groups(config.groups)
        self._health: dict[str, GroupHealth] = {}

    # -- what the web layer reads (syncd.web.ServiceView) ---------------------------------------

    @property
    def interval(self) -> dt.timedelta:
        return self.config.service.interval

    def groups(self) -> Mapping[str, GroupHealth]:
        running = self.scheduler.running()
        return {
            group: GroupHealth(
                last_run_at=self._health[group].last_run_at if group in self._health else None,
                last_status=self._health[group].last_status if group in self._health else None,
                running=group in running,
            )
            for group in self.config.groups
        }

    def store_ok(self) -> bool:
        try:
            self.store.runs(limit=1)
        except Exception as exc:  # noqa: BLE001  # any failure means "not ready", said in the log
            # The class only: a driver's message may quote the database URL.
            log.warning("service.store.unreachable", error=type(exc).__name__)
            return False
        return True

    def config_loaded(self) -> bool:
        return self.config is not None  # a Service only exists with a valid config

    # -- runs -----------------------------------------------------------------------------------

    async def _run_group(self, group: str) -> bool:
        """One sync of ``group``; whether it failed (for the queue's back-off)."""
        config = self.config
        if group not in config.groups:
            return False  # removed by a reload while it waited
        self.metrics.run_started(group)
        self.metrics.lease(group, owned=True)  # this worker holds the group while it runs
        started = time.perf_counter()
        report = None
        try:
            report = await runner.sync(config, self.store, group)
        finally:
            seconds = time.perf_counter() - started
            status = report.status if report is not None else "failed"
            self.metrics.run_finished(group, report, seconds, status)
            self.metrics.lease(group, owned=False)
            self._health[group] = GroupHealth(self.clock(), status, running=False)
            log.info("service.run", group=group, status=status, seconds=round(seconds, 3))
        return bool(report.member_errors)

    # -- config ---------------------------------------------------------------------------------

    def reload(self) -> bool:
        """Read the config file again (SIGHUP); keep the old config if the new one is bad."""
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("service.reload.refused", problems=exc.problems)
            return False
        if new.state != self.config.state:
            log.error(
                "service.reload.refused",
                problems=["state: a new state store needs a restart of syncd run"],
            )
            return False
        self.config = new
        self.scheduler.set_interval(new.service.interval.total_seconds())
        self.scheduler.set_groups(new.groups)
        log.info("service.reload.done", groups=sorted(new.groups))
        return True

    # -- serving --------------------------------------------------------------------------------

    async def serve(self, stop: asyncio.Event, *, sock: socket.socket | None = None) -> None:
        """Run the queue and the listener until ``stop`` is set; then stop both cleanly."""
        calls.OBSERVERS.append(self._count_call)
        ratelimit.WAIT_OBSERVERS.append(self._count_wait)
        hooks = Webhooks(lambda: self.config, self.scheduler.trigger, self.metrics)
        app = make_app(self, self.metrics, extra_routes=hooks.routes())
        server = _server(app, self.config.service.listen)
        sockets = [sock] if sock is not None else None
        listener = asyncio.create_task(server.serve(sockets=sockets), name="listener")
        listen, groups = self.config.service.listen, len(self.config.groups)
        log.info("service.started", listen=listen, groups=groups)
        try:
            await self.scheduler.serve(stop, grace=GRACE)
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            calls.OBSERVERS.remove(self._count_call)
            ratelimit.WAIT_OBSERVERS.remove(self._count_wait)
            log.info("service.stopped")

    def _count_wait(self, credential: str, seconds: float) -> None:
        # Budgets are per credential, shared by every group using it: labelled by its key (a
        # hash), never by the credential.
        self.metrics.rate_limited(f"credential:{credential}", seconds)

    def _count_call(self, call: calls.CallRecord) -> None:
        # The vendor is named by the API's host: the URL is already redacted, and a host never
        # carries a secret.
        self.metrics.http_call(urlsplit(call.url).hostname or "unknown", call.outcome)


def _scheduler(config: Config, run: RunGroup, workers: int) -> Scheduler:
    """The shared queue on PostgreSQL (several workers), else the in-process one."""
    interval = config.service.interval.total_seconds()
    url = config.state or ""
    if url.startswith("postgres"):
        from syncd.workers import SharedScheduler

        return SharedScheduler(run, url=url, interval=interval, workers=workers)
    backoff = max(config.service.full_resync.total_seconds(), 60.0)
    return LocalScheduler(run, interval=interval, workers=workers, max_backoff=backoff)


def _server(app: object, listen: str) -> uvicorn.Server:
    host, _, port = listen.rpartition(":")
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host.strip("[]") or "127.0.0.1",
        port=int(port),
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None,  # structlog stays in charge of the process's logs
        access_log=False,
    )
    server = uvicorn.Server(config)
    # The service handles SIGTERM/SIGINT itself (graceful drain); uvicorn's own handling would
    # stop the listener first and re-raise the signal.
    server.capture_signals = _no_capture  # type: ignore[method-assign]
    return server


@contextlib.contextmanager
def _no_capture() -> Iterator[None]:
    yield


def run(config_path: Path | str | None, config: Config) -> int:
    """Serve until SIGTERM/SIGINT (exit 0); SIGHUP reloads the config."""

    async def main() -> None:
        service = Service(config, config_path)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, service.reload)
        try:
            await service.serve(stop)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            service.store.close()

    asyncio.run(main())
    return 0
