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
