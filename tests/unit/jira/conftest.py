"""What every Jira unit test shares: no site or recent-write cache survives a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.jira.adapter import forget_recent_writes
from adapters.jira.site import forget_sites


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    forget_sites()
    forget_recent_writes()
    yield
    forget_sites()
    forget_recent_writes()
