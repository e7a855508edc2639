"""The simulator's own control API under ``/_sim/`` (not part of Trello's API): the routes
of `adapters.simulation.control_routes`.

PATCH /_sim/config sets ``latency`` and ``rate_limit``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from starlette.routing import Route

from adapters.simulation import control_routes
from adapters.trello.simulator.limits import RateLimit

if TYPE_CHECKING:
    from adapters.trello.simulator.core import TrelloSimulator

_CONFIG_KEYS = frozenset({"latency"})


def routes(sim: TrelloSimulator) -> Iterator[Route]:
    """The control routes bound to ``sim``."""
    yield from control_routes(sim, config_keys=_CONFIG_KEYS, make_limit=RateLimit)
