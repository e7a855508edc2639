"""The Trello simulator: authentication, ids and errors, cards, and custom field items.

Also the kit the other ``test_simulator_*`` modules use: `open_site` builds a simulator on a
`ManualClock` with members, an app key and token, and a board, and a client whose every request
and response is checked against Trello's OpenAPI description (unchecked when it is absent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from adapters.trello.simulator import (
    Board,
    CustomField,
    ManualClock,
    Member,
    TrelloList,
    TrelloSimulator,
)
from adapters.trello.simulator.store import id_time
from tests.contract.openapi import (
    TRELLO,
    UNCHECKED_REQUEST,
    checking_hooks,
    spec_if_present,
    spec_or_skip,
)

pytestmark = pytest.mark.anyio
BASE = "http://trello.test/1"
KEY, SECRET, TOKEN = "app-key", "app-secret", "ann-token"
OAUTH = f'OAuth oauth_consumer_key="{KEY}", oauth_token="{TOKEN}"'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Site:
    """A simulator, its clock, members Ann and Bob (on the board) and Cy (not), the board Web
    with its lists To Do / Done, its custom fields Estimate and Priority, and a checked client."""

    sim: TrelloSimulator
    clock: ManualClock
    ann: Member
    bob: Member
    cy: Member
    board: Board
    estimate: CustomField
    priority: CustomField
    client: httpx.AsyncClient

    @property
    def lists(self) -> list[TrelloList]:
        return self.sim.lists_of(self.board)

    async def request(
        self, method: str, path: str, *, checked: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """A call below /1; ``checked=False`` skips checking the request only."""
        extensions = {} if checked else {UNCHECKED_REQUEST: True}
        return await self.client.request(method, BASE + path, extensions=extensions, **kwargs)

    async def create(self, name: str = "A card", **params: Any) -> dict[str, Any]:
        """Create a card (in To Do unless told otherwise) with query parameters; its JSON."""
        params = {"name": name, "idList": self.lists[0].id, **params}
        response = await self.request("POST", "/cards", params=params)
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created

    async def card(self, ident: str, **params: Any) -> dict[str, Any]:
        response = await self.request("GET", f"/cards/{ident}", params=params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def update(self, ident: str, **params: Any) -> httpx.Response:
        return await self.request("PUT", f"/cards/{ident}", params=params)

    async def labels(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            await self.request("GET", f"/boards/{self.board.id}/labels")
        ).json()
        return found


@asynccontextmanager
async def open_site(**options: Any) -> AsyncIterator[Site]:
    """A fresh site (Trello's rate limits on unless ``rate_limit`` says otherwise)."""
    spec = spec_if_present(TRELLO)
    clock = ManualClock()
    sim = TrelloSimulator(clock=clock, **options)
    ann = sim.add_member("ann", "Ann Lee", "ann@example.com")
    bob = sim.add_member("bob", "Bob Ray", "bob@example.com")
    cy = sim.add_member("cy", "Cy Young")
    sim.add_app(KEY, SECRET)
    sim.add_token(ann, TOKEN, KEY)
    sim.add_token(cy, "cy-token", KEY)
    board = sim.add_board("Web", lists=["To Do", "Done"], members=[ann, bob])
    estimate = sim.add_custom_field(board, "Estimate", "number")
    priority = sim.add_custom_field(board, "Priority", "list", ["Low", "High"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        headers={"Authorization": OAUTH},
        event_hooks=checking_hooks(spec),
    ) as client:
        yield Site(sim, clock, ann, bob, cy, board, estimate, priority, client)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with open_site() as opened:
        yield opened


def bare_client(site: Site) -> httpx.AsyncClient:
    """A client without credentials, checked like the site's."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.sim.app),
        event_hooks=checking_hooks(spec_if_present(TRELLO)),
    )


# --- identity and errors ------------------------------------------------------------------------


async def test_members_me_describes_the_caller_with_their_email(site: Site) -> None:
    """GET /members/me answers the token's member with their email, hidden from others."""
    me = (await site.request("GET", "/members/me")).json()
    assert (me["id"], me["username"], me["fullName"]) == (site.ann.id, "ann", "Ann Lee")
    assert me["email"] == "ann@example.com"
    bob = (await site.request("GET", f"/members/{site.bob.id}")).json()
    assert bob["username"] == "bob"
    assert "email" not in bob


async def test_the_oauth_header_and_the_key_and_token_parameters_both_authenticate(
    site: Site,
) -> None:
    """Trello takes credentials in an OAuth Authorization header or as key/token parameters."""
    async with bare_client(site) as client:
        by_params = await client.get(f"{BASE}/members/me", params={"key": KEY, "token": TOKEN})
    assert by_params.json()["id"] == site.ann.id
    assert (await site.request("GET", "/members/me")).status_code == 200


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({}, "invalid key"),
        ({"key": "nope", "token": TOKEN}, "invalid key"),
        ({"key": KEY}, "unauthorized permission requested"),
        ({"key": KEY, "token": "nope"}, "invalid token"),
    ],
)
async def test_missing_or_bad_credentials_are_401_in_plain_text(
    site: Site, params: dict[str, str], text: str
) -> None:
    """Without a known key, or a token of that key, the answer is 401 with Trello's text."""
    async with bare_client(site) as client:
        response = await client.get(f"{BASE}/members/me", params=params)
    assert (response.status_code, response.text) == (401, text)
    assert response.headers["content-type"].startswith("text/plain")


async def test_a_board_is_found_by_id_or_short_link_and_hidden_from_others(site: Site) -> None:
    """A board answers by id or shortLink; to a non-member it is 401."""
    by_id = (await site.request("GET", f"/boards/{site.board.id}")).json()
    by_link = (await site.request("GET", f"/boards/{site.board.short_link}")).json()
    assert by_id == by_link
    assert (by_id["name"], by_id["shortUrl"]) == (
        "Web",
        f"https://trello.com/b/{site.board.short_link}",
    )
    named = await site.request("GET", f"/boards/{site.board.id}", params={"fields": "name"})
    assert named.json() == {"id": site.board.id, "name": "Web"}
    async with bare_client(site) as client:
        hidden = await client.get(
            f"{BASE}/boards/{site.board.id}", params={"key": KEY, "token": "cy-token"}
        )
    assert (hidden.status_code, hidden.text) == (401, "unauthorized permission requested")


async def test_ids_are_increasing_object_ids_that_carry_their_creation_time(site: Site) -> None:
    """Ids are 24 hex digits, the first 8 the creation second, increasing."""
    started = site.clock()
    first = (await site.create())["id"]
    site.clock.advance(5)
    second = (await site.create())["id"]
    third = (await site.create())["id"]
    assert len(first) == 24
    assert first < second < third
    assert (id_time(first), id_time(second)) == (started, site.clock())


async def test_a_malformed_id_is_400_and_an_unknown_one_404(site: Site) -> None:
    """'invalid id' for what is not an id; Trello's not-found texts for what does not exist."""
    malformed = await site.request("GET", "/cards/not-an-id")
    assert (malformed.status_code, malformed.text) == (400, "invalid id")
    unknown = await site.request("GET", "/cards/" + "a" * 24)
    assert (unknown.status_code, unknown.text) == (404, "The requested resource was not found.")
    updated = await site.update("a" * 24, name="x")
    assert (updated.status_code, updated.text) == (404, "card not found")


async def test_an_unknown_route_is_404() -> None:
    """A path Trello does not serve answers 404 (Express's 'Cannot GET')."""
    sim = TrelloSimulator()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app)) as client:
        response = await client.get(f"{BASE}/nowhere")
    assert (response.status_code, response.text) == (404, "Cannot GET /1/nowhere")


# --- cards --------------------------------------------------------------------------------------


async def test_a_card_is_created_from_query_parameters_and_read_back(site: Site) -> None:
    """POST /cards takes Trello's parameters; dates come back as UTC instants with ms and Z."""
    label = (await site.labels())[0]
    created = await site.create(
        "Design",
        desc="Short",
        due="2024-02-10T17:00:00+01:00",
        start="2024-02-01",
        dueComplete="false",
        idMembers=f"{site.ann.id},{site.bob.id}",
        idLabels=label["id"],
    )
    card = await site.card(created["id"])
    assert card == created
    assert (card["name"], card["desc"], card["idList"]) == ("Design", "Short", site.lists[0].id)
    assert (card["due"], card["start"]) == ("2024-02-10T16:00:00.000Z", "2024-02-01T00:00:00.000Z")
    assert card["dueComplete"] is False
    assert card["idMembers"] == [site.ann.id, site.bob.id]
    assert [x["color"] for x in card["labels"]] == [label["color"]]
    assert card["badges"]["due"] == card["due"]
    assert card["shortUrl"] == f"https://trello.com/c/{card['shortLink']}"
    assert card["url"].endswith(f"/{card['idShort']}-design")
    assert card["dateLastActivity"] == "2024-01-31T12:00:00.000Z"


async def test_a_json_body_is_read_like_query_parameters(site: Site) -> None:
    """Parameters may come in a JSON body as well (lists as arrays, flags as booleans)."""
    body = {"name": "From JSON", "idList": site.lists[1].id, "idMembers": [site.bob.id]}
    response = await site.request("POST", "/cards", json=body, checked=False)
    assert response.status_code == 200
    card = response.json()
    assert (card["idList"], card["idMembers"]) == (site.lists[1].id, [site.bob.id])
    changed = await site.request(
        "PUT", f"/cards/{card['id']}", json={"dueComplete": True}, checked=False
    )
    assert changed.json()["dueComplete"] is True


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"due": "next week"}, "invalid value for due"),
        ({"idList": "a" * 24}, "invalid value for idList"),
        ({"pos": "middle"}, "invalid value for pos"),
        ({"idMembers": "b" * 24}, "invalid value for idMembers"),
        ({"dueComplete": "maybe"}, "invalid value for dueComplete"),
    ],
)
async def test_invalid_values_are_400_naming_the_parameter(
    site: Site, params: dict[str, str], text: str
) -> None:
    """A value Trello refuses is 400 'invalid value for <parameter>'."""
    response = await site.request("POST", "/cards", params={"idList": site.lists[0].id, **params})
    assert (response.status_code, response.text) == (400, text)


async def test_fields_choose_what_a_card_shows(site: Site) -> None:
    """``fields`` names the attributes answered (id always); an unknown one is 400."""
    created = await site.create(due="2024-03-01T09:30:00.123Z")
    card = await site.card(created["id"], fields="name,due,dueComplete,start")
    assert card == {
        "id": created["id"],
        "name": "A card",
        "due": "2024-03-01T09:30:00.123Z",
        "dueComplete": False,
        "start": None,
    }
    wrong = await site.request("GET", f"/cards/{created['id']}", params={"fields": "nope"})
    assert (wrong.status_code, wrong.text) == (400, "invalid value for fields")


async def test_updating_moves_renames_and_clears_the_due_date(site: Site) -> None:
    """PUT /cards/{id} changes what it names; an empty due clears it; positions are kept."""
    first = await site.create("First", due="2024-02-01")
    second = await site.create("Second")
    assert first["pos"] < second["pos"]
    site.clock.advance(60)
    moved = await site.update(first["id"], idList=site.lists[1].id, name="Moved", due="")
    card = moved.json()
    assert (card["idList"], card["name"], card["due"]) == (site.lists[1].id, "Moved", None)
    assert card["dateLastActivity"] == "2024-01-31T12:01:00.000Z"
    top = (await site.update(second["id"], pos="top")).json()
    assert top["pos"] < second["pos"]


async def test_deleting_is_permanent_while_archiving_keeps_the_card(site: Site) -> None:
    """closed=true archives (still readable); DELETE removes for good."""
    archived = await site.create("Archived")
    deleted = await site.create("Deleted")
    assert (await site.update(archived["id"], closed="true")).json()["closed"] is True
    gone = await site.request("DELETE", f"/cards/{deleted['id']}")
    assert (gone.status_code, gone.json()) == (200, {"limits": {}})
    assert (await site.card(archived["id"]))["closed"] is True
    assert (await site.request("GET", f"/cards/{deleted['id']}")).status_code == 404
    again = await site.request("DELETE", f"/cards/{deleted['id']}")
    assert (again.status_code, again.text) == (404, "card not found")


# --- custom fields ------------------------------------------------------------------------------


async def set_item(site: Site, card: str, field: CustomField, body: Any) -> httpx.Response:
    return await site.request("PUT", f"/cards/{card}/customField/{field.id}/item", json=body)


async def test_custom_field_numbers_are_strings(site: Site) -> None:
    """A number is set and read as a string; a JSON number is refused; "" clears it."""
    card = (await site.create())["id"]
    assert (
        await set_item(site, card, site.estimate, {"value": {"number": "12500"}})
    ).status_code == 200
    read = await site.card(card, customFieldItems="true", fields="name")
    [item] = read["customFieldItems"]
    assert item["value"] == {"number": "12500"}
    assert (item["idCustomField"], item["idModel"], item["modelType"]) == (
        site.estimate.id,
        card,
        "card",
    )
    refused = await site.request(
        "PUT",
        f"/cards/{card}/customField/{site.estimate.id}/item",
        json={"value": {"number": 12}},
        checked=False,
    )
    assert (refused.status_code, refused.text) == (400, "Invalid custom field item value.")
    assert (await set_item(site, card, site.estimate, {"value": ""})).status_code == 200
    items = await site.request("GET", f"/cards/{card}/customFieldItems")
    assert items.json() == []


async def test_list_custom_fields_take_an_option_id(site: Site) -> None:
    """A list field's item is the chosen option's idValue; an unknown option is 400."""
    card = (await site.create())["id"]
    fields = (await site.request("GET", f"/boards/{site.board.id}/customFields")).json()
    priority = next(f for f in fields if f["name"] == "Priority")
    assert [o["value"]["text"] for o in priority["options"]] == ["Low", "High"]
    high = priority["options"][1]["id"]
    assert (await set_item(site, card, site.priority, {"idValue": high})).status_code == 200
    items = (await site.request("GET", f"/cards/{card}/customFieldItems")).json()
    assert [i["idValue"] for i in items] == [high]
    wrong = await set_item(site, card, site.priority, {"idValue": "c" * 24})
    assert (wrong.status_code, wrong.text) == (400, "invalid value for idValue")


async def test_the_board_lists_its_lists_labels_fields_and_members(site: Site) -> None:
    """A board's lists (open by default), six default labels, custom fields and members."""
    site_lists = site.lists
    closed = await site.request("PUT", f"/lists/{site_lists[1].id}", params={"closed": "true"})
    assert closed.json()["closed"] is True
    path = f"/boards/{site.board.id}"
    open_names = [x["name"] for x in (await site.request("GET", f"{path}/lists")).json()]
    all_lists = (await site.request("GET", f"{path}/lists", params={"filter": "all"})).json()
    assert (open_names, [x["name"] for x in all_lists]) == (["To Do"], ["To Do", "Done"])
    assert [x["color"] for x in await site.labels()][:3] == ["green", "yellow", "orange"]
    fields = (await site.request("GET", f"{path}/customFields")).json()
    assert [(f["name"], f["type"]) for f in fields] == [
        ("Estimate", "number"),
        ("Priority", "list"),
    ]
    members = (await site.request("GET", f"{path}/members")).json()
    assert [m["username"] for m in members] == ["ann", "bob"]


async def test_a_board_nests_what_it_is_asked_for(site: Site) -> None:
    """GET /boards/{id}?lists=open&labels=all&customFields=true answers them in one call."""
    params = {"fields": "name", "lists": "open", "labels": "all", "customFields": "true"}
    board = (await site.request("GET", f"/boards/{site.board.id}", params=params)).json()
    assert set(board) == {"id", "name", "lists", "labels", "customFields"}
    assert [x["name"] for x in board["lists"]] == ["To Do", "Done"]
    assert len(board["labels"]) == 6
    assert [f["name"] for f in board["customFields"]] == ["Estimate", "Priority"]


def test_the_trello_descriptions_known_defects_are_corrected_and_only_those() -> None:
    """Instants, start and dueComplete validate on a card; a wrongly typed due still fails."""
    spec = spec_or_skip(TRELLO)
    card = {"due": "2024-01-31T12:00:00.000Z", "start": None, "dueComplete": True}
    spec.check_response("GET", "/1/cards/1", 200, card)
    with pytest.raises(AssertionError, match="due"):
        spec.check_response("GET", "/1/cards/1", 200, {"due": 5})
    spec.check_request("PUT", "/1/cards/1/customField/2/item", {"value": {"number": "1.5"}})
    with pytest.raises(AssertionError, match="number"):
        spec.check_request("PUT", "/1/cards/1/customField/2/item", {"value": {"number": 1}})
