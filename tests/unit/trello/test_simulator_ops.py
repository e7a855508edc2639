"""The Trello simulator's operations: rate limits, webhooks, injected faults, the /_sim/ control
API, saved state, and serving over real HTTP (in-process and from the command line)."""

from __future__ import annotations

import base64
import hashlib
import hmac
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

from adapters.trello.simulator import RateLimit, TrelloSimulator, serve, signature
from tests.contract.openapi import TRELLO, checking_hooks, spec_if_present
from tests.unit.trello.test_simulator import BASE, KEY, OAUTH, SECRET, Site, open_site

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parents[3]
SIM = "http://trello.test/_sim"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with open_site() as opened:
        yield opened


# --- rate limits --------------------------------------------------------------------------------


async def test_every_answer_says_what_is_left_of_both_budgets(site: Site) -> None:
    """Each answer carries the token's and the key's interval, maximum and remaining calls."""
    response = await site.request("GET", "/members/me")
    assert {k: v for k, v in response.headers.items() if k.startswith("x-rate-limit")} == {
        "x-rate-limit-api-token-interval-ms": "10000",
        "x-rate-limit-api-token-max": "100",
        "x-rate-limit-api-token-remaining": "99",
        "x-rate-limit-api-key-interval-ms": "10000",
        "x-rate-limit-api-key-max": "300",
        "x-rate-limit-api-key-remaining": "299",
    }


async def test_the_101st_call_of_a_token_in_10_seconds_is_429(site: Site) -> None:
    """Trello's token limit: 100 calls per 10 s, then 429 naming it, without Retry-After."""
    for _ in range(100):
        assert (await site.request("GET", "/members/me")).status_code == 200
    limited = await site.request("GET", "/members/me")
    assert limited.status_code == 429
    assert limited.json() == {"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}
    assert "retry-after" not in limited.headers
    assert limited.headers["x-rate-limit-api-token-remaining"] == "0"
    site.clock.advance(10)
    assert (await site.request("GET", "/members/me")).status_code == 200


async def test_the_key_limit_is_shared_by_its_tokens() -> None:
    """Calls of every token of a key count against the key's budget."""
    async with open_site(rate_limit=RateLimit(key_requests=3, token_requests=2)) as site:
        for _ in range(2):
            assert (await site.request("GET", "/members/me")).status_code == 200
        other = {"key": KEY, "token": "cy-token"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site.sim.app)) as client:
            assert (await client.get(f"{BASE}/members/me", params=other)).status_code == 200
            limited = await client.get(f"{BASE}/members/me", params=other)
    assert limited.status_code == 429
    assert limited.json()["error"] == "API_KEY_LIMIT_EXCEEDED"


async def test_rate_limits_can_be_turned_off() -> None:
    """rate_limit=None: no budget, no headers."""
    async with open_site(rate_limit=None) as site:
        for _ in range(120):
            response = await site.request("GET", "/members/me")
        assert response.status_code == 200
        assert "x-rate-limit-api-token-max" not in response.headers


# --- webhooks -----------------------------------------------------------------------------------


def receiver(
    received: list[tuple[dict[str, str], bytes]], *, head: int = 200, post: int = 200
) -> httpx.ASGITransport:
    """A local webhook receiver: answers HEAD with ``head`` and records the POSTs."""

    async def hook(request: Request) -> Response:
        if request.method == "HEAD":
            return Response(status_code=head)
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=post)

    app = Starlette(routes=[Route("/trello", hook, methods=["HEAD", "POST"])])
    return httpx.ASGITransport(app=app)


CALLBACK = "http://hooks.test/trello"


async def create_webhook(site: Site, model: str) -> httpx.Response:
    params = {"callbackURL": CALLBACK, "idModel": model, "description": "sync"}
    return await site.request("POST", "/webhooks/", params=params)


async def test_webhooks_check_the_callback_and_sign_deliveries() -> None:
    """HEAD must answer 200; actions then arrive with X-Trello-Webhook (HMAC-SHA1, base64)."""
    received: list[tuple[dict[str, str], bytes]] = []
    async with open_site(webhook_transport=receiver(received)) as site:
        created = await create_webhook(site, site.board.id)
        assert created.status_code == 200
        assert (created.json()["idModel"], created.json()["active"]) == (site.board.id, True)
        card = (await site.create("Hooked"))["id"]
        await site.update(card, dueComplete="true")
        await site.sim.webhooks.drain()
        again = await create_webhook(site, site.board.id)
        assert again.status_code == 400
    kinds = []
    for headers, body in received:
        digest = hmac.new(SECRET.encode(), body + CALLBACK.encode(), hashlib.sha1).digest()
        assert headers["x-trello-webhook"] == base64.b64encode(digest).decode()
        assert headers["x-trello-webhook"] == signature(body, CALLBACK, SECRET)
        payload = json.loads(body)
        assert payload["model"]["id"] == site.board.id
        kinds.append(payload["action"]["type"])
    assert kinds == ["createCard", "updateCard"]


async def test_a_callback_that_does_not_answer_200_refuses_the_webhook() -> None:
    """A HEAD answered 404 fails the creation with 400 and Trello's text."""
    async with open_site(webhook_transport=receiver([], head=404)) as site:
        refused = await create_webhook(site, site.board.id)
        assert refused.status_code == 400
        assert refused.text == f"URL ({CALLBACK}) did not return 200 status code, got 404"
        assert site.sim.state.webhooks == {}


async def test_a_failing_receiver_never_breaks_the_simulator() -> None:
    """Deliveries answered 500 are counted as failures; the API keeps answering."""
    received: list[tuple[dict[str, str], bytes]] = []
    async with open_site(webhook_transport=receiver(received, post=500)) as site:
        card = (await site.create())["id"]
        hook = (await create_webhook(site, card)).json()
        await site.update(card, name="Renamed")
        await site.sim.webhooks.drain()
        assert (await site.card(card))["name"] == "Renamed"
        shown = (await site.request("GET", f"/webhooks/{hook['id']}")).json()
    assert len(received) == 1
    assert (site.sim.webhooks.failed, shown["consecutiveFailures"]) == (1, 1)


# --- faults and control -------------------------------------------------------------------------


async def test_injected_faults_answer_the_next_matching_calls(site: Site) -> None:
    """A fault answers its status `times` times for matching calls; calls are counted."""
    card = (await site.create())["id"]
    site.sim.fail(r"/cards/[0-9a-f]{24}$", 503, method="GET", times=2)
    statuses = [(await site.request("GET", f"/cards/{card}")).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert site.sim.calls[("GET", "/1/cards/{id}")] == 3


async def test_a_fault_without_status_only_delays(site: Site) -> None:
    """A fault with status None waits, then serves the call normally."""
    site.sim.fail("/members/me", None, delay=0.05)
    started = time.monotonic()
    assert (await site.request("GET", "/members/me")).status_code == 200
    assert time.monotonic() - started >= 0.05


async def test_the_control_api_injects_faults_counts_calls_and_configures(site: Site) -> None:
    """/_sim/ injects faults, counts calls by template, sets config and moves the clock."""
    fault = {"path": "/members/me", "status": 500, "times": 1}
    assert (await site.client.post(f"{SIM}/faults", json=fault)).status_code == 201
    failed = await site.request("GET", "/members/me")
    assert (failed.status_code, failed.text) == (500, "Injected fault: HTTP 500.")
    calls = (await site.client.get(f"{SIM}/calls")).json()["calls"]
    assert calls == {"GET /1/members/{id}": 1}
    changes = {"latency": 0, "rate_limit": {"token_requests": 5}}
    config = (await site.client.patch(f"{SIM}/config", json=changes)).json()
    assert config["rate_limit"] == {"key_requests": 300, "token_requests": 5, "window": 10.0}
    moved = (await site.client.post(f"{SIM}/clock", json={"advance": 90})).json()
    assert moved["now"] == "2024-01-31T12:01:30+00:00"
    response = await site.request("GET", "/members/me")
    assert response.headers["Date"] == "Wed, 31 Jan 2024 12:01:30 GMT"


# --- state --------------------------------------------------------------------------------------


async def test_the_state_survives_save_and_load(site: Site, tmp_path: Path) -> None:
    """A saved state reloads with its cards, and new ids keep increasing."""
    first = (await site.create("Kept"))["id"]
    path = tmp_path / "state.json"
    site.sim.save(path)
    again = TrelloSimulator.load(path)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=again.app), headers={"Authorization": OAUTH}
    ) as client:
        found = (await client.get(f"{BASE}/cards/{first}")).json()
        params = {"name": "Next", "idList": site.lists[0].id}
        created = (await client.post(f"{BASE}/cards", params=params)).json()
    assert found["name"] == "Kept"
    assert created["id"] > first


# --- real HTTP ----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_serve_answers_over_real_http() -> None:
    """serve() runs the simulator with uvicorn on 127.0.0.1 and yields the /1 base URL."""
    sim = TrelloSimulator()
    ann = sim.add_member("ann", "Ann Lee")
    sim.add_app(KEY, SECRET)
    sim.add_token(ann, "tok", KEY)
    board = sim.add_board("Web", lists=["To Do"], members=[ann])
    with serve(sim) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/1")
        async with httpx.AsyncClient(
            params={"key": KEY, "token": "tok"},
            event_hooks=checking_hooks(spec_if_present(TRELLO)),
        ) as client:
            params = {"name": "Over HTTP", "idList": sim.lists_of(board)[0].id}
            created = await client.post(f"{base_url}/cards", params=params)
            listed = await client.get(f"{base_url}/boards/{board.id}/cards")
    assert created.status_code == 200
    assert created.headers["Date"]
    assert listed.json()[0]["name"] == "Over HTTP"


def _lines(process: subprocess.Popen[str], count: int, timeout: float = 20.0) -> list[str]:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError("the simulator printed nothing")
    return [process.stdout.readline().strip() for _ in range(count)]


@pytest.mark.slow
def test_the_command_line_serves_until_sigterm_and_saves_its_state(tmp_path: Path) -> None:
    """python -m adapters.trello.simulator prints its URL first, serves, and saves on SIGTERM."""
    state = tmp_path / "state.json"
    command = [
        sys.executable, "-m", "adapters.trello.simulator", "--port", "0", "--seed-demo",
        "--state", str(state),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603 - our own module
        try:
            base_url, key, token, board = _lines(process, 4)
            assert base_url.startswith("http://127.0.0.1:")
            assert base_url.endswith("/1")
            params = {"key": key.removeprefix("key: "), "token": token.removeprefix("token: ")}
            with httpx.Client(base_url=base_url, params=params) as client:
                found: list[Any] = client.get(
                    f"/boards/{board.removeprefix('board: ')}/cards"
                ).json()
            assert len(found) == 3
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
    saved: dict[str, Any] = json.loads(state.read_text())
    assert len(saved["cards"]) == 3
