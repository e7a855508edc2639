"""The Asana adapter under the shared adapter contract, against the simulator."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import httpx

from adapters.asana.adapter import AsanaAdapter, forget_caches
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator
from adapters.base import Adapter, AdapterContext
from syncd.model import Kind, Ref, Values
from tests.contract.adapter_suite import AdapterContract, run
from tests.contract.openapi import SPECS_DIR, CheckedTransport, OpenApiSpec, spec_or_skip

SPEC = "asana_oas.yaml"
TOKEN = "asana-contract-1"


def transport_for(sim: AsanaSimulator) -> httpx.AsyncBaseTransport:
    """The simulator, checked against Asana's description when it is present."""
    inner = httpx.ASGITransport(app=sim.app)
    path = SPECS_DIR / SPEC
    return CheckedTransport(inner, OpenApiSpec.load(path)) if path.is_file() else inner


@contextlib.asynccontextmanager
async def asana_member(
    *, premium: bool = True, custom: bool = True, oauth: bool = False
) -> AsyncIterator[AsanaAdapter]:
    """An Asana adapter over a fresh simulated workspace with one project."""
    forget_caches()
    sim = AsanaSimulator(premium=premium)
    workspace = sim.add_workspace("Acme")
    sim.add_user("PM", "pm@acme.example", token=TOKEN)
    sim.add_user("Ana", "ana@acme.example")
    project = sim.add_project("Web", workspace, sections=["To do", "Doing", "Done"])
    if custom:
        for name in ("Budget", "Actual", "Hours"):
            sim.add_custom_field(workspace, name, "number", precision=2, projects=[project])
    connection = AsanaConnection(
        base_url="http://asana.test/api/1.0",
        token=TOKEN,
        requests_per_minute=100_000,
        oauth_app=oauth,
    )
    member = AsanaMember(
        connection="asana",
        project=project.gid,
        status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
        fields={"planned_cost": "Budget", "actual_cost": "Actual", "estimate_hours": "Hours"}
        if custom
        else {},
    )
    adapter = AsanaAdapter(
        connection, member, AdapterContext("asana"), transport=transport_for(sim)
    )
    async with adapter:
        yield adapter


class TestAsana(AdapterContract):
    """Asana (tasks, subtasks, milestones) on the simulator."""

    def representable(self, kind: Kind, values: Values) -> bool:
        """Asana keeps a start date only with a later due date."""
        start, due = values.get("start"), values.get("due")
        return start is None or (due is not None and start < due)

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        async with asana_member() as adapter:
            yield adapter


class TestAsanaOAuthApp(TestAsana):
    """An OAuth app's token: syncd's uid is kept in each task's external data."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        async with asana_member(oauth=True) as adapter:
            yield adapter


def test_every_call_of_a_full_flow_matches_asanas_description() -> None:
    """Reads, events, batches of creates and updates, links and deletes all validate."""
    spec_or_skip(SPEC)

    async def flow() -> int:
        async with asana_member() as adapter:
            transport = adapter.client.http._client._transport  # the test's own
            assert isinstance(transport, CheckedTransport)
            assert (await adapter.check()).ok
            milestone = await adapter.create("milestone", {"title": "GA"}, uid="m")
            first = await adapter.create("task", {"title": "First"}, uid="a")
            second = await adapter.create(
                "task",
                {
                    "title": "Second",
                    "status": "in_progress",
                    "assignee": "ana@acme.example",
                    "description": "**Why**: [spec](https://x.example)",
                    "labels": frozenset({"web"}),
                    "due": dt.date(2026, 5, 1),
                    "start": dt.date(2026, 4, 1),
                    "depends_on": frozenset({Ref(uid=first.external_id)}),
                    "milestone": Ref(uid=milestone.external_id),
                },
                uid="b",
            )
            await adapter.update(
                "task", second.external_id, {"labels": frozenset(), "status": "done"}
            )
            listing = await adapter.fetch(None)
            await adapter.fetch(listing.cursor)
            await adapter.delete("task", first.external_id, "delete")
            return transport.checked

    assert run(flow()) > 10


def test_dependencies_on_a_free_workspace_are_refused_for_that_field_only() -> None:
    """Without a paid plan, depends_on is unwritten; the task is still created."""

    async def flow() -> dict[str, str]:
        async with asana_member(premium=False, custom=False) as adapter:
            first = await adapter.create("task", {"title": "First"}, uid="a")
            second = await adapter.create(
                "task",
                {"title": "S", "depends_on": frozenset({Ref(uid=first.external_id)})},
                uid="b",
            )
            return dict(second.unwritten)

    unwritten = run(flow())
    assert "402" in unwritten["depends_on"]
