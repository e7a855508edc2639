"""Microsoft Project adapter benchmark: file reads, parses, writes and bytes for a large plan.

Run: ``python bench/msproject.py`` (``--tasks 500`` for a quick look). Builds an MSPDI plan of
its own (summary tasks of 20 subtasks, a finish-to-start chain inside each, a person on every
task), then counts, never asserts: a full listing, a quiet poll (one read, no parse), and 100
task updates and 100 creates, each batch one file write. Times are printed for a feel only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import AdapterContext, CreateItem, UpdateItem
from adapters.msproject import adapter as msproject_adapter
from adapters.msproject import xmldoc
from adapters.msproject.adapter import MSProjectAdapter
from adapters.msproject.config import MSProjectConnection, MSProjectMember
from adapters.msproject.files import LocalPlanFile, Snapshot
from syncd.logs import configure_logging

PEOPLE = 10


class CountingFile(LocalPlanFile):
    """The plan file, counting reads, writes and bytes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, backup_suffix=".bak")
        self.reads = self.writes = self.bytes_read = self.bytes_written = 0

    def read(self) -> Snapshot:
        snapshot = super().read()
        self.reads += 1
        self.bytes_read += len(snapshot.data)
        return snapshot

    def write(self, data: bytes, *, expected: str) -> Snapshot:
        snapshot = super().write(data, expected=expected)
        self.writes += 1
        self.bytes_written += len(data)
        return snapshot


def plan_xml(tasks: int) -> str:
    """A plan of ``tasks`` leaf tasks under summaries of 20, each assigned to a person."""
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        '<Project xmlns="http://schemas.microsoft.com/project">',
        "<Name>bench.xml</Name><CurrencyCode>EUR</CurrencyCode><CalendarUID>1</CalendarUID>",
        "<Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>",
        "</Calendar></Calendars><Tasks>",
        _task(0, 0, "Bench", 0, "0", dt.date(2027, 1, 4), summary=True),
    ]
    uid, start = 1, dt.date(2027, 1, 4)
    for group in range(tasks // 20):
        summary = uid
        out.append(_task(uid, uid, f"Phase {group}", 1, str(group + 1), start, summary=True))
        uid += 1
        for n in range(20):
            link = uid - 1 if n else None
            out.append(_task(uid, uid, f"Task {uid}", 2, f"{group + 1}.{n + 1}", start, link=link))
            uid += 1
        del summary
    out.append("</Tasks><Resources>")
    for person in range(1, PEOPLE + 1):
        out.append(
            f"<Resource><UID>{person}</UID><ID>{person}</ID><Name>Person {person}</Name>"
            f"<Type>1</Type><EmailAddress>p{person}@acme.example</EmailAddress></Resource>"
        )
    out.append("</Resources><Assignments>")
    for number, task in enumerate(t for t in range(1, uid) if t % 21 != 1):
        out.append(
            f"<Assignment><UID>{number + 1}</UID><TaskUID>{task}</TaskUID>"
            f"<ResourceUID>{task % PEOPLE + 1}</ResourceUID><Units>1</Units>"
            "<Work>PT8H0M0S</Work></Assignment>"
        )
    out.append("</Assignments></Project>")
    return "\n".join(out)


def _task(
    uid: int,
    row: int,
    name: str,
    level: int,
    outline: str,
    day: dt.date,
    *,
    summary: bool = False,
    link: int | None = None,
) -> str:
    predecessor = (
        f"<PredecessorLink><PredecessorUID>{link}</PredecessorUID><Type>1</Type></PredecessorLink>"
        if link
        else ""
    )
    return (
        f"<Task><UID>{uid}</UID><ID>{row}</ID><Name>{name}</Name><OutlineNumber>{outline}"
        f"</OutlineNumber><OutlineLevel>{level}</OutlineLevel><Start>{day}T08:00:00</Start>"
        f"<Finish>{day}T17:00:00</Finish><Duration>PT8H0M0S</Duration><Work>PT8H0M0S</Work>"
        f"<Summary>{int(summary)}</Summary><PercentComplete>0</PercentComplete>"
        f"<Cost>64000</Cost>{predecessor}</Task>"
    )


async def measure(tasks: int) -> dict[str, str]:
    parses = 0
    real_parse = xmldoc.parse

    def counting_parse(data: bytes, source: str, *, max_bytes: int) -> xmldoc.Document:
        nonlocal parses
        parses += 1
        return real_parse(data, source, max_bytes=max_bytes)

    msproject_adapter.xmldoc.parse = counting_parse  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xml"
        path.write_text(plan_xml(tasks), encoding="utf-8")
        file = CountingFile(path)
        member = MSProjectMember(connection="plan", path=path)
        context = AdapterContext("plan", currency="EUR")
        async with MSProjectAdapter(MSProjectConnection(), member, context, file=file) as plan:
            started = time.perf_counter()
            listing = await plan.fetch(None)
            full_s = time.perf_counter() - started
            full = (file.reads, parses, file.bytes_read)
            await plan.fetch(listing.cursor)
            quiet = (file.reads - full[0], parses - full[1])
            leaves = [r for r in listing.records if r.kind == "task" and r.values["parent"]]
            items = [
                UpdateItem("task", r.external_id, {"title": r.values["title"] + " (v2)"})
                for r in leaves[:100]
            ]
            started = time.perf_counter()
            await plan.update_many(items)
            update_s = time.perf_counter() - started
            writes, written = file.writes, file.bytes_written
            parent = leaves[0].values["parent"]
            news = [
                CreateItem("task", f"new-{n}", {"title": f"New {n}", "parent": parent})
                for n in range(100)
            ]
            started = time.perf_counter()
            await plan.create_many(news)
            create_s = time.perf_counter() - started
    msproject_adapter.xmldoc.parse = real_parse  # type: ignore[attr-defined]
    return {
        "records": str(len(listing.records)),
        "file": f"{full[2] / 2**20:.1f} MiB",
        "full read": f"{full[0]} read, {full[1]} parse, {full_s:.2f} s",
        "quiet poll": f"{quiet[0]} read, {quiet[1]} parse",
        "100 updates": f"{writes} write ({written / 2**20:.1f} MiB), {update_s:.2f} s",
        "100 creates": f"{file.writes - writes} write, {create_s:.2f} s",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=5_000)
    args = parser.parse_args()
    configure_logging(level="warning")
    row = asyncio.run(measure(args.tasks))
    print(" | ".join(row))
    print(" | ".join(row.values()))


if __name__ == "__main__":
    main()
