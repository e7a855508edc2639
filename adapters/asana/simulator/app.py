"""The ASGI app: the vendor API's routes behind one pipeline, and the ``/_sim/`` control API.

Each vendor call goes: count -> injected fault -> authenticate -> rate limit -> in-flight
limit -> latency -> prepare (a webhook's handshake) -> handler (under the simulator's lock)
-> webhooks. A raised `AsanaError` becomes Asana's error answer.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.asana.simulator import batch, control, events, meta, relations, tasks, webhooks
from adapters.asana.simulator.call import Call, Endpoint, Reply
from adapters.asana.simulator.errors import AsanaError
from adapters.asana.simulator.model import User
from adapters.simulation import injected_fault

if TYPE_CHECKING:
    from adapters.asana.simulator.core import AsanaSimulator

API = "/api/1.0"
JSON_TYPE = "application/json; charset=UTF-8"
ENDPOINTS: tuple[Endpoint, ...] = (
    *meta.ENDPOINTS,
    *tasks.ENDPOINTS,
    *relations.ENDPOINTS,
    *events.ENDPOINTS,
    *webhooks.ENDPOINTS,
    *batch.ENDPOINTS,
)
# https://developers.asana.com/docs/errors: a request without a valid token.
NOT_AUTHORIZED = "Not Authorized"


def build_app(sim: AsanaSimulator) -> Starlette:
    """The simulator's ASGI app."""
    routes: list[BaseRoute] = list(control.routes(sim))
    for endpoint in sorted(ENDPOINTS, key=lambda e: e.path.count("{")):
        routes.append(
            Route(API + endpoint.path, _endpoint(sim, endpoint), methods=[endpoint.method])
        )
    routes.append(
        Route(API + "/{rest:path}", _unknown(sim), methods=["GET", "POST", "PUT", "DELETE"])
    )
    return Starlette(routes=routes)


def _endpoint(sim: AsanaSimulator, endpoint: Endpoint) -> Any:
    template = API + endpoint.path

    async def serve(request: Request) -> Response:
        sim.calls[(request.method, template)] += 1
        early = await _fault(sim, request)
        if early is not None:
            return early
        try:
            body = await _json_body(request)
            weight = _weight(endpoint, body)
            with sim.lock:
                user, token = _authenticate(sim, request)
                if sim.limiter is not None:
                    sim.limiter.charge(token, sim.store.now(), weight)
                    sim.limiter.enter(token, endpoint.writes, weight)
            try:
                reply = await _handle(sim, endpoint, _call(sim, request, user, body))
            finally:
                with sim.lock:
                    if sim.limiter is not None:
                        sim.limiter.leave(token, endpoint.writes, weight)
        except AsanaError as error:
            return _json(error.status, error.body(), {**error.headers, **_date(sim)})
        return _json(reply.status, reply.body, {**reply.headers, **_date(sim)})

    return serve


def _weight(endpoint: Endpoint, body: Any) -> int:
    """How many requests the limits count this one as: "a batch request with five actions
    counts as five separate requests in the standard rate limiter, and counts as five
    concurrent requests in the concurrent request limiter" (Asana's API description)."""
    if endpoint.path != "/batch" or not isinstance(body, dict):
        return 1
    data = body.get("data")
    actions = data.get("actions") if isinstance(data, dict) else None
    return max(1, len(actions)) if isinstance(actions, list) else 1


async def _handle(sim: AsanaSimulator, endpoint: Endpoint, call: Call) -> Reply:
    if sim.latency > 0:
        await asyncio.sleep(sim.latency)
    if endpoint.prepare is not None:
        await endpoint.prepare(call)
    with sim.lock:
        mark = len(sim.store.state.events)
        reply = endpoint.handler(call)
        fresh = sim.store.state.events[mark:]
    sim.webhooks.send(fresh)
    return reply


async def _fault(sim: AsanaSimulator, request: Request) -> Response | None:
    """The first matching injected fault's answer (None: serve normally)."""
    fault = await injected_fault(sim, request.method, request.url.path)
    if fault is None or fault.status is None:
        return None
    return _json(
        fault.status,
        fault.response_body(lambda message: AsanaError(fault.status or 500, message).body()),
        {**fault.headers, **_date(sim)},
    )


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise AsanaError(400, "Could not parse request data, invalid JSON") from None


def _authenticate(sim: AsanaSimulator, request: Request) -> tuple[User, str]:
    """The caller of a personal access token (``Authorization: Bearer <token>``)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    gid = sim.store.state.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if gid is None or gid not in sim.store.state.users:
        raise AsanaError(401, NOT_AUTHORIZED)
    return sim.store.state.users[gid], token.strip()


def _call(sim: AsanaSimulator, request: Request, user: User, body: Any) -> Call:
    base = f"{request.url.scheme}://{request.url.netloc}{API}"
    path = request.url.path.removeprefix(API)
    params = {k: str(v) for k, v in request.path_params.items()}
    return Call(sim, user, path, params, dict(request.query_params), body, base)


def _date(sim: AsanaSimulator) -> dict[str, str]:
    # Date comes from the simulator's clock (clients read the server's time from it).
    return {"Date": format_datetime(sim.store.clock().astimezone(UTC), usegmt=True)}


def _json(status: int, body: Any, headers: dict[str, str]) -> Response:
    return JSONResponse(body, status, headers=headers, media_type=JSON_TYPE)


def _unknown(sim: AsanaSimulator) -> Any:
    async def serve(request: Request) -> Response:
        sim.calls[(request.method, request.url.path)] += 1
        return _json(404, AsanaError(404, batch.NO_ROUTE).body(), _date(sim))

    return serve
