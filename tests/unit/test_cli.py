"""The command line, end to end over memory members in JSON files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncd.cli import app

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """\
state: sqlite:///{dir}/state.db
connections:
  files: {{type: memory}}
groups:
  web:
    currency: eur
    max_delete_ratio: 0.5
    members:
      - {{connection: files, name: plan, path: {dir}/plan.json}}
      - connection: files
        name: board
        path: {dir}/board.json
        supports:
          task: [title, status, due, labels, milestone, assignee]
          milestone: [title, due, status]
    authority: {{status: [board]}}
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name in ("plan.json", "board.json"):
        shutil.copy(ROOT / "config" / "walkthrough" / name, tmp_path / name)
    (tmp_path / "syncd.yaml").write_text(CONFIG.format(dir=tmp_path))
    return tmp_path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def records(path: Path) -> dict[str, dict[str, object]]:
    doc = json.loads(path.read_text())
    return {k: v for k, v in doc["records"].items() if not v.get("archived")}


def edit(path: Path, title: str, **fields: object) -> None:
    """Change a record in a memory file as a person would, bumping its change counter."""
    doc = json.loads(path.read_text())
    doc["clock"] = doc.get("clock", 0) + 1
    for rec in doc["records"].values():
        if rec["fields"].get("title") == title:
            rec["fields"].update(fields)
            rec["modified"] = doc["clock"]
    path.write_text(json.dumps(doc))


def test_sync_then_nothing_left_to_do(workdir: Path) -> None:
    """A first sync matches and creates; a second finds nothing to do; both exit 0."""
    config = str(workdir / "syncd.yaml")
    code, out, _ = cli("sync", "--config", config)
    assert code == 0, out
    assert "board" in out
    titles = sorted(r["fields"]["title"] for r in records(workdir / "board.json").values())
    assert "Load test" in titles
    assert len(records(workdir / "plan.json")) == 5
    code, out, _ = cli("plan", "--config", config, "--json")
    assert code == 0
    assert json.loads(out)["plans"][0]["actions"] == []


def test_plan_shows_fields_and_saved_plan_applies_exactly(workdir: Path) -> None:
    """`plan --out` saves what would change; `apply` writes it; a stale plan is refused."""
    config = str(workdir / "syncd.yaml")
    cli("sync", "--config", config)
    edit(workdir / "board.json", "Load test", due="2026-04-01")
    code, out, _ = cli("plan", "--config", config, "--out", str(workdir / "p.json"))
    assert code == 0
    assert "2026-04-01" in out
    assert "due" in out
    code, out, _ = cli("apply", str(workdir / "p.json"), "--config", config)
    assert code == 0, out
    plan_side = records(workdir / "plan.json")
    assert any(r["fields"].get("due") == "2026-04-01" for r in plan_side.values())
    edit(workdir / "board.json", "Load test", due="2026-05-01")
    cli("plan", "--config", config, "--out", str(workdir / "p2.json"))
    edit(workdir / "board.json", "Load test", due="2026-06-01")
    code, _, err = cli("apply", str(workdir / "p2.json"), "--config", config)
    assert code == 1
    assert "stale" in err


def test_status_history_conflicts_and_verify(workdir: Path) -> None:
    """status, history, conflicts and `status --verify` report the store's view."""
    config = str(workdir / "syncd.yaml")
    cli("sync", "--config", config)
    code, out, _ = cli("status", "--config", config, "--verify")
    assert code == 0
    assert "linked records" in out
    assert "store integrity: OK" in out
    code, out, _ = cli("conflicts", "--config", config, "--json")
    rows = json.loads(out)
    status = [r for r in rows if r["field"] == "status"]
    assert status[0]["winner"] == "board"
    assert set(status[0]["values"]) == {"plan", "board"}
    code, out, _ = cli("history", "--config", config, "--json")
    assert json.loads(out)[0]["changes"]


def test_revert_writes_before_values_back(workdir: Path) -> None:
    """`revert RUN` restores the values a run changed where they are still current."""
    config = str(workdir / "syncd.yaml")
    cli("sync", "--config", config)
    edit(workdir / "plan.json", "Load test", status="done")
    cli("sync", "--config", config)
    code, out, _ = cli("history", "--config", config, "--json", "--limit", "1")
    run_id = json.loads(out)[0]["id"]
    code, out, _ = cli("revert", str(run_id), "--config", config)
    assert code == 0, out
    for path in (workdir / "plan.json", workdir / "board.json"):
        test = [r for r in records(path).values() if r["fields"]["title"] == "Load test"]
        assert test[0]["fields"]["status"] == "todo"
    code, out, _ = cli("plan", "--config", config, "--json")
    assert json.loads(out)["plans"][0]["actions"] == []


def test_bad_config_exits_2_with_file_line_and_key(workdir: Path) -> None:
    """A config error names its place and exits 2, without a traceback."""
    bad = workdir / "bad.yaml"
    bad.write_text(
        CONFIG.format(dir=workdir).replace(
            "connection: files, name: plan", "connection: flies, name: plan"
        )
    )
    code, _, err = cli("sync", "--config", str(bad))
    assert code == 2
    assert "bad.yaml:9: groups.web.members[0].connection: unknown connection 'flies'" in err
    assert "Traceback" not in err


def test_corrupt_state_database_is_a_clear_error(workdir: Path) -> None:
    """A damaged state file is named in a one-line error with exit code 2."""
    (workdir / "state.db").write_bytes(b"this is not a database" * 100)
    code, _, err = cli("status", "--config", str(workdir / "syncd.yaml"))
    assert code == 2
    assert str(workdir / "state.db") in err
    assert "Traceback" not in err


def test_init_writes_a_starter_and_refuses_to_overwrite(tmp_path: Path) -> None:
    """`init` writes a config that loads, and never overwrites an existing file."""
    target = tmp_path / "syncd.yaml"
    code, _, _ = cli("init", str(target))
    assert code == 0
    assert "connections:" in target.read_text()
    code, _, err = cli("init", str(target))
    assert code == 2
    assert "not overwriting" in err


def test_unknown_group_is_a_usage_error(workdir: Path) -> None:
    """Naming a group the config lacks exits 2 and lists the known ones."""
    code, _, err = cli("sync", "nope", "--config", str(workdir / "syncd.yaml"))
    assert code == 2
    assert "unknown group 'nope' (known: web)" in err


def test_failed_writes_exit_1(workdir: Path) -> None:
    """A sync where some records failed exits 1 and names them."""
    config = workdir / "syncd.yaml"
    text = config.read_text().replace(
        "name: board\n", "name: board\n        faults: {fail_write: 1.0}\n"
    )
    config.write_text(text)
    code, out, _ = cli("sync", "--config", str(config))
    assert code == 1
    assert "failed" in out


def test_check_prints_capabilities(workdir: Path) -> None:
    """`check` opens every member and shows what it can hold."""
    code, out, _ = cli("check", "--config", str(workdir / "syncd.yaml"))
    assert code == 0, out
    assert "web/board" in out
    assert "task: assignee, due, labels, milestone, status, title" in out


def test_quarantined_field_is_reported_and_can_be_released(workdir: Path) -> None:
    """`status` lists a quarantined field until `status --release UID.FIELD` lifts it."""
    from syncd.state import FieldTrail
    from syncd.store import Store

    config = str(workdir / "syncd.yaml")
    cli("sync", "--config", config)
    with Store.open(f"sqlite:///{workdir}/state.db") as store:
        uid = next(iter(store.load_group("web").records))
        store.commit_observed("web", [], {}, trails={(uid, "due"): FieldTrail([], True)})
    code, out, _ = cli("status", "--config", config)
    assert f"quarantined {uid}.due" in out
    code, out, _ = cli("status", "--config", config, "--release", f"{uid}.due")
    assert f"released {uid}.due in web" in out
    code, out, _ = cli("status", "--config", config)
    assert code == 0
    assert "quarantined" not in out


def test_check_reports_mappings_that_have_no_effect(workdir: Path) -> None:
    """`check` names a mapping the member cannot use, with its fix, and exits 1."""
    config = workdir / "syncd.yaml"
    config.write_text(
        config.read_text().replace(
            "name: board\n", "name: board\n        status_map: {Doing: in_progress}\n"
        )
    )
    code, out, _ = cli("check", "--config", str(config))
    assert code == 1
    assert "status_map has no effect on a memory member" in out
    assert "fix: remove status_map from member board" in out


def test_init_honours_the_config_option(tmp_path: Path) -> None:
    """`init --config FILE` writes the starter there, like every command reads it there."""
    target = tmp_path / "etc" / "syncd.yaml"
    code, out, _ = cli("init", "--config", str(target))
    assert code == 0, out
    assert target.exists()


def test_a_vendor_message_is_printed_as_it_is_never_as_markup_or_emoji() -> None:
    """An error naming a line (":100:" is an emoji code to rich) or holding brackets (rich
    markup) is printed literally; "[/x]" used to crash the print."""
    from io import StringIO

    from rich.console import Console

    from syncd.apply import ApplyResult
    from syncd.cli import out
    from syncd.clioutput import print_reports
    from syncd.engine import RunReport
    from syncd.plan import Plan

    report = RunReport("web", Plan("web"), run_id=1, result=ApplyResult())
    report.member_errors = {"plan": "plan.xml:100: [/x] not well-formed [bold]"}
    console = Console(file=StringIO(), width=200, emoji=out._emoji)
    print_reports(console, [report])
    assert "plan.xml:100: [/x] not well-formed [bold]" in console.file.getvalue()
