"""The Trello adapter's webhook registrations (``syncd webhooks``), against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from adapters.base import AdapterContext, WebhookAdmin, WebhookInfo
from adapters.trello.adapter import TrelloAdapter, forget_caches
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.simulator import Board, TrelloSimulator
from syncd.errors import RecordError
from syncd.http import CallRecord
from tests.contract.openapi import TRELLO, CheckedTransport, spec_if_present

pytestmark = pytest.mark.anyio
BASE = "http://trello.test/1"
KEY, TOKEN, OTHER_TOKEN = "hook-key-1", "hook-token-pm", "hook-token-cy"
CALLBACK = "https://syncd.example.com/webhooks/trello"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    forget_caches()
    yield
    forget_caches()


@dataclass
class Site:
    """A simulator with Pat (on the board, whose token the adapter uses) and Cy (another
    member with a token of the same app), and Pat's adapter for the board."""

    sim: TrelloSimulator
    board: Board
    adapter: TrelloAdapter
    heads: list[str]  # the URLs the simulator's HEAD checks reached

    async def raw(self, method: str, path: str, token: str = TOKEN, **kw: Any) -> httpx.Response:
        """A call below /1 with a token's OAuth header, checked against Trello's description."""
        auth = f'OAuth oauth_consumer_key="{KEY}", oauth_token="{token}"'
        async with httpx.AsyncClient(transport=transport(self.sim)) as client:
            return await client.request(method, BASE + path, headers={"Authorization": auth}, **kw)


def transport(sim: TrelloSimulator) -> httpx.AsyncBaseTransport:
    inner = httpx.ASGITransport(app=sim.app)
    spec = spec_if_present(TRELLO)
    return CheckedTransport(inner, spec) if spec is not None else inner


@asynccontextmanager
async def open_site(head: int = 200) -> AsyncIterator[Site]:
    """A fresh site whose webhook receiver answers Trello's HEAD check with ``head``."""
    heads: list[str] = []

    def receive(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            heads.append(str(request.url))
            return httpx.Response(head)
        return httpx.Response(200)

    sim = TrelloSimulator(rate_limit=None, webhook_transport=httpx.MockTransport(receive))
    pm, cy = sim.add_member("pm", "Pat PM"), sim.add_member("cy", "Cy")
    sim.add_app(KEY, "app-secret")
    sim.add_token(pm, TOKEN, KEY)
    sim.add_token(cy, OTHER_TOKEN, KEY)
    board = sim.add_board("Web", lists=["To do", "Done"], members=[pm, cy])
    connection = TrelloConnection(
        base_url=BASE, key=KEY, token=TOKEN, token_pace=10_000, key_pace=10_000
    )
    # The member names its board by short link, as people copy it from the board's URL.
    member = TrelloMember(connection="trello", board=board.short_link)
    adapter = TrelloAdapter(connection, member, AdapterContext("trello"), transport=transport(sim))
    async with adapter:
        yield Site(sim, board, adapter, heads)


async def test_registering_twice_makes_one_webhook_on_the_board() -> None:
    """The first register creates the webhook on the board's id; the second returns it as is."""
    async with open_site() as site:
        assert isinstance(site.adapter, WebhookAdmin)
        first = await site.adapter.register_webhook(CALLBACK)
        again = await site.adapter.register_webhook(CALLBACK)
        stored = list(site.sim.state.webhooks.values())
    assert first == again == WebhookInfo(first.id, CALLBACK, site.board.id, True)
    assert [(h.id, h.id_model, h.callback_url, h.token) for h in stored] == [
        (first.id, site.board.id, CALLBACK, TOKEN)
    ]
    assert site.heads == [CALLBACK]  # Trello's HEAD check ran once, for the one creation


async def test_the_listing_shows_the_boards_webhooks_of_this_token_only() -> None:
    """list_webhooks gives the board's webhook with scope = the board id, not other models'."""
    async with open_site() as site:
        made = await site.adapter.register_webhook(CALLBACK)
        card = await site.raw("POST", "/cards", params={"name": "C", "idList": list_id(site)})
        on_card = {"callbackURL": CALLBACK, "idModel": card.json()["id"]}
        assert (await site.raw("POST", "/webhooks/", params=on_card)).status_code == 200
        others = {"callbackURL": CALLBACK + "?cy", "idModel": site.board.id}
        assert (await site.raw("POST", "/webhooks/", OTHER_TOKEN, params=others)).is_success
        listed = await site.adapter.list_webhooks()
    assert listed == [WebhookInfo(made.id, CALLBACK, site.board.id, True)]


async def test_a_registration_made_meanwhile_is_returned_not_duplicated() -> None:
    """When Trello answers the duplicate 400 (a race), the existing webhook is returned."""
    async with open_site() as site:
        listing = site.adapter.client.token_webhooks
        made: list[str] = []

        async def racing() -> Any:
            before = await listing()
            if not made:  # another `syncd webhooks register` wins between list and create
                body = {"callbackURL": CALLBACK, "idModel": site.board.id}
                made.append((await site.raw("POST", "/webhooks/", params=body)).json()["id"])
            return before

        site.adapter.client.token_webhooks = racing  # type: ignore[method-assign]
        hook = await site.adapter.register_webhook(CALLBACK)
        assert hook.id == made[0]
        assert len(site.sim.state.webhooks) == 1


async def test_a_callback_that_does_not_answer_200_is_a_clear_error() -> None:
    """A HEAD answered 404 raises a RecordError naming the URL and `syncd run`; nothing stays."""
    async with open_site(head=404) as site:
        with pytest.raises(RecordError) as raised:
            await site.adapter.register_webhook(CALLBACK)
        assert await site.adapter.list_webhooks() == []
        assert site.sim.state.webhooks == {}
    message = str(raised.value)
    assert f"{CALLBACK} did not answer 200" in message
    assert "syncd run" in message
    assert raised.value.member == "trello"


async def test_remove_deletes_the_webhook_and_removing_again_is_fine() -> None:
    """DELETE removes it; a second remove (Trello's 404) is not an error."""
    async with open_site() as site:
        made = await site.adapter.register_webhook(CALLBACK)
        await site.adapter.remove_webhook(made.id)
        assert await site.adapter.list_webhooks() == []
        await site.adapter.remove_webhook(made.id)
        assert site.sim.state.webhooks == {}


async def test_the_token_listing_refuses_another_tokens_path() -> None:
    """GET /tokens/{token}/webhooks answers 401 unless the path is the caller's own token."""
    async with open_site() as site:
        await site.adapter.register_webhook(CALLBACK)
        own = await site.raw("GET", f"/tokens/{TOKEN}/webhooks")
        theirs = await site.raw("GET", f"/tokens/{OTHER_TOKEN}/webhooks")
        unknown = await site.raw("GET", "/tokens/no-such-token/webhooks")
        by_cy = await site.raw("GET", f"/tokens/{OTHER_TOKEN}/webhooks", OTHER_TOKEN)
    assert [h["callbackURL"] for h in own.json()] == [CALLBACK]
    assert (theirs.status_code, theirs.text) == (401, "unauthorized token")
    assert unknown.status_code == 401
    assert by_cy.json() == []  # Cy's token made none


async def test_the_token_in_the_listing_path_is_redacted_from_call_records() -> None:
    """The listing's path holds the token; what syncd records of the call shows *** instead."""
    async with open_site() as site:
        seen: list[CallRecord] = []
        site.adapter.http.calls.hooks.append(seen.append)
        await site.adapter.list_webhooks()
    urls = [record.url for record in seen]
    assert f"{BASE}/tokens/***/webhooks" in urls
    assert not any(TOKEN in url for url in urls)


def list_id(site: Site) -> str:
    return site.sim.lists_of(site.board)[0].id
