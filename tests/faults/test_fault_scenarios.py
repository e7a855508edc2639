"""Randomized scenarios on the four tools: people work between syncs while the tools fail.

Each scenario (hypothesis draws it; derandomized in CI) opens the four tools of the demo
(a small plan), syncs them once, then runs steps. In each step people create tasks, move due
dates, change statuses and delete tasks in their own tool; faults are injected into the web
tools (5xx bursts, outages longer than syncd's five attempts, a refused credential, 429 storms
with Retry-After, timeouts, connection resets, answers dropped after the write was made,
truncated and garbled JSON, listings failing on a later page); then a sync runs: in this
process, or in a child killed with SIGKILL at a drawn journal or vendor write, or as a real
``syncd sync`` process killed after a drawn delay. After the last step the faults stop and
the group settles; `checks.check` then proves nothing was lost, duplicated or left
inconsistent, and every person's edit survived.

Every line syncd logged (debug level, through the CLI's redacting pipeline), the state store
and ``syncd status`` are searched for each tool's credentials.

``pytest --soak tests/faults`` runs longer and more scenarios (not in CI).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from syncd.cli import app
from syncd.logs import configure_logging
from syncd.store import Store
from tests.faults.checks import Edit, Figures, check, secrets_of
from tests.faults.users import users
from tests.faults.world import GROUP, World, open_world

pytestmark = pytest.mark.slow

CI_SCENARIOS, CI_STEPS = 3, 4
SOAK_SCENARIOS, SOAK_STEPS = 40, 10
SUMMARIES = {"Design", "Build"}  # Project computes their dates from their subtasks
TIMEOUT = 1.0  # the connections' timeout in these scenarios (seconds)

# Which requests a fault hits: any, the writes, or the listings.
TARGETS: dict[str, dict[str, Any]] = {
    "any": {"path": ".*"},
    "writes": {"path": ".*", "method": "POST"},
    "updates": {"path": ".*", "method": "PUT"},
    "deletes": {"path": ".*", "method": "DELETE"},
    "reads": {"path": ".*", "method": "GET"},
}


def _fault(kind: str, draw: st.DrawFn) -> dict[str, Any]:
    """The fault's parameters for the simulator's ``fail``."""
    if kind == "5xx burst":
        return {"status": draw(st.sampled_from([500, 502, 503])), "times": draw(st.integers(1, 3))}
    if kind == "outage":  # more failures than syncd's five attempts: the call is given up
        return {"status": 503, "times": 6}
    if kind == "429 storm":
        return {"status": 429, "times": draw(st.integers(1, 3)), "headers": {"Retry-After": "1"}}
    if kind == "timeout":
        return {"status": None, "delay": TIMEOUT + 0.5, "times": 1}
    if kind == "401":  # credentials refused for a moment (a token rotated, an IdP hiccup)
        return {"status": 401, "times": 1}
    if kind == "page fails":
        return {"status": 502, "method": "GET", "skip": draw(st.integers(1, 3)), "times": 6}
    return {"status": None, "mode": kind, "times": draw(st.integers(1, 2))}


FAULT_KINDS = (
    "5xx burst",
    "401",
    "outage",
    "429 storm",
    "timeout",
    "page fails",
    "reset",
    "drop",
    "truncate",
    "garble",
)


class Scenario:
    """One scenario's world, what its people did, and what is expected to remain."""

    def __init__(self, world: World, number: int) -> None:
        self.world = world
        self.number = number
        self.people = users(world.sites)
        self.edits: list[Edit] = []
        self.created: set[str] = set()
        self.deleted: set[str] = set()
        self.step = 0
        self.problems: list[str] = []
        with Store.open(world.state_url) as store:
            state = store.load_group(GROUP)
        self.initial = {r.base["title"] for r in state.records.values() if r.kind == "task"}

    def live(self) -> set[str]:
        return (self.initial | self.created) - self.deleted

    def act(self, draw: st.DrawFn) -> None:
        member = draw(st.sampled_from(sorted(self.people)))
        person = self.people[member]
        action = draw(st.sampled_from(["create", "due", "due", "status", "status", "delete"]))
        run = self.world.runner.run
        if action == "create":
            title = f"Task {self.number}.{self.step}.{len(self.created)} from {member}"
            run(person.create(title, draw(_dates)))
            self.created.add(title)
            return
        held = {s.title: s for s in run(person.tasks())}
        titles = set(held) - SUMMARIES - self.deleted
        if action == "delete":
            titles &= self.created | {"Fix the login page", "Order the banners"}
        if not titles:
            return
        title = draw(st.sampled_from(sorted(titles)))
        try:
            if action == "delete":
                run(person.delete(title))
                self.deleted.add(title)
            elif action == "due":
                due = draw(_dates)
                run(person.set_due(title, due))
                self._edited(member, title, "due", due, held[title].due)
            else:
                status = draw(st.sampled_from(person.statuses))
                run(person.set_status(title, status))
                self._edited(member, title, "status", status, held[title].status)
        except LookupError as exc:  # found twice: a duplicate, which the checks count too
            self.problems.append(f"step {self.step}, {member}: {exc}")

    def _edited(self, member: str, title: str, field: str, value: Any, before: Any) -> None:
        """Keep an edit that changed something (setting the value held changes nothing)."""
        if value != before:
            self.edits.append(Edit(len(self.edits), self.step, member, title, field, value))

    def hurt(self, draw: st.DrawFn) -> None:
        member = draw(st.sampled_from(sorted(self.world.sims)))
        kind = draw(st.sampled_from(FAULT_KINDS))
        target = TARGETS[draw(st.sampled_from(sorted(TARGETS)))]
        fault = {**target, **_fault(kind, draw)}
        self.world.fail(member, kind, **fault)

    def sync(self, draw: st.DrawFn) -> None:
        how = draw(st.sampled_from(["here", "here", "killed at a write", "killed process"]))
        if how == "here":
            self.world.sync()
        elif how == "killed at a write":
            self.world.killed_sync(
                draw(st.integers(0, 80)), draw(st.sampled_from(["before", "after"]))
            )
        else:
            self.world.process_sync(kill_after=draw(st.floats(0.5, 3.0)))
        self.world.clear_faults()


_dates = st.dates(dt.date(2026, 3, 2), dt.date(2026, 6, 30)).filter(lambda d: d.weekday() < 5)


def test_randomized_faults_lose_and_duplicate_nothing(
    request: pytest.FixtureRequest, capfd: pytest.CaptureFixture[str], fault_figures: Figures
) -> None:
    soak = bool(request.config.getoption("--soak"))
    scenarios, steps = (SOAK_SCENARIOS, SOAK_STEPS) if soak else (CI_SCENARIOS, CI_STEPS)
    count = iter(range(1, 10_000))

    @settings(
        max_examples=scenarios,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: each example costs seconds
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def scenario(data: st.DataObject) -> None:
        configure_logging("debug", json=True)
        with tempfile.TemporaryDirectory() as folder:
            run_scenario(Path(folder), next(count), data.draw, steps, capfd, fault_figures)

    scenario()
    assert fault_figures.scenarios >= scenarios


def run_scenario(
    folder: Path,
    number: int,
    draw: st.DrawFn,
    steps: int,
    capfd: pytest.CaptureFixture[str],
    figures: Figures,
) -> None:
    with open_world(folder, connection={"timeout": TIMEOUT}) as world:
        assert world.sync().status == "ok"
        scenario = Scenario(world, number)
        for step in range(steps):
            scenario.step = step
            for _ in range(draw(st.integers(0, 3))):
                scenario.act(draw)
            for _ in range(draw(st.integers(0, 3))):
                scenario.hurt(draw)
            scenario.sync(draw)
            figures.syncs += 1
        found = check(world, scenario.live(), scenario.deleted, scenario.edits)
        found.problems[:0] = scenario.problems
        found.scenarios, found.steps, found.killed = 1, steps, world.killed
        found.syncs = 0
        found.faults.update(world.faults)

        listed = CliRunner().invoke(app, ["-c", str(folder / "syncd.yaml"), "status"]).output
        logged = capfd.readouterr()
        stored = b"".join(p.read_bytes() for p in folder.glob("state.db*"))
        for secret in secrets_of(world.config):
            for where, text in (("a log line", logged.out + logged.err), ("status", listed)):
                if secret in text:
                    found.problems.append(f"a credential appears in {where}")
            if secret.encode() in stored:
                found.problems.append("a credential is in the state store")
        figures.add(found)
        assert not found.problems, "\n".join(found.problems[:20])
        assert (found.lost, found.duplicated, found.inconsistent, found.lost_edits) == (0, 0, 0, 0)
