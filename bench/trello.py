"""Trello adapter benchmark: HTTP calls against the simulator for the issue's targets.

Run: ``python bench/trello.py`` (``--cards 1000`` for a quick look). Counts calls, never asserts
times: a full read of a 5,000-card board (target: at most 8 calls), a quiet incremental read
(target: 1 call), and 100 card updates (target: 100 calls; Trello has no bulk write). The board
is filled through Trello's own API by a plain client; the simulator's rate limit is off for that.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import AdapterContext
from adapters.trello.adapter import TrelloAdapter, forget_caches
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.simulator import TrelloSimulator
from syncd.logs import configure_logging

KEY, TOKEN = "bench-trello-key", "bench-trello-token"  # made-up credentials
AUTH = {"Authorization": f'OAuth oauth_consumer_key="{KEY}", oauth_token="{TOKEN}"'}


async def fill(sim: TrelloSimulator, board: str, lists: list[str], cards: int) -> None:
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t/1", headers=AUTH) as web:
        for n in range(cards):
            body = {"name": f"Card {n}", "idList": lists[n % len(lists)]}
            answer = await web.post("/cards", json=body)
            answer.raise_for_status()


async def measure(cards: int) -> dict[str, str]:
    forget_caches()
    sim = TrelloSimulator(rate_limit=None)
    pm = sim.add_member("pm", "Pat PM")
    sim.add_app(KEY, "app-secret")
    sim.add_token(pm, TOKEN, KEY)
    board = sim.add_board("Web", lists=["To do", "Doing", "Done"], members=[pm])
    await fill(sim, board.id, [lst.id for lst in board_lists(sim, board.id)], cards)
    connection = TrelloConnection(base_url="http://t/1", key=KEY, token=TOKEN, token_pace=90)
    member = TrelloMember(
        connection="trello",
        board=board.id,
        status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
    )
    transport = httpx.ASGITransport(app=sim.app)
    async with TrelloAdapter(
        connection, member, AdapterContext("trello"), transport=transport
    ) as a:
        listing = await a.fetch(None)
        full = a.calls
        before = a.calls
        await a.fetch(listing.cursor)
        quiet = a.calls - before
        started = time.perf_counter()
        before = a.calls
        for record in listing.records[:100]:
            await a.update("task", record.external_id, {"title": record.values["title"] + "!"})
        updates = a.calls - before
        seconds = time.perf_counter() - started
    return {
        "cards": str(len(listing.records)),
        "full read": f"{full} (target 8)",
        "quiet poll": f"{quiet} call(s)",
        "100 updates": f"{updates} calls (target 100)",
        "update s (paced)": f"{seconds:.1f}",
    }


def board_lists(sim: TrelloSimulator, board: str) -> list:  # type: ignore[type-arg]
    return [lst for lst in sim.state.lists.values() if lst.board == board]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=5_000)
    args = parser.parse_args()
    configure_logging(level="warning")
    row = asyncio.run(measure(args.cards))
    print(" | ".join(row))
    print(" | ".join(row.values()))


if __name__ == "__main__":
    main()
