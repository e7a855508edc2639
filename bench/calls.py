"""API calls against the minimum: what syncd spends on each vendor, next to the least the
vendor's paging, batch and bulk limits allow for the same work.

Run: ``python bench/calls.py`` (``--tasks 1000`` for a quick look, ``--vendors trello``).

Each vendor's simulator is served on 127.0.0.1 (``serve``) with its rate limits OFF: this
benchmark counts calls, and counting needs no pacing (``bench/pacing.py`` measures pacing with
the limits on). A memory member seeded with N tasks (default 10,000) and 10 milestones is
synced with the vendor's member through the real engine (``sync_group``), four times:

(a) first full sync into an EMPTY project or board;
(b) a no-op incremental sync right after;
(c) one field (a task's title) changed in the memory member, then a sync;
(d) 1% of the tasks (N / 100) with a changed due date in the memory member, then a sync.

Calls are counted by syncd's HTTP call counter (every attempt, by method) and checked against
the simulator's own count. Nothing is asserted: the table shows calls, the minimum, the ratio
and whether it is within the goal (10% above the minimum).

The seed (every vendor the same): task n has a title, a description, a status (n % 4: 0 and 1
todo, 2 in progress, 3 done), a due date, a start date when n is even (before the due date), an
assignee when n % 10 == 0 (mapped in ``people``), a planned cost when n is odd (mapped to a
number custom field: Jira "Planned cost", Asana and Trello "Budget"), and 25 tasks per
milestone are linked to it (Asana allows at most 30 dependents and dependencies on a task;
asana_oas.yaml: "A task can have at most 30 dependents and dependencies combined").

The minimum of each scenario (the arithmetic is printed with the table). Limits cited from the
vendors' OpenAPI files in ../shared/specs:

- Jira Cloud (jira_cloud_platform_swagger-v3.v3.json). ``POST /rest/api/3/issue/bulk`` "Creates
  upto **50** issues" (stated in the description; the schema has no maxItems); every field
  syncd maps (summary, description, dates, costs, assignee, fixVersions) goes in the create
  body. A status other than the workflow's initial one can only be reached by transitions
  (``POST /issue/{id}/transitions``, one per hop: the default workflow goes To Do -> In
  Progress -> Done, so in progress is 1 hop and done 2), after one ``GET .../transitions`` per
  source status to learn the transition ids. Versions have no bulk create: one ``POST
  /version`` each. ``/search/jql`` pages hold at most 5000 issues when only ``id``/``key`` are
  asked ("It returns max 5000 issues"); ``reconcileIssues`` "Accepts max 50 ids".
  (a) = 2 reads (search, versions: the project is empty) + milestones + ceil(N / 50)
        + 2 GET transitions + 1 x in progress + 2 x done.
  (b) = the search must still walk past syncd's own writes (a user may have edited an issue
        while syncd wrote; its cursor predates the writes): ceil(N / 5000) id/updated-only
        pages, + 1 versions call.
  (c) = 1 search + 1 versions + 1 ``PUT /issue/{id}``;  (d) = 2 + N / 100 PUTs (each issue
        gets its own due date, so the bulk edit API, which sets one value on many issues,
        does not apply).
  Not counted as possible: ``POST /rest/api/3/bulk/issues/transition`` ("up to 1,000 issues in
  a single operation"; asynchronous, needs the *Global bulk change* permission) would bring
  the transitions of (a) from 1 x in progress + 2 x done calls down to a few dozen (plus
  polling ``/bulk/queue/{taskId}``); neither syncd nor the simulator implements it.
- Jira Data Center (jira_dc_10.3_swagger.v3.json): the same, with ``/rest/api/2``; ``POST
  /api/2/issue/bulk`` states no limit (syncd sends 50 a call, as on Cloud; the minimum uses
  50 too); search pages up to 1000 (the simulator's ``dc_max_results``, Jira's default cap).
- Asana (asana_oas.yaml). "The maximum number of actions allowed in a single batch request is
  **10**" (``POST /batch``); page ``limit`` "must be between 1 and 100"; the Events API returns
  at most 100 events a call (simulator, as Asana). A task's milestone is a dependency of the
  milestone: one ``addDependencies`` action can name up to 30 tasks.
  (a) = 3 reads (events: 412 with a sync token; the project's tasks, one empty page; one batch
        reading the sections and custom fields, whose ids the writes need)
        + ceil((N + milestones) / 10) batch calls of creates
        + ceil(milestones / 10) batch calls of ``addDependencies`` (25 tasks each).
  (b) = ceil(events since the cursor / 100): walking the events of syncd's own writes.
  (c) = 1 events + 1 ``PUT /tasks/{gid}``;  (d) = 1 events + ceil(N / 100 / 10) batch calls.
- Trello (trello_swagger.v3.json). No bulk create: one ``POST /cards`` per card (name, desc,
  due, start, idList, idMembers, idLabels are all parameters of the create). Custom field
  values are not: ``PUT /cards/{idCard}/customFields`` ("Update Multiple Custom Field items")
  sets all of a card's in one call. ``GET /batch``: "Maximum of 10 routes"; actions and cards
  pages of at most 1000 ("between 0 and 1000").
  (a) = 1 read (``GET /boards/{id}`` with lists, labels, custom fields, and its cards nested)
        + 1 ``POST /labels`` (the milestone label) + N + milestones ``POST /cards``
        + one custom-field PUT per card with a cost or a milestone.
  (b) = ceil(card actions since the cursor / 1000): walking syncd's own actions.
  (c) = 1 actions + 1 PUT;  (d) = 1 actions + N / 100 PUTs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.asana.adapter import AsanaAdapter
from adapters.asana.adapter import forget_caches as forget_asana
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator
from adapters.asana.simulator import serve as serve_asana
from adapters.base import AdapterContext, HttpMember
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import PLANNED_COST, START_DATE, JiraSimulator
from adapters.jira.simulator import serve as serve_jira
from adapters.jira.site import forget_sites
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from adapters.trello.adapter import CARD_ACTIONS, TrelloAdapter
from adapters.trello.adapter import forget_caches as forget_trello
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.simulator import TrelloSimulator
from adapters.trello.simulator import serve as serve_trello
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.logs import configure_logging
from syncd.model import Ref
from syncd.plan import Policy
from syncd.store import Store

MILESTONES = 10
PER_MILESTONE = 25  # tasks linked to each milestone (Asana: at most 30 per task)
GOAL = 1.10  # calls within 10% of the minimum
ANA = "ana@acme.example"
STATUS_MAP = {"To do": "todo", "Doing": "in_progress", "Done": "done"}
SCENARIOS = ("a first sync", "b no-op", "c 1 field", "d 1% changed")


# --- the seed --------------------------------------------------------------------------------


@dataclass
class Seed:
    """The memory member's records, and the counts the minimums need."""

    tasks: list[str] = field(default_factory=list)
    milestones: list[str] = field(default_factory=list)
    status: Counter[str] = field(default_factory=Counter)
    costed: int = 0
    linked: int = 0
    custom: int = 0  # tasks with a cost or a milestone (Trello: one custom-field PUT each)


def seed(backend: MemoryBackend, n: int) -> Seed:
    """``n`` tasks and 10 milestones, 25 tasks linked to each (see the module docstring)."""
    out = Seed()
    for m in range(MILESTONES):
        due = dt.date(2027, 1, 15) + dt.timedelta(days=30 * m)
        out.milestones.append(backend.put("milestone", {"title": f"Release {m + 1}", "due": due}))
    step = max(1, n // (MILESTONES * PER_MILESTONE))
    for i in range(n):
        status = ("todo", "todo", "in_progress", "done")[i % 4]
        due = dt.date(2027, 1, 4) + dt.timedelta(days=i % 300)
        values: dict[str, Any] = {
            "title": f"Task {i}: migrate the customer records",
            "description": f"Move batch {i}.\n\n- check the **totals**\n- verify",
            "status": status,
            "due": due,
        }
        if i % 2 == 0:
            values["start"] = due - dt.timedelta(days=3 + i % 7)
        if i % 10 == 0:
            values["assignee"] = ANA
        if i % 2 == 1:
            values["planned_cost"] = Decimal(100 + i % 4900) + Decimal("0.50")
        link = i % step == 0 and i // step < MILESTONES * PER_MILESTONE
        if link:
            values["milestone"] = Ref(uid=out.milestones[(i // step) % MILESTONES])
        out.tasks.append(backend.put("task", values))
        out.status[status] += 1
        out.costed += i % 2
        out.linked += link
        out.custom += bool(i % 2 or link)
    return out


# --- the vendors -----------------------------------------------------------------------------


@dataclass
class Minimum:
    calls: int
    how: str


class Vendor:
    """One simulated vendor: its site, its member's adapter, and its minimums."""

    name = ""
    sim: Any

    def serve(self) -> contextlib.AbstractContextManager[str]:
        raise NotImplementedError

    def adapter(self, url: str) -> HttpMember:
        raise NotImplementedError

    def mark(self) -> None:
        """Before (a): remember where the vendor's change feed stands."""

    def minimum(self, scenario: str, s: Seed, n: int) -> Minimum:
        raise NotImplementedError


class Jira(Vendor):
    TOKEN = "bench-jira-token"  # noqa: S105  # the simulator's made-up credential

    def __init__(self, flavor: str) -> None:
        forget_sites()
        forget_recent_writes()
        self.cloud = flavor == "cloud"
        self.name = "Jira Cloud" if self.cloud else "Jira DC"
        self.sim = JiraSimulator("cloud" if self.cloud else "dc")  # rate_limit=None: off
        self.sim.add_user("pm@acme.example", token=self.TOKEN, time_zone="UTC")
        ana = self.sim.add_user(ANA, "Ana")
        self.sim.add_project("WEB", lead=next(iter(self.sim.state.users.values())))
        self.people = {ANA: ana.account_id if self.cloud else ana.name}

    def serve(self) -> contextlib.AbstractContextManager[str]:
        return serve_jira(self.sim)

    def adapter(self, url: str) -> HttpMember:
        connection = JiraConnection(
            base_url=url,
            deployment="cloud" if self.cloud else "datacenter",
            email="pm@acme.example" if self.cloud else None,
            token=self.TOKEN,
            requests_per_second=100_000,
        )
        member = JiraMember(
            connection="jira",
            project="WEB",
            fields={"start": START_DATE, "planned_cost": PLANNED_COST},
            concurrency=8,
        )
        return JiraAdapter(connection, member, AdapterContext("jira", people=self.people))

    def minimum(self, scenario: str, s: Seed, n: int) -> Minimum:
        if scenario.startswith("a"):
            bulk = math.ceil(n / 50)
            ip, done = s.status["in_progress"], s.status["done"]
            calls = 2 + MILESTONES + bulk + 2 + ip + 2 * done
            how = (
                f"2 reads + {MILESTONES} POST /version + ceil({n}/50)={bulk} POST /issue/bulk"
                f" + 2 GET transitions + {ip} in progress x1 + {done} done x2 transitions"
            )
            return Minimum(calls, how)
        if scenario.startswith("b"):
            page = 5000 if self.cloud else 1000
            pages = math.ceil(n / page)
            return Minimum(
                pages + 1,
                f"ceil({n}/{page})={pages} id/updated search pages past own writes + 1 versions",
            )
        if scenario.startswith("c"):
            return Minimum(3, "1 search + 1 versions + 1 PUT /issue")
        changed = n // 100
        return Minimum(2 + changed, f"1 search + 1 versions + {changed} PUT /issue")


class Asana(Vendor):
    name = "Asana"
    TOKEN = "bench-asana-token"  # noqa: S105  # the simulator's made-up credential

    def __init__(self) -> None:
        forget_asana()
        self.sim = AsanaSimulator()  # rate_limit=None: off
        workspace = self.sim.add_workspace("Acme")
        self.sim.add_user("PM", "pm@acme.example", token=self.TOKEN)
        self.sim.add_user("Ana", ANA)
        self.project = self.sim.add_project("Web", workspace, sections=list(STATUS_MAP))
        self.sim.add_custom_field(
            workspace, "Budget", "number", precision=2, projects=[self.project]
        )
        self.events = 0

    def serve(self) -> contextlib.AbstractContextManager[str]:
        return serve_asana(self.sim)

    def adapter(self, url: str) -> HttpMember:
        connection = AsanaConnection(base_url=url, token=self.TOKEN, requests_per_minute=1_000_000)
        member = AsanaMember(
            connection="asana",
            project=self.project.gid,
            status_map=STATUS_MAP,
            fields={"planned_cost": "Budget"},
        )
        return AsanaAdapter(connection, member, AdapterContext("asana"))

    def mark(self) -> None:
        self.events = len(self.sim.state.events)

    def minimum(self, scenario: str, s: Seed, n: int) -> Minimum:
        if scenario.startswith("a"):
            creates = math.ceil((n + MILESTONES) / 10)
            links = math.ceil(MILESTONES / 10)
            return Minimum(
                3 + creates + links,
                f"3 reads + ceil(({n}+{MILESTONES})/10)={creates} batch creates"
                f" + ceil({MILESTONES}/10)={links} batch of addDependencies",
            )
        if scenario.startswith("b"):
            gid = self.project.gid
            since = sum(1 for e in self.sim.state.events[self.events :] if gid in e.scopes)
            pages = max(1, math.ceil(since / 100))
            return Minimum(pages, f"ceil({since} events since the cursor / 100)={pages}")
        if scenario.startswith("c"):
            return Minimum(2, "1 events + 1 PUT /tasks")
        changed = n // 100
        batches = math.ceil(changed / 10)
        return Minimum(1 + batches, f"1 events + ceil({changed}/10)={batches} batch")


class Trello(Vendor):
    name = "Trello"
    KEY, TOKEN = "bench-trello-key", "bench-trello-token"  # made-up credentials

    def __init__(self) -> None:
        forget_trello()
        self.sim = TrelloSimulator(rate_limit=None)  # off: counting needs no pacing
        pm = self.sim.add_member("pm", "Pat PM")
        ana = self.sim.add_member("ana", "Ana")
        self.sim.add_app(self.KEY, "app-secret")
        self.sim.add_token(pm, self.TOKEN, self.KEY)
        self.board = self.sim.add_board("Web", lists=list(STATUS_MAP), members=[pm, ana])
        self.sim.add_custom_field(self.board, "Budget", "number")
        self.sim.add_custom_field(self.board, "Release", "text")
        self.people = {ANA: ana.id}
        self.actions = 0

    def serve(self) -> contextlib.AbstractContextManager[str]:
        return serve_trello(self.sim)

    def adapter(self, url: str) -> HttpMember:
        # Our own pacing off too (100 per 10 s by default): this benchmark counts calls.
        connection = TrelloConnection(
            base_url=url, key=self.KEY, token=self.TOKEN, token_pace=100_000, key_pace=100_000
        )
        member = TrelloMember(
            connection="trello",
            board=self.board.id,
            status_map=STATUS_MAP,
            fields={"planned_cost": "Budget"},
            milestone_field="Release",
        )
        return TrelloAdapter(connection, member, AdapterContext("trello", people=self.people))

    def mark(self) -> None:
        self.actions = len(self.sim.state.actions)

    def minimum(self, scenario: str, s: Seed, n: int) -> Minimum:
        if scenario.startswith("a"):
            cards = n + MILESTONES
            return Minimum(
                1 + 1 + cards + s.custom,
                f"1 GET board + 1 POST /labels + {cards} POST /cards"
                f" + {s.custom} PUT customFields (cards with a cost or a milestone)",
            )
        if scenario.startswith("b"):
            board = self.board.id
            kinds = set(CARD_ACTIONS.split(","))  # the card actions syncd asks for
            fresh = self.sim.state.actions[self.actions :]
            since = sum(1 for a in fresh if a.board == board and a.type in kinds)
            pages = max(1, math.ceil(since / 1000))
            return Minimum(pages, f"ceil({since} card actions since the cursor / 1000)={pages}")
        if scenario.startswith("c"):
            return Minimum(2, "1 GET actions + 1 PUT /cards")
        changed = n // 100
        return Minimum(1 + changed, f"1 GET actions + {changed} PUT /cards")


VENDORS: dict[str, Callable[[], Vendor]] = {
    "jira-cloud": lambda: Jira("cloud"),
    "jira-dc": lambda: Jira("dc"),
    "asana": Asana,
    "trello": Trello,
}


# --- the runs --------------------------------------------------------------------------------


@dataclass
class Row:
    vendor: str
    scenario: str
    calls: Counter[str]
    sim_calls: int
    paths: Counter[tuple[str, str]]
    minimum: Minimum
    seconds: float
    status: str

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def ratio(self) -> float:
        return self.total / self.minimum.calls if self.minimum.calls else math.inf


async def one_sync(
    vendor: Vendor, url: str, store: Store, memory: MemoryBackend
) -> tuple[RunReport, Counter[str]]:
    mem = MemoryAdapter(
        MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), memory
    )
    remote = vendor.adapter(url)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(mem)
        await stack.enter_async_context(remote)
        report = await sync_group(
            store,
            "bench",
            {"mem": mem, "remote": remote},
            Policy(max_delete_ratio=1.0),
            SyncOptions(),
            concurrency={"mem": 4, "remote": 8},
        )
    by_method: Counter[str] = Counter()
    for (method, _outcome), count in remote.http.calls.counts.items():
        by_method[method] += count
    return report, by_method


def measure(key: str, n: int, store: Store) -> list[Row]:
    vendor = VENDORS[key]()
    memory = MemoryBackend()
    s = seed(memory, n)
    rows = []
    with vendor.serve() as url:
        for scenario in SCENARIOS:
            if scenario.startswith("a"):
                vendor.mark()
            elif scenario.startswith("c"):
                memory.change(s.tasks[n // 2], {"title": "Renamed in memory"})
            elif scenario.startswith("d"):
                for t in s.tasks[::100][: n // 100]:
                    due = memory.records[t].fields["due"]
                    memory.change(t, {"due": due + dt.timedelta(days=7)})
            before = Counter(vendor.sim.calls)
            started = time.perf_counter()
            report, calls = asyncio.run(one_sync(vendor, url, store, memory))
            seconds = time.perf_counter() - started
            paths = Counter(vendor.sim.calls)
            paths.subtract(before)
            paths = +paths
            rows.append(
                Row(
                    vendor.name,
                    scenario,
                    calls,
                    sum(paths.values()),
                    paths,
                    vendor.minimum(scenario, s, n),
                    seconds,
                    report.status,
                )
            )
            print(
                f"  {vendor.name:<10} {scenario:<13} {sum(calls.values()):>6} calls "
                f"{seconds:6.1f} s {report.status}",
                file=sys.stderr,
                flush=True,
            )
    return rows


@contextlib.contextmanager
def fresh_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/state.db")
        try:
            yield store
        finally:
            store.close()


def table(rows: list[Row]) -> list[str]:
    header = ["vendor", "scenario", "calls (by method)", "minimum", "ratio", "goal ≤1.10", "s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        methods = ", ".join(f"{m} {c}" for m, c in sorted(r.calls.items()))
        ok = "met" if r.ratio <= GOAL else "MISSED"
        lines.append(
            f"| {r.vendor} | {r.scenario} | {r.total} ({methods}) | {r.minimum.calls}"
            f" | {r.ratio:.2f} | {ok} | {r.seconds:.1f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--vendors", nargs="+", choices=list(VENDORS), default=list(VENDORS))
    parser.add_argument("--detail", action="store_true", help="calls by path, per scenario")
    args = parser.parse_args()
    configure_logging(level="warning")
    rows: list[Row] = []
    for key in args.vendors:
        with fresh_store() as store:
            rows.extend(measure(key, args.tasks, store))
    print("\n".join(table(rows)))
    print()
    print("Minimums:")
    for r in rows:
        print(f"- {r.vendor}, {r.scenario}: {r.minimum.calls} = {r.minimum.how}")
    if args.detail:
        print()
        for r in rows:
            top = ", ".join(f"{m} {p} {c}" for (m, p), c in r.paths.most_common())
            print(f"- {r.vendor}, {r.scenario}: {top}")
    mismatched = [r for r in rows if r.total != r.sim_calls]
    for r in mismatched:
        print(f"note: {r.vendor} {r.scenario}: the simulator counted {r.sim_calls} calls")


if __name__ == "__main__":
    main()
