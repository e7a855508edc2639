"""A world to hurt: the four tools of ``syncd demo`` served on 127.0.0.1, one group syncing
them through the real ``sync`` path, people working in each tool, and the faults.

The sites are the demo's (each adapter's ``Plugin.demo``), except that the plan is our small
fixture (8 tasks: summaries, a milestone, costs, links) and the simulators' own rate limits are
off: 429 storms are injected instead, so that a scenario costs seconds, not minutes.

A sync runs in this process, or in a forked child that a `KillSwitch` kills with SIGKILL at a
chosen journal or vendor write (the simulators go on serving from this process's threads), or
as a real ``syncd sync`` process killed after a random delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from adapters import plugin
from adapters.base import DemoSetup, DemoSite, Observation
from syncd.config import Config, load_config
from syncd.demo import CAST, MEMBERS, TIMEZONE, config_document
from syncd.engine import RunReport
from syncd.model import map_refs
from syncd.runner import make_adapters, opened, sync
from syncd.store import Store
from tests.faults.killswitch import KillSwitch, When

ROOT = Path(__file__).parents[2]
PLAN = ROOT / "tests" / "fixtures" / "msproject" / "website.xml"
GROUP = "world"
EXISTING = {"jira": ("Fix the login page",), "trello": ("Order the banners",)}

# The tools' limits are off (429s are injected instead), and so is syncd's own pacing.
PACE: dict[str, dict[str, float]] = {
    "jira": {"requests_per_second": 10_000},
    "asana": {"requests_per_minute": 600_000},
    "trello": {"token_pace": 100_000, "key_pace": 300_000},
}

Outcome = Literal["finished", "killed", "failed"]
# What each member holds: per member, (kind, title, its values shown) of every record.
Holdings = dict[str, list[tuple[str, str, tuple[tuple[str, str], ...]]]]


@dataclass
class Snapshot:
    """Everything a sync can change: the simulators' data, the plan file, the state store."""

    sims: dict[str, dict[str, Any]]
    files: dict[Path, bytes | None]


@dataclass
class World:
    directory: Path
    runner: asyncio.Runner
    sites: dict[str, DemoSite]
    config: Config
    state_url: str
    killed: int = 0
    faults: Counter[str] = field(default_factory=Counter)

    @property
    def sims(self) -> dict[str, Any]:
        """The simulators (every member but the plan)."""
        return {m: site.sim for m, site in self.sites.items() if hasattr(site, "sim")}

    @property
    def plan_path(self) -> Path | None:
        site = self.sites.get("plan")
        return None if site is None else Path(site.member["path"])

    # --- syncing ---------------------------------------------------------------------------

    def sync(self, *, full: bool = False) -> RunReport:
        """One sync in this process, with its own store connection (as a process would)."""
        with Store.open(self.state_url) as store:
            return self.runner.run(sync(self.config, store, GROUP, full=full))

    def killed_sync(self, at: int, when: When) -> Outcome:
        """A sync in a forked child, killed with SIGKILL at write ``at`` (``when``)."""
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 3
            try:
                with KillSwitch(at, when).installed(), Store.open(self.state_url) as store:
                    asyncio.run(sync(self.config, store, GROUP))
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            self.killed += 1
            return "killed"
        return "finished" if os.WEXITSTATUS(status) == 0 else "failed"

    def counted_sync(self) -> tuple[RunReport, list[str]]:
        """A sync in this process; the journal and vendor writes it made, in order."""
        switch = KillSwitch()
        with switch.installed():
            report = self.sync()
        return report, switch.seen

    def process_sync(self, kill_after: float | None) -> Outcome:
        """A real ``syncd sync`` process, killed with SIGKILL after ``kill_after`` seconds."""
        command = [sys.executable, "-c", "from syncd.cli import main; main()"]
        args = ["-c", str(self.directory / "syncd.yaml"), "sync", GROUP]
        # Its log lines go to our stderr, where the secrets scan reads them.
        child = subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL, cwd=ROOT)  # noqa: S603
        try:
            child.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
            self.killed += 1
            return "killed"
        return "finished" if child.returncode in (0, 1) else "failed"

    def settle(self, limit: int = 4) -> RunReport:
        """A full sync (deletions show only in complete listings: Jira's incremental search
        never lists a deleted issue), then syncs until one succeeds and writes nothing; faults
        cleared first."""
        self.clear_faults()
        report = self.sync(full=True)
        for _ in range(limit):
            report = self.sync()
            if report.status == "ok" and not report.result.writes:
                return report
        return report

    # --- faults ----------------------------------------------------------------------------

    def fail(self, member: str, kind: str, **fault: Any) -> None:
        """Inject a fault into a simulator; counted by ``kind``."""
        self.sims[member].fail(**fault)
        self.faults[kind] += 1

    def clear_faults(self) -> None:
        for sim in self.sims.values():
            sim.faults.clear()

    # --- snapshots -------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        state = Path(self.state_url.removeprefix("sqlite:///"))
        found = [state, state.with_name(state.name + "-wal"), state.with_name(state.name + "-shm")]
        return found if self.plan_path is None else [*found, self.plan_path]

    def snapshot(self) -> Snapshot:
        files = {p: (p.read_bytes() if p.exists() else None) for p in self._files()}
        return Snapshot({m: sim.dump() for m, sim in self.sims.items()}, files)

    def restore(self, snapshot: Snapshot) -> None:
        for member, saved in snapshot.sims.items():
            self.sims[member].restore(saved)
            self.sims[member].reset()
        for path, data in snapshot.files.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)

    # --- what each member holds ------------------------------------------------------------

    def observe(self) -> dict[str, Observation]:
        """A full read of every member, through its adapter (faults cleared first)."""
        self.clear_faults()

        async def read() -> dict[str, Observation]:
            adapters = make_adapters(self.config, GROUP)
            async with opened(adapters):
                return {m: await a.fetch(None) for m, a in adapters.items()}

        return self.runner.run(read())

    def holdings(self) -> Holdings:
        """What each member holds, comparable across runs and ids: per member, every record
        as (kind, title, its values with references shown as the referenced titles)."""
        out: Holdings = {}
        for member, obs in self.observe().items():
            titles = {r.external_id: str(r.values.get("title")) for r in obs.records}
            rows = []
            for rec in obs.records:
                values = map_refs(rec.kind, rec.values, titles)
                shown = tuple(sorted((k, repr(v)) for k, v in values.items()))
                rows.append((rec.kind, str(rec.values.get("title")), shown))
            out[member] = sorted(rows)
        return out


def write_config(directory: Path, sites: Mapping[str, DemoSite], **settings: Any) -> Config:
    path = directory / "syncd.yaml"
    document = config_document(sites, f"sqlite:///{directory / 'state.db'}", GROUP, **settings)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return load_config(path)


@contextlib.contextmanager
def open_world(
    directory: Path,
    members: Sequence[str] = tuple(MEMBERS),
    *,
    connection: Mapping[str, Any] | None = None,
    **settings: Any,
) -> Iterator[World]:
    """The tools of ``members`` (of "plan", "jira", "asana", "trello"), seeded, served and
    configured as one group (deletes: archive, with no mass-delete breaker unless
    ``settings`` say otherwise); ``connection`` adds to each web tool's connection settings.
    Nothing is synced yet."""
    today = dt.date.today()
    with asyncio.Runner() as runner:
        stack = contextlib.AsyncExitStack()
        sites: dict[str, DemoSite] = {}
        try:
            for member in members:
                factory = plugin(MEMBERS[member]).demo
                assert factory is not None
                setup = DemoSetup(directory, CAST, today, TIMEZONE, EXISTING.get(member, ()))
                sites[member] = runner.run(stack.enter_async_context(factory(setup)))
            if "plan" in sites:
                shutil.copyfile(PLAN, sites["plan"].member["path"])
            for site in sites.values():
                if hasattr(site, "sim"):
                    site.sim.rate_limit = None
                    site.connection.update(PACE.get(site.connection["type"], {}))
                    site.connection.update(connection or {})
            config = write_config(directory, sites, **{"max_delete_ratio": 1.0, **settings})
            yield World(directory, runner, sites, config, str(config.state))
        finally:
            runner.run(stack.aclose())
