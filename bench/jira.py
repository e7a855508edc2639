"""Jira adapter benchmark: HTTP calls against the simulator for the issue's three targets.

Run: ``python bench/jira.py`` (``--issues 2000`` for a quick look). Counts calls, never asserts
times: a full read of N issues (target: ceil(N / page size) + 3), a no-op incremental read
(target: 1 search), and 1,000 creates (target: ceil(1000 / 50) bulk calls, plus transitions),
on Cloud (pages of 100 when fields are asked) and Data Center (pages of 1000).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import AdapterContext, CreateItem
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import JiraSimulator, ManualClock
from adapters.jira.site import forget_sites
from syncd.logs import configure_logging

TOKEN = "bench-token-1"  # noqa: S105  # the simulator's made-up credential


def site(flavor: str) -> tuple[JiraSimulator, JiraAdapter, ManualClock]:
    forget_sites()
    forget_recent_writes()
    clock = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    sim = JiraSimulator("cloud" if flavor == "cloud" else "dc", clock=clock)
    me = sim.add_user("pm@acme.example", token=TOKEN, time_zone="Europe/Berlin")
    sim.add_project("WEB", lead=me)
    cloud = flavor == "cloud"
    connection = JiraConnection(
        base_url="http://jira.bench",
        deployment="cloud" if cloud else "datacenter",
        email="pm@acme.example" if cloud else None,
        token=TOKEN,
        requests_per_second=100_000,
    )
    member = JiraMember(connection="jira", project="WEB", concurrency=8)
    adapter = JiraAdapter(
        connection,
        member,
        AdapterContext("jira"),
        transport=httpx.ASGITransport(app=sim.app),
    )
    return sim, adapter, clock


def items(count: int, offset: int = 0) -> list[CreateItem]:
    statuses = ("todo", "in_progress", "done")
    return [
        CreateItem("task", f"u{n}", {"title": f"Task {n}", "status": statuses[n % 3]})
        for n in range(offset, offset + count)
    ]


async def measure(flavor: str, issues: int) -> dict[str, str]:
    sim, adapter, clock = site(flavor)
    page = sim.max_page if flavor == "cloud" else sim.dc_max_results
    async with adapter:
        started = time.perf_counter()
        before = adapter.calls
        await adapter.create_many(items(1000))
        creates = adapter.calls - before
        bulk = sum(n for (m, p), n in sim.calls.items() if p.endswith("/issue/bulk"))
        create_seconds = time.perf_counter() - started
        # The rest of the project, straight into the simulator through the vendor's bulk API.
        for start in range(1000, issues, 1000):
            await adapter.create_many(items(min(1000, issues - start), start))
        clock.advance(3600)  # an hour later: nothing of ours left to reconcile
        forget_recent_writes()
        sim.calls.clear()
        before = adapter.calls
        listing = await adapter.fetch(None)
        full = adapter.calls - before
        before = adapter.calls
        sim.calls.clear()
        await adapter.fetch(listing.cursor)
        searches = sum(n for (m, p), n in sim.calls.items() if "search" in p)
        incremental = adapter.calls - before
    return {
        "flavor": flavor,
        "issues": str(len(listing.records)),
        "page": str(page),
        "full read": f"{full} (target {math.ceil(issues / page) + 3})",
        "no-op incremental": f"{incremental} calls, {searches} search",
        "1000 creates": f"{creates} calls, {bulk} bulk (target {math.ceil(1000 / 50)})",
        "create s": f"{create_seconds:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=10_000)
    args = parser.parse_args()
    configure_logging(level="warning")
    rows = [asyncio.run(measure(flavor, args.issues)) for flavor in ("cloud", "dc")]
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(row[c] for c in columns))


if __name__ == "__main__":
    main()
