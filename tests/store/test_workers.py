"""Several workers on PostgreSQL (procrastinate): groups shared, never run twice at once,
bursts collapsed, and a killed worker's groups taken over within the heartbeat timeout."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from syncd.http.ratelimit import share_budgets
from syncd.workers import SharedScheduler

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url(new_store_url: Callable[[], str], request: pytest.FixtureRequest) -> str:
    url = new_store_url()
    if not url.startswith("postgres"):
        pytest.skip("the shared queue is PostgreSQL's")
    return url


@pytest.mark.parametrize("new_store_url", ["postgresql"], indirect=True)
def test_two_workers_never_run_a_group_twice_at_once(pg_url: str) -> None:
    """Every run's start and end is recorded: no two runs of one group overlap."""
    spans: list[tuple[str, str, float, float]] = []

    async def body() -> None:
        def worker(name: str) -> SharedScheduler:
            async def run(group: str) -> bool:
                start = time.monotonic()
                await asyncio.sleep(0.2)
                spans.append((group, name, start, time.monotonic()))
                return False

            scheduler = SharedScheduler(run, url=pg_url, interval=1.0, heartbeat_timeout=5.0)
            scheduler.set_groups(["a", "b", "c"])
            return scheduler

        first, second = worker("one"), worker("two")
        stop = asyncio.Event()
        serving = [asyncio.create_task(w.serve(stop, grace=5)) for w in (first, second)]
        await asyncio.sleep(2.5)
        before = sum(1 for s in spans if s[0] == "a")
        for _ in range(25):  # a burst of deliveries, received by both workers
            first.trigger("a")
            second.trigger("a")
        await asyncio.sleep(3.5)
        sharing = (first.sharing, second.sharing)
        stop.set()
        await asyncio.gather(*serving)
        share_budgets(1)
        assert sharing == (2, 2)  # each paces itself at half of every credential's budget
        burst = sum(1 for s in spans if s[0] == "a") - before
        assert burst <= 2 + 4  # one waiting run (+ one running), plus the polls of 3.5 s

    asyncio.run(body())
    for group in "abc":
        runs = sorted((s[2], s[3]) for s in spans if s[0] == group)
        assert len(runs) >= 3, group
        for (_, end), (start, _) in itertools.pairwise(runs):
            assert start >= end, f"group {group} ran twice at once"
    assert {s[1] for s in spans} == {"one", "two"}  # the work was shared


@pytest.mark.parametrize("new_store_url", ["postgresql"], indirect=True)
def test_a_killed_workers_group_is_taken_over_within_the_heartbeat_timeout(pg_url: str) -> None:
    """SIGKILL in the middle of a run: another worker runs the group within the timeout."""
    with subprocess.Popen(  # noqa: S603  # our own test aid
        [sys.executable, "-m", "tests.store.worker_child", pg_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            for line in child.stdout:  # the child's logs come first
                if line.strip() == "running stuck":
                    break
            else:
                pytest.fail("the child worker never started its run")
        finally:
            child.kill()
            child.wait(10)
    killed = time.monotonic()
    taken: list[float] = []

    async def body() -> None:
        async def run(group: str) -> bool:
            taken.append(time.monotonic())
            return False

        survivor = SharedScheduler(run, url=pg_url, interval=1.0, heartbeat_timeout=3.0)
        survivor.set_groups(["stuck"])
        stop = asyncio.Event()
        serving = asyncio.create_task(survivor.serve(stop, grace=5))
        for _ in range(200):
            if taken:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await serving

    asyncio.run(body())
    assert taken, "the group stayed blocked by the dead worker's lock"
    assert taken[0] - killed < 3.0 + 3.0  # the heartbeat timeout, plus a sweep and a poll


@pytest.mark.parametrize("new_store_url", ["postgresql"], indirect=True)
def test_syncd_run_on_postgresql_uses_the_shared_queue(pg_url: str, tmp_path: Path) -> None:
    """With a postgresql:// state, the service's groups run through procrastinate."""
    from syncd.config import load_config_text
    from syncd.service import Service

    text = f"""\
state: "{pg_url}"
service: {{interval: 1s}}
connections: {{local: {{type: memory}}}}
groups:
  web:
    currency: EUR
    members:
      - {{connection: local, name: a, path: {tmp_path}/a.json}}
      - {{connection: local, name: b, path: {tmp_path}/b.json}}
"""

    async def body() -> None:
        service = Service(load_config_text(text))
        assert isinstance(service.scheduler, SharedScheduler)
        stop = asyncio.Event()
        serving = asyncio.create_task(service.scheduler.serve(stop, grace=5))
        for _ in range(100):
            if service.groups()["web"].last_status == "ok":
                break
            await asyncio.sleep(0.1)
        stop.set()
        await serving
        service.store.close()
        assert service.groups()["web"].last_status == "ok"

    asyncio.run(body())
