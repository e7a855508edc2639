"""The Asana simulator's operations: rate limits, injected faults, the /_sim/ control API,
saved state, and serving over real HTTP (in-process and from the command line)."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.asana.simulator import AsanaSimulator, RateLimit, serve
from tests.contract.openapi import ASANA, checking_hooks, spec_if_present
from tests.unit.asana.test_simulator import BASE, Site, open_site

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parents[3]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with open_site() as opened:
        yield opened


# --- rate limits --------------------------------------------------------------------------------


async def test_over_the_minute_budget_is_429_with_retry_after() -> None:
    """The third call in a 2-per-minute window is 429 with Retry-After in seconds."""
    async with open_site(rate_limit=RateLimit(per_minute=2)) as site:
        for _ in range(2):
            assert (await site.request("GET", "/users/me")).status_code == 200
        site.clock.advance(15)
        limited = await site.request("GET", "/users/me")
        assert (limited.status_code, limited.headers["Retry-After"]) == (429, "45")
        assert limited.json()["errors"][0]["message"].startswith("You've made too many requests")
        site.clock.advance(45)
        assert (await site.request("GET", "/users/me")).status_code == 200


async def test_too_many_requests_in_flight_is_429() -> None:
    """Beyond the concurrent-read cap a request is 429 while the others are in flight."""
    limit = RateLimit(per_minute=None, reads=2, writes=1)
    async with open_site(rate_limit=limit, latency=0.05) as site:
        answers = await asyncio.gather(*(site.request("GET", "/users/me") for _ in range(3)))
        assert sorted(r.status_code for r in answers) == [200, 200, 429]
        assert (await site.request("GET", "/users/me")).status_code == 200


async def test_each_action_of_a_batch_counts_against_the_limits() -> None:
    """A batch of five counts as five requests, in the minute's budget and in flight."""
    actions = [{"method": "get", "relative_path": "/users/me"} for _ in range(5)]
    batch = {"data": {"actions": actions}}
    async with open_site(rate_limit=RateLimit(per_minute=7, writes=None)) as site:
        assert (await site.request("POST", "/batch", json=batch)).status_code == 200
        assert (await site.request("POST", "/batch", json=batch)).status_code == 429
        assert (await site.request("GET", "/users/me")).status_code == 200  # 6 of 7
    async with open_site(rate_limit=RateLimit(per_minute=None, writes=4)) as site:
        refused = await site.request("POST", "/batch", json=batch)
        assert refused.status_code == 429  # five writes in flight at once, over the cap of 4


# --- faults and control -------------------------------------------------------------------------


async def test_injected_faults_answer_the_next_matching_calls(site: Site) -> None:
    """A fault answers its status `times` times for matching calls; calls are counted."""
    gid = (await site.create())["gid"]
    site.sim.fail(r"/tasks/\d+$", 503, method="GET", times=2, headers={"Retry-After": "1"})
    statuses = [(await site.request("GET", f"/tasks/{gid}")).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert site.sim.calls[("GET", "/api/1.0/tasks/{task_gid}")] == 3


async def test_a_fault_without_status_only_delays(site: Site) -> None:
    """A fault with status None waits, then serves the call normally."""
    site.sim.fail("/users/me", None, delay=0.05)
    started = time.monotonic()
    assert (await site.request("GET", "/users/me")).status_code == 200
    assert time.monotonic() - started >= 0.05


async def test_the_control_api_injects_faults_counts_calls_and_configures(site: Site) -> None:
    """/_sim/ injects faults, counts calls by template, sets config and moves the clock."""
    fault = {"path": "/users/me", "status": 500, "times": 1}
    assert (await site.client.post("http://asana.test/_sim/faults", json=fault)).status_code == 201
    failed = await site.request("GET", "/users/me")
    assert failed.status_code == 500
    assert failed.json()["errors"][0]["phrase"]
    calls = (await site.client.get("http://asana.test/_sim/calls")).json()["calls"]
    assert calls == {"GET /api/1.0/users/{user_gid}": 1}
    changes = {"sync_ttl": 60, "rate_limit": {"per_minute": 5}}
    config = (await site.client.patch("http://asana.test/_sim/config", json=changes)).json()
    assert (config["sync_ttl"], config["rate_limit"]["per_minute"]) == (60, 5)
    moved = (await site.client.post("http://asana.test/_sim/clock", json={"advance": 90})).json()
    assert moved["now"] == "2024-01-31T12:01:30+00:00"


# --- state --------------------------------------------------------------------------------------


async def test_the_state_survives_save_and_load(site: Site, tmp_path: Path) -> None:
    """A saved state reloads with its tasks, and new gids keep increasing."""
    first = (await site.create("Kept"))["gid"]
    path = tmp_path / "state.json"
    site.sim.save(path)
    again = AsanaSimulator.load(path)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=again.app), headers={"Authorization": "Bearer tok"}
    ) as client:
        found = (await client.get(f"{BASE}/tasks/{first}")).json()["data"]
        data = {"name": "Next", "projects": [site.project.gid]}
        created = (await client.post(f"{BASE}/tasks", json={"data": data})).json()["data"]
    assert found["name"] == "Kept"
    assert int(created["gid"]) > int(first)


# --- real HTTP ----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_serve_answers_over_real_http() -> None:
    """serve() runs the simulator with uvicorn on 127.0.0.1 and yields the /api/1.0 base URL."""
    sim = AsanaSimulator()
    workspace = sim.add_workspace()
    sim.add_user("Ann", "ann@example.com", token="tok")
    project = sim.add_project("Web", workspace)
    with serve(sim) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api/1.0")
        async with httpx.AsyncClient(
            headers={"Authorization": "Bearer tok"},
            event_hooks=checking_hooks(spec_if_present(ASANA)),
        ) as client:
            data = {"name": "Over HTTP", "projects": [project.gid]}
            created = await client.post(f"{base_url}/tasks", json={"data": data})
            listed = await client.get(f"{base_url}/projects/{project.gid}/tasks")
    assert created.status_code == 201
    assert created.headers["Date"]
    assert listed.json()["data"][0]["name"] == "Over HTTP"


def _lines(process: subprocess.Popen[str], count: int, timeout: float = 20.0) -> list[str]:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError("the simulator printed nothing")
    return [process.stdout.readline().strip() for _ in range(count)]


@pytest.mark.slow
def test_the_command_line_serves_until_sigterm_and_saves_its_state(tmp_path: Path) -> None:
    """python -m adapters.asana.simulator prints its URL first, serves, and saves on SIGTERM."""
    state = tmp_path / "state.json"
    command = [
        sys.executable, "-m", "adapters.asana.simulator", "--port", "0", "--seed-demo",
        "--state", str(state),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603 - our own module
        try:
            base_url, token, _, project = _lines(process, 4)
            assert base_url.startswith("http://127.0.0.1:")
            assert base_url.endswith("/api/1.0")
            headers = {"Authorization": f"Bearer {token.removeprefix('token: ')}"}
            with httpx.Client(base_url=base_url, headers=headers) as client:
                gid = project.removeprefix("project: ")
                found: dict[str, Any] = client.get(f"/projects/{gid}/tasks").json()
            assert len(found["data"]) == 3
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
    saved: dict[str, Any] = json.loads(state.read_text())
    assert len(saved["tasks"]) == 4
