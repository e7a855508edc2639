"""The simulator's own control API under ``/_sim/`` (not part of Jira's API): the routes of
`adapters.simulation.control_routes`, and ``POST``/``DELETE /_sim/webhooks``
(``{"url", "secret", "events"}``).

PATCH /_sim/config sets ``search_lag``, ``latency``, the page sizes, ``token_ttl`` and
``rate_limit``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.jira.simulator.limits import RateLimit
from adapters.jira.simulator.webhooks import Webhook
from adapters.simulation import control_routes

if TYPE_CHECKING:
    from adapters.jira.simulator.core import JiraSimulator

_CONFIG_KEYS = frozenset(
    {"search_lag", "latency", "max_page", "light_max_page", "dc_max_results", "token_ttl"}
)


def routes(sim: JiraSimulator) -> Iterator[Route]:
    """The control routes bound to ``sim``."""
    yield from control_routes(sim, config_keys=_CONFIG_KEYS, make_limit=RateLimit)
    yield Route("/_sim/webhooks", _add_webhook(sim), methods=["POST"])
    yield Route("/_sim/webhooks", _clear_webhooks(sim), methods=["DELETE"])


def _add_webhook(sim: JiraSimulator) -> Callable[[Request], Awaitable[Response]]:
    async def add(request: Request) -> Response:
        spec = await request.json()
        hook = Webhook(str(spec["url"]), spec.get("secret"), spec.get("events"))
        sim.webhooks.hooks.append(hook)
        return JSONResponse({"url": hook.url, "events": hook.events}, 201)

    return add


def _clear_webhooks(sim: JiraSimulator) -> Callable[[Request], Awaitable[Response]]:
    async def clear(request: Request) -> Response:
        sim.webhooks.hooks.clear()
        return Response(status_code=204)

    return clear
