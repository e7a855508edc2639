"""Settings shared by the whole suite.

Hypothesis profiles: ``dev`` (the default) explores freshly each run; ``ci`` (chosen when
``CI`` is set, or with ``HYPOTHESIS_PROFILE=ci``) is derandomized so a CI run is reproducible,
and prints the blob needed to replay a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import settings

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


# The credentials the suite's tests give syncd (the simulators' demo ones and each test
# module's own). None may appear in what any test's syncd printed: its captured stdout and
# stderr, where syncd's log lines and messages go. ("Captured log" is left out: pytest's own
# handler sees a log record before syncd's redacting formatter does.)
KNOWN_SECRETS = (
    "sim-token",
    "sim-secret",
    "pg-PASSWORD-5e6f7a8b",
    "hook-s3cret-value",
    "tok-Hx7Q2mZr9LwP4sVb",
    "asana-contract-1",
    "asana-flow-token",
    "asana-hooks-1",
    "asana-hooks-2",
    "atl-TOKEN-9f8e7d6c5b4a",
    "e2e-asana-token",
    "flow-token-1",
    "hook-token-1",
    "tok-9f8e7d6c5b4a",
    "tok/SECRET+1234=abcd",
    "trello-TOKEN-0a1b2c3d4e",
    "trello-token-0123456789abcdef",
    "trello-token-5678",
    "whs-Kd83NfQ0aLe5TgUy",
)
_LEAKS: dict[str, None] = {}  # in order, once each (a report repeats earlier phases' output)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for title, content in report.sections:
        if "stdout" not in title and "stderr" not in title:
            continue
        found = [secret for secret in KNOWN_SECRETS if secret in content]
        _LEAKS.update(dict.fromkeys(f"{report.nodeid} ({title}): {secret!r}" for secret in found))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LEAKS:
        terminalreporter.section("credentials printed by syncd", red=True)
        for leak in _LEAKS:
            terminalreporter.write_line(leak)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _LEAKS and exitstatus == 0:
        session.exitstatus = 1  # a credential in syncd's output fails the run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        help="run the fault scenarios of tests/faults at soak length (long; not in CI)",
    )


@pytest.fixture(autouse=True)
def _isolated_logging() -> Iterator[None]:
    """Each test starts from structlog's defaults, whatever an earlier test configured."""
    saved = structlog.get_config()
    structlog.reset_defaults()
    yield
    structlog.configure(**saved)
