"""The fault suite's figures: gathered by its tests, printed at the end of the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.checks import Figures

_FIGURES: dict[str, Figures] = {}


def _figures(title: str) -> Iterator[Figures]:
    yield _FIGURES.setdefault(title, Figures())


@pytest.fixture(scope="session")
def kill_figures() -> Iterator[Figures]:
    yield from _figures("kill points (SIGKILL before and after every journal and vendor write)")


@pytest.fixture(scope="session")
def fault_figures() -> Iterator[Figures]:
    yield from _figures("randomized fault scenarios (four tools, people, faults, kills)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for title, figures in _FIGURES.items():
        terminalreporter.section(f"faults: {title}")
        for line in figures.lines():
            terminalreporter.write_line(line)
