"""Peers, side by side: the Singer taps on PyPI read the same simulator projects as syncd.

Run: ``python bench/peers.py`` (``--tasks 500`` for a quick look; ``--keep-venvs DIR`` reuses
the taps' installs between runs; ``--only trello`` runs one vendor). Reads only: the taps are
read-only ETL, so this compares a full read of N tasks (issues, cards) by syncd's adapter with
a ``--discover`` then a sync of the tap, on one simulator per vendor served on 127.0.0.1.

For each vendor the simulator is filled the way ``bench/<vendor>.py`` fills it, then:

1. syncd: the adapter's full read (``fetch(None)``, caches forgotten first) over real HTTP.
2. the tap: ``pip install tap-<vendor>`` in a throw-away venv (a temporary folder, or
   ``--keep-venvs``), its config JSON pointed at the simulator, ``--discover``, then a sync
   with a catalog selecting the streams that match what syncd reads (printed per row).

HTTP calls are counted by the simulator itself (``sim.calls``, as the other benchmarks count
them); every answer's status is also noted, and what the simulator answered 404 (an endpoint
it does not implement) is printed as a finding. Records are the RECORD messages on the tap's
stdout, per stream; syncd's are the records of its listing. Wall time is the read (syncd) or the
sync run (the tap, process start included; its discovery is timed apart).

Pointing the taps at 127.0.0.1: the taps hard-code the vendor's https host (tap-trello
``https://api.trello.com/1``; tap-asana's SDK ``https://app.asana.com/api/1.0`` and its OAuth
refresh ``https://app.asana.com/-/oauth_token``), and tap-jira takes a ``base_url`` but forces
``https://`` onto it. So each throw-away venv gets a small ``sitecustomize.py``, active only
when ``PEERS_REWRITE`` is set, that rewrites request URLs by prefix (in
``requests.adapters.HTTPAdapter.send`` and ``urllib3.PoolManager.urlopen``) from the vendor's
host to the simulator, and refuses any other non-loopback host. tap-asana insists on an OAuth
refresh (client id, secret, refresh token) before its first call; the simulators take personal
tokens only, so a stub on 127.0.0.1 answers that one refresh with the simulator's token (counted
apart, in the notes). tap-trello joins its base and paths with a doubled slash
(``/1//members/me``), which the rewrite folds. Nothing is cached in the repository.

Jira: the Data Center simulator is read with the tap's basic-auth ("hosted") config; the Cloud
simulator too (Jira Cloud takes basic auth with an email and an API token), but tap-jira speaks
REST v2 only, and the Cloud simulator serves v3.

When a tap's run fails, the next attempt of its list runs: fewer streams (a stream whose
endpoint the simulator lacks), then a clearly marked COMPATIBILITY RUN that works around the
mismatch found, so that calls and time can still be compared: tap-asana sends
``modified_since`` without a zone, which the simulator refuses (its run adds a ``Z``); tap-jira
needs the ``comment`` field and ``changelog`` of ``fields=*all&expand=changelog``, which the
Jira simulator leaves out (its run gets them added, empty, to the search answers). The plain
runs' failures stay in the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.asana.adapter import AsanaAdapter
from adapters.asana.adapter import forget_caches as forget_asana
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.simulator import AsanaSimulator
from adapters.base import AdapterContext, CreateItem
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import JiraSimulator, ManualClock
from adapters.jira.site import forget_sites
from adapters.simulation import serve_app
from adapters.trello.adapter import TrelloAdapter
from adapters.trello.adapter import forget_caches as forget_trello
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.simulator import TrelloSimulator
from syncd.errors import RecordError
from syncd.logs import configure_logging

# The simulators' made-up credentials.
JIRA_TOKEN, JIRA_PASSWORD = "bench-token-1", "bench-password-1"
ASANA_TOKEN = "bench-asana-token"  # noqa: S105
TRELLO_KEY, TRELLO_TOKEN = "bench-trello-key", "bench-trello-token"
STATUSES = ("todo", "in_progress", "done")
START_DATE = "2000-01-01T00:00:00Z"
TAP_TIMEOUT = 900  # seconds for one tap run; a tap stuck in its own backoff is cut off

SITECUSTOMIZE = '''\
"""Written by syncd's bench/peers.py into a throw-away venv: when PEERS_REWRITE is set (a JSON
object of URL prefix -> local prefix), requests and urllib3 send the vendor's URLs to the local
simulator instead, and refuse any other host that is not the loopback. PEERS_SUBSTITUTE (a JSON
list of [regex, replacement]) is applied after, for a run marked as a compatibility run."""

import json
import os
import sys
from urllib.parse import urlsplit

_RULES = sorted(
    json.loads(os.environ.get("PEERS_REWRITE") or "{}").items(), key=lambda r: -len(r[0])
)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_SUBSTITUTE = json.loads(os.environ.get("PEERS_SUBSTITUTE") or "[]")


def _rewrite(url):
    text = url.decode() if isinstance(url, bytes) else str(url)
    for prefix, target in _RULES:
        if text.startswith(prefix):
            text = target + text[len(prefix):]
            break
    if _SUBSTITUTE:
        import re

        for pattern, replacement in _SUBSTITUTE:
            text = re.sub(pattern, replacement, text)
    host = urlsplit(text).hostname
    if host is not None and host not in _LOOPBACK:
        sys.stderr.write("peers-sitecustomize: refused " + text + "\\n")
        raise ConnectionRefusedError("peers: no network here: " + text)
    return text


def _patch():
    try:
        import urllib3
    except ImportError:
        pass
    else:
        urlopen = urllib3.PoolManager.urlopen

        def pool_urlopen(self, method, url, *args, **kwargs):
            return urlopen(self, method, _rewrite(url), *args, **kwargs)

        urllib3.PoolManager.urlopen = pool_urlopen
    try:
        import requests.adapters
    except ImportError:
        return
    send = requests.adapters.HTTPAdapter.send

    def adapter_send(self, request, *args, **kwargs):
        request.url = _rewrite(request.url)
        return send(self, request, *args, **kwargs)

    requests.adapters.HTTPAdapter.send = adapter_send


if _RULES:
    _patch()
'''


# --- what one reader did --------------------------------------------------------------------


@dataclass
class Row:
    vendor: str
    reader: str
    version: str = "-"
    streams: str = "-"
    records: str = "-"
    calls: str = "-"
    seconds: str = "-"
    notes: list[str] = field(default_factory=list)
    by_endpoint: Counter[str] = field(default_factory=Counter)

    def cells(self) -> list[str]:
        notes = "; ".join(self.notes) or "-"
        return [
            self.vendor,
            self.reader,
            self.version,
            self.streams,
            self.records,
            self.calls,
            self.seconds,
            notes,
        ]


class Tally:
    """ASGI middleware in front of a simulator: each request's method, path and status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log: list[tuple[str, str, int]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def noting(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, noting)
        self.log.append((scope["method"], scope["path"], status))


class Completing:
    """ASGI middleware for a compatibility run only (off unless ``on``): Jira search answers get
    the ``comment`` field and ``changelog`` that Jira sends for ``fields=*all`` and
    ``expand=changelog`` but the simulator leaves out, empty (no comments, no history)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.on = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self.on or scope["type"] != "http" or not scope["path"].endswith("/search"):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def holding(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if start["status"] == 200:
                body = self.complete(body)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, holding)

    @staticmethod
    def complete(body: bytes) -> bytes:
        answer = json.loads(body)
        for issue in answer.get("issues", []):
            issue.setdefault(
                "changelog", {"startAt": 0, "maxResults": 0, "total": 0, "histories": []}
            )
            empty = {"comments": [], "maxResults": 0, "total": 0, "startAt": 0}
            issue.get("fields", {}).setdefault("comment", empty)
        return json.dumps(answer).encode()


@dataclass
class Site:
    """A filled simulator served on 127.0.0.1, with what each reader needs to read it."""

    vendor: str
    sim: Any
    tally: Tally
    url: str  # the API root syncd and the taps are pointed at
    syncd_read: Callable[[], Awaitable[int]]  # the number of records read
    syncd_streams: str
    tap: TapSpec | None
    shim: Completing | None = None


@dataclass
class Attempt:
    """One sync run of a tap: the streams selected, and what a compatibility run changes."""

    streams: tuple[str, ...]
    compat: str = ""  # empty: the tap and the simulator as they are
    env: dict[str, str] = field(default_factory=dict)  # e.g. PEERS_SUBSTITUTE
    shim: bool = False  # turn the site's `Completing` on


@dataclass
class TapSpec:
    package: str
    config: dict[str, Any]
    catalog_flag: str  # tap-jira reads --properties; the others --catalog
    attempts: list[Attempt]  # tried in order until one run succeeds
    rewrites: dict[str, str]
    pointed: str  # how the tap was pointed at the simulator, for the notes
    stub_calls: Callable[[], int] | None = None  # the OAuth stub's counter, if any


@contextlib.contextmanager
def calls_of(site: Site) -> Iterator[dict[str, Any]]:
    """The simulator's call count and answers while the block runs."""
    before = Counter(site.sim.calls)
    mark = len(site.tally.log)
    seen: dict[str, Any] = {}
    yield seen
    after = Counter(site.sim.calls)
    after.subtract(before)
    seen["calls"] = sum(n for n in after.values() if n > 0)
    seen["by_endpoint"] = Counter({f"{m} {p}": n for (m, p), n in after.items() if n > 0})
    log = site.tally.log[mark:]
    seen["missing"] = Counter(f"{m} {p}" for m, p, s in log if s == 404)
    seen["errors"] = Counter(f"{s} {m} {p}" for m, p, s in log if s >= 400 and s != 404)


# --- the simulators, filled as bench/<vendor>.py fills them -----------------------------------


def items(count: int) -> list[CreateItem]:
    return [
        CreateItem("task", f"u{n}", {"title": f"Task {n}", "status": STATUSES[n % 3]})
        for n in range(count)
    ]


@contextlib.contextmanager
def jira_site(flavor: str, tasks: int) -> Iterator[Site]:
    forget_sites()
    forget_recent_writes()
    clock = ManualClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    sim = JiraSimulator(flavor, clock=clock)
    me = sim.add_user(
        "pm@acme.example",
        name="pm",
        token=JIRA_TOKEN,
        password=JIRA_PASSWORD if flavor == "dc" else None,
        time_zone="Europe/Berlin",
    )
    sim.add_project("WEB", lead=me)
    cloud = flavor == "cloud"

    def adapter(base_url: str, transport: httpx.AsyncBaseTransport | None) -> JiraAdapter:
        connection = JiraConnection(
            base_url=base_url,
            deployment="cloud" if cloud else "datacenter",
            email="pm@acme.example" if cloud else None,
            token=JIRA_TOKEN,
            requests_per_second=100_000,
        )
        member = JiraMember(connection="jira", project="WEB", concurrency=8)
        return JiraAdapter(connection, member, AdapterContext("jira"), transport=transport)

    async def fill() -> None:
        async with adapter("http://jira.bench", httpx.ASGITransport(app=sim.app)) as writer:
            made = items(tasks)
            for start in range(0, tasks, 1000):
                await writer.create_many(made[start : start + 1000])

    asyncio.run(fill())
    clock.advance(3600)  # an hour later: nothing of ours left to reconcile
    shim = Completing(sim.app)
    tally = Tally(shim)
    with serve_app(tally) as url:

        async def read() -> int:
            forget_sites()
            forget_recent_writes()
            async with adapter(url, None) as reader:
                return len((await reader.fetch(None)).records)

        host = url.removeprefix("http://")
        if cloud:
            # Basic auth (email + API token) at the site is what tap-jira's non-OAuth mode
            # sends; Jira Cloud accepts it too.
            config = {"username": "pm@acme.example", "password": JIRA_TOKEN}
        else:
            config = {"username": "pm", "password": JIRA_PASSWORD}
        tap = TapSpec(
            package="tap-jira",
            config={
                **config,
                "base_url": host,
                "user_agent": "syncd-bench-peers",
                "start_date": START_DATE,
                "request_timeout": 60,
            },
            catalog_flag="--properties",
            attempts=[
                Attempt(("projects", "issues")),
                Attempt(("issues",)),
                Attempt(
                    ("issues",),
                    compat="search answers completed with an empty comment field and changelog",
                    shim=True,
                ),
            ],
            rewrites={f"https://{host}": url},
            pointed=f"config base_url={host}; its forced https:// rewritten to http://",
        )
        yield Site(f"jira {flavor}", sim, tally, url, read, "issues (project WEB)", tap, shim)


@contextlib.contextmanager
def oauth_stub(token: str) -> Iterator[tuple[str, Callable[[], int]]]:
    """Asana's OAuth token endpoint, answering any refresh with ``token``."""
    count = [0]

    async def refresh(request: Request) -> JSONResponse:
        count[0] += 1
        await request.body()
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3600,
            "data": {"id": 1, "gid": "1", "name": "PM", "email": "pm@acme.example"},
        }
        return JSONResponse(body)

    app = Starlette(routes=[Route("/-/oauth_token", refresh, methods=["POST"])])
    with serve_app(app) as url:
        yield url, lambda: count[0]


@contextlib.contextmanager
def asana_site(tasks: int) -> Iterator[Site]:
    forget_asana()
    sim = AsanaSimulator()
    workspace = sim.add_workspace("Acme")
    sim.add_user("PM", "pm@acme.example", token=ASANA_TOKEN)
    project = sim.add_project("Web", workspace, sections=["To do", "Doing", "Done"]).gid

    def adapter(base_url: str, transport: httpx.AsyncBaseTransport | None) -> AsanaAdapter:
        connection = AsanaConnection(
            base_url=base_url, token=ASANA_TOKEN, requests_per_minute=1_000_000
        )
        member = AsanaMember(
            connection="asana",
            project=project,
            status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
        )
        return AsanaAdapter(connection, member, AdapterContext("asana"), transport=transport)

    async def fill() -> None:
        async with adapter("http://asana.bench/api/1.0", httpx.ASGITransport(app=sim.app)) as w:
            made = await w.create_many(items(tasks))
            failed = [m for m in made if isinstance(m, RecordError)]
            if failed:
                raise RuntimeError(f"{len(failed)} tasks were not created: {failed[0]}")

    asyncio.run(fill())
    tally = Tally(sim.app)
    with serve_app(tally) as root, oauth_stub(ASANA_TOKEN) as (stub, stub_calls):
        url = root + "/api/1.0"

        async def read() -> int:
            forget_asana()  # a new process: nothing cached
            async with adapter(url, None) as reader:
                return len((await reader.fetch(None)).records)

        streams = ("projects", "sections", "tasks", "users")
        tap = TapSpec(
            package="tap-asana",
            config={
                "client_id": "bench-client",
                "client_secret": "bench-secret",
                "redirect_uri": "http://127.0.0.1/callback",
                "refresh_token": "bench-refresh",
                "start_date": START_DATE,
                "request_timeout": 60,
            },
            catalog_flag="--catalog",
            attempts=[
                Attempt(streams),
                Attempt(
                    streams,
                    compat="the tap's modified_since sent with a Z (UTC)",
                    env={
                        "PEERS_SUBSTITUTE": json.dumps(
                            [[r"(modified_since=[^&]*\d)(?=&|$)", r"\1Z"]]
                        )
                    },
                ),
            ],
            rewrites={
                "https://app.asana.com/api/1.0": url,
                "https://app.asana.com/-/": stub + "/-/",
            },
            pointed="sitecustomize rewrites https://app.asana.com/api/1.0 to the simulator "
            "and /-/oauth_token to a local OAuth stub",
            stub_calls=stub_calls,
        )
        yield Site("asana", sim, tally, url, read, "tasks (project Web)", tap)


@contextlib.contextmanager
def trello_site(tasks: int) -> Iterator[Site]:
    forget_trello()
    sim = TrelloSimulator(rate_limit=None)
    pm = sim.add_member("pm", "Pat PM")
    sim.add_app(TRELLO_KEY, "app-secret")
    sim.add_token(pm, TRELLO_TOKEN, TRELLO_KEY)
    board = sim.add_board("Web", lists=["To do", "Doing", "Done"], members=[pm])
    lists = [x.id for x in sim.state.lists.values() if x.board == board.id]
    auth = {
        "Authorization": f'OAuth oauth_consumer_key="{TRELLO_KEY}", oauth_token="{TRELLO_TOKEN}"'
    }

    async def fill() -> None:
        transport = httpx.ASGITransport(app=sim.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t/1", headers=auth
        ) as web:
            for n in range(tasks):
                answer = await web.post(
                    "/cards", json={"name": f"Card {n}", "idList": lists[n % len(lists)]}
                )
                answer.raise_for_status()

    asyncio.run(fill())
    tally = Tally(sim.app)
    with serve_app(tally) as root:
        url = root + "/1"

        async def read() -> int:
            forget_trello()
            connection = TrelloConnection(
                base_url=url, key=TRELLO_KEY, token=TRELLO_TOKEN, token_pace=90
            )
            member = TrelloMember(
                connection="trello",
                board=board.id,
                status_map={"To do": "todo", "Doing": "in_progress", "Done": "done"},
            )
            async with TrelloAdapter(connection, member, AdapterContext("trello")) as reader:
                return len((await reader.fetch(None)).records)

        tap = TapSpec(
            package="tap-trello",
            config={
                "api_key": TRELLO_KEY,
                "api_token": TRELLO_TOKEN,
                "start_date": START_DATE,
                "request_timeout": 60,
            },
            catalog_flag="--catalog",
            attempts=[Attempt(("boards", "lists", "cards", "users"))],
            # The tap joins its base and paths with a doubled slash (/1//members/me); the
            # simulator, like any Starlette app, answers 404 to that, so the rewrite folds it.
            rewrites={"https://api.trello.com/1//": url + "/", "https://api.trello.com/1": url},
            pointed="sitecustomize rewrites https://api.trello.com/1 to the simulator "
            "(and folds the tap's doubled slash, /1//members/...)",
        )
        yield Site("trello", sim, tally, url, read, "cards (board Web)", tap)


# --- syncd's read -----------------------------------------------------------------------------


def measure_syncd(site: Site) -> Row:
    row = Row(site.vendor, "syncd", version="this tree", streams=site.syncd_streams)
    with calls_of(site) as seen:
        started = time.perf_counter()
        try:
            records = asyncio.run(site.syncd_read())
        except Exception as error:  # noqa: BLE001  # a failed read is a result to print
            records = None
            row.notes.append(f"failed: {type(error).__name__}: {error}")
        seconds = time.perf_counter() - started
    row.records = "-" if records is None else str(records)
    row.seconds = f"{seconds:.2f}"
    note_calls(row, seen)
    return row


def note_calls(row: Row, seen: dict[str, Any]) -> None:
    row.calls = str(seen["calls"])
    row.by_endpoint = seen["by_endpoint"]
    if seen["missing"]:
        listed = ", ".join(f"{k} x{n}" for k, n in seen["missing"].items())
        row.notes.append(f"404 (not in the simulator, or not found): {listed}")
    if seen["errors"]:
        listed = ", ".join(f"{k} x{n}" for k, n in seen["errors"].items())
        row.notes.append(f"other non-2xx answers: {listed}")


# --- the taps ---------------------------------------------------------------------------------


@dataclass
class Install:
    venv: Path | None
    version: str
    error: str | None = None


def last_lines(text: str, count: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and "is ignored" not in ln]
    return " | ".join(ln.strip() for ln in lines[-count:])


def execute(
    command: list[str],
    *,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (no shell), its output captured as text."""
    return subprocess.run(  # noqa: S603 - our own interpreter, venvs and the taps they install
        command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False
    )


def pip(venv: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    python = str(venv / "bin" / "python")
    return execute([python, "-m", "pip", "--disable-pip-version-check", *args], timeout=timeout)


def versions_on_pypi(venv: Path, package: str) -> list[str]:
    answer = pip(venv, "index", "versions", package, timeout=120)
    found = re.search(r"Available versions:\s*(.+)", answer.stdout)
    return [v.strip() for v in found.group(1).split(",")] if found else []


def older_candidates(versions: list[str], count: int = 3) -> list[str]:
    """The newest release of each of the next ``count`` major versions below the latest."""
    chosen: list[str] = []
    majors: set[str] = {versions[0].split(".")[0]} if versions else set()
    for version in versions[1:]:
        major = version.split(".")[0]
        if major not in majors:
            majors.add(major)
            chosen.append(version)
        if len(chosen) == count:
            break
    return chosen


def installed_version(venv: Path, package: str) -> str | None:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    answer = execute([str(venv / "bin" / "python"), "-c", code], timeout=120)
    return answer.stdout.strip() if answer.returncode == 0 else None


def customize(venv: Path) -> None:
    """Our URL-rewriting ``sitecustomize.py`` in the venv (idle unless PEERS_REWRITE is set)."""
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)


def install(package: str, root: Path, log: Callable[[str], None]) -> Install:
    """``package`` in its own venv under ``root`` (reused when already there): the latest
    release, else the newest of each older major version, else the pip error's last lines."""
    venv = root / package
    if (venv / "bin" / package).exists():
        version = installed_version(venv, package)
        if version is not None:
            log(f"{package} {version}: reusing {venv}")
            customize(venv)
            return Install(venv, version)
    made = execute([sys.executable, "-m", "venv", "--clear", str(venv)], timeout=300)
    if made.returncode != 0:
        return Install(None, "-", f"python -m venv failed: {last_lines(made.stderr)}")
    errors: list[str] = []
    candidates: list[str | None] = [None]
    tried_older = False
    while candidates:
        version = candidates.pop(0)
        spec = package if version is None else f"{package}=={version}"
        log(f"pip install {spec} into {venv}")
        try:
            answer = pip(venv, "install", "--quiet", spec)
        except subprocess.TimeoutExpired:
            errors.append(f"{spec}: pip timed out")
            continue
        if answer.returncode == 0 and (found := installed_version(venv, package)):
            customize(venv)
            return Install(venv, found)
        errors.append(f"{spec}: {last_lines(answer.stderr or answer.stdout, 4)}")
        if not tried_older:
            tried_older = True
            versions = versions_on_pypi(venv, package)
            log(f"{package} on PyPI: {', '.join(versions[:12]) or 'no versions found'}")
            candidates.extend(older_candidates(versions))
    return Install(None, "-", "pip install failed: " + " || ".join(errors))


def run_tap(
    site: Site, spec: TapSpec, setup: Install, work: Path, log: Callable[[str], None]
) -> list[Row]:
    """Discovery, then a sync per selection until one succeeds: one row per sync run."""
    assert setup.venv is not None
    executable = setup.venv / "bin" / spec.package
    config = work / f"{spec.package}.config.json"
    config.write_text(json.dumps(spec.config, indent=2))
    env = {
        **os.environ,
        "PEERS_REWRITE": json.dumps(spec.rewrites),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    env.pop("PYTHONPATH", None)
    stub_before = spec.stub_calls() if spec.stub_calls else 0
    with calls_of(site) as discovery:
        started = time.perf_counter()
        found = run(
            [str(executable), "--config", str(config), "--discover"], env, work / "discover"
        )
        discover_seconds = time.perf_counter() - started
    stub_discover = (spec.stub_calls() - stub_before) if spec.stub_calls else 0
    rows: list[Row] = []
    if found.returncode != 0:
        row = Row(site.vendor, spec.package, setup.version, streams="(discovery)")
        row.notes.append(f"--discover failed (exit {found.returncode}): {tap_error(found.stderr)}")
        note_calls(row, discovery)
        return [row]
    try:
        catalog = json.loads(found.stdout)
    except ValueError:
        row = Row(site.vendor, spec.package, setup.version, streams="(discovery)")
        row.notes.append(f"--discover printed no catalog: {found.stdout[:200]!r}")
        return [row]
    offered = [s["tap_stream_id"] for s in catalog["streams"]]
    log(f"{spec.package} discovered: {', '.join(offered)}")
    for number, attempt in enumerate(spec.attempts, 1):
        chosen = [s for s in attempt.streams if s in offered]
        path = work / f"{spec.package}.catalog.json"
        path.write_text(json.dumps(select(catalog, chosen)))
        reader = f"{spec.package} (compat)" if attempt.compat else spec.package
        row = Row(site.vendor, reader, setup.version, streams=", ".join(chosen))
        log(f"{spec.package} sync: {', '.join(chosen)} {attempt.compat}")
        stub_mark = spec.stub_calls() if spec.stub_calls else 0
        if site.shim is not None:
            site.shim.on = attempt.shim
        with calls_of(site) as seen:
            started = time.perf_counter()
            synced = run(
                [str(executable), "--config", str(config), spec.catalog_flag, str(path)],
                {**env, **attempt.env},
                work / f"sync-{number}",
            )
            seconds = time.perf_counter() - started
        if site.shim is not None:
            site.shim.on = False
        records = Counter[str]()
        for line in synced.stdout.splitlines():
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict) and message.get("type") == "RECORD":
                    records[message.get("stream", "?")] += 1
        row.records = ", ".join(f"{s} {records[s]}" for s in chosen) if chosen else "-"
        row.seconds = f"{seconds:.2f}"
        note_calls(row, seen)
        stub_note = []
        if spec.stub_calls:
            stub = spec.stub_calls()
            stub_note = [f"+{stub - stub_mark} OAuth refresh at the local stub"]
        compat = [f"COMPATIBILITY RUN: {attempt.compat}"] if attempt.compat else []
        discovered = f"--discover: {discovery['calls']} calls, {discover_seconds:.2f} s"
        if spec.stub_calls:
            discovered += f" (+{stub_discover} OAuth refresh at the stub)"
        row.notes[:0] = [*compat, spec.pointed, discovered, *stub_note]
        if synced.returncode != 0:
            row.notes.append(f"sync failed (exit {synced.returncode}): {tap_error(synced.stderr)}")
        refused = sorted(set(re.findall(r"peers-sitecustomize: refused (\S+)", synced.stderr)))
        if refused:
            row.notes.append(f"refused (not local): {', '.join(refused)}")
        rows.append(row)
        if synced.returncode == 0:
            break
    return rows


def run(command: list[str], env: dict[str, str], name: Path) -> subprocess.CompletedProcess[str]:
    """Run a tap; its stderr (Singer's log) is also kept next to ``name``."""
    try:
        done = execute(command, timeout=TAP_TIMEOUT, env=env, cwd=name.parent)
    except subprocess.TimeoutExpired as expired:
        out, err = (
            part.decode(errors="replace") if isinstance(part, bytes) else (part or "")
            for part in (expired.stdout, expired.stderr)
        )
        done = subprocess.CompletedProcess(
            command, -9, out, err + f"\ntimed out after {TAP_TIMEOUT} s"
        )
    name.with_suffix(".stderr.log").write_text(done.stderr)
    return done


def tap_error(stderr: str) -> str:
    """The tap's own error line(s): Singer's CRITICAL lines, else stderr's last lines."""
    critical = [
        ln.split("CRITICAL", 1)[1].strip() for ln in stderr.splitlines() if "CRITICAL" in ln
    ]
    if critical:
        return " | ".join(critical[:2])[:400]
    return last_lines(stderr, 3)[:400]


def select(catalog: dict[str, Any], chosen: list[str]) -> dict[str, Any]:
    """The catalog with ``chosen`` streams selected (their fields as discovered) and the others
    not."""
    streams = []
    for stream in catalog["streams"]:
        stream = dict(stream)
        metadata = [dict(m) for m in stream.get("metadata", [])]
        top = next((m for m in metadata if m.get("breadcrumb") == []), None)
        if top is None:
            top = {"breadcrumb": [], "metadata": {}}
            metadata.append(top)
        top["metadata"] = {**top.get("metadata", {}), "selected": stream["tap_stream_id"] in chosen}
        stream["metadata"] = metadata
        streams.append(stream)
    return {**catalog, "streams": streams}


# --- the table --------------------------------------------------------------------------------

VENDORS = ("jira-dc", "jira-cloud", "asana", "trello")


def site_for(vendor: str, tasks: int) -> contextlib.AbstractContextManager[Site]:
    if vendor == "jira-dc":
        return jira_site("dc", tasks)
    if vendor == "jira-cloud":
        return jira_site("cloud", tasks)
    if vendor == "asana":
        return asana_site(tasks)
    return trello_site(tasks)


def table(rows: list[Row]) -> str:
    head = ["vendor", "reader", "version", "streams", "records", "HTTP calls", "wall s", "notes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row.cells()) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=2_000, help="tasks per project")
    parser.add_argument(
        "--keep-venvs",
        type=Path,
        metavar="DIR",
        help="install the taps under DIR and reuse them next time (default: a temporary folder)",
    )
    parser.add_argument("--only", choices=VENDORS, action="append", help="run these vendors")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the tables")
    args = parser.parse_args()
    configure_logging(level="warning")

    def log(message: str) -> None:
        if not args.quiet:
            print(f"# {message}", file=sys.stderr, flush=True)

    vendors = args.only or list(VENDORS)
    rows: list[Row] = []
    with contextlib.ExitStack() as stack:
        if args.keep_venvs is not None:
            root = args.keep_venvs.resolve()
            root.mkdir(parents=True, exist_ok=True)
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peers-venvs-")))
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peers-run-")))
        installs: dict[str, Install] = {}
        for vendor in vendors:
            log(f"{vendor}: filling a simulator with {args.tasks} tasks")
            with site_for(vendor, args.tasks) as site:
                log(f"{vendor}: served at {site.url}; syncd reads")
                rows.append(measure_syncd(site))
                spec = site.tap
                if spec is None:
                    continue
                if spec.package not in installs:
                    installs[spec.package] = install(spec.package, root, log)
                setup = installs[spec.package]
                if setup.venv is None:
                    row = Row(site.vendor, spec.package, streams="(not installed)")
                    row.notes.append(setup.error or "not installed")
                    rows.append(row)
                    continue
                folder = work / vendor
                folder.mkdir()
                rows.extend(run_tap(site, spec, setup, folder, log))
    print(f"Full reads of {args.tasks} tasks per project, on simulators served on 127.0.0.1.\n")
    print(table(rows))
    print("\nCalls by endpoint (as the simulator counts them):\n")
    for row in rows:
        if row.by_endpoint:
            listed = ", ".join(f"{k} x{n}" for k, n in sorted(row.by_endpoint.items()))
            print(f"- {row.vendor} / {row.reader} [{row.streams}]: {listed}")


if __name__ == "__main__":
    main()
