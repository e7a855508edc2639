"""The service's HTTP listener: health, readiness and metrics, with a fake service view."""

from __future__ import annotations

import datetime as dt
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from structlog.testing import capture_logs

from syncd.actions import Plan
from syncd.apply import ApplyResult
from syncd.engine import RunReport
from syncd.metrics import Metrics
from syncd.web import GroupHealth, make_app

# starlette 1.10 prefers httpx2 for its test client and warns once, at import, when it falls back
# to httpx (which the project installs and which works); only that warning is silenced.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", "Using `httpx` with `starlette.testclient`", StarletteDeprecationWarning
    )
    from starlette.testclient import TestClient

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
INTERVAL = dt.timedelta(seconds=60)
DSN_PASSWORD = "pg-PASSWORD-5e6f7a8b"


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@dataclass
class FakeView:
    """A service view whose answers the test sets."""

    health: dict[str, GroupHealth] = field(default_factory=dict)
    store: Callable[[], bool] = lambda: True
    loaded: bool = True
    interval: dt.timedelta = INTERVAL

    def groups(self) -> Mapping[str, GroupHealth]:
        return dict(self.health)

    def store_ok(self) -> bool:
        return self.store()

    def config_loaded(self) -> bool:
        return self.loaded


def _never_ran() -> GroupHealth:
    return GroupHealth(last_run_at=None, last_status=None, running=False)


def _ran(at: dt.datetime, *, running: bool = False) -> GroupHealth:
    return GroupHealth(last_run_at=at, last_status="ok", running=running)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def view() -> FakeView:
    return FakeView(health={"web": _never_ran()})


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def client(view: FakeView, metrics: Metrics, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(make_app(view, metrics, clock=clock, store_timeout=0.2)) as test_client:
        yield test_client


def _problems(client: TestClient) -> list[str]:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    problems: list[str] = body["problems"]
    return problems


def test_healthz_answers_ok(client: TestClient, view: FakeView) -> None:
    """/healthz is 200 whenever the process answers, even when it is not ready."""
    view.loaded = False
    view.store = lambda: False
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_head_is_answered_on_every_probe(client: TestClient, path: str) -> None:
    """Docker and Kubernetes probes may use HEAD: it gets the GET's status and no body."""
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""


def test_unknown_paths_are_404(client: TestClient) -> None:
    """Any other path is not found."""
    assert client.get("/").status_code == 404
    assert client.get("/webhooks/acme-jira").status_code == 404
    assert client.get("/healthz/extra").status_code == 404


def test_other_methods_on_probes_are_refused(client: TestClient) -> None:
    """The probes answer GET and HEAD only."""
    assert client.post("/healthz").status_code == 405


def test_extra_routes_are_served(view: FakeView, metrics: Metrics) -> None:
    """Routes passed in (the webhooks, later) are served beside the probes."""

    async def hook(request: Request) -> Response:
        return PlainTextResponse(request.path_params["connection"])

    route = Route("/webhooks/{connection}", hook, methods=["POST"])
    with TestClient(make_app(view, metrics, extra_routes=[route])) as client:
        assert client.post("/webhooks/acme-jira").text == "acme-jira"


def test_fresh_service_is_ready_before_its_first_runs(client: TestClient, clock: FakeClock) -> None:
    """A group that never ran does not make a fresh service unready during 3 intervals."""
    clock.advance(3 * INTERVAL)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_group_that_never_ran_is_unready_after_three_intervals(
    client: TestClient, clock: FakeClock
) -> None:
    """Three intervals after the start, a group without a finished run makes the service unready."""
    clock.advance(3 * INTERVAL + dt.timedelta(seconds=1))
    assert _problems(client) == ["group web: no run finished within 3 intervals of 60s"]


def test_run_from_before_the_start_gets_the_same_grace(
    client: TestClient, view: FakeView, clock: FakeClock
) -> None:
    """A last run older than the service itself is not held against it during 3 intervals."""
    view.health["web"] = _ran(START - dt.timedelta(days=2))
    assert client.get("/readyz").status_code == 200
    clock.advance(3 * INTERVAL + dt.timedelta(seconds=1))
    assert _problems(client) == [
        "group web: last run 2026-02-27T12:00:00+00:00, older than 3 intervals of 60s"
    ]


def test_recent_run_keeps_the_service_ready(
    client: TestClient, view: FakeView, clock: FakeClock
) -> None:
    """A group whose last run is no older than 3 intervals is fresh, long after the start."""
    clock.advance(dt.timedelta(hours=5))
    view.health["web"] = _ran(clock.now - 3 * INTERVAL)
    assert client.get("/readyz").status_code == 200


def test_stale_group_is_named(client: TestClient, view: FakeView, clock: FakeClock) -> None:
    """A group whose last run is older than 3 intervals makes the service unready, by name."""
    clock.advance(dt.timedelta(hours=1))
    view.health["web"] = _ran(clock.now - 4 * INTERVAL)
    view.health["ops"] = _ran(clock.now - INTERVAL)
    assert _problems(client) == [
        "group web: last run 2026-03-01T12:56:00+00:00, older than 3 intervals of 60s"
    ]


def test_running_group_is_judged_by_its_last_finished_run(
    client: TestClient, view: FakeView, clock: FakeClock
) -> None:
    """A run in progress neither harms a fresh group nor excuses a stale one, and is mentioned."""
    clock.advance(dt.timedelta(hours=1))
    view.health["web"] = _ran(clock.now - INTERVAL, running=True)
    assert client.get("/readyz").status_code == 200
    clock.advance(3 * INTERVAL)
    assert _problems(client) == [
        "group web: last run 2026-03-01T12:59:00+00:00, older than 3 intervals of 60s; "
        "a run is in progress"
    ]


def test_group_added_later_gets_its_own_grace(
    client: TestClient, view: FakeView, clock: FakeClock
) -> None:
    """A group added by a config reload has 3 intervals from when it is first seen."""
    clock.advance(dt.timedelta(hours=1))
    view.health = {"web": _ran(clock.now), "ops": _never_ran()}
    assert client.get("/readyz").status_code == 200
    clock.advance(3 * INTERVAL)
    view.health["web"] = _ran(clock.now)
    assert client.get("/readyz").status_code == 200
    clock.advance(dt.timedelta(seconds=1))
    view.health["web"] = _ran(clock.now)
    assert _problems(client) == ["group ops: no run finished within 3 intervals of 60s"]


def test_naive_last_run_is_taken_as_utc(
    client: TestClient, view: FakeView, clock: FakeClock
) -> None:
    """A last run without a time zone is read as UTC rather than failing the probe."""
    clock.advance(dt.timedelta(hours=1))
    view.health["web"] = _ran(clock.now.replace(tzinfo=None))
    assert client.get("/readyz").status_code == 200


def test_config_not_loaded_is_unready(client: TestClient, view: FakeView) -> None:
    """Without a loaded configuration the service is not ready."""
    view.loaded = False
    assert _problems(client) == ["configuration not loaded"]


def test_unreachable_store_is_unready(client: TestClient, view: FakeView) -> None:
    """A store that does not answer makes the service unready."""
    view.store = lambda: False
    assert _problems(client) == ["state store unreachable"]


def test_store_error_shows_its_class_only(client: TestClient, view: FakeView) -> None:
    """A store check that raises makes the service unready without leaking its message."""

    def broken() -> bool:
        raise ConnectionError(f"postgresql://syncd:{DSN_PASSWORD}@db/syncd refused")

    view.store = broken
    with capture_logs() as logs:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["state store check failed (ConnectionError)"]
    assert DSN_PASSWORD not in response.text
    assert DSN_PASSWORD not in repr(logs)


def test_every_problem_is_listed(client: TestClient, view: FakeView, clock: FakeClock) -> None:
    """All reasons are reported together, configuration and store first."""
    view.loaded = False
    view.store = lambda: False
    clock.advance(dt.timedelta(hours=1))
    assert _problems(client) == [
        "configuration not loaded",
        "state store unreachable",
        "group web: no run finished within 3 intervals of 60s",
    ]


def test_hung_store_is_unready_within_the_timeout(client: TestClient, view: FakeView) -> None:
    """A store that hangs gives 503 within the timeout, and later probes wait on the same check."""
    release = threading.Event()
    calls: list[int] = []

    def hung() -> bool:
        calls.append(1)
        release.wait(10)
        return True

    view.store = hung
    try:
        for _ in range(3):
            started = time.monotonic()
            assert _problems(client) == ["state store did not answer within 0.2s"]
            assert time.monotonic() - started < 2
        assert len(calls) == 1
    finally:
        release.set()
    deadline = time.monotonic() + 5
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_failed_probe_logs_once_and_success_not_at_all(client: TestClient, view: FakeView) -> None:
    """A failed readiness probe logs one web.not_ready line; passing probes log nothing."""
    with capture_logs() as logs:
        client.get("/healthz")
        client.get("/readyz")
        client.get("/metrics")
    assert logs == []
    view.store = lambda: False
    with capture_logs() as logs:
        client.get("/readyz")
    assert logs == [
        {"event": "web.not_ready", "log_level": "warning", "problems": ["state store unreachable"]}
    ]


def test_metrics_endpoint_serves_the_counters(client: TestClient, metrics: Metrics) -> None:
    """/metrics serves the Prometheus text of the app's Metrics, with run labels."""
    result = ApplyResult(created=Counter({"acme-jira": 2}))
    metrics.run_started("web")
    metrics.run_finished("web", RunReport("web", Plan("web"), result=result), 0.5, "ok")
    metrics.run_finished("web", None, 0.1, "failed")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == metrics.render()[1]
    text = response.text
    assert 'syncd_runs_total{group="web",status="ok"} 1.0' in text
    assert 'syncd_runs_total{group="web",status="failed"} 1.0' in text
    assert (
        'syncd_records_written_total{action="created",group="web",member="acme-jira"} 2.0' in text
    )
    assert 'syncd_group_running{group="web"} 0.0' in text
