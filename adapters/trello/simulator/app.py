"""The ASGI app: the vendor API's routes under ``/1`` behind one pipeline, and the ``/_sim/``
control API.

Each vendor call goes: count -> injected fault -> read parameters -> authenticate -> rate limit
-> latency -> prepare (a webhook's HEAD check) -> handler (under the simulator's lock) ->
webhooks. A raised `TrelloError` becomes Trello's error answer (plain text, or JSON).
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.simulation import injected_fault
from adapters.trello.simulator import (
    actions,
    batch,
    boards,
    cards,
    control,
    customfields,
    webhooks,
)
from adapters.trello.simulator.call import Call, Endpoint, Reply
from adapters.trello.simulator.errors import (
    INVALID_JSON,
    INVALID_KEY,
    INVALID_TOKEN,
    TrelloError,
    unauthorized,
)
from adapters.trello.simulator.model import Member, Token

if TYPE_CHECKING:
    from adapters.trello.simulator.core import TrelloSimulator

API = "/1"
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
ENDPOINTS: tuple[Endpoint, ...] = (
    *boards.ENDPOINTS,
    *cards.ENDPOINTS,
    *customfields.ENDPOINTS,
    *actions.ENDPOINTS,
    *batch.ENDPOINTS,
    *webhooks.ENDPOINTS,
)
# Authorization: OAuth oauth_consumer_key="KEY", oauth_token="TOKEN"
# https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/
_OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


def build_app(sim: TrelloSimulator) -> Starlette:
    """The simulator's ASGI app."""
    routes: list[BaseRoute] = list(control.routes(sim))
    for endpoint in sorted(ENDPOINTS, key=lambda e: e.path.count("{")):
        serve = _endpoint(sim, endpoint)
        routes.append(Route(API + endpoint.path, serve, methods=[endpoint.method]))
        if endpoint.path.endswith("/"):  # Trello answers /1/webhooks and /1/webhooks/ alike
            routes.append(Route(API + endpoint.path[:-1], serve, methods=[endpoint.method]))
    methods = ["GET", "POST", "PUT", "DELETE"]
    routes.append(Route(API + "/{rest:path}", _unknown(sim), methods=methods))
    return Starlette(routes=routes)


def _endpoint(sim: TrelloSimulator, endpoint: Endpoint) -> Any:
    template = API + endpoint.path

    async def serve(request: Request) -> Response:
        sim.calls[(request.method, template)] += 1
        early = await _fault(sim, request)
        if early is not None:
            return early
        limits: dict[str, str] = {}
        try:
            args = await _arguments(request)
            with sim.lock:
                member, token = _authenticate(sim, request, args)
                if sim.limiter is not None:
                    limits = sim.limiter.charge(token.key, token.token, sim.store.now())
            reply = await _handle(sim, endpoint, _call(sim, request, member, token, args))
        except TrelloError as error:
            return _answer(sim, error.status, error.body, {**limits, **error.headers})
        return _answer(sim, reply.status, reply.body, {**limits, **reply.headers})

    return serve


async def _handle(sim: TrelloSimulator, endpoint: Endpoint, call: Call) -> Reply:
    if sim.latency > 0:
        await asyncio.sleep(sim.latency)
    if endpoint.prepare is not None:
        await endpoint.prepare(call)
    with sim.lock:
        mark = len(sim.store.state.actions)
        reply = endpoint.handler(call)
        fresh = sim.store.state.actions[mark:]
    sim.webhooks.send(fresh)
    return reply


async def _fault(sim: TrelloSimulator, request: Request) -> Response | None:
    """The first matching injected fault's answer (None: serve normally)."""
    fault = await injected_fault(sim, request.method, request.url.path)
    if fault is None or fault.status is None:
        return None
    return _answer(sim, fault.status, fault.response_body(lambda text: text), fault.headers)


async def _arguments(request: Request) -> dict[str, Any]:
    """The query parameters, overridden by those of a JSON or form body."""
    args: dict[str, Any] = dict(request.query_params)
    raw = await request.body()
    if not raw.strip():
        return args
    if "form-urlencoded" in request.headers.get("content-type", ""):
        return args | dict(parse_qsl(raw.decode()))
    try:
        body = json.loads(raw)
    except ValueError:
        raise TrelloError(400, INVALID_JSON) from None
    return args | body if isinstance(body, dict) else args


def _authenticate(
    sim: TrelloSimulator, request: Request, args: dict[str, Any]
) -> tuple[Member, Token]:
    """The member and token of the call: an ``Authorization: OAuth ...`` header, or the
    ``key`` and ``token`` parameters."""
    header = request.headers.get("authorization", "")
    oauth = dict(_OAUTH_PARAM.findall(header)) if header.lower().startswith("oauth ") else {}
    key = oauth.get("oauth_consumer_key") or args.get("key")
    secret = oauth.get("oauth_token") or args.get("token")
    state = sim.store.state
    if not isinstance(key, str) or key not in state.apps:
        raise unauthorized(INVALID_KEY)
    if not secret:
        raise unauthorized()
    token = state.tokens.get(str(secret))
    if token is None or token.key != key or token.member not in state.members:
        raise unauthorized(INVALID_TOKEN)
    return state.members[token.member], token


def _call(
    sim: TrelloSimulator, request: Request, member: Member, token: Token, args: dict[str, Any]
) -> Call:
    base = f"{request.url.scheme}://{request.url.netloc}{API}"
    path = request.url.path.removeprefix(API)
    params = {k: str(v) for k, v in request.path_params.items()}
    return Call(sim, member, token, path, params, args, base)


def _answer(sim: TrelloSimulator, status: int, body: Any, headers: dict[str, str]) -> Response:
    # Date comes from the simulator's clock (clients read the server's time from it).
    now = format_datetime(sim.store.clock().astimezone(UTC), usegmt=True)
    headers = {**headers, "Date": now}
    if isinstance(body, str):
        return PlainTextResponse(body, status, headers=headers, media_type=TEXT_TYPE)
    return JSONResponse(body, status, headers=headers, media_type=JSON_TYPE)


def _unknown(sim: TrelloSimulator) -> Any:
    async def serve(request: Request) -> Response:
        sim.calls[(request.method, request.url.path)] += 1
        return _answer(sim, 404, f"Cannot {request.method} {request.url.path}", {})

    return serve
