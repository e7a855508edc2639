"""Structured logging: structlog, one line per event, never a secret.

`configure_logging` sets up structlog and the standard library's logging (so that uvicorn,
httpx and SQLAlchemy lines go the same way) to write to stderr: key-value lines on a terminal,
JSON lines otherwise. Every event passes through `RedactProcessor`, which masks every secret the
`Redactor` knows and the values of keys named like credentials, at every level.

`bind_run` puts ``group``, ``member`` and ``run_id`` in the context of the current task, so every
line of a sync carries them. Event names (``sync.action.applied``, ``http.request``) are chosen
by the callers and are stable: tests and dashboards rely on them.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from syncd.redact import Redactor, default_redactor

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "critical": 50}
# Libraries that log request URLs (with query-string credentials) on their own; our
# `http.request` event replaces their lines, so only their warnings are kept.
_CHATTY_LOGGERS = ("httpx", "httpcore", "hpack")
_HANDLER_MARK = "_syncd_handler"


class RedactProcessor:
    """A structlog processor that redacts every value of the event dict.

    Args:
        redactor: the secrets to mask; it is consulted at each event, so secrets added after
            logging was configured are masked too.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        """Return a redacted copy of the event dict (see `Redactor.redact_data`)."""
        return cast(EventDict, self.redactor.redact_data(event_dict))


def _add_logger_name(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    name = getattr(logger, "name", None)
    if isinstance(name, str) and name:
        event_dict.setdefault("logger", name)
    return event_dict


def build_processors(redactor: Redactor | None = None) -> list[Processor]:
    """Return the processors every event goes through before rendering.

    Tests pass them to ``structlog.testing.capture_logs(processors=...)`` to see events as
    they would be written.

    Args:
        redactor: the secrets to mask; defaults to `default_redactor()`.

    Returns:
        Context merge, logger name, level, UTC ISO timestamp, exception formatting and
        redaction, in order.
    """
    return [
        structlog.contextvars.merge_contextvars,
        _add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        # Exceptions become text before redaction, so a secret in a message or a traceback
        # is masked like any other value.
        structlog.processors.format_exc_info,
        RedactProcessor(redactor or default_redactor()),
    ]


def configure_logging(
    level: str = "info", json: bool | None = None, redactor: Redactor | None = None
) -> None:
    """Configure structlog and standard logging to write redacted lines to stderr.

    Calling it again replaces the previous configuration.

    Args:
        level: the lowest level written: debug, info, warning, error or critical.
        json: JSON lines if True, key-value console lines if False; None chooses JSON unless
            stderr is a terminal.
        redactor: the secrets to mask; defaults to `default_redactor()`.

    Raises:
        ValueError: the level is not one of the names above.
    """
    numeric = _LEVELS.get(level.lower())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(_LEVELS)}")
    use_json = not sys.stderr.isatty() if json is None else json
    redactor = redactor or default_redactor()
    structlog.configure(
        processors=[
            *build_processors(redactor),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.stdlib.LoggerFactory(),
        # Not cached, so that a later `configure_logging` (or capture_logs) takes effect on
        # loggers created at import time.
        cache_logger_on_first_use=False,
    )
    _configure_stdlib(numeric, _renderer(use_json), redactor)


def _renderer(use_json: bool) -> Processor:
    if use_json:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())


def _configure_stdlib(level: int, renderer: Processor, redactor: Redactor) -> None:
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            RedactProcessor(redactor),
            renderer,
        ],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


class _StderrHandler(logging.Handler):
    """Write records to whatever ``sys.stderr`` is at the time (pytest swaps it per test)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        # Logging must never crash the caller; the standard library handlers do the same.
        except Exception:  # noqa: BLE001
            self.handleError(record)


def get_logger(name: str) -> FilteringBoundLogger:
    """Return a logger whose events carry ``logger=name``.

    Safe to call at import time: the logger follows the configuration in force when it logs.

    Args:
        name: usually the module's ``__name__``.

    Returns:
        A structlog bound logger.
    """
    return cast(FilteringBoundLogger, structlog.get_logger(name))


def new_run_id() -> str:
    """Return a fresh, short run identifier for `bind_run`."""
    return uuid.uuid4().hex[:12]


@contextmanager
def bind_run(*, group: str, member: str | None = None, run_id: str | None = None) -> Iterator[str]:
    """Bind group, member and run id to every log line of the current task, inside a ``with``.

    Args:
        group: the group being synced.
        member: the member being worked on, if the lines concern one.
        run_id: the run's id; a new one is made when None.

    Returns:
        A context manager yielding the run id; leaving it restores the previous context.
    """
    values = {"group": group, "run_id": run_id or new_run_id()}
    if member is not None:
        values["member"] = member
    with structlog.contextvars.bound_contextvars(**values):
        yield values["run_id"]
