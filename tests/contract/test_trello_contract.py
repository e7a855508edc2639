"""The Trello adapter under the shared adapter contract, against the simulator."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import httpx

from adapters.base import Adapter, AdapterContext
from adapters.trello.adapter import TrelloAdapter, forget_caches
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.simulator import TrelloSimulator
from tests.contract.adapter_suite import AdapterContract, run
from tests.contract.openapi import SPECS_DIR, CheckedTransport, OpenApiSpec, spec_or_skip

SPEC = "trello_swagger.v3.json"
KEY, TOKEN = "contract-key-1", "contract-token-1"


def transport_for(sim: TrelloSimulator) -> httpx.AsyncBaseTransport:
    """The simulator, checked against Trello's description when it is present."""
    inner = httpx.ASGITransport(app=sim.app)
    path = SPECS_DIR / SPEC
    return CheckedTransport(inner, OpenApiSpec.load(path)) if path.is_file() else inner


@contextlib.asynccontextmanager
async def trello_member(zone: str = "Europe/Berlin") -> AsyncIterator[TrelloAdapter]:
    """A Trello adapter over a fresh simulated board."""
    forget_caches()
    sim = TrelloSimulator(rate_limit=None)
    pm = sim.add_member("pm", "Pat PM")
    ana = sim.add_member("ana", "Ana")
    sim.add_app(KEY, "app-secret")
    sim.add_token(pm, TOKEN, KEY)
    board = sim.add_board("Web", lists=["To do", "Doing", "Done"], members=[pm, ana])
    for name in ("Budget", "Actual", "Hours"):
        sim.add_custom_field(board, name, "number")
    connection = TrelloConnection(
        base_url="http://trello.test/1", key=KEY, token=TOKEN, token_pace=10_000, key_pace=10_000
    )
    member = TrelloMember(
        connection="trello",
        board=board.id,
        status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
        fields={"planned_cost": "Budget", "actual_cost": "Actual", "estimate_hours": "Hours"},
        timezone=zone,
    )
    context = AdapterContext("trello", people={"ana@acme.example": ana.id})
    adapter = TrelloAdapter(connection, member, context, transport=transport_for(sim))
    async with adapter:
        yield adapter


class TestTrello(AdapterContract):
    """Trello cards on the simulator."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        async with trello_member() as adapter:
            yield adapter


class TestTrelloFarEast(TestTrello):
    """The same, with dates in a zone far from UTC (where a date could slip a day)."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        async with trello_member("Pacific/Kiritimati") as adapter:
            yield adapter


def test_every_call_of_a_full_flow_matches_trellos_description() -> None:
    """Reads, actions, batch, card writes, labels, custom fields and deletes all validate."""
    spec_or_skip(SPEC)

    async def flow() -> int:
        async with trello_member() as adapter:
            transport = adapter.client.http._client._transport
            assert isinstance(transport, CheckedTransport)
            assert (await adapter.check()).ok
            await adapter.create("milestone", {"title": "GA", "due": dt.date(2026, 5, 1)}, uid="m")
            made = await adapter.create(
                "task",
                {
                    "title": "T",
                    "status": "in_progress",
                    "assignee": "ana@acme.example",
                    "labels": frozenset({"web"}),
                    "due": dt.date(2026, 4, 1),
                },
                uid="t",
            )
            listing = await adapter.fetch(None)
            await adapter.update("task", made.external_id, {"status": "done", "title": "T2"})
            await adapter.fetch(listing.cursor)
            await adapter.delete("task", made.external_id, "archive")
            return transport.checked

    assert run(flow()) > 8
