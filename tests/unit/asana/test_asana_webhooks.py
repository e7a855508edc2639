"""``syncd webhooks`` on Asana: the adapter's WebhookAdmin over the simulator, and the
simulator's webhook listing as Asana describes it.

The adapter talks to the simulator through an ASGI transport checked against Asana's OpenAPI
description (when present); the simulator's handshakes go to a fake receiver standing for
``syncd run``: an ``httpx.MockTransport`` that echoes ``X-Hook-Secret``, or does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from adapters.asana.adapter import WEBHOOK_FILTERS, AsanaAdapter, forget_caches
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator, ManualClock, Project, Workspace
from adapters.base import AdapterContext, WebhookAdmin, WebhookInfo
from syncd.errors import MemberError
from tests.contract.openapi import ASANA, CheckedTransport, spec_if_present

pytestmark = pytest.mark.anyio
BASE = "http://asana.test/api/1.0"
TOKEN = "asana-hooks-1"
OTHER_TOKEN = "asana-hooks-2"
TARGET = "https://syncd.example.com/webhooks/acme-asana"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Receiver:
    """Stands for ``syncd run`` at the public URL: answers handshakes (echoing the secret when
    ``echo``) and counts them; ``up=False`` refuses connections."""

    echo: bool = True
    up: bool = True
    handshakes: list[str] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            if not self.up:
                raise httpx.ConnectError("connection refused", request=request)
            secret = request.headers.get("X-Hook-Secret")
            if secret is None:
                return httpx.Response(200)  # a delivery
            self.handshakes.append(str(request.url))
            return httpx.Response(200, headers={"X-Hook-Secret": secret} if self.echo else {})

        return httpx.MockTransport(answer)


@dataclass
class Site:
    """A simulator with one workspace and two projects, and an adapter on the first."""

    sim: AsanaSimulator
    workspace: Workspace
    project: Project
    other: Project
    adapter: AsanaAdapter
    receiver: Receiver


def transport_for(sim: AsanaSimulator) -> httpx.AsyncBaseTransport:
    inner = httpx.ASGITransport(app=sim.app)
    spec = spec_if_present(ASANA)
    return CheckedTransport(inner, spec) if spec is not None else inner


def member_on(sim: AsanaSimulator, project: str, token: str = TOKEN) -> AsanaAdapter:
    """An adapter on ``project`` (a gid) with ``token``."""
    connection = AsanaConnection(base_url=BASE, token=token, requests_per_minute=100_000)
    settings = AsanaMember(connection="acme-asana", project=project)
    return AsanaAdapter(
        connection,
        settings,
        AdapterContext("acme-asana", timezone=dt.UTC),
        transport=transport_for(sim),
    )


@asynccontextmanager
async def open_site(receiver: Receiver | None = None) -> AsyncIterator[Site]:
    forget_caches()
    hooks = receiver or Receiver()
    sim = AsanaSimulator(clock=ManualClock(), webhook_transport=hooks.transport())
    workspace = sim.add_workspace("Acme")
    sim.add_user("PM", "pm@acme.example", token=TOKEN)
    sim.add_user("Ops", "ops@acme.example", token=OTHER_TOKEN)
    project = sim.add_project("Web", workspace, sections=["To do", "Done"])
    other = sim.add_project("Ops", workspace)
    async with member_on(sim, project.gid) as adapter:
        yield Site(sim, workspace, project, other, adapter, hooks)
    forget_caches()


async def raw(
    site: Site, method: str, path: str, token: str = TOKEN, **kwargs: Any
) -> httpx.Response:
    """A call to the simulated API, checked like the adapter's."""
    async with httpx.AsyncClient(
        transport=transport_for(site.sim), headers={"Authorization": f"Bearer {token}"}
    ) as client:
        return await client.request(method, BASE + path, **kwargs)


# --- the adapter ----------------------------------------------------------------------------------


async def test_register_creates_one_and_registering_again_returns_it() -> None:
    """Registering makes one filtered webhook on the project; registering again returns it."""
    async with open_site() as site:
        assert isinstance(site.adapter, WebhookAdmin)
        first = await site.adapter.register_webhook(TARGET)
        assert first == WebhookInfo(first.id, TARGET, site.project.gid, True)
        again = await site.adapter.register_webhook(TARGET)
        assert again == first
        assert list(site.sim.state.webhooks) == [first.id]
        assert site.receiver.handshakes == [TARGET]  # the second call shook no hands
        stored = site.sim.state.webhooks[first.id]
        assert [f.model_dump(exclude_none=True) for f in stored.filters] == list(WEBHOOK_FILTERS)


async def test_list_shows_the_webhook_with_the_project_as_scope() -> None:
    """The listing has this project's webhooks (scope = its gid), not another project's."""
    async with open_site() as site:
        assert await site.adapter.list_webhooks() == []
        made = await site.adapter.register_webhook(TARGET)
        async with member_on(site.sim, site.other.gid) as neighbour:
            await neighbour.register_webhook(TARGET)
        assert await site.adapter.list_webhooks() == [
            WebhookInfo(made.id, TARGET, site.project.gid, True)
        ]


async def test_a_target_that_does_not_echo_the_secret_is_a_clear_error() -> None:
    """A receiver that does not echo X-Hook-Secret: a MemberError naming the handshake, and
    no webhook."""
    async with open_site(Receiver(echo=False)) as site:
        with pytest.raises(MemberError, match="X-Hook-Secret handshake") as raised:
            await site.adapter.register_webhook(TARGET)
        assert "syncd run" in str(raised.value)
        assert TARGET in str(raised.value)
        assert site.receiver.handshakes == [TARGET]
        assert site.sim.state.webhooks == {}
        assert await site.adapter.list_webhooks() == []


async def test_an_unreachable_target_is_the_same_clear_error() -> None:
    """A receiver that cannot be reached fails the handshake the same way."""
    async with open_site(Receiver(up=False)) as site:
        with pytest.raises(MemberError, match="is `syncd run` running and reachable"):
            await site.adapter.register_webhook(TARGET)
        assert site.sim.state.webhooks == {}


async def test_remove_deletes_and_removing_again_is_fine() -> None:
    """Removing deletes the webhook; removing it again (Asana's 404) is not an error."""
    async with open_site() as site:
        made = await site.adapter.register_webhook(TARGET)
        await site.adapter.remove_webhook(made.id)
        assert site.sim.state.webhooks == {}
        assert await site.adapter.list_webhooks() == []
        await site.adapter.remove_webhook(made.id)


async def test_webhook_admin_loads_only_the_projects_workspace() -> None:
    """Listing needs the project's workspace only: one project read, then the listing."""
    async with open_site() as site:
        await site.adapter.list_webhooks()
        await site.adapter.list_webhooks()
        calls = {k: v for k, v in site.sim.calls.items() if v}
        assert calls == {
            ("GET", "/api/1.0/projects/{project_gid}"): 1,
            ("GET", "/api/1.0/webhooks"): 2,
        }


async def test_an_invisible_project_is_a_member_error() -> None:
    """A project the token cannot see stops the member with an error naming it."""
    async with open_site() as site:
        async with member_on(site.sim, "1999999999999999") as member:
            with pytest.raises(MemberError, match="project 1999999999999999 is not visible"):
                await member.list_webhooks()
        stranger = site.sim.add_workspace("Elsewhere")
        hidden = site.sim.add_project("Secret", stranger)  # PM is not in that workspace
        async with member_on(site.sim, hidden.gid) as member:
            with pytest.raises(MemberError):
                await member.register_webhook(TARGET)
        assert site.receiver.handshakes == []


# --- the simulator's listing ----------------------------------------------------------------------


async def test_the_listing_needs_a_workspace_and_filters_by_resource() -> None:
    """GET /webhooks wants ``workspace``; ``resource`` narrows it to one project's webhooks."""
    async with open_site() as site:
        mine = await site.adapter.register_webhook(TARGET)
        async with member_on(site.sim, site.other.gid) as neighbour:
            theirs = await neighbour.register_webhook(TARGET)
        missing = await raw(site, "GET", "/webhooks")
        assert missing.status_code == 400
        every = await raw(site, "GET", "/webhooks", params={"workspace": site.workspace.gid})
        assert [h["gid"] for h in every.json()["data"]] == [mine.id, theirs.id]
        one = await raw(
            site,
            "GET",
            "/webhooks",
            params={"workspace": site.workspace.gid, "resource": site.project.gid},
        )
        assert [(h["gid"], h["resource"]["gid"], h["target"]) for h in one.json()["data"]] == [
            (mine.id, site.project.gid, TARGET)
        ]
        stranger = site.sim.add_workspace("Elsewhere")
        other_space = await raw(site, "GET", "/webhooks", params={"workspace": stranger.gid})
        assert other_space.status_code == 403


async def test_the_listing_pages_with_limit_and_offset() -> None:
    """``limit`` pages the listing; ``next_page.offset`` reads the rest."""
    async with open_site() as site:
        made = [await site.adapter.register_webhook(f"{TARGET}?n={n}") for n in range(3)]
        params = {"workspace": site.workspace.gid, "limit": "2"}
        first = (await raw(site, "GET", "/webhooks", params=params)).json()
        offset = first["next_page"]["offset"]
        rest = (await raw(site, "GET", "/webhooks", params={**params, "offset": offset})).json()
        assert [h["gid"] for h in first["data"] + rest["data"]] == [m.id for m in made]
        assert rest["next_page"] is None
        assert len(await site.adapter.list_webhooks()) == 3


async def test_the_listing_holds_only_the_callers_webhooks() -> None:
    """Asana lists the webhooks registered for the authenticated user, not another user's."""
    async with open_site() as site:
        await site.adapter.register_webhook(TARGET)
        async with member_on(site.sim, site.project.gid, OTHER_TOKEN) as colleague:
            assert await colleague.list_webhooks() == []
            theirs = await colleague.register_webhook(TARGET)
            assert [h.id for h in await colleague.list_webhooks()] == [theirs.id]
        assert len(site.sim.state.webhooks) == 2


async def test_a_bad_request_is_refused_before_any_handshake() -> None:
    """An unknown resource or an invalid filter is a 400 before the target is contacted."""
    async with open_site() as site:
        unknown = {"data": {"resource": "999", "target": TARGET}}
        assert (await raw(site, "POST", "/webhooks", json=unknown)).status_code == 400
        bad_filter = {
            "data": {
                "resource": site.project.gid,
                "target": TARGET,
                "filters": [{"resource_type": "task", "action": "added", "fields": ["name"]}],
            }
        }
        assert (await raw(site, "POST", "/webhooks", json=bad_filter)).status_code == 400
        assert site.receiver.handshakes == []
        assert site.sim.state.webhooks == {}
