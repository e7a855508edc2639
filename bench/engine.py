"""Engine benchmark: planning and applying syncs of 10,000 and 100,000 tasks over 4 members.

Run: ``python bench/engine.py`` (``--sizes 10000`` for a quick look). Prints a table; asserts
nothing about time (machines are shared and noisy) but prints the figures the core issue asks
for: plan seconds for a no-op sync (every member listed completely, nothing changed), plan and
apply seconds with 1% of the records changed in one member, peak memory, and the 100k/10k ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import AdapterContext, Capabilities, KindCapability, Observation, Observed
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend, StoredRecord
from adapters.memory.config import MemoryConnection, MemoryMember
from syncd.apply import apply
from syncd.logs import configure_logging
from syncd.model import KINDS, Ref, Values
from syncd.plan import MemberView, Plan, Policy, plan
from syncd.state import GroupState, LinkState, RecordState
from syncd.store import Store

MEMBERS = ("jira", "asana", "trello", "plan")
CAPS = Capabilities({k: KindCapability.all_fields(k) for k in KINDS}, markers=True)


def task_values(i: int) -> Values:
    """A realistic task: a tenth of them are children of a parent task."""
    values: Values = {
        "title": f"Task {i}: migrate the customer records",
        "description": "Move the records.\n\n- check\n- verify",
        "status": ("todo", "in_progress", "done")[i % 3],
        "assignee": f"user{i % 40}@acme.example",
        "due": dt.date(2026, 1, 1) + dt.timedelta(days=i % 365),
        "estimate_hours": float(i % 16),
        "planned_cost": Decimal(i % 5000) + Decimal("0.50"),
        "labels": frozenset({"erp", f"wave-{i % 4}"}),
    }
    if i % 10 and i > 10:
        values["parent"] = Ref(uid=f"r{i - i % 10}")
    return values


def external(member: str, uid: str) -> str:
    return f"{member}-{uid}"


def build(n: int) -> tuple[GroupState, dict[str, list[Observed]]]:
    """A synced group of n tasks, and each member's complete listing of it."""
    records: dict[str, RecordState] = {}
    listings: dict[str, list[Observed]] = {m: [] for m in MEMBERS}
    for i in range(n):
        uid = f"r{i}"
        base = task_values(i)
        # As the store loads it: members in step share the base dict (read-only) as shadow.
        links = {m: LinkState(m, external(m, uid), base) for m in MEMBERS}
        records[uid] = RecordState(uid, "task", base, links)
        for m in MEMBERS:
            values = dict(base)
            if "parent" in values:
                values["parent"] = Ref(uid=external(m, values["parent"].uid))
            listings[m].append(Observed("task", external(m, uid), values))
    return GroupState("bench", records), listings


def views(listings: dict[str, list[Observed]]) -> list[MemberView]:
    return [MemberView(m, CAPS, Observation(listings[m], "c", True)) for m in MEMBERS]


def timed_plan(state: GroupState, listings: dict[str, list[Observed]]) -> tuple[Plan, float]:
    gc.collect()
    started = time.perf_counter()
    result = plan(state, views(listings), Policy(), lambda: "new")
    return result, time.perf_counter() - started


def change_one_percent(listings: dict[str, list[Observed]]) -> int:
    """Change the due date of 1% of the records in the first member."""
    first = listings[MEMBERS[0]]
    step = 100
    for i in range(0, len(first), step):
        obs = first[i]
        values = dict(obs.values)
        values["due"] = values["due"] + dt.timedelta(days=7)
        first[i] = Observed(obs.kind, obs.external_id, values)
    return len(range(0, len(first), step))


def timed_apply(the_plan: Plan, state: GroupState) -> tuple[float, int]:
    """Apply the plan's writes to memory members holding the records, journaling to SQLite."""
    backends = {m: MemoryBackend() for m in MEMBERS}
    for m, backend in backends.items():
        for uid, rec in state.records.items():
            backend.records[external(m, uid)] = StoredRecord("task", {"title": rec.base["title"]})
    adapters = {
        m: MemoryAdapter(MemoryConnection(), MemberName(m), AdapterContext(m), backends[m])
        for m in MEMBERS
    }
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/state.db")
        run_id = store.begin_run("bench")[0]
        records = {**state.records, **the_plan.records}
        started = time.perf_counter()
        result = asyncio.run(apply(the_plan, adapters, store, run_id=run_id, records=records))
        elapsed = time.perf_counter() - started
        store.close()
    return elapsed, result.writes


def MemberName(name: str) -> MemoryMember:  # reads as a constructor
    return MemoryMember(connection=name)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    configure_logging("warning")
    rows: list[tuple[Any, ...]] = []
    noop: dict[int, float] = {}
    for n in args.sizes:
        state, listings = build(n)
        idle, noop[n] = timed_plan(state, listings)
        assert idle.is_empty(), "a no-op sync planned writes"
        rows.append((n, len(MEMBERS), "no-op", f"{noop[n]:.3f}", "-", 0, f"{peak_mib():.0f}"))
        changed = change_one_percent(listings)
        busy, seconds = timed_plan(state, listings)
        apply_s, writes = timed_apply(busy, state)
        expected = changed * (len(MEMBERS) - 1)
        assert writes == expected, (writes, expected)
        rows.append(
            (
                n,
                len(MEMBERS),
                "1% changed",
                f"{seconds:.3f}",
                f"{apply_s:.3f}",
                writes,
                f"{peak_mib():.0f}",
            )
        )
        del state, listings, idle, busy
    header = ("records", "members", "scenario", "plan s", "apply s", "writes", "peak MiB")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    if 10_000 in noop and 100_000 in noop:
        print(f"no-op plan time ratio 100k/10k: {noop[100_000] / noop[10_000]:.1f} (linear: 10)")


if __name__ == "__main__":
    main()
