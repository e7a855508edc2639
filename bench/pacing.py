"""Rate-limit pacing: how close syncd runs to each vendor's limit, and whether it is throttled.

Run: ``python bench/pacing.py`` (``--seconds 30``, ``--vendors trello``).

Each simulator is served on 127.0.0.1 with its REAL limits on (``adapters/*/simulator/limits.py``):

- Trello: 100 requests / 10 s per token and 300 / 10 s per key (fixed 10 s windows; one token
  here, so the token's 100 binds: 10 requests/s);
- Jira Cloud: 100 requests per 1 s window per credential (the simulator's ``RateLimit()``);
- Asana: 1,500 requests per 60 s window per token (a paid workspace), at most 50 reads and 15
  writes in flight.

A memory member seeded with enough tasks to keep the vendor busy for the whole window is
synced into an empty project through the real engine (``sync_group``); the sync is cancelled
when the window ends. Requests are recorded where the vendor sees them (an ASGI wrapper in front
of the simulator: arrival time, status, and for Asana the actions of each ``/batch``). The clock
starts at the first write (the engine reads both members and plans first), and the first second
is left out. Reported: the achieved request rate over the window as a share of the allowed
rate, the 429s (all, and after the first second), and the longest time without any request.
Goal: above 90% of the limit, and no 429 after the first second.

Each vendor runs in four modes: ``default`` (syncd's default pacing settings), ``limit`` (the
pace set to the vendor's limit: ``token_pace``, ``requests_per_second``,
``requests_per_minute``), ``95%`` (the pace at 95% of the limit) and ``capacity`` (no limit on
either side: what this machine can do at all, to tell pacing from CPU). Asana's window is a
minute: its measure lasts at least two (``max(--seconds, 120)``), or a burst at the start of a
window would read as more than the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.asana.adapter import AsanaAdapter
from adapters.asana.adapter import forget_caches as forget_asana
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator
from adapters.asana.simulator import RateLimit as AsanaLimit
from adapters.base import AdapterContext, HttpMember
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import PLANNED_COST, START_DATE, JiraSimulator
from adapters.jira.simulator import RateLimit as JiraLimit
from adapters.jira.site import forget_sites
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from adapters.simulation import serve_app
from adapters.trello.adapter import TrelloAdapter
from adapters.trello.adapter import forget_caches as forget_trello
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.simulator import TRELLO_LIMITS, TrelloSimulator
from syncd.engine import SyncOptions, sync_group
from syncd.logs import configure_logging
from syncd.plan import Policy
from syncd.store import Store

STATUS_MAP = {"To do": "todo", "Doing": "in_progress", "Done": "done"}
ANA = "ana@acme.example"
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Scope]]
Send = Callable[[Scope], Awaitable[None]]
Paces = dict[str, tuple[str, dict[str, Any]]]


# --- recording what the vendor sees ----------------------------------------------------------


@dataclass
class Seen:
    at: float  # time.monotonic() at arrival
    status: int
    weight: int  # requests as the vendor counts them (Asana: the actions of a batch)
    write: bool  # a write (the sync's apply phase), not a read or a search


@dataclass
class Recorder:
    """An ASGI wrapper that notes each vendor request's arrival, status and weight."""

    app: Any
    prefix: str
    seen: list[Seen] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        at = time.monotonic()
        chunks: list[Scope] = []
        while True:
            message = await receive()
            chunks.append(message)
            if not message.get("more_body"):
                break
        weight = _actions(chunks) if path.endswith("/batch") and scope["method"] == "POST" else 1
        status = [0]

        async def replay() -> Scope:
            return chunks.pop(0) if chunks else await receive()

        async def noting(message: Scope) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        await self.app(scope, replay, noting)
        method = str(scope["method"])
        write = method != "GET" and not path.endswith(("/search/jql", "/search"))
        self.seen.append(Seen(at, status[0], weight, write))


def _actions(chunks: list[Scope]) -> int:
    body = b"".join(bytes(c.get("body", b"")) for c in chunks)
    try:
        return len(json.loads(body)["data"]["actions"])
    except (ValueError, KeyError, TypeError):
        return 1


# --- the vendors -----------------------------------------------------------------------------


class Vendor:
    """One vendor with its real limits: its simulator, an adapter, the allowed rate."""

    name = ""
    prefix = ""
    tasks = 0  # enough work for the window
    per_second = 0.0  # the limit, in requests per second
    window = 1.0  # the vendor's window, seconds
    sim: Any

    paces: ClassVar[Paces]  # mode -> (label, connection settings)

    def adapter(self, url: str, mode: str) -> HttpMember:
        raise NotImplementedError


class Trello(Vendor):
    name, prefix, window = "Trello", "/1", TRELLO_LIMITS.window
    per_second = TRELLO_LIMITS.token_requests / TRELLO_LIMITS.window
    KEY = "pacing-trello-key"

    def __init__(self, tasks: int | None) -> None:
        forget_trello()
        self.tasks = tasks or 1_000
        self.sim = TrelloSimulator()  # Trello's limits, on
        pm = self.sim.add_member("pm", "Pat PM")
        ana = self.sim.add_member("ana", "Ana")
        self.sim.add_app(self.KEY, "app-secret")
        self.board = self.sim.add_board("Web", lists=list(STATUS_MAP), members=[pm, ana])
        self.sim.add_custom_field(self.board, "Budget", "number")
        self.people = {ANA: ana.id}
        self._pm = pm

    paces: ClassVar[Paces] = {
        "default": ("token_pace 90 (default)", {}),
        "limit": ("token_pace 100", {"token_pace": 100, "key_pace": 300}),
        "95%": ("token_pace 95", {"token_pace": 95, "key_pace": 285}),
        "capacity": ("unpaced, limits off", {"token_pace": 100_000, "key_pace": 100_000}),
    }

    def adapter(self, url: str, mode: str) -> HttpMember:
        # A token per run: the process-wide limiter of a credential keeps its first settings.
        token = f"pacing-trello-token-{mode}"
        self.sim.add_token(self._pm, token, self.KEY)
        connection = TrelloConnection(
            base_url=url, key=self.KEY, token=token, **self.paces[mode][1]
        )
        member = TrelloMember(
            connection="trello",
            board=self.board.id,
            status_map=STATUS_MAP,
            fields={"planned_cost": "Budget"},
        )
        return TrelloAdapter(connection, member, AdapterContext("trello", people=self.people))


class Jira(Vendor):
    name, prefix = "Jira Cloud", "/rest/"
    LIMIT = JiraLimit()
    TOKEN = "pacing-jira-token"  # noqa: S105  # the simulator's made-up credential

    def __init__(self, tasks: int | None) -> None:
        forget_sites()
        forget_recent_writes()
        self.tasks = tasks or 6_000
        self.per_second = self.LIMIT.requests / self.LIMIT.window
        self.window = self.LIMIT.window
        self.sim = JiraSimulator("cloud", rate_limit=self.LIMIT)
        self._lead = self.sim.add_user("pm@acme.example", token=self.TOKEN)
        ana = self.sim.add_user(ANA, "Ana")
        self.sim.add_project("WEB", lead=self._lead)
        self.people = {ANA: ana.account_id}

    paces: ClassVar[Paces] = {
        "default": ("requests_per_second 10 (default)", {}),
        "limit": (f"requests_per_second {LIMIT.requests}", {"requests_per_second": LIMIT.requests}),
        "95%": ("requests_per_second 95", {"requests_per_second": 95}),
        "capacity": ("unpaced, limits off", {"requests_per_second": 100_000}),
    }

    def adapter(self, url: str, mode: str) -> HttpMember:
        # A simulator per run, on its own port: the limiter (by URL and token) is new too.
        connection = JiraConnection(
            base_url=url,
            deployment="cloud",
            email="pm@acme.example",
            token=self.TOKEN,
            **self.paces[mode][1],
        )
        member = JiraMember(
            connection="jira",
            project="WEB",
            fields={"start": START_DATE, "planned_cost": PLANNED_COST},
        )
        return JiraAdapter(connection, member, AdapterContext("jira", people=self.people))


class Asana(Vendor):
    name, prefix = "Asana", "/api/1.0"
    LIMIT = AsanaLimit()

    def __init__(self, tasks: int | None) -> None:
        forget_asana()
        self.tasks = tasks or 40_000
        assert self.LIMIT.per_minute is not None
        self.per_second = self.LIMIT.per_minute / self.LIMIT.window
        self.window = self.LIMIT.window
        self.sim = AsanaSimulator(rate_limit=self.LIMIT)
        self.workspace = self.sim.add_workspace("Acme")
        self._pm = self.sim.add_user("PM", "pm@acme.example")
        self.sim.add_user("Ana", ANA)
        self.project = self.sim.add_project("Web", self.workspace, sections=list(STATUS_MAP))
        self.sim.add_custom_field(
            self.workspace, "Budget", "number", precision=2, projects=[self.project]
        )

    paces: ClassVar[Paces] = {
        "default": ("requests_per_minute 150 (default)", {}),
        "limit": ("requests_per_minute 1500", {"requests_per_minute": 1500}),
        "95%": ("requests_per_minute 1425", {"requests_per_minute": 1425}),
        "capacity": ("unpaced, limits off", {"requests_per_minute": 10_000_000}),
    }

    def adapter(self, url: str, mode: str) -> HttpMember:
        token = f"pacing-asana-token-{mode}"
        self.sim.add_token(self._pm, token)
        connection = AsanaConnection(base_url=url, token=token, **self.paces[mode][1])
        member = AsanaMember(
            connection="asana",
            project=self.project.gid,
            status_map=STATUS_MAP,
            fields={"planned_cost": "Budget"},
        )
        return AsanaAdapter(connection, member, AdapterContext("asana"))


VENDORS: dict[str, Callable[[int | None], Vendor]] = {
    "trello": Trello,
    "jira-cloud": Jira,
    "asana": Asana,
}


# --- one measure -----------------------------------------------------------------------------


def seed(backend: MemoryBackend, n: int) -> None:
    """Tasks as in bench/calls.py: a status mix, dates, some assignees, costs."""
    for i in range(n):
        due = dt.date(2027, 1, 4) + dt.timedelta(days=i % 300)
        values: dict[str, Any] = {
            "title": f"Task {i}: migrate the customer records",
            "description": f"Move batch {i}.",
            "status": ("todo", "todo", "in_progress", "done")[i % 4],
            "due": due,
        }
        if i % 2 == 0:
            values["start"] = due - dt.timedelta(days=3 + i % 7)
        if i % 10 == 0:
            values["assignee"] = ANA
        if i % 2 == 1:
            values["planned_cost"] = Decimal(100 + i % 4900) + Decimal("0.50")
        backend.put("task", values)


@dataclass
class Result:
    vendor: str
    pace: str
    seconds: float
    requests: int
    weight: int
    allowed: float
    throttled: int
    throttled_late: int
    finished: bool
    gap: float  # the longest time without a request in the window

    @property
    def share(self) -> float:
        """The rate as the vendor counts it (Asana: every action of a batch) over the allowed."""
        return self.weight / (self.allowed * self.seconds)


async def run_sync(vendor: Vendor, url: str, mode: str, memory: MemoryBackend) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/state.db")
        try:
            mem = MemoryAdapter(
                MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), memory
            )
            remote = vendor.adapter(url, mode)
            async with contextlib.AsyncExitStack() as stack:
                await stack.enter_async_context(mem)
                await stack.enter_async_context(remote)
                await sync_group(
                    store,
                    "pacing",
                    {"mem": mem, "remote": remote},
                    Policy(max_delete_ratio=1.0),
                    SyncOptions(),
                )
        finally:
            store.close()


async def measure(vendor: Vendor, mode: str, seconds: float) -> Result:
    memory = MemoryBackend()
    seed(memory, vendor.tasks)
    recorder = Recorder(vendor.sim.app, vendor.prefix)
    finished = False
    with serve_app(recorder) as root:
        url = root if isinstance(vendor, Jira) else root + vendor.prefix
        task = asyncio.create_task(run_sync(vendor, url, mode, memory))
        # The clock starts at the first write: reading and planning come first. (The server
        # runs in its own thread: poll.)
        while not any(s.write for s in recorder.seen) and not task.done():
            await asyncio.wait([task], timeout=0.01)
        writes = [s.at for s in recorder.seen if s.write]
        start = writes[0] if writes else time.monotonic()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), start + 1 + seconds - time.monotonic())
        finished = task.done()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    end = start + 1.0 + seconds
    if finished and recorder.seen:
        end = min(end, max(s.at for s in recorder.seen))
    late = [s for s in recorder.seen if start + 1.0 <= s.at < end]
    times = [start + 1.0] + [s.at for s in late] + [end]
    gap = max(b - a for a, b in itertools.pairwise(times))
    return Result(
        vendor=vendor.name,
        pace=vendor.paces[mode][0],
        seconds=end - start - 1.0,
        requests=sum(1 for s in late if s.status != 429),
        weight=sum(s.weight for s in late if s.status != 429),
        allowed=vendor.per_second,
        throttled=sum(1 for s in recorder.seen if s.status == 429),
        throttled_late=sum(1 for s in late if s.status == 429),
        finished=finished,
        gap=gap,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--tasks", type=int, default=None, help="default: per vendor")
    parser.add_argument("--vendors", nargs="+", choices=list(VENDORS), default=list(VENDORS))
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=("default", "limit", "95%", "capacity"),
        default=["default", "limit", "95%", "capacity"],
        help="syncd's default pace, the pace at the limit and at 95%% of it, no limits at all",
    )
    args = parser.parse_args()
    configure_logging(level="warning")
    results = []
    for key in args.vendors:
        for mode in args.modes:
            vendor = VENDORS[key](args.tasks)
            if mode == "capacity":  # what this machine can do at all: no limit either side
                vendor.sim.rate_limit = None
            seconds = args.seconds if vendor.window < 60 else max(args.seconds, 2 * vendor.window)
            result = asyncio.run(measure(vendor, mode, seconds))
            results.append(result)
            print(
                f"  {result.vendor} {result.pace}: {result.requests} requests in "
                f"{result.seconds:.1f} s, {result.throttled} x 429",
                file=sys.stderr,
                flush=True,
            )
    header = ["vendor", "syncd pace", "window s", "requests", "counted/s", "allowed/s", "share"]
    header += ["429 total", "429 after 1 s", "longest gap s", "goal"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in results:
        ok = r.share > 0.9 and r.throttled_late == 0
        rate = r.weight / r.seconds  # as the vendor counts (Asana: actions)
        weight = f" ({r.weight} actions)" if r.weight != r.requests else ""
        print(
            f"| {r.vendor} | {r.pace} | {r.seconds:.1f}{' (done)' if r.finished else ''}"
            f" | {r.requests}{weight} | {rate:.1f} | {r.allowed:g} | {r.share:.0%}"
            f" | {r.throttled} | {r.throttled_late} | {r.gap:.1f} | {'met' if ok else 'MISSED'} |"
        )


if __name__ == "__main__":
    main()
