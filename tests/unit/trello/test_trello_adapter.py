"""The Trello adapter against mocked HTTP (respx): auth, paging, actions, batch, limits, writes."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
import respx

from adapters.base import AdapterContext, WebhookRequest
from adapters.trello.adapter import TrelloAdapter, forget_caches
from adapters.trello.config import TrelloConnection, TrelloMember
from syncd.errors import OutcomeUnknown
from syncd.http import RateLimiter, RetryPolicy
from syncd.model import Ref
from tests.contract.adapter_suite import run

T = TypeVar("T")
API = "https://api.trello.com/1"
BOARD = "5f1c0a2b3c4d5e6f7a8b9c0d"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    forget_caches()
    yield
    forget_caches()


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def adapter(sleep: Sleeps | None = None, **member: Any) -> TrelloAdapter:
    connection = TrelloConnection(key="trello-key-1234", token="trello-token-5678")
    settings = TrelloMember(
        connection="trello",
        board=BOARD,
        status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
        **member,
    )
    people = {"ana@acme.example": "mem-ana"}
    return TrelloAdapter(
        connection,
        settings,
        AdapterContext("trello", people=people, timezone=dt.UTC),
        retry_policy=RetryPolicy(jitter=0.0),
        sleep=sleep or Sleeps(),
    )


def card(card_id: str, name: str = "Card", **fields: Any) -> dict[str, Any]:
    return {
        "id": card_id,
        "name": name,
        "desc": "",
        "closed": False,
        "idList": "l1",
        "idMembers": [],
        "idLabels": [],
        "due": None,
        "dueComplete": False,
        "start": None,
        "dateLastActivity": "2026-01-10T10:00:00.000Z",
        "shortUrl": f"https://trello.com/c/{card_id}",
        "customFieldItems": [],
        **fields,
    }


def mock_board(router: respx.Router) -> respx.Route:
    return router.get(f"{API}/boards/{BOARD}").respond(
        json={
            "id": BOARD,
            "name": "Web",
            "lists": [
                {"id": "l1", "name": "To do"},
                {"id": "l2", "name": "Doing"},
                {"id": "l3", "name": "Done"},
            ],
            "labels": [{"id": "lab-m", "name": "Milestone"}, {"id": "lab-w", "name": "web"}],
            "customFields": [],
        }
    )


def test_credentials_travel_in_the_authorization_header_never_the_url() -> None:
    """Key and token are in the OAuth header, not in any URL."""
    with respx.mock() as router:
        board = mock_board(router)
        router.get(f"{API}/boards/{BOARD}/cards/open").respond(json=[])
        router.get(f"{API}/boards/{BOARD}/actions").respond(json=[])
        run(adapter().fetch(None))
    request = board.calls[0].request
    assert request.headers["Authorization"] == (
        'OAuth oauth_consumer_key="trello-key-1234", oauth_token="trello-token-5678"'
    )
    assert "trello-token-5678" not in str(request.url)


def test_a_5000_card_board_is_read_in_at_most_eight_calls() -> None:
    """One board call, five pages of 1,000 (before the oldest), one head action."""
    ids = [f"{n:024x}" for n in range(5000, 0, -1)]  # newest first
    pages = [ids[i : i + 1000] for i in range(0, 5000, 1000)] + [[]]

    def cards(request: httpx.Request) -> httpx.Response:
        before = request.url.params.get("before")
        page = pages[0] if before is None else next(p for p in pages if not p or p[0] < before)
        return httpx.Response(200, json=[card(i) for i in page])

    with respx.mock() as router:
        mock_board(router)
        listing = router.get(f"{API}/boards/{BOARD}/cards/open").mock(side_effect=cards)
        router.get(f"{API}/boards/{BOARD}/actions").respond(json=[{"id": "a" * 24}])
        member = adapter()
        obs = run(member.fetch(None))
    assert len(obs.records) == 5000
    assert obs.complete
    assert obs.cursor == "a" * 24
    assert member.calls <= 8
    assert listing.calls[1].request.url.params["before"] == ids[999]


def test_a_quiet_board_is_one_call_and_changes_are_read_by_batch() -> None:
    """Actions since the cursor name the cards; they are read 10 per batch call."""
    actions = [{"id": f"{n:024x}", "data": {"card": {"id": f"c{n}"}}} for n in range(12)]

    def batch(request: httpx.Request) -> httpx.Response:
        urls = request.url.params["urls"].split(",")
        return httpx.Response(
            200, json=[{"200": card(u.split("/")[2].split("?")[0])} for u in urls]
        )

    with respx.mock() as router:
        mock_board(router)
        events = router.get(f"{API}/boards/{BOARD}/actions").mock(
            side_effect=[httpx.Response(200, json=[]), httpx.Response(200, json=actions)]
        )
        batched = router.get(f"{API}/batch").mock(side_effect=batch)
        member = adapter()
        run(member._ready())
        before = member.calls
        quiet = run(member.fetch("0" * 24))
        assert member.calls - before == 1
        assert quiet.cursor == "0" * 24
        busy = run(member.fetch("0" * 24))
    assert len(busy.records) == 12
    assert batched.call_count == 2
    assert busy.cursor == f"{11:024x}"
    assert "updateCard" in events.calls[0].request.url.params["filter"]
    assert "%2C" in str(batched.calls[0].request.url)  # commas inside a URL are escaped


def test_a_rate_limited_answer_waits_out_trellos_window() -> None:
    """A 429 naming the token limit (no Retry-After) waits 10 s, then goes on."""
    sleeps = Sleeps()
    limited = {"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}
    with respx.mock() as router:
        router.get(f"{API}/boards/{BOARD}").mock(
            side_effect=[
                httpx.Response(429, json=limited),
                httpx.Response(200, json={"id": BOARD, "lists": [], "labels": []}),
            ]
        )
        member = adapter(sleep=sleeps)
        paced = FakeTime()
        limiter = RateLimiter(90, 10.0, clock=paced.clock, sleep=paced.sleep)
        member.client.http.limiters = (limiter,)
        run(member._ready())
    assert sleeps.waits == [pytest.approx(10.0, abs=0.01)]
    assert paced.now >= 10.0  # the limiter, told the budget is spent, held the retry back


class FakeTime:
    """A monotonic clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_status_moves_the_card_and_marks_done_complete() -> None:
    """done moves the card to the Done list and sets dueComplete."""
    with respx.mock() as router:
        mock_board(router)
        put = router.put(f"{API}/cards/c1").respond(json=card("c1", idList="l3", dueComplete=True))
        router.get(f"{API}/cards/c1").respond(json=card("c1"))
        observed = run(adapter().update("task", "c1", {"status": "done"}))
    assert json.loads(put.calls[0].request.content) == {"dueComplete": True, "idList": "l3"}
    assert observed.values["status"] == "done"


def test_a_status_no_list_holds_is_unwritten() -> None:
    """Without a list for in_progress, that status is refused for the card, and said why."""
    with respx.mock() as router:
        mock_board(router)
        router.get(f"{API}/cards/c1").respond(json=card("c1"))
        router.put(f"{API}/cards/c1").respond(json=card("c1"))
        member = adapter()
        member.settings = member.settings.model_copy(
            update={"status_map": {"To do": "todo", "Done": "done"}}
        )
        observed = run(member.update("task", "c1", {"status": "in_progress"}))
    assert "in_progress" in observed.unwritten["status"]


def test_the_assignee_replaces_only_the_first_mapped_member() -> None:
    """Other members of the card stay; the mapped one is replaced."""
    with respx.mock() as router:
        mock_board(router)
        router.get(f"{API}/cards/c1").respond(json=card("c1", idMembers=["guest", "mem-ana"]))
        put = router.put(f"{API}/cards/c1").respond(json=card("c1", idMembers=["guest"]))
        run(adapter().update("task", "c1", {"assignee": None}))
    assert json.loads(put.calls[0].request.content) == {"idMembers": ["guest"]}


def test_a_missing_label_is_created_on_the_board() -> None:
    """A label the board lacks is made before the card is written."""
    with respx.mock() as router:
        mock_board(router)
        made = router.post(f"{API}/labels").respond(json={"id": "lab-new", "name": "urgent"})
        create = router.post(f"{API}/cards").respond(json=card("c9", idLabels=["lab-new"]))
        observed = run(
            adapter().create("task", {"title": "T", "labels": frozenset({"urgent"})}, uid="u")
        )
    assert json.loads(made.calls[0].request.content)["name"] == "urgent"
    assert json.loads(create.calls[0].request.content)["idLabels"] == ["lab-new"]
    assert observed.values["labels"] == frozenset({"urgent"})


def test_archive_closes_and_delete_removes() -> None:
    """archive is closed: true; delete is DELETE; a card already gone is fine."""
    with respx.mock() as router:
        closed = router.put(f"{API}/cards/c1").respond(json=card("c1", closed=True))
        gone = router.delete(f"{API}/cards/c2").respond(
            404, text="The requested resource was not found."
        )
        run(adapter().delete("task", "c1", "archive"))
        run(adapter().delete("task", "c2", "delete"))
    assert json.loads(closed.calls[0].request.content) == {"closed": True}
    assert gone.called


def test_webhooks_are_verified_with_the_app_secret_and_callback_url() -> None:
    """X-Trello-Webhook is base64 HMAC-SHA1 of body + callback URL; forgeries are refused."""
    connection = TrelloConnection(
        key="k" * 8, token="t" * 8, secret="app-secret", webhook_url="https://syncd.example/hook"
    )
    member = TrelloAdapter(
        connection, TrelloMember(connection="trello", board=BOARD), AdapterContext("trello")
    )
    body = json.dumps({"action": {"data": {"card": {"id": "c7"}}}}).encode()
    mac = hmac.new(b"app-secret", body + b"https://syncd.example/hook", hashlib.sha1).digest()
    good = {"X-Trello-Webhook": base64.b64encode(mac).decode()}
    assert member.webhook(WebhookRequest(good, body)) == ["c7"]
    assert member.webhook(WebhookRequest({"X-Trello-Webhook": "AAAA"}, body)) is None
    assert member.webhook(WebhookRequest({}, body)) is None


def _milestone_board(router: respx.Router) -> None:
    router.get(f"{API}/boards/{BOARD}").respond(
        json={
            "id": BOARD,
            "name": "Web",
            "lists": [{"id": "l1", "name": "To do"}],
            "labels": [{"id": "lab-m", "name": "Milestone"}],
            "customFields": [{"id": "cf-m", "name": "Milestone", "type": "text"}],
        }
    )
    action = [{"id": f"{1:024x}", "data": {"card": {"id": "t1"}}}]
    router.get(f"{API}/boards/{BOARD}/actions").respond(json=action)


def _task_naming(milestone: str) -> dict[str, Any]:
    item = {"idCustomField": "cf-m", "value": {"text": milestone}}
    return card("t1", "Build the CMS", customFieldItems=[item])


def test_an_incremental_read_resolves_a_milestone_it_has_not_seen() -> None:
    """A fresh process reading only the changed task still finds the milestone the task's
    field names (one light listing of the board), instead of reading the task as having none,
    which would clear its milestone in every other tool."""
    with respx.mock() as router:
        _milestone_board(router)
        router.get(f"{API}/batch").respond(json=[{"200": _task_naming("Launch")}])
        listing = router.get(f"{API}/boards/{BOARD}/cards/open").respond(
            json=[card("m1", "Launch", idLabels=["lab-m"]), card("t1", "Build the CMS")]
        )
        observation = run(adapter(milestone_field="Milestone").fetch("0" * 24))
    (task,) = observation.records
    assert task.values["milestone"] == Ref(uid="m1")
    assert listing.call_count == 1
    assert listing.calls[0].request.url.params["fields"] == "name,idLabels"


def test_a_milestone_name_no_card_carries_says_nothing() -> None:
    """A name that matches no milestone card (a typo) leaves the field out; an empty field is
    no milestone."""
    with respx.mock() as router:
        _milestone_board(router)
        router.get(f"{API}/batch").mock(
            side_effect=[
                httpx.Response(200, json=[{"200": _task_naming("Lunch")}]),
                httpx.Response(200, json=[{"200": card("t1", "Build the CMS")}]),
            ]
        )
        router.get(f"{API}/boards/{BOARD}/cards/open").respond(
            json=[card("m1", "Launch", idLabels=["lab-m"])]
        )
        member = adapter(milestone_field="Milestone")
        typo = run(member.fetch("0" * 24))
        empty = run(member.fetch("0" * 24))
    assert "milestone" not in typo.records[0].values
    assert empty.records[0].values["milestone"] is None


def test_a_label_made_since_the_board_was_read_is_seen_on_the_card() -> None:
    """A person makes a new label and puts it on a card: the incremental read reads the board
    again for it, instead of reading the card as not carrying it (its label change lost)."""
    board = {
        "id": BOARD,
        "name": "Web",
        "lists": [{"id": "l1", "name": "To do"}],
        "labels": [{"id": "lab-m", "name": "Milestone"}],
        "customFields": [],
    }
    later = {**board, "labels": [*board["labels"], {"id": "lab-legal", "name": "legal"}]}
    with respx.mock() as router:
        boards = router.get(f"{API}/boards/{BOARD}").mock(
            side_effect=[httpx.Response(200, json=board), httpx.Response(200, json=later)]
        )
        action = [{"id": f"{1:024x}", "data": {"card": {"id": "t1"}}}]
        router.get(f"{API}/boards/{BOARD}/actions").respond(json=action)
        labelled = card("t1", "Cookie consent", idLabels=["lab-legal"])
        router.get(f"{API}/batch").respond(json=[{"200": labelled}])
        member = adapter()
        run(member._ready())
        observation = run(member.fetch("0" * 24))
    assert observation.records[0].values["labels"] == frozenset({"legal"})
    assert boards.call_count == 2


def test_a_new_card_sends_only_the_custom_fields_it_has() -> None:
    """An empty cost or milestone on a new card is no call: its fields start empty."""
    board = {
        "id": BOARD,
        "name": "Web",
        "lists": [{"id": "l1", "name": "To do"}],
        "labels": [],
        "customFields": [
            {"id": "cf-cost", "name": "Budget", "type": "number"},
            {"id": "cf-m", "name": "Milestone", "type": "text"},
        ],
    }
    with respx.mock() as router:
        router.get(f"{API}/boards/{BOARD}").respond(json=board)
        router.post(f"{API}/cards").mock(
            side_effect=[httpx.Response(200, json=card("c1")), httpx.Response(200, json=card("c2"))]
        )
        items = router.put(url__regex=r".*/customField/.*/item").respond(json={})
        member = adapter(fields={"planned_cost": "Budget"}, milestone_field="Milestone")
        run(member.create("task", {"title": "A", "planned_cost": None, "milestone": None}, uid="a"))
        assert items.call_count == 0
        run(member.create("task", {"title": "B", "planned_cost": Decimal(5)}, uid="b"))
    assert items.call_count == 1
    assert "cf-cost" in str(items.calls[0].request.url)


@pytest.mark.parametrize("status", [401, 400])
def test_a_card_made_whose_custom_field_then_fails_is_reported_unsure(status: int) -> None:
    """The card exists when a follow-up PUT fails: the create is reported as unsure, with the
    card's id, so the journal keeps it pending and the next run adopts the card (Trello keeps
    no marker) instead of reading it as a new record and copying it everywhere."""
    board = {
        "id": BOARD,
        "name": "Web",
        "lists": [{"id": "l1", "name": "To do"}],
        "labels": [],
        "customFields": [{"id": "cf-cost", "name": "Budget", "type": "number"}],
    }
    with respx.mock() as router:
        router.get(f"{API}/boards/{BOARD}").respond(json=board)
        router.post(f"{API}/cards").respond(json=card("c1"))
        router.put(url__regex=r".*/customField/.*/item").respond(status, text="refused")
        member = adapter(fields={"planned_cost": "Budget"})
        with pytest.raises(OutcomeUnknown) as raised:
            run(member.create("task", {"title": "B", "planned_cost": Decimal(5)}, uid="b"))
    assert raised.value.external_id == "c1"


def test_concurrent_milestones_make_one_milestone_label() -> None:
    """Writes run concurrently: new milestones share the one "Milestone" label they need."""
    board = {"id": BOARD, "name": "Web", "lists": [{"id": "l1", "name": "To do"}], "labels": []}

    async def both(member: TrelloAdapter) -> None:
        await member._ready()
        await asyncio.gather(
            *(member.create("milestone", {"title": f"M{n}"}, uid=f"m{n}") for n in range(5))
        )

    with respx.mock() as router:
        router.get(f"{API}/boards/{BOARD}").respond(json={**board, "customFields": []})
        made = router.post(f"{API}/labels").respond(json={"id": "lab-m", "name": "Milestone"})
        router.post(f"{API}/cards").respond(json=card("c1", idLabels=["lab-m"]))
        run(both(adapter()))
    assert made.call_count == 1
