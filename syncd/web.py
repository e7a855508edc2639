"""The service's HTTP listener: ``/healthz``, ``/readyz`` and ``/metrics`` (a starlette app).

``GET /healthz`` answers 200 whenever the process answers: it is the liveness probe.

``GET /readyz`` answers 200 when the service is doing its job, else 503 with every reason:

- the configuration is loaded;
- the state store answers within ``store_timeout`` (a hung store means not ready, never a hung
  probe);
- every group finished a run within the last ``READY_AFTER_INTERVALS`` intervals, two polls
  missed being the sign of a stuck scheduler.

The age of a group's last run is counted at the earliest from when the app first knew the
group: its creation for the groups configured then, the first probe that sees it for a group
added later by a config reload. A run that finished before that (the view may report one from
the state store, before a restart) or no run at all is not held against a service that has
not yet had those intervals to run it. So a fresh service is ready at once and, when its first
runs finish in time, stays so; a group whose runs stop, or whose first run never finishes,
makes it not ready three intervals later.

What readiness deliberately ignores:

- a run in progress does not excuse a stale group (a hung run looks the same as a slow one);
  its problem says a run is in progress, so a long first sync is told apart from a stopped one;
- a run's status: a group failing because a vendor is down is not cured by routing traffic
  elsewhere or restarting; alert on ``syncd_runs_total{status="failed"}`` instead.

``GET /metrics`` serves `syncd.metrics.Metrics` in the Prometheus text format. Any other path
is 404; HEAD is answered on every GET route, for Docker and Kubernetes probes. Responses hold
group names, times and fixed words only, never a secret or an exception's message. A failed
readiness probe logs one ``web.not_ready`` line; a passing probe logs nothing (probes run
every few seconds).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from syncd.metrics import Metrics

log = structlog.get_logger(__name__)

READY_AFTER_INTERVALS = 3  # a group whose last run is older than this many intervals is stale
STORE_TIMEOUT = 2.0  # seconds the readiness probe waits for the state store


@dataclass(frozen=True)
class GroupHealth:
    """One group as the readiness probe sees it."""

    last_run_at: dt.datetime | None  # UTC, end of the last finished run (any status)
    last_status: str | None  # ok | partial | failed
    running: bool


class ServiceView(Protocol):
    """What the service exposes to the web layer."""

    @property
    def interval(self) -> dt.timedelta:
        """The poll period of every group (config ``service.interval``)."""
        ...

    def groups(self) -> Mapping[str, GroupHealth]:
        """Every configured group, by name."""
        ...

    def store_ok(self) -> bool:
        """Whether the state store answers; may block (it is called in a thread)."""
        ...

    def config_loaded(self) -> bool:
        """Whether the configuration was loaded and validated."""
        ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_app(
    view: ServiceView,
    metrics: Metrics,
    *,
    clock: Callable[[], dt.datetime] = _utcnow,
    extra_routes: Sequence[BaseRoute] = (),
    store_timeout: float = STORE_TIMEOUT,
) -> Starlette:
    """Build the service's HTTP app.

    Args:
        view: the running service's state.
        metrics: what ``/metrics`` serves.
        clock: the current time, in UTC; read once now (the start of the readiness grace
            period of the groups configured now) and at each probe.
        extra_routes: more routes (the webhooks), mounted after the probes.
        store_timeout: seconds ``/readyz`` waits for ``view.store_ok()``.

    Returns:
        The starlette app, to be served by uvicorn.
    """
    readiness = Readiness(view, clock, StoreCheck(view.store_ok, store_timeout))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        problems = await readiness.problems()
        if not problems:
            return JSONResponse({"status": "ready"})
        log.warning("web.not_ready", problems=problems)
        return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)

    async def metrics_endpoint(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, headers={"Content-Type": content_type})

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),  # GET routes answer HEAD too
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *extra_routes,
    ]
    return Starlette(routes=routes)


class Readiness:
    """Decides whether the service is ready (see the module's docstring).

    Args:
        view: the running service's state.
        clock: the current time, in UTC; read now, as the start of every current group's grace
            period, and at each probe.
        store: the state store's check.
    """

    def __init__(
        self, view: ServiceView, clock: Callable[[], dt.datetime], store: StoreCheck
    ) -> None:
        self._view = view
        self._clock = clock
        self._store = store
        started = clock()
        self._known_since = dict.fromkeys(view.groups(), started)

    async def problems(self) -> list[str]:
        """Return every reason the service is not ready; empty when it is."""
        problems = [] if self._view.config_loaded() else ["configuration not loaded"]
        store_problem = await self._store.problem()
        if store_problem:
            problems.append(store_problem)
        return problems + self._stale_groups()

    def _stale_groups(self) -> list[str]:
        groups, now = self._view.groups(), self._clock()
        # Rebuilt each time, so a group removed then added again gets a new grace period.
        self._known_since = {name: self._known_since.get(name, now) for name in groups}
        interval = self._view.interval
        return [
            problem
            for name in sorted(groups)
            if (problem := stale(name, groups[name], interval, now, self._known_since[name]))
        ]


def stale(
    name: str, health: GroupHealth, interval: dt.timedelta, now: dt.datetime, since: dt.datetime
) -> str | None:
    """Return why the group is stale, or None when its last run is recent enough.

    Args:
        name: the group's name.
        health: the group's state.
        interval: the poll period.
        now: the current time.
        since: when the service started to run the group; earlier runs count as ending then.

    Returns:
        One line naming the group and its last run, or None.
    """
    last = _utc(health.last_run_at) if health.last_run_at else None
    if now - max(last or since, since) <= READY_AFTER_INTERVALS * interval:
        return None
    limit = f"{READY_AFTER_INTERVALS} intervals of {interval.total_seconds():g}s"
    if last:
        seen = f"last run {last.isoformat(timespec='seconds')}, older than {limit}"
    else:
        seen = f"no run finished within {limit}"
    busy = "; a run is in progress" if health.running else ""
    return f"group {name}: {seen}{busy}"


def _utc(moment: dt.datetime) -> dt.datetime:
    """The moment as an aware UTC time (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class StoreCheck:
    """Asks the state store whether it answers, without ever making a probe wait past a timeout.

    The check runs in a daemon thread of its own, one at a time: probes that arrive while it
    runs wait for the same answer, so a hung store holds one thread, not one per probe, and a
    thread still hung at exit does not keep the process alive. (starlette's
    ``run_in_threadpool`` does not fit: anyio shields a worker thread's call from cancellation,
    so a timeout around it would wait for the hung call, and its worker threads are not daemons.)

    Args:
        check: the store's check; True when the store answers.
        timeout: seconds to wait for an answer.
    """

    def __init__(self, check: Callable[[], bool], timeout: float) -> None:
        self._check = check
        self._timeout = timeout
        self._pending: concurrent.futures.Future[bool] | None = None

    async def problem(self) -> str | None:
        """Return None when the store answered in time, else why the service is not ready."""
        if self._pending is None or self._pending.done():
            self._pending = self._start()
        try:
            ok = await asyncio.wait_for(asyncio.wrap_future(self._pending), self._timeout)
        except TimeoutError:
            return f"state store did not answer within {self._timeout:g}s"
        # Whatever the check raised means the store does not answer; only its class is shown,
        # as its message may hold the database URL.
        except Exception as exc:  # noqa: BLE001
            return f"state store check failed ({type(exc).__name__})"
        return None if ok else "state store unreachable"

    def _start(self) -> concurrent.futures.Future[bool]:
        future: concurrent.futures.Future[bool] = concurrent.futures.Future()
        # Running futures cannot be cancelled: a probe that times out leaves the check to finish.
        future.set_running_or_notify_cancel()

        def run() -> None:
            try:
                future.set_result(self._check())
            # Handed to the waiting probes, which report it; nothing else would see it.
            except BaseException as exc:  # noqa: BLE001
                future.set_exception(exc)

        threading.Thread(target=run, name="syncd-store-check", daemon=True).start()
        return future
