"""Marketing in Trello, through its REST API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx

from adapters.base import DemoSite
from tests.faults.users.common import (
    TIMEOUT,
    Json,
    Seen,
    casefolded,
    in_order,
    instant_of,
    only_one,
)

CARD_FIELDS = "name,idList,idLabels,due,dueComplete"


@dataclass(frozen=True)
class _Board:
    lists: dict[str, str]  # open list id -> name, in board order
    milestone_labels: frozenset[str]  # ids of the labels marking milestones


class TrelloUser:
    """A marketing team member on one Trello board; status is the card's list."""

    def __init__(self, member: str, site: DemoSite, timezone: str) -> None:
        connection, settings = site.connection, site.member
        self.member = member
        self._url = connection["base_url"].rstrip("/")
        key, token = connection["key"], connection["token"]
        self._auth = f'OAuth oauth_consumer_key="{key}", oauth_token="{token}"'
        self._board = str(settings["board"])
        self._status_map = casefolded(settings.get("status_map", {}))
        self.statuses = in_order(self._status_map.values())
        self._milestone_label = str(settings.get("milestone_label", "Milestone")).casefold()
        # Trello keeps due dates as instants; the member's time zone (else the group's) says
        # which day one falls on, and a date alone is set at the member's due_time (17:00).
        self._zone = ZoneInfo(settings.get("timezone") or timezone)
        self._due_time = dt.time.fromisoformat(settings.get("due_time", "17:00"))

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": self._auth}
        return httpx.AsyncClient(base_url=self._url, headers=headers, timeout=TIMEOUT)

    async def tasks(self) -> list[Seen]:
        async with self._client() as client:
            board = await self._read_board(client)
            return [self._seen(board, card) for card in await self._cards(client, board)]

    async def create(self, title: str, due: dt.date | None = None) -> None:
        """A new card at the bottom of the list of "todo"."""
        async with self._client() as client:
            board = await self._read_board(client)
            params = {"idList": self._list_of(board, "todo"), "name": title}
            if due is not None:
                params["due"] = self._at(due, self._due_time)
            (await client.post("/cards", params=params)).raise_for_status()

    async def set_due(self, title: str, due: dt.date) -> None:
        """Move the due date to another day, at the time of day the card had."""
        async with self._client() as client:
            card = await self._find(client, await self._read_board(client), title)
            before = instant_of(card.get("due"))
            time = before.astimezone(self._zone).time() if before else self._due_time
            params = {"due": self._at(due, time)}
            (await client.put(f"/cards/{card['id']}", params=params)).raise_for_status()

    async def set_status(self, title: str, status: str) -> None:
        """Drag the card to the top of the list of ``status``."""
        async with self._client() as client:
            board = await self._read_board(client)
            card = await self._find(client, board, title)
            params = {"idList": self._list_of(board, status), "pos": "top"}
            (await client.put(f"/cards/{card['id']}", params=params)).raise_for_status()

    async def delete(self, title: str) -> None:
        """Delete the card for good (not archive it)."""
        async with self._client() as client:
            card = await self._find(client, await self._read_board(client), title)
            (await client.delete(f"/cards/{card['id']}")).raise_for_status()

    async def _read_board(self, client: httpx.AsyncClient) -> _Board:
        """The open lists and the labels, in one call (Trello's nested resources)."""
        params = {"fields": "name", "lists": "open", "labels": "all"}
        board = (await client.get(f"/boards/{self._board}", params=params)).raise_for_status()
        body = board.json()
        labels = body.get("labels") or []
        marking = {
            str(x["id"]) for x in labels if str(x["name"]).casefold() == self._milestone_label
        }
        lists = {str(x["id"]): str(x["name"]) for x in body.get("lists") or []}
        return _Board(lists, frozenset(marking))

    async def _cards(self, client: httpx.AsyncClient, board: _Board) -> list[Json]:
        """The open cards in open lists, milestones left out. The board's listing leaves
        archived cards out, but not the cards of an archived list."""
        params = {"fields": CARD_FIELDS}
        listing = await client.get(f"/boards/{self._board}/cards", params=params)
        return [
            card
            for card in listing.raise_for_status().json()
            if card["idList"] in board.lists and not board.milestone_labels & set(card["idLabels"])
        ]

    async def _find(self, client: httpx.AsyncClient, board: _Board, title: str) -> Json:
        cards = await self._cards(client, board)
        named = [c for c in cards if (c["name"] or "").strip() == title]
        return only_one(named, title, f"Trello board {self._board}")

    def _list_of(self, board: _Board, status: str) -> str:
        for list_id, name in board.lists.items():
            if self._status_map.get(name.casefold()) == status:
                return list_id
        raise ValueError(f"no open list of the Trello board is mapped to {status}")

    def _at(self, day: dt.date, time: dt.time) -> str:
        moment = dt.datetime.combine(day, time, tzinfo=self._zone).astimezone(dt.UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _seen(self, board: _Board, card: Json) -> Seen:
        due = instant_of(card.get("due"))
        return Seen(
            (card["name"] or "").strip(),
            due.astimezone(self._zone).date() if due else None,
            self._status_map.get(board.lists[card["idList"]].casefold()),
        )
