"""`syncd demo` end to end: four stand-ins on 127.0.0.1, three syncs, the report."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from rich.console import Console

from syncd.clioutput import group_status, print_status
from syncd.config import load_config
from syncd.demo import run_demo
from syncd.store import Store

pytestmark = pytest.mark.slow


def test_the_demo_tells_the_whole_story_and_leaves_a_working_setup(tmp_path: Path) -> None:
    """The first sync matches and creates, every person's edit reaches the other tools, the
    conflict goes to the plan with Asana's date kept in the log, a third sync writes nothing,
    and the report ends it; the folder holds a config the CLI can load."""
    console = Console(file=io.StringIO(), width=160, record=True, soft_wrap=True)
    code = asyncio.run(run_demo(console, tmp_path))
    text = console.export_text()
    assert code == 0, text
    assert "'Component library', 'Search integration' matched the plan's tasks" in text
    assert "'Upgrade the staging database', its own, was copied" in text
    assert "In Progress → Done" in text or "To Do → Done" in text
    assert "Conflict on 'Content migration: products' due" in text
    assert "plan wins" in text
    assert "wrote nothing: no echo" in text
    assert "Design approved is at risk" in text
    assert "Budget (EUR)" in text

    config = load_config(tmp_path / "syncd.yaml")
    assert set(config.connections) == {"plan", "jira", "asana", "trello"}
    with Store.open(str(config.state)) as store:
        (conflict,) = store.conflicts("website")
        assert conflict.conflict.winner == "plan"
        assert set(conflict.conflict.values) == {"plan", "asana"}  # the loser's date is kept
        records = {r.base.get("title"): r for r in store.load_group("website").records.values()}
        # Asana cannot hold a start date on the due date (one-day tasks): remembered, shown
        # by `syncd status`, and not a failure of every run.
        refused = {(m, f) for (_, m, f) in store.refusals("website")}
        assert ("asana", "start") in refused
        shown = Console(file=io.StringIO(), width=200, record=True)
        print_status(shown, [group_status(config, store, "website")])
        listed = shown.export_text()
        assert "asana cannot hold start" in listed
    front_end = records["Front-end scaffold"]
    assert front_end.base["status"] == "done"
    assert front_end.links.keys() == {"plan", "jira", "asana", "trello"}
    assert records["Cookie consent"].base["labels"] == frozenset({"legal"})
    plan = (tmp_path / "website-relaunch.xml").read_text(encoding="utf-8")
    assert "<Name>Upgrade the staging database</Name>" in plan  # Jira's own task, in Project

    # The tools' credentials (the stand-ins' own, in the config) never reach the state store,
    # the demo's output, or `syncd status`.
    secrets = {s for s in (v() for v in _secret_getters(config)) if s}
    assert secrets >= {"sim-token", "sim-key", "sim-secret"}
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    for secret in secrets:
        assert secret.encode() not in stored
        assert secret not in text
        assert secret not in listed


def _secret_getters(config: object) -> list[Callable[[], str]]:
    """Every secret of every connection (pydantic SecretStr fields)."""
    getters = []
    for connection in config.connections.values():  # type: ignore[attr-defined]
        for value in connection.__dict__.values():
            if isinstance(value, SecretStr):
                getters.append(value.get_secret_value)
    return getters
