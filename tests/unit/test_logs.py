"""Structured logging: format, context, levels, and no secret ever written."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import structlog
from structlog.testing import capture_logs

from syncd.logs import bind_run, build_processors, configure_logging, get_logger
from syncd.redact import Redactor

TOKEN = "atl-TOKEN-9f8e7d6c5b4a"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([TOKEN])


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _log_every_form(log: structlog.typing.FilteringBoundLogger) -> None:
    basic = base64.b64encode(f"pm@acme.example:{TOKEN}".encode()).decode()
    log.debug("plain", note=f"token={TOKEN}")
    log.debug("url", url=f"https://api.trello.com/1/cards?key=k1&token={quote(TOKEN)}")
    log.debug("headers", headers={"Authorization": f"Basic {basic}", "X-Other": TOKEN})
    log.debug("nested", items=[{"deep": (TOKEN,)}], password="hunter2-not-known")
    try:
        raise RuntimeError(f"401 for {TOKEN}")
    except RuntimeError:
        log.exception("failed")
    log.debug(f"event text with {TOKEN}")


def test_token_never_reaches_stderr_in_any_form(
    capsys: pytest.CaptureFixture[str], redactor: Redactor
) -> None:
    """At debug level, a token logged plain, in a URL, header, list or exception never shows."""
    configure_logging("debug", json=True, redactor=redactor)
    _log_every_form(get_logger("test"))
    err = capsys.readouterr().err
    assert len(_json_lines(err)) == 6
    assert TOKEN not in err
    assert quote(TOKEN) not in err
    assert "hunter2-not-known" not in err
    assert "RuntimeError" in err


def test_token_never_reaches_capture_logs(redactor: Redactor) -> None:
    """The configured processors leave no token in any captured event value."""
    configure_logging("debug", json=True, redactor=redactor)
    with capture_logs(processors=build_processors(redactor)) as events:
        _log_every_form(get_logger("test"))
    assert len(events) == 6
    assert TOKEN not in repr(events)
    assert all(event["log_level"] in {"debug", "error"} for event in events)


def test_stdlib_log_lines_are_redacted(
    capsys: pytest.CaptureFixture[str], redactor: Redactor
) -> None:
    """Lines from libraries using standard logging are rendered and redacted the same way."""
    configure_logging("debug", json=True, redactor=redactor)
    logging.getLogger("uvicorn.error").warning("bad request with %s", TOKEN)
    lines = _json_lines(capsys.readouterr().err)
    assert lines[0]["event"] == "bad request with ***"
    assert lines[0]["logger"] == "uvicorn.error"


def test_json_lines_carry_utc_timestamp_and_level(capsys: pytest.CaptureFixture[str]) -> None:
    """Each JSON line has the event, its level and a UTC ISO 8601 timestamp."""
    configure_logging("info", json=True, redactor=Redactor())
    get_logger("syncd.test").info("sync.action.applied", uid="u1")
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "sync.action.applied"
    assert line["level"] == "info"
    assert line["logger"] == "syncd.test"
    assert str(line["timestamp"]).endswith("Z")


def test_console_rendering_is_key_value(capsys: pytest.CaptureFixture[str]) -> None:
    """With json=False, lines are human key=value lines, not JSON."""
    configure_logging("info", json=False, redactor=Redactor())
    get_logger("t").info("sync.done", records=3)
    err = capsys.readouterr().err
    assert "sync.done" in err
    assert "records=3" in err
    assert not err.lstrip().startswith("{")


def test_auto_format_is_json_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """json=None writes JSON lines when stderr is not a terminal (as under pytest)."""
    configure_logging("info", redactor=Redactor())
    get_logger("t").info("auto.format")
    assert _json_lines(capsys.readouterr().err)[0]["event"] == "auto.format"


def test_level_filters_lower_events(capsys: pytest.CaptureFixture[str]) -> None:
    """At info level, debug events are not written."""
    configure_logging("info", json=True, redactor=Redactor())
    log = get_logger("t")
    log.debug("hidden")
    log.info("shown")
    assert [line["event"] for line in _json_lines(capsys.readouterr().err)] == ["shown"]


def test_configure_twice_writes_each_line_once(capsys: pytest.CaptureFixture[str]) -> None:
    """Configuring again replaces the previous setup instead of duplicating output."""
    configure_logging("info", json=True, redactor=Redactor())
    configure_logging("debug", json=True, redactor=Redactor())
    get_logger("t").debug("once")
    logging.getLogger("lib").info("lib.once")
    events = [line["event"] for line in _json_lines(capsys.readouterr().err)]
    assert events == ["once", "lib.once"]


def test_logger_made_before_configuration_follows_it(capsys: pytest.CaptureFixture[str]) -> None:
    """A module-level logger created before configuration uses the configuration in force."""
    early = get_logger("early")
    configure_logging("info", json=True, redactor=Redactor())
    early.info("late.configured")
    assert _json_lines(capsys.readouterr().err)[0]["event"] == "late.configured"


def test_bind_run_adds_context_to_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Inside bind_run every line carries group, member and run_id, and not after it."""
    configure_logging("info", json=True, redactor=Redactor())
    log = get_logger("t")
    with bind_run(group="website", member="acme-jira", run_id="r1") as run_id:
        log.info("one")
        log.info("two")
    log.info("after")
    lines = _json_lines(capsys.readouterr().err)
    assert run_id == "r1"
    assert [(x.get("group"), x.get("member"), x.get("run_id")) for x in lines] == [
        ("website", "acme-jira", "r1"),
        ("website", "acme-jira", "r1"),
        (None, None, None),
    ]


def test_bind_run_makes_a_run_id() -> None:
    """Without a run id, bind_run makes a fresh one."""
    with bind_run(group="g") as first, bind_run(group="g") as second:
        assert first != second


def test_unknown_level_is_refused() -> None:
    """An unknown level name raises ValueError naming the valid ones."""
    with pytest.raises(ValueError, match="debug"):
        configure_logging("verbose")
