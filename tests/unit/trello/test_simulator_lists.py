"""The Trello simulator's relations and reads: a card's labels and members, a board's cards and
actions (filters, paging newest first), GET /batch, and lists and labels made through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.unit.trello.test_simulator import Site, open_site

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with open_site() as opened:
        yield opened


async def board_get(site: Site, path: str, **params: Any) -> Any:
    response = await site.request("GET", f"/boards/{site.board.id}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def actions(site: Site, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await board_get(site, "/actions", **params)
    return found


# --- labels and members of a card ---------------------------------------------------------------


async def test_labels_are_added_to_and_removed_from_a_card(site: Site) -> None:
    """POST idLabels adds a board label (twice is 400); DELETE idLabels/{id} removes it."""
    card = (await site.create())["id"]
    red = next(x for x in await site.labels() if x["color"] == "red")
    added = await site.request("POST", f"/cards/{card}/idLabels", params={"value": red["id"]})
    assert added.json() == [red["id"]]
    twice = await site.request("POST", f"/cards/{card}/idLabels", params={"value": red["id"]})
    assert (twice.status_code, twice.text) == (400, "that label is already on the card")
    assert [x["name"] for x in (await site.card(card))["labels"]] == [""]
    removed = await site.request("DELETE", f"/cards/{card}/idLabels/{red['id']}")
    assert removed.json() == []
    kinds = [a["type"] for a in await actions(site, filter="addLabelToCard,removeLabelFromCard")]
    assert kinds == ["removeLabelFromCard", "addLabelToCard"]


async def test_members_are_added_to_and_removed_from_a_card(site: Site) -> None:
    """Only board members join a card; the answers list the card's members."""
    card = (await site.create())["id"]
    added = await site.request("POST", f"/cards/{card}/idMembers", params={"value": site.bob.id})
    assert added.json() == [{"id": site.bob.id, "fullName": "Bob Ray", "username": "bob"}]
    outsider = await site.request("POST", f"/cards/{card}/idMembers", params={"value": site.cy.id})
    assert (outsider.status_code, outsider.text) == (400, "invalid value for value")
    shown = await site.card(card, members="true", fields="idMembers")
    assert [m["username"] for m in shown["members"]] == ["bob"]
    removed = await site.request("DELETE", f"/cards/{card}/idMembers/{site.bob.id}")
    assert removed.json() == []
    [joined] = await actions(site, filter="addMemberToCard")
    assert (joined["data"]["idMember"], joined["data"]["card"]["id"]) == (site.bob.id, card)


# --- a board's cards ------------------------------------------------------------------------------


async def test_board_cards_are_filtered_open_closed_or_all(site: Site) -> None:
    """/cards answers the open cards in list order; /cards/closed and /cards/all the others."""
    done = await site.create("Done", idList=site.lists[1].id)
    todo = await site.create("Todo")
    archived = await site.create("Archived")
    await site.update(archived["id"], closed="true")
    names = [c["name"] for c in await board_get(site, "/cards")]
    assert names == ["Todo", "Done"]
    assert [c["id"] for c in await board_get(site, "/cards/closed")] == [archived["id"]]
    assert {c["id"] for c in await board_get(site, "/cards/all")} == {
        done["id"],
        todo["id"],
        archived["id"],
    }


async def test_board_cards_page_newest_first_with_before(site: Site) -> None:
    """With limit, cards come newest first; before=<last id> gives the next page."""
    ids = [(await site.create(f"Card {i}"))["id"] for i in range(5)]
    first = await board_get(site, "/cards", limit=2)
    assert [c["id"] for c in first] == [ids[4], ids[3]]
    second = await board_get(site, "/cards", limit=2, before=first[-1]["id"])
    assert [c["id"] for c in second] == [ids[2], ids[1]]
    last = await board_get(site, "/cards", limit=2, before=second[-1]["id"])
    assert [c["id"] for c in last] == [ids[0]]
    newer = await board_get(site, "/cards", since=ids[2], customFieldItems="true")
    assert [c["id"] for c in newer] == [ids[4], ids[3]]
    assert newer[0]["customFieldItems"] == []


async def test_a_limit_over_1000_is_400(site: Site) -> None:
    """Trello pages hold at most 1000 items."""
    path = f"/boards/{site.board.id}/cards"
    response = await site.request("GET", path, params={"limit": "1001"})
    assert (response.status_code, response.text) == (400, "invalid value for limit")


# --- actions ------------------------------------------------------------------------------------


async def test_actions_record_each_change_with_its_old_value(site: Site) -> None:
    """createCard, one updateCard per attribute with data.old, and deleteCard, newest first."""
    card = await site.create("Draft")
    await site.update(card["id"], name="Final", idList=site.lists[1].id)
    await site.request("DELETE", f"/cards/{card['id']}")
    found = await actions(site)
    assert [a["type"] for a in found] == ["deleteCard", "updateCard", "updateCard", "createCard"]
    moved, renamed = found[1]["data"], found[2]["data"]
    assert (renamed["old"], renamed["card"]["name"]) == ({"name": "Draft"}, "Final")
    assert moved["old"] == {"idList": site.lists[0].id}
    assert (moved["listBefore"]["name"], moved["listAfter"]["name"]) == ("To Do", "Done")
    assert found[0]["data"]["card"]["id"] == card["id"]
    assert found[3]["memberCreator"]["username"] == "ann"
    assert found[3]["date"] == "2024-01-31T12:00:00.000Z"


async def test_actions_since_an_id_or_a_date_and_filtered_by_type(site: Site) -> None:
    """since takes an action id or a date; filter keeps the types named."""
    card = (await site.create())["id"]
    [created] = await actions(site)
    site.clock.advance(30)
    await site.update(card, desc="More")
    await site.update(card, closed="true")
    item = {"value": {"number": "3"}}
    await site.request("PUT", f"/cards/{card}/customField/{site.estimate.id}/item", json=item)
    newer = await actions(site, since=created["id"])
    assert [a["type"] for a in newer] == ["updateCustomFieldItem", "updateCard", "updateCard"]
    assert newer[0]["data"]["customFieldItem"]["value"] == {"number": "3"}
    by_date = await actions(site, since="2024-01-31T12:00:10.000Z", filter="updateCard")
    assert [a["data"]["old"] for a in by_date] == [{"closed": False}, {"desc": ""}]


async def test_actions_page_with_before_and_limit(site: Site) -> None:
    """limit and before=<last id> walk the actions back in pages."""
    for i in range(5):
        await site.create(f"Card {i}")
    first = await actions(site, limit=3)
    rest = await actions(site, limit=3, before=first[-1]["id"])
    names = [a["data"]["card"]["name"] for a in first + rest]
    assert names == [f"Card {i}" for i in (4, 3, 2, 1, 0)]


# --- batch --------------------------------------------------------------------------------------


async def test_batch_answers_each_url_keyed_by_its_status(site: Site) -> None:
    """Each URL's answer is keyed by its status; a failing URL fails alone."""
    card = (await site.create("Batched"))["id"]
    urls = f"/cards/{card},/cards/{'a' * 24},/boards/{site.board.id}/lists,/cards/bad"
    response = await site.request("GET", "/batch", params={"urls": urls})
    assert response.status_code == 200
    found, missing, lists, bad = response.json()
    assert found["200"]["name"] == "Batched"
    assert missing == {"404": "The requested resource was not found."}
    assert [x["name"] for x in lists["200"]] == ["To Do", "Done"]
    assert bad == {"400": "invalid id"}


async def test_a_batch_holds_at_most_ten_urls(site: Site) -> None:
    """Eleven URLs are refused with 400."""
    urls = ",".join(["/members/me"] * 11)
    response = await site.request("GET", "/batch", params={"urls": urls})
    assert (response.status_code, response.text) == (400, "invalid value for urls")
    ten = await site.request("GET", "/batch", params={"urls": ",".join(["/members/me"] * 10)})
    assert len(ten.json()) == 10


# --- lists and labels ---------------------------------------------------------------------------


async def test_lists_and_labels_are_created_through_the_api(site: Site) -> None:
    """POST /lists adds a list at the bottom (createList); POST /labels a coloured label."""
    created = await site.request(
        "POST", "/lists", params={"name": "Review", "idBoard": site.board.id}
    )
    assert created.json()["pos"] > site.lists[0].pos
    names = [x["name"] for x in await board_get(site, "/lists")]
    assert names == ["To Do", "Done", "Review"]
    label = await site.request(
        "POST", "/labels", params={"name": "Bug", "color": "red", "idBoard": site.board.id}
    )
    assert (label.json()["name"], label.json()["color"]) == ("Bug", "red")
    bad = await site.request(
        "POST", "/labels", params={"name": "X", "color": "teal", "idBoard": site.board.id}
    )
    assert (bad.status_code, bad.text) == (400, "invalid value for color")
    assert [a["type"] for a in await actions(site)] == ["createList"]
