"""Engine scaling with the four real adapters: one group of Jira, Asana, Trello and a plan file.

Run: ``python bench/fourway.py`` (``--sizes 1000`` for a quick look; ``--profile DIR`` writes a
cProfile of each sync). One group, four members: Jira Cloud, Asana and Trello, each a simulator
served over real HTTP on 127.0.0.1 in its own process, and Microsoft Project (an MSPDI file in a
temporary directory). Syncs go through the real ``sync_group`` with a SQLite store.

**Rate limits are OFF** on both sides (simulators without limits, adapters with pacing far above
anything reached): the point is the engine's and the adapters' own cost; pacing is measured by
``bench/jira.py``, ``bench/asana.py`` and ``bench/trello.py``.

The N tasks and N/100 milestones are seeded in the plan file, the others start empty: a plan
of that size with milestones is what a project manager keeps in Microsoft Project and pushes to
the trackers, seeding a local file costs no HTTP call (so the first sync's calls are all
syncd's), and it is the hardest first sync: every record is created in three vendors (Trello one
card per call). The plan: blocks of 100 tasks (five summary tasks of 19 subtasks each, a
finish-to-start chain inside each), then a milestone that the block's five last subtasks lead
to.

Scenarios, each one ``sync_group``: (1) first sync, (2) a no-op full sync (every member listed
completely, nothing changed: all the planning cost is visible), (3) a no-op incremental sync
(cursors), (4) 1% of the tasks renamed and moved a day in the plan file, then an incremental
sync. Columns: wall seconds (opening the adapters to closing them), split into read (the
members' fetches, concurrent), plan (the pure planner), store (accounting for the observations
in one SQLite transaction before any write), apply (the writes, journaled) and other (loading
the group's state, recording the run, opening and closing the adapters); writes; HTTP calls
per vendor as each simulator counted them; the plan file's reads/writes; peak RSS of this
process during the sync, and of the three simulator processes together. Times are printed,
never asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import multiprocessing
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.asana.adapter import AsanaAdapter
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator
from adapters.base import Adapter, AdapterContext, Observation
from adapters.jira.adapter import JiraAdapter
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import START_DATE, JiraSimulator
from adapters.msproject.adapter import MSProjectAdapter
from adapters.msproject.config import MSProjectConnection, MSProjectMember
from adapters.msproject.files import LocalPlanFile, Snapshot
from adapters.simulation import base_url, bind, server_for
from adapters.trello.adapter import TrelloAdapter
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.simulator import TrelloSimulator
from syncd import engine
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.logs import configure_logging
from syncd.plan import Policy
from syncd.store import Store

VENDORS = ("jira", "asana", "trello")
MEMBERS = ("plan", *VENDORS)
EMAIL = "pm@acme.example"
JIRA_TOKEN = "bench-jira-token"  # noqa: S105  # the simulators' made-up credentials
ASANA_TOKEN = "bench-asana-token"  # noqa: S105
TRELLO_KEY, TRELLO_TOKEN = "bench-trello-key", "bench-trello-token"
LISTS = {"To do": "todo", "Doing": "in_progress", "Done": "done"}
UNLIMITED = 1_000_000  # client-side pacing far above anything a run reaches
CONCURRENCY = {"plan": 1, "jira": 8, "asana": 8, "trello": 8}
BLOCK, PHASE = 100, 20  # tasks per milestone; a summary task and its 19 subtasks
NS = "http://schemas.microsoft.com/project"
KEEP_ALIVE = 120  # seconds the simulators keep an idle connection (see simulator_main)


# --- the simulators, each in a process of its own ----------------------------------------------


def _jira() -> tuple[Any, str, str]:
    sim = JiraSimulator("cloud")  # no rate limit, no search lag
    me = sim.add_user(EMAIL, token=JIRA_TOKEN, time_zone="UTC")
    sim.add_project("WEB", lead=me)
    return sim, "", "WEB"


def _asana() -> tuple[Any, str, str]:
    sim = AsanaSimulator()  # no rate limit
    workspace = sim.add_workspace("Acme")
    sim.add_user("PM", EMAIL, token=ASANA_TOKEN)
    project = sim.add_project("Plan", workspace, sections=list(LISTS))
    return sim, "/api/1.0", project.gid


def _trello() -> tuple[Any, str, str]:
    sim = TrelloSimulator(rate_limit=None)
    pm = sim.add_member("pm", "Pat PM")
    sim.add_app(TRELLO_KEY, "app-secret")
    sim.add_token(pm, TRELLO_TOKEN, TRELLO_KEY)
    board = sim.add_board("Plan", lists=list(LISTS), members=[pm])
    sim.add_custom_field(board, "Milestone", "text")
    return sim, "/1", board.id


SETUPS = {"jira": _jira, "asana": _asana, "trello": _trello}


def simulator_main(vendor: str, conn: Connection, profile: Path | None = None) -> None:
    """A child process: serve one vendor's simulator; answer "calls" and "rss" until "stop".

    As ``serve(sim)`` does, but with idle connections kept open for ``KEEP_ALIVE`` seconds
    (uvicorn's default is 5): a member's pooled connections sit idle while the others' writes
    run, and a POST sent as the server closes one fails with "may or may not have happened".
    With ``profile``, the server thread is profiled for the process's life (every scenario).
    """
    sim, path, scope = SETUPS[vendor]()
    sock = bind("127.0.0.1", 0)
    server = server_for(sim.app)
    server.config.timeout_keep_alive = KEEP_ALIVE
    profiler = cProfile.Profile() if profile else None

    def run() -> None:
        if profiler is not None:
            profiler.enable()
        try:
            server.run(sockets=[sock])
        finally:
            if profiler is not None:
                profiler.disable()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        conn.send((base_url(sock) + path, scope))
        while (message := conn.recv()) != "stop":
            if message == "calls":
                conn.send(sum(sim.calls.values()))
                sim.calls.clear()
            elif message == "rss":
                conn.send(peak_mib(reset=True))
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        if profile is not None and profiler is not None:
            profiler.dump_stats(profile / f"sim-{vendor}.prof")


@contextlib.contextmanager
def simulators(profile: Path | None = None) -> Iterator[dict[str, tuple[str, str, Connection]]]:
    """Start the three simulators; yield vendor -> (base URL, project or board, control pipe)."""
    spawn = multiprocessing.get_context("spawn")
    started: dict[str, tuple[str, str, Connection]] = {}
    processes = []
    try:
        for vendor in VENDORS:
            mine, theirs = spawn.Pipe()
            process = spawn.Process(
                target=simulator_main, args=(vendor, theirs, profile), daemon=True
            )
            process.start()
            processes.append(process)
            url, scope = mine.recv()
            started[vendor] = (url, scope, mine)
        yield started
    finally:
        for _, _, conn in started.values():
            with contextlib.suppress(OSError):
                conn.send("stop")
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.terminate()


# --- the plan file -------------------------------------------------------------------------------


def workdays(start: dt.date, count: int) -> dt.date:
    """The working day ``count`` working days after ``start`` (a Monday to Friday week)."""
    day = start
    while count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def plan_xml(n: int) -> str:
    """A plan of ``n`` tasks (blocks of 100: five summaries of 19 subtasks) and n/100 milestones."""
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<Project xmlns="{NS}">',
        "<Name>fourway.xml</Name><CurrencyCode>EUR</CurrencyCode><CalendarUID>1</CalendarUID>",
        "<Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>",
        "</Calendar></Calendars><Tasks>",
        _task(0, 0, "Fourway", 0, "0", dt.date(2027, 1, 4), dt.date(2027, 1, 4), summary=True),
    ]
    uid, top, day = 1, 0, dt.date(2027, 1, 4)
    for block in range(n // BLOCK):
        ends = []
        for phase in range(BLOCK // PHASE):
            top += 1
            leaves = PHASE - 1
            first, last = day, workdays(day, 2 * leaves - 1)  # two days a subtask
            done = sum((0, 50, 100)[(uid + k) % 3] for k in range(1, PHASE))
            out.append(
                _task(
                    uid, uid, f"Phase {block + 1}.{phase + 1}", 1, str(top), first, last,
                    summary=True, percent=done // leaves, work=16 * leaves,
                )
            )  # fmt: skip
            summary = uid
            uid += 1
            for k in range(leaves):
                start = workdays(first, 2 * k)
                out.append(
                    _task(
                        uid, uid, f"Task {uid}: migrate the customer records", 2,
                        f"{top}.{k + 1}", start, workdays(start, 1),
                        percent=(0, 50, 100)[uid % 3], work=16,
                        notes=f"Step {k + 1} of phase {summary}: move the records, then verify.",
                        links=[uid - 1] if k else [],
                    )
                )  # fmt: skip
                uid += 1
            ends.append(uid - 1)
            day = workdays(last, 1)
        top += 1
        out.append(
            _task(
                uid, uid, f"Release {block + 1}", 1, str(top), last, last,
                milestone=True, links=ends, work=0,
            )
        )  # fmt: skip
        uid += 1
    out.append("</Tasks></Project>")
    return "\n".join(out)


def _task(
    uid: int,
    row: int,
    name: str,
    level: int,
    outline: str,
    start: dt.date,
    finish: dt.date,
    *,
    summary: bool = False,
    milestone: bool = False,
    percent: int = 0,
    work: int = 8,
    notes: str | None = None,
    links: list[int] | None = None,
) -> str:
    hours = 0 if milestone else 8 * (1 + sum(1 for _ in _days(start, finish)))
    begin = "17:00:00" if milestone else "08:00:00"
    predecessors = "".join(
        f"<PredecessorLink><PredecessorUID>{p}</PredecessorUID><Type>1</Type></PredecessorLink>"
        for p in links or ()
    )
    return (
        f"<Task><UID>{uid}</UID><ID>{row}</ID><Name>{name}</Name><OutlineNumber>{outline}"
        f"</OutlineNumber><OutlineLevel>{level}</OutlineLevel><Start>{start}T{begin}</Start>"
        f"<Finish>{finish}T17:00:00</Finish><Duration>PT{hours}H0M0S</Duration>"
        f"<Work>PT{work}H0M0S</Work><Milestone>{int(milestone)}</Milestone>"
        f"<Summary>{int(summary)}</Summary><PercentComplete>{percent}</PercentComplete>"
        + (f"<Notes>{notes}</Notes>" if notes else "")
        + f"{predecessors}</Task>"
    )


def _days(start: dt.date, finish: dt.date) -> Iterator[dt.date]:
    day = start
    while day < finish:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            yield day


def change_one_percent(path: Path) -> int:
    """Rename 1% of the subtasks and move their finish a day later, as Project would save it."""
    tree = etree.parse(str(path))  # our own file
    changed = 0
    for task in tree.getroot().iter(f"{{{NS}}}Task"):
        uid = int(task.findtext(f"{{{NS}}}UID") or 0)
        if uid % BLOCK != 50:  # one subtask (never a summary or a milestone) in each block
            continue
        name = task.find(f"{{{NS}}}Name")
        finish = task.find(f"{{{NS}}}Finish")
        assert name is not None
        assert name.text
        assert finish is not None
        assert finish.text
        name.text += " (v2)"
        day = dt.datetime.fromisoformat(finish.text) + dt.timedelta(days=1)
        finish.text = day.isoformat()
        changed += 1
    tree.write(str(path), xml_declaration=True, encoding="UTF-8", standalone=True)
    return changed


class CountingFile(LocalPlanFile):
    """The plan file, counting reads and writes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, backup_suffix=".bak")
        self.reads = self.writes = 0

    def read(self) -> Snapshot:
        self.reads += 1
        return super().read()

    def write(self, data: bytes, *, expected: str) -> Snapshot:
        self.writes += 1
        return super().write(data, expected=expected)


# --- the members' adapters ---------------------------------------------------------------------


@dataclass
class Rig:
    """The group: the simulators' addresses, the plan file, the store."""

    sims: dict[str, tuple[str, str, Connection]]
    path: Path
    store: Store

    def adapters(self) -> tuple[dict[str, Adapter], CountingFile]:
        """Fresh adapters, as a ``syncd sync`` opens them (process-wide caches are kept)."""
        jira_url, project, _ = self.sims["jira"]
        asana_url, gid, _ = self.sims["asana"]
        trello_url, board, _ = self.sims["trello"]
        file = CountingFile(self.path)
        member = MSProjectMember(connection="plan", path=self.path)
        adapters: dict[str, Adapter] = {
            "plan": MSProjectAdapter(
                MSProjectConnection(), member, AdapterContext("plan", currency="EUR"), file=file
            ),
            "jira": JiraAdapter(
                JiraConnection(
                    base_url=jira_url,
                    deployment="cloud",
                    email=EMAIL,
                    token=JIRA_TOKEN,
                    requests_per_second=UNLIMITED,
                ),
                JiraMember(
                    connection="jira",
                    project=project,
                    fields={"start": START_DATE},
                    concurrency=CONCURRENCY["jira"],
                ),
                AdapterContext("jira"),
            ),
            "asana": AsanaAdapter(
                AsanaConnection(
                    base_url=asana_url, token=ASANA_TOKEN, requests_per_minute=UNLIMITED
                ),
                AsanaMember(
                    connection="asana",
                    project=gid,
                    status_map=LISTS,
                    concurrency=CONCURRENCY["asana"],
                ),
                AdapterContext("asana"),
            ),
            "trello": TrelloAdapter(
                TrelloConnection(
                    base_url=trello_url,
                    key=TRELLO_KEY,
                    token=TRELLO_TOKEN,
                    token_pace=UNLIMITED,
                    key_pace=UNLIMITED,
                ),
                TrelloMember(
                    connection="trello",
                    board=board,
                    status_map=LISTS,
                    milestone_field="Milestone",
                    concurrency=CONCURRENCY["trello"],
                ),
                AdapterContext("trello"),
            ),
        }
        return adapters, file


# --- timing the engine's phases ------------------------------------------------------------------


@dataclass
class Phases:
    """Seconds spent in each phase of ``sync_group`` (summed over replans), and what was read."""

    seconds: dict[str, float] = field(default_factory=dict)
    fetch: dict[str, float] = field(default_factory=dict)  # member -> its own fetch, wall
    listed: dict[str, int] = field(default_factory=dict)  # member -> records fetched

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds


@contextlib.contextmanager
def timed_phases(phases: Phases, adapters: dict[str, Adapter]) -> Iterator[None]:
    """Time the engine's own steps by wrapping the module functions ``sync_group`` calls.

    Nothing in the engine changes: ``_sync_once`` looks ``_observe``, ``plan``, ``_remember``
    and ``apply`` up in its module at each call, so wrapping them there times each step.
    """
    names = {"_observe": "read", "plan": "plan", "_remember": "remember", "apply": "apply"}
    saved = {name: getattr(engine, name) for name in names}

    def wrap(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(real):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await real(*args, **kwargs)
                finally:
                    phases.add(names[name], time.perf_counter() - started)

            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                phases.add(names[name], time.perf_counter() - started)

        return timed

    for member, adapter in adapters.items():
        real_fetch = adapter.fetch

        async def fetch(cursor: str | None, _m: str = member, _f: Any = real_fetch) -> Observation:
            started = time.perf_counter()
            observation = await _f(cursor)
            phases.fetch[_m] = phases.fetch.get(_m, 0.0) + time.perf_counter() - started
            phases.listed[_m] = phases.listed.get(_m, 0) + len(observation.records)
            return observation

        adapter.fetch = fetch  # type: ignore[method-assign]
    for name, real in saved.items():
        setattr(engine, name, wrap(name, real))
    try:
        yield
    finally:
        for name, real in saved.items():
            setattr(engine, name, real)


# --- one scenario --------------------------------------------------------------------------------


@dataclass
class Row:
    tasks: int
    scenario: str
    wall: float
    phases: Phases
    writes: int
    calls: dict[str, int]
    file_rw: tuple[int, int]
    rss: float
    sims_rss: float


async def _run(rig: Rig, options: SyncOptions, phases: Phases) -> tuple[RunReport, CountingFile]:
    adapters, file = rig.adapters()
    async with contextlib.AsyncExitStack() as stack:
        for adapter in adapters.values():
            await stack.enter_async_context(adapter)
        with timed_phases(phases, adapters):
            report = await sync_group(
                rig.store,
                "fourway",
                adapters,
                Policy(),
                options,
                concurrency=CONCURRENCY,
            )
    return report, file


def measure(
    rig: Rig, tasks: int, scenario: str, options: SyncOptions, profile: Path | None
) -> tuple[RunReport, Row]:
    """One sync through ``sync_group``: its figures as one row."""
    for _, _, conn in rig.sims.values():
        conn.send("calls")  # zero the simulators' counters
        conn.recv()
    peak_mib(reset=True)
    phases = Phases()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report, file = asyncio.run(_run(rig, options, phases))
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - started
    if profile is not None and profiler is not None:
        slug = re.sub(r"\W+", "-", scenario).strip("-")
        profiler.dump_stats(profile / f"engine-{slug}.prof")
    calls, sims_rss = {}, 0.0
    for vendor, (_, _, conn) in rig.sims.items():
        conn.send("calls")
        calls[vendor] = conn.recv()
        conn.send("rss")
        sims_rss += conn.recv()
    row = Row(
        tasks,
        scenario,
        wall,
        phases,
        report.result.writes,
        calls,
        (file.reads, file.writes),
        peak_mib(),
        sims_rss,
    )
    return report, row


def peak_mib(*, reset: bool = False) -> float:
    """This process's peak resident set since the last reset (Linux: VmHWM; clear_refs resets)."""
    status = Path("/proc/self/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    peak = int(found.group(1)) / 1024 if found else 0.0
    if reset:
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
    return peak


def check(report: RunReport, scenario: str) -> None:
    if report.status != "ok":
        failures = report.result.failures[:3]
        raise SystemExit(f"{scenario}: {report.status} {report.member_errors} {failures}")


def bench(n: int, profile: Path | None, log: Callable[[str], None]) -> list[Row]:
    """The four scenarios at ``n`` tasks, on fresh simulators, file and store."""
    assert n % BLOCK == 0, "sizes are whole blocks of 100 tasks"
    records = n + n // BLOCK
    rows = []
    if profile is not None:
        profile = profile / str(n)
        profile.mkdir(parents=True, exist_ok=True)
    with simulators(profile) as sims, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fourway.xml"
        path.write_text(plan_xml(n), encoding="utf-8")
        rig = Rig(sims, path, Store.open(f"sqlite:///{tmp}/state.db"))
        first, row = measure(rig, n, "first sync (creates)", SyncOptions(), profile)
        check(first, "first sync")
        for vendor in VENDORS:
            made = first.result.created.get(vendor, 0)
            assert made == records, (vendor, made, records, first.summary())
        rows.append(row)
        log(f"{n}: first sync {row.wall:.1f} s")
        for scenario, options in (
            ("no-op, full read", SyncOptions(full=True)),
            ("no-op, incremental", SyncOptions()),
        ):
            idle, row = measure(rig, n, scenario, options, profile)
            check(idle, scenario)
            assert idle.plan.is_empty(), (scenario, idle.summary(), idle.plan.updates[:4])
            if options.full:
                for member in MEMBERS:
                    assert row.phases.listed.get(member) == records, (member, row.phases.listed)
            rows.append(row)
            log(f"{n}: {scenario} {row.wall:.1f} s")
        changed = change_one_percent(path)
        busy, row = measure(rig, n, f"1% changed in plan ({changed})", SyncOptions(), profile)
        check(busy, "1% changed")
        for vendor in VENDORS:
            assert busy.result.updated.get(vendor) == changed, (vendor, busy.summary())
        rows.append(row)
        log(f"{n}: 1% changed {row.wall:.1f} s")
        rig.store.close()
    return rows


# --- the table -----------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    header = [
        "tasks",
        "scenario",
        "wall s",
        "read s",
        "plan s",
        "store s",
        "apply s",
        "other s",
        "writes",
        "HTTP jira/asana/trello",
        "plan file r/w",
        "peak RSS MiB",
        "sims RSS MiB",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        s = r.phases.seconds
        other = r.wall - sum(s.values())
        cells = [
            f"{r.tasks:,}",
            r.scenario,
            f"{r.wall:.2f}",
            f"{s.get('read', 0.0):.2f}",
            f"{s.get('plan', 0.0):.2f}",
            f"{s.get('remember', 0.0):.2f}",
            f"{s.get('apply', 0.0):.2f}",
            f"{other:.2f}",
            f"{r.writes:,}",
            "/".join(f"{r.calls[v]:,}" for v in VENDORS),
            f"{r.file_rw[0]}/{r.file_rw[1]}",
            f"{r.rss:.0f}",
            f"{r.sims_rss:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fetch_table(rows: list[Row]) -> str:
    """Each member's own fetch (wall, concurrent with the others) and records listed."""
    header = ["tasks", "scenario", *(f"{m} fetch s (records)" for m in MEMBERS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        cells = [f"{r.tasks:,}", r.scenario]
        for m in MEMBERS:
            cells.append(f"{r.phases.fetch.get(m, 0.0):.2f} ({r.phases.listed.get(m, 0):,})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument(
        "--profile", type=Path, help="write cProfiles here: each sync, each simulator's life"
    )
    args = parser.parse_args(argv)
    configure_logging("warning")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    rows = [row for n in args.sizes for row in bench(n, args.profile, log)]
    print("Rate limits OFF (simulators and client pacing): engine + adapter cost, not pacing.")
    print(f"Members: {', '.join(MEMBERS)}; concurrency {CONCURRENCY}; seeded in the plan file.")
    print()
    print(table(rows))
    print()
    print(fetch_table(rows))
    noop = {r.tasks: r.wall for r in rows if r.scenario == "no-op, full read"}
    if 1_000 in noop and 10_000 in noop:
        ratio = noop[10_000] / noop[1_000]
        print()
        print(f"no-op full sync wall time ratio 10k/1k: {ratio:.1f} (linear: 10)")


if __name__ == "__main__":
    main()
