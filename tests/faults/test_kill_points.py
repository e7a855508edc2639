"""Kill a sync right before and right after every journal write and every vendor write in
turn (SIGKILL, in a forked child), resume, and reach the same end as a run never killed.

One representative scenario per adapter, in a group of that tool and a partner: people have
created, edited and deleted tasks on both sides since the last sync. The scenario's sync is
first run whole, counting its writes, and settled: that end is the reference. Then, for each
write and each side of it, the tools and the store go back to the start, a child process runs
the sync until the switch kills it there, and this process resumes with ordinary syncs until
the group settles. The tools must then hold exactly what the reference holds (ids and times
aside), with nothing duplicated, and the store must pass its integrity check.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from tests.faults.checks import Figures
from tests.faults.users import users
from tests.faults.world import Holdings, World, open_world

pytestmark = pytest.mark.slow

PARTNER = {"jira": "plan", "asana": "plan", "trello": "plan", "plan": "trello"}


def _people_work(world: World) -> None:
    """Since the last sync: a task made on each side, a due date and a status changed, and a
    task deleted."""
    people = users(world.sites)
    tool, partner = (people[m] for m in world.sites)
    run = world.runner.run
    run(tool.create("Kill-point task A", dt.date(2026, 5, 4)))
    run(partner.create("Kill-point task B", dt.date(2026, 5, 5)))
    run(tool.set_due("Frontend", dt.date(2026, 3, 31)))
    run(partner.set_status("Visual design", "in_progress"))
    run(tool.delete("Wireframes"))


@pytest.mark.parametrize("member", ["jira", "asana", "trello", "plan"])
def test_every_kill_point_resumes_to_the_same_end(
    tmp_path: Path, member: str, kill_figures: Figures
) -> None:
    with open_world(tmp_path, (member, PARTNER[member])) as world:
        assert world.sync().status == "ok"
        _people_work(world)
        start = world.snapshot()

        report, points = world.counted_sync()
        assert report.status == "ok", report.result.failures[:3]
        world.settle()
        reference = world.holdings()
        assert points, "the scenario's sync wrote nothing"

        problems = []
        for at, point in enumerate(points):
            for when in ("before", "after"):
                world.restore(start)
                outcome = world.killed_sync(at, when)
                assert outcome == "killed", f"{when} {point}: the child {outcome}"
                settled = world.settle()
                held = world.holdings()
                if settled.status != "ok" or held != reference:
                    problems.append((when, point, settled.status, _difference(reference, held)))
                kill_figures.syncs += 1
                _count(kill_figures, reference, held)
        kill_figures.scenarios += 1
        kill_figures.killed += world.killed
        assert not problems, problems[:3]


def _count(figures: Figures, reference: Holdings, held: Holdings) -> None:
    """Add what was compared, and what differs from the reference, to ``figures``."""
    for member, rows in reference.items():
        want = Counter((kind, title) for kind, title, _ in rows)
        got = Counter((kind, title) for kind, title, _ in held.get(member, []))
        figures.records += sum(got.values())
        figures.lost += sum((want - got).values())
        figures.duplicated += sum((got - want).values())
        figures.inconsistent += len(set(held.get(member, [])) - set(rows)) - sum(
            (got - want).values()
        )


def _difference(reference: Holdings, held: Holdings) -> str:
    lines = []
    for member in reference:
        want, got = set(reference[member]), set(held.get(member, []))
        lines += [f"{member} lacks {row}" for row in sorted(want - got, key=repr)[:3]]
        lines += [f"{member} has extra {row}" for row in sorted(got - want, key=repr)[:3]]
    return "; ".join(lines)
