"""The Asana simulator's Events API, Batch API and webhooks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.asana.simulator import signature
from adapters.asana.simulator.events import PAGE
from tests.unit.asana.test_simulator import Site, message, open_site

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with open_site() as opened:
        yield opened


async def events(site: Site, sync: str | None = None) -> httpx.Response:
    params = {"resource": site.project.gid, **({"sync": sync} if sync else {})}
    return await site.request("GET", "/events", params=params)


async def sync_token(site: Site) -> str:
    first = await events(site)
    assert first.status_code == 412
    return str(first.json()["sync"])


# --- events -------------------------------------------------------------------------------------


async def test_no_sync_token_is_412_with_a_fresh_one(site: Site) -> None:
    """Without a token the answer is 412 with Asana's message and a fresh sync token."""
    response = await events(site)
    assert response.status_code == 412
    assert message(response).startswith("Sync token invalid or too old.")
    assert response.json()["sync"]


async def test_events_since_the_token_include_subtasks(site: Site) -> None:
    """A token yields the task events since it (a subtask's too) and the next token."""
    token = await sync_token(site)
    gid = (await site.create("Parent"))["gid"]
    await site.update(gid, name="Renamed")
    await site.post(f"/tasks/{gid}/subtasks", name="Child")
    body = (await events(site, token)).json()
    summary = [
        (e["action"], e["resource"]["name"], (e.get("change") or {}).get("field"))
        for e in body["data"]
    ]
    assert summary == [
        ("added", "Parent", None),
        ("changed", "Renamed", "name"),
        ("added", "Child", None),
    ]
    first = body["data"][0]
    assert first["parent"]["gid"] == site.project.gid
    assert first["user"]["gid"] == site.user.gid
    assert body["has_more"] is False
    again = (await events(site, token)).json()
    assert again["data"] == body["data"]
    assert (await events(site, body["sync"])).json()["data"] == []


async def test_deletes_are_deleted_events(site: Site) -> None:
    """Deleting a task gives a deleted event; restoring it an undeleted one."""
    gid = (await site.create())["gid"]
    token = await sync_token(site)
    await site.request("DELETE", f"/tasks/{gid}")
    site.sim.undelete(gid)
    actions = [e["action"] for e in (await events(site, token)).json()["data"]]
    assert actions == ["deleted", "undeleted"]


async def test_more_than_a_page_of_events_sets_has_more(site: Site) -> None:
    """Over 100 events come a page at a time with has_more."""
    gid = (await site.create())["gid"]
    token = await sync_token(site)
    for i in range(PAGE + 5):
        await site.update(gid, name=f"n{i}")
    first = (await events(site, token)).json()
    assert (len(first["data"]), first["has_more"]) == (PAGE, True)
    rest = (await events(site, first["sync"])).json()
    assert (len(rest["data"]), rest["has_more"]) == (5, False)


async def test_sync_tokens_expire(site: Site) -> None:
    """A token older than its lifetime (Asana: 24 h) is 412 with a fresh token."""
    token = await sync_token(site)
    site.clock.advance(24 * 3600 + 1)
    response = await events(site, token)
    assert response.status_code == 412
    assert response.json()["sync"] != token


# --- batch --------------------------------------------------------------------------------------


def action(path: str, method: str = "get", **extra: Any) -> dict[str, Any]:
    return {"relative_path": path, "method": method, **extra}


async def test_a_batch_runs_each_action_and_fails_them_alone(site: Site) -> None:
    """Each action gets its own status and body; a failing one does not fail the others."""
    gid = (await site.create("Batched"))["gid"]
    actions = [
        action(f"/tasks/{gid}", options={"fields": ["name"]}),
        action("/tasks/123"),
        action(f"/tasks/{gid}", "put", data={"name": "Renamed"}),
    ]
    response = await site.post("/batch", actions=actions)
    assert response.status_code == 200
    results = response.json()["data"]
    assert [r["status_code"] for r in results] == [200, 404, 200]
    assert results[0]["body"] == {"data": {"gid": gid, "name": "Batched"}}
    assert results[1]["body"]["errors"][0]["message"] == "task: Unknown object: 123"
    assert (await site.task(gid))["name"] == "Renamed"


async def test_a_batch_holds_at_most_ten_actions(site: Site) -> None:
    """Eleven actions (or none) are 400."""
    too_many = await site.post("/batch", actions=[action("/users/me")] * 11)
    assert too_many.status_code == 400
    assert (await site.post("/batch", actions=[])).status_code == 400


# --- webhooks -----------------------------------------------------------------------------------


def receiver(
    received: list[tuple[dict[str, str], bytes]], *, echo: bool = True
) -> httpx.ASGITransport:
    """A local webhook receiver: it echoes the handshake's secret and records deliveries."""

    async def hook(request: Request) -> Response:
        secret = request.headers.get("x-hook-secret")
        if secret is not None:
            return Response(status_code=200, headers={"X-Hook-Secret": secret} if echo else {})
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    app = Starlette(routes=[Route("/asana", hook, methods=["POST"])])
    return httpx.ASGITransport(app=app)


async def test_webhooks_shake_hands_and_sign_deliveries() -> None:
    """The target echoes X-Hook-Secret; events then arrive signed with X-Hook-Signature."""
    received: list[tuple[dict[str, str], bytes]] = []
    async with open_site(webhook_transport=receiver(received)) as site:
        created = await site.post(
            "/webhooks", resource=site.project.gid, target="http://hooks.test/asana"
        )
        assert created.status_code == 201
        secret = created.headers["X-Hook-Secret"]
        assert created.json()["data"]["resource"]["gid"] == site.project.gid
        gid = (await site.create("Hooked"))["gid"]
        await site.update(gid, completed=True)
        await site.sim.webhooks.drain()
        listed = await site.request("GET", "/webhooks", params={"workspace": site.workspace.gid})
        assert len(listed.json()["data"]) == 1
    actions = []
    for headers, body in received:
        assert headers["x-hook-signature"] == signature(body, secret)
        actions += [e["action"] for e in json.loads(body)["events"]]
    assert actions == ["added", "changed"]


async def test_a_failed_handshake_refuses_the_webhook() -> None:
    """A target that does not echo the secret makes the creation fail with 400."""
    async with open_site(webhook_transport=receiver([], echo=False)) as site:
        refused = await site.post(
            "/webhooks", resource=site.project.gid, target="http://hooks.test/asana"
        )
        assert refused.status_code == 400
        assert site.sim.state.webhooks == {}


async def test_webhook_filters_choose_the_events() -> None:
    """A webhook with filters gets only the events that pass one of them."""
    received: list[tuple[dict[str, str], bytes]] = []
    async with open_site(webhook_transport=receiver(received)) as site:
        filters = [{"resource_type": "task", "action": "changed", "fields": ["completed"]}]
        await site.post(
            "/webhooks",
            resource=site.project.gid,
            target="http://hooks.test/asana",
            filters=filters,
        )
        gid = (await site.create())["gid"]
        await site.update(gid, name="x")
        await site.update(gid, completed=True)
        await site.sim.webhooks.drain()
    events = [e for _, body in received for e in json.loads(body)["events"]]
    assert [e["change"]["field"] for e in events] == ["completed"]
