"""The simulator's own control API under ``/_sim/`` (not part of Asana's API): the routes
of `adapters.simulation.control_routes`.

PATCH /_sim/config sets ``latency``, ``offset_ttl``, ``sync_ttl`` and ``rate_limit``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from starlette.routing import Route

from adapters.asana.simulator.limits import RateLimit
from adapters.simulation import control_routes

if TYPE_CHECKING:
    from adapters.asana.simulator.core import AsanaSimulator

_CONFIG_KEYS = frozenset({"latency", "offset_ttl", "sync_ttl"})


def routes(sim: AsanaSimulator) -> Iterator[Route]:
    """The control routes bound to ``sim``."""
    yield from control_routes(sim, config_keys=_CONFIG_KEYS, make_limit=RateLimit)
