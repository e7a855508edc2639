"""End to end: a memory member and a simulated Trello on 127.0.0.1, 300 cards across 5 lists
with milestones; the group converges, edits travel both ways, nothing echoes, and Trello never
answers 429 (syncd paces itself under its limits)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.base import AdapterContext
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from adapters.trello.adapter import TrelloAdapter, forget_caches
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.simulator import TrelloSimulator, serve
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.plan import Policy
from syncd.store import Store
from tests.syncing import open_store

pytestmark = pytest.mark.slow

CARDS = 300
MILESTONES = 6
KEY, TOKEN = "e2e-trello-key", "e2e-trello-token"
LISTS = ["Backlog", "To do", "Doing", "Review", "Done"]


@pytest.fixture
def trello() -> Iterator[tuple[TrelloSimulator, str, str, str]]:
    forget_caches()
    sim = TrelloSimulator()  # Trello's own rate limits, on
    pm = sim.add_member("pm", "Pat PM")
    ana = sim.add_member("ana", "Ana")
    sim.add_app(KEY, "app-secret")
    sim.add_token(pm, TOKEN, KEY)
    board = sim.add_board("Web", lists=LISTS, members=[pm, ana])
    sim.add_custom_field(board, "Budget", "number")
    with serve(sim) as url:
        yield sim, url, board.id, ana.id


class Group:
    """A memory member and a Trello member, synced through one state store."""

    def __init__(self, store: Store, url: str, board: str, ana: str) -> None:
        self.store = store
        self.memory = MemoryBackend()
        self.connection = TrelloConnection(base_url=url, key=KEY, token=TOKEN)
        self.member = TrelloMember(
            connection="trello",
            board=board,
            status_map={
                "Backlog": "todo",
                "To do": "todo",
                "Doing": "in_progress",
                "Review": "in_progress",
                "Done": "done",
            },
            fields={"planned_cost": "Budget"},
            timezone="America/New_York",
        )
        self.people = {"ana@acme.example": ana}
        self.calls = 0
        self.throttled = 0

    def sync(self) -> RunReport:
        return asyncio.run(self._sync())

    async def _sync(self) -> RunReport:
        memory = MemoryAdapter(
            MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), self.memory
        )
        trello = TrelloAdapter(
            self.connection, self.member, AdapterContext("trello", people=self.people)
        )
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(memory)
            await stack.enter_async_context(trello)
            report = await sync_group(
                self.store,
                "web",
                {"mem": memory, "trello": trello},
                Policy(max_delete_ratio=1.0),
                SyncOptions(),
            )
        self.calls = trello.calls
        self.throttled += trello.client.http.calls.count(status=429)
        return report


def seed(backend: MemoryBackend) -> list[str]:
    for m in range(MILESTONES):
        backend.put(
            "milestone",
            {"title": f"Release {m}", "due": dt.date(2027, 1, 1) + dt.timedelta(days=30 * m)},
        )
    cards = []
    for n in range(CARDS):
        values: dict[str, Any] = {
            "title": f"Card {n:03d}",
            "description": f"Step {n}: **do** it",
            "status": ("todo", "in_progress", "done")[n % 3],
            "due": dt.date(2027, 2, 1) + dt.timedelta(days=n % 60),
            "labels": frozenset({"web"}) if n % 2 else frozenset(),
            "planned_cost": Decimal(f"{100 + n}.5"),
        }
        if n % 20 == 0:
            values["assignee"] = "ana@acme.example"
        cards.append(backend.put("task", values))
    return cards


def test_three_hundred_cards_converge_without_echo_or_429(
    tmp_path: Path, trello: tuple[TrelloSimulator, str, str, str]
) -> None:
    """The board and the memory member converge both ways; no 429 is ever answered."""
    _sim, url, board, ana = trello
    group = Group(open_store(tmp_path), url, board, ana)
    cards = seed(group.memory)
    first = group.sync()
    assert first.status == "ok", first.result.failures[:3]
    assert first.result.created["trello"] == CARDS + MILESTONES

    echo = group.sync()
    assert echo.plan.is_empty(), echo.plan
    assert echo.result.writes == 0

    group.memory.change(cards[0], {"title": "Card 000 renamed", "status": "done"})
    state = group.store.load_group("web")
    uid = dict(state.linked("mem"))[cards[1]]
    card_id = {u: ext for ext, u in state.linked("trello").items()}[uid]
    auth = {"Authorization": f'OAuth oauth_consumer_key="{KEY}", oauth_token="{TOKEN}"'}
    answer = httpx.put(f"{url}/cards/{card_id}", json={"name": "Edited in Trello"}, headers=auth)
    assert answer.status_code == 200
    edits = group.sync()
    assert edits.status == "ok", edits.result.failures[:3]
    assert group.memory.records[cards[1]].fields["title"] == "Edited in Trello"

    settled = group.sync()  # reads back the edits' own writes once
    assert settled.plan.is_empty()
    assert settled.result.writes == 0
    quiet = group.sync()
    assert quiet.plan.is_empty()
    assert group.calls == 1  # a quiet board: one actions call
    assert group.throttled == 0  # syncd kept under Trello's limits: never a 429
