"""The Jira simulator's operations: rate limits, injected faults, the /_sim/ control API,
webhooks, saved state, and serving over real HTTP (in-process and from the command line)."""

from __future__ import annotations

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
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.jira.simulator import JiraSimulator, RateLimit, Webhook, serve, signature
from tests.contract.openapi import JIRA_CLOUD, checking_hooks, spec_if_present
from tests.unit.jira.test_simulator import BASE, Site, basic, open_site

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parents[3]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def cloud() -> AsyncIterator[Site]:
    async with open_site("cloud") as site:
        yield site


# --- rate limits --------------------------------------------------------------------------------


async def test_over_the_budget_is_429_with_jiras_headers() -> None:
    """The third call in a 2-per-10s window is 429 with Retry-After and the X-RateLimit headers."""
    async with open_site("cloud", rate_limit=RateLimit(requests=2, window=10)) as site:
        first = await site.request("GET", "/myself")
        assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == (
            "2",
            "1",
        )
        await site.request("GET", "/myself")
        limited = await site.request("GET", "/myself")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "10"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.headers["X-RateLimit-Reset"] == "2024-01-31T12:00Z"
        assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
        site.clock.advance(10)
        assert (await site.request("GET", "/myself")).status_code == 200


async def test_budgets_are_per_credential() -> None:
    """Another user's calls do not spend the admin's budget."""
    async with open_site("cloud", rate_limit=RateLimit(requests=1, window=10)) as site:
        other = site.sim.add_user("o@example.com", token="other")
        assert (await site.request("GET", "/myself")).status_code == 200
        response = await site.request("GET", "/myself", headers=site.login(other, "other"))
        assert response.status_code == 200


async def test_too_many_writes_to_one_issue_is_429_per_issue() -> None:
    """Writes to one issue beyond its budget are 429 with reason jira-per-issue-on-write."""
    limit = RateLimit(requests=1000, issue_writes=2, issue_window=2)
    async with open_site("cloud", rate_limit=limit) as site:
        hot = (await site.create())["key"]
        cold = (await site.create())["key"]
        for summary in ("a", "b"):
            await site.request("PUT", f"/issue/{hot}", json={"fields": {"summary": summary}})
        limited = await site.request("PUT", f"/issue/{hot}", json={"fields": {"summary": "c"}})
        assert limited.status_code == 429
        assert limited.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
        assert (
            await site.request("PUT", f"/issue/{cold}", json={"fields": {"summary": "d"}})
        ).status_code == 204
        assert (await site.request("GET", f"/issue/{hot}")).status_code == 200


# --- faults -------------------------------------------------------------------------------------


async def test_injected_faults_answer_the_next_matching_calls(cloud: Site) -> None:
    """A fault answers its status `times` times for matching calls, then the call succeeds."""
    key = (await cloud.create())["key"]
    cloud.sim.fail(r"/issue/DEMO-\d+$", 503, method="GET", times=2, headers={"Retry-After": "1"})
    statuses = [(await cloud.request("GET", f"/issue/{key}")).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert cloud.sim.calls[("GET", "/rest/api/3/issue/{issueIdOrKey}")] == 3
    assert (
        await cloud.request("PUT", f"/issue/{key}", json={"fields": {"summary": "x"}})
    ).status_code == 204


async def test_a_fault_without_status_only_delays(cloud: Site) -> None:
    """A fault with status None waits, then serves the call normally."""
    cloud.sim.fail("/myself", None, delay=0.05)
    started = time.monotonic()
    response = await cloud.request("GET", "/myself")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.05


async def test_the_control_api_injects_faults_and_counts_calls(cloud: Site) -> None:
    """POST /_sim/faults injects a fault; /_sim/calls counts by method and path template."""
    fault = {
        "path": "/search/jql",
        "method": "POST",
        "status": 500,
        "times": 1,
        "body": {"errorMessages": ["boom"]},
    }
    created = await cloud.client.post("/_sim/faults", json=fault)
    assert created.status_code == 201
    failed = await cloud.search("project = DEMO")
    assert (failed.status_code, failed.json()) == (500, {"errorMessages": ["boom"]})
    assert (await cloud.search("project = DEMO")).status_code == 200
    calls = (await cloud.client.get("/_sim/calls")).json()["calls"]
    assert calls == {"POST /rest/api/3/search/jql": 2}
    assert (await cloud.client.post("/_sim/reset")).status_code == 204
    assert (await cloud.client.get("/_sim/calls")).json()["calls"] == {}


async def test_the_control_api_changes_config_and_moves_the_clock(cloud: Site) -> None:
    """PATCH /_sim/config sets lag, page size and rate limit; POST /_sim/clock advances time."""
    changes = {"search_lag": 3, "max_page": 7, "rate_limit": {"requests": 5, "window": 1}}
    config = (await cloud.client.patch("/_sim/config", json=changes)).json()
    assert (config["search_lag"], config["max_page"], config["rate_limit"]["requests"]) == (3, 7, 5)
    assert cloud.sim.search_lag == 3
    moved = (await cloud.client.post("/_sim/clock", json={"advance": 90})).json()
    assert moved["now"] == "2024-01-31T12:01:30+00:00"
    refused = await cloud.client.patch("/_sim/config", json={"bogus": 1})
    assert refused.status_code == 400


# --- webhooks -----------------------------------------------------------------------------------


def receiver(
    received: list[tuple[dict[str, str], bytes]], status: int = 200
) -> httpx.ASGITransport:
    """A local webhook receiver that records what it is sent."""

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=status)

    app = Starlette(routes=[Route("/jira", hook, methods=["POST"])])
    return httpx.ASGITransport(app=app)


async def test_webhooks_are_signed_and_carry_jiras_payloads() -> None:
    """Issue and version events reach the webhook, signed with X-Hub-Signature (HMAC-SHA256)."""
    received: list[tuple[dict[str, str], bytes]] = []
    hooks = [Webhook("http://hooks.test/jira", secret="s3cret")]
    async with open_site("cloud", webhooks=hooks, webhook_transport=receiver(received)) as site:
        key = (await site.create("Hooked"))["key"]
        await site.request("PUT", f"/issue/{key}", json={"fields": {"summary": "Renamed"}})
        version = (
            await site.request("POST", "/version", json={"name": "1.0", "projectId": 10000})
        ).json()
        await site.request("PUT", f"/version/{version['id']}", json={"released": True})
        await site.request("DELETE", f"/issue/{key}")
        await site.sim.webhooks.drain()
    payloads = [json.loads(body) for _, body in received]
    events = [p["webhookEvent"] for p in payloads]
    assert events == [
        "jira:issue_created",
        "jira:issue_updated",
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:issue_deleted",
    ]
    for headers, body in received:
        assert headers["x-hub-signature"] == signature(body, "s3cret")
    created, updated = payloads[0], payloads[1]
    assert created["issue"]["key"] == key
    assert created["user"]["accountId"] == site.admin.account_id
    item = updated["changelog"]["items"][0]
    assert (item["field"], item["fromString"], item["toString"]) == ("Summary", "Hooked", "Renamed")


async def test_a_failing_receiver_does_not_break_the_simulator() -> None:
    """A receiver answering 500 is counted as failed; the API call itself succeeds."""
    received: list[tuple[dict[str, str], bytes]] = []
    hooks = [Webhook("http://hooks.test/jira", events=["jira:issue_created"])]
    async with open_site(
        "cloud", webhooks=hooks, webhook_transport=receiver(received, 500)
    ) as site:
        await site.create()
        await site.sim.webhooks.drain()
        assert (site.sim.webhooks.failed, site.sim.webhooks.delivered) == (1, 0)
        assert "x-hub-signature" not in received[0][0]


# --- state --------------------------------------------------------------------------------------


async def test_the_state_survives_save_and_load(cloud: Site, tmp_path: Path) -> None:
    """A saved state reloads with its issues, and new ids keep increasing."""
    first = await cloud.create("Kept")
    path = tmp_path / "state.json"
    cloud.sim.save(path)
    again = JiraSimulator.load(path)
    transport = httpx.ASGITransport(app=again.app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE, headers=basic("admin@example.com", "tok")
    ) as client:
        issue = (await client.get(f"/rest/api/3/issue/{first['key']}")).json()
        assert issue["fields"]["summary"] == "Kept"
        fields = {"project": {"key": "DEMO"}, "issuetype": {"name": "Task"}, "summary": "Next"}
        created = (await client.post("/rest/api/3/issue", json={"fields": fields})).json()
    assert (created["key"], int(created["id"])) == ("DEMO-2", int(first["id"]) + 1)


# --- real HTTP ----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_serve_answers_over_real_http() -> None:
    """serve() runs the simulator with uvicorn on 127.0.0.1 and an ephemeral port."""
    spec = spec_if_present(JIRA_CLOUD)
    sim = JiraSimulator()
    sim.add_user("admin@example.com", token="tok")
    sim.add_project("DEMO")
    with serve(sim) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        headers = basic("admin@example.com", "tok")
        async with httpx.AsyncClient(
            base_url=base_url, headers=headers, event_hooks=checking_hooks(spec)
        ) as client:
            fields = {
                "project": {"key": "DEMO"},
                "issuetype": {"name": "Task"},
                "summary": "Over HTTP",
            }
            created = await client.post("/rest/api/3/issue", json={"fields": fields})
            found = await client.post(
                "/rest/api/3/search/jql", json={"jql": "project = DEMO", "fields": ["key"]}
            )
    assert created.status_code == 201
    assert found.json()["issues"][0]["key"] == "DEMO-1"


def _first_line(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError("the simulator printed nothing")
    return process.stdout.readline().strip()


@pytest.mark.slow
def test_the_command_line_serves_until_sigterm_and_saves_its_state(tmp_path: Path) -> None:
    """python -m adapters.jira.simulator prints its URL first, serves, and saves on SIGTERM."""
    state = tmp_path / "state.json"
    command = [
        sys.executable,
        "-m",
        "adapters.jira.simulator",
        "--port",
        "0",
        "--seed-demo",
        "--state",
        str(state),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603 - our own module
        try:
            base_url = _first_line(process)
            assert base_url.startswith("http://127.0.0.1:")
            with httpx.Client(base_url=base_url, auth=("admin@example.com", "sim-token")) as client:
                body = {"jql": "project = DEMO", "fields": ["summary"]}
                found = client.post("/rest/api/3/search/jql", json=body).json()
            assert len(found["issues"]) == 4
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
    saved: dict[str, Any] = json.loads(state.read_text())
    assert len(saved["issues"]) == 4
    assert {v["name"] for v in saved["versions"].values()} == {"v1.0"}
