"""Asana adapter benchmark: HTTP calls against the simulator for the issue's targets.

Run: ``python bench/asana.py`` (``--tasks 2000`` for a quick look). Counts calls, never asserts
times: a full read of N tasks (target: N / 100 + at most 5), a quiet incremental read (target:
1 call), 1,000 updates (target: at most 100 batch calls).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.asana.adapter import AsanaAdapter, forget_caches
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator
from adapters.base import AdapterContext, CreateItem, UpdateItem
from syncd.errors import RecordError
from syncd.logs import configure_logging

TOKEN = "bench-asana-token"  # noqa: S105  # the simulator's made-up credential


def adapter_on(sim: AsanaSimulator, project: str) -> AsanaAdapter:
    connection = AsanaConnection(
        base_url="http://asana.bench/api/1.0", token=TOKEN, requests_per_minute=1_000_000
    )
    member = AsanaMember(
        connection="asana",
        project=project,
        status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
    )
    transport = httpx.ASGITransport(app=sim.app)
    return AsanaAdapter(connection, member, AdapterContext("asana"), transport=transport)


async def measure(tasks: int) -> dict[str, str]:
    forget_caches()
    sim = AsanaSimulator()
    workspace = sim.add_workspace("Acme")
    sim.add_user("PM", "pm@acme.example", token=TOKEN)
    project = sim.add_project("Web", workspace, sections=["To do", "Doing", "Done"]).gid
    statuses = ("todo", "in_progress", "done")
    items = [
        CreateItem("task", f"u{n}", {"title": f"Task {n}", "status": statuses[n % 3]})
        for n in range(tasks)
    ]
    async with adapter_on(sim, project) as writer:
        made = [m for m in await writer.create_many(items) if not isinstance(m, RecordError)]
        updates = [UpdateItem("task", m.external_id, {"title": "renamed"}) for m in made[:1000]]
        started = time.perf_counter()
        before, batches = writer.calls, sim.calls[("POST", "/api/1.0/batch")]
        await writer.update_many(updates)
        update_calls = writer.calls - before
        update_batches = sim.calls[("POST", "/api/1.0/batch")] - batches
        seconds = time.perf_counter() - started
    forget_caches()  # a new process: nothing cached
    async with adapter_on(sim, project) as reader:
        listing = await reader.fetch(None)
        full = reader.calls
        echo = await reader.fetch(listing.cursor)  # events since the listing's token
        before = reader.calls
        await reader.fetch(echo.cursor)
        quiet = reader.calls - before
    return {
        "tasks": str(len(listing.records)),
        "full read": f"{full} (target {tasks // 100 + 5})",
        "quiet poll": f"{quiet} call(s)",
        "1000 updates": f"{update_calls} calls, {update_batches} batch (target 100)",
        "update s": f"{seconds:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()
    configure_logging(level="warning")
    row = asyncio.run(measure(args.tasks))
    print(" | ".join(row))
    print(" | ".join(row.values()))


if __name__ == "__main__":
    main()
