"""A binary project file (.mpp) is a read-only member, read through MPXJ in a Java subprocess."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters.msproject import mpp
from syncd.errors import Unsupported
from tests.contract.adapter_suite import run
from tests.unit.msproject.helpers import WEBSITE, adapter_for


def test_a_read_only_member_writes_nothing(tmp_path: Path) -> None:
    """An .mpp member can read every field but write none, and says so when asked to."""
    adapter = adapter_for(tmp_path / "plan.mpp")
    assert adapter.capabilities.reads("task")
    assert not adapter.capabilities.writes("task")
    assert not adapter.capabilities.markers

    async def body() -> None:
        with pytest.raises(Unsupported, match="only reads"):
            await adapter.create("task", {"title": "x"}, uid="u")

    run(body())


@pytest.mark.slow
def test_an_mpp_member_lists_the_plan_through_mpxj(tmp_path: Path) -> None:
    """MPXJ converts the file (it detects the format from the content) and records list."""
    problem = mpp.java_problem()
    if problem:
        pytest.skip(f"MPXJ is not usable here: {problem}")
    path = tmp_path / "website.mpp"  # MPXJ's reader detects the format from the content
    shutil.copyfile(WEBSITE, path)

    async def body() -> None:
        async with adapter_for(path) as adapter:
            checked = await adapter.check()
            assert checked.ok, checked.problems
            listing = await adapter.fetch(None)
        titles = {r.values.get("title") for r in listing.records}
        assert {"Wireframes", "Frontend", "Launch"} <= titles
        assert listing.complete

    run(body())
