"""The HTML report as a browser shows it: rendered by headless Chromium, checked by its text."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from syncd.model import Kind
from syncd.report import Report, build_report
from syncd.reporthtml import render_html
from syncd.state import RecordState
from tests.planning import group, record

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's `chromium` on PATH (.ci/run installs it)"
)

# Were titles not escaped, this would run in the browser and mark the page.
INJECTED = "<script>document.body.setAttribute('data-injected', 'yes')</script>"


def sample() -> Report:
    """A small plan: one milestone at risk, one on track, a budget, and a hostile title."""

    def rec(uid: str, kind: Kind = "task", **base: Any) -> RecordState:
        return record(uid, kind, links={"plan": uid}, **base)

    state = group(
        rec("m1", "milestone", title="Design approved", due="2027-03-20"),
        rec("m2", "milestone", title=f"Launch {INJECTED}", due="2027-05-03"),
        rec(
            "t1",
            title="Wireframes",
            milestone="m1",
            start="2027-03-01",
            due="2027-03-05",
            planned_cost="4000",
            actual_cost="4500",
            assignee="ana@acme.example",
        ),
        rec(
            "t2",
            title="Go live",
            milestone="m2",
            start="2027-04-26",
            due="2027-04-30",
            planned_cost="2000",
            assignee="ben@acme.example",
        ),
        rec("b", "budget", planned="15000", currency="EUR"),
    )
    return build_report(
        state,
        group="website",
        currency="EUR",
        today=dt.date(2027, 3, 10),
        people={},
        members={"plan": "plan"},
    )


class _Text(HTMLParser):
    """The page's visible text (style sheets left out), one string per text node."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "head")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "head")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def chromium(page: Path, tmp_path: Path, *action: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once on a local file, with everything that phones home off."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1100,1400",
        *action,
        page.as_uri(),
    ]
    return subprocess.run(  # noqa: S603 - a fixed command line on a file the test wrote
        command, capture_output=True, text=True, timeout=60, check=True
    )


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_html(sample()), encoding="utf-8")
    return path


def test_browser_shows_milestones_risk_and_budget(page: Path, tmp_path: Path) -> None:
    """Chromium renders the page with its timeline, risks, budget figures and both charts."""
    dom = chromium(page, tmp_path, "--dump-dom").stdout
    parser = _Text()
    parser.feed(dom)
    text = " ".join(parser.parts)
    assert "Project report: website" in text
    assert "Design approved" in text
    assert "at risk" in text
    assert "1 open task late: Wireframes (due 2027-03-05)" in text
    assert "today 2027-03-10" in text
    assert "15,000.00 EUR" in text  # the budget
    assert "6,000.00 EUR" in text  # planned, from the tasks
    assert "9,000.00" in text  # budget - planned
    assert dom.count("<svg") == 2
    assert 'aria-label="Milestone timeline"' in dom
    assert "<rect" in dom
    assert "<polygon" in dom


def test_browser_runs_no_script_from_a_title(page: Path, tmp_path: Path) -> None:
    """A title holding a script is shown as text; the browser never runs it."""
    dom = chromium(page, tmp_path, "--dump-dom").stdout
    assert 'data-injected="yes"' not in dom
    parser = _Text()
    parser.feed(dom)
    assert f"Launch {INJECTED}" in parser.parts


def test_browser_paints_the_page(page: Path, tmp_path: Path) -> None:
    """A screenshot of the page is a PNG of real size (the page lays out and paints)."""
    shot = tmp_path / "report.png"
    chromium(page, tmp_path, f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a blank 1100x1400 page compresses to a few kilobytes
