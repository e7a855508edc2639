"""The ASGI app: the vendor API's routes behind one pipeline, and the ``/_sim/`` control API.

Each vendor call goes: count -> latency -> injected fault -> authenticate -> rate limit ->
handler (under the simulator's lock) -> webhooks. A raised `JiraError` becomes Jira's error
answer. ``/_sim/`` is the simulator's own (not Jira's): faults, counters, config, state.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from datetime import UTC
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.jira.simulator import (
    control,
    issues,
    meta,
    properties,
    relations,
    search,
    webhook_admin,
    workflow,
)
from adapters.jira.simulator.call import Call, Endpoint, Reply
from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.model import User
from adapters.jira.simulator.render import Renderer
from adapters.simulation import injected_fault

if TYPE_CHECKING:
    from adapters.jira.simulator.core import JiraSimulator

JSON_TYPE = "application/json;charset=UTF-8"
ENDPOINTS: tuple[Endpoint, ...] = (
    *meta.ENDPOINTS,
    *search.ENDPOINTS,
    *issues.ENDPOINTS,
    *workflow.ENDPOINTS,
    *properties.ENDPOINTS,
    *relations.ENDPOINTS,
    *webhook_admin.ENDPOINTS,
)
# Cloud answers a request without valid credentials in plain text.
# https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
CLOUD_UNAUTHENTICATED = "Client must be authenticated to access this resource."
DC_UNAUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."


class Unauthenticated(JiraError):
    """No credentials, or credentials the site does not know."""

    def __init__(self) -> None:
        super().__init__(401, DC_UNAUTHENTICATED)


def build_app(sim: JiraSimulator) -> Starlette:
    """The simulator's ASGI app."""
    routes: list[BaseRoute] = list(control.routes(sim))
    # Literal paths first: PUT /issue/archive is not PUT /issue/{issueIdOrKey}.
    for endpoint in sorted(ENDPOINTS, key=lambda e: e.path.count("{")):
        if sim.flavor in endpoint.flavors:
            routes.append(
                Route(
                    endpoint.template(sim.api),
                    _endpoint(sim, endpoint),
                    methods=[endpoint.method],
                )
            )
    routes.append(
        Route("/rest/{rest:path}", _unknown(sim), methods=["GET", "POST", "PUT", "DELETE"])
    )
    return Starlette(routes=routes)


def _endpoint(sim: JiraSimulator, endpoint: Endpoint) -> Any:
    template = endpoint.template(sim.api)

    async def serve(request: Request) -> Response:
        sim.calls[(request.method, template)] += 1
        early = await _before(sim, request)
        if early is not None:
            return early
        try:
            body = await _json_body(request)
            with sim.lock:
                user, headers = _admit(sim, request, endpoint)
                call = _call(sim, request, user, body)
                reply = endpoint.handler(call)
            sim.webhooks.send(call.events)
        except JiraError as error:
            return _error(sim, error)
        return _reply(reply, {**headers, **_identity(sim, user)})

    return serve


async def _before(sim: JiraSimulator, request: Request) -> Response | None:
    """Latency, then the first matching injected fault (None: serve normally)."""
    if sim.latency > 0:
        await asyncio.sleep(sim.latency)
    fault = await injected_fault(sim, request.method, request.url.path)
    if fault is None or fault.status is None:
        return None
    body = fault.response_body(lambda message: {"errorMessages": [message], "errors": {}})
    if body == "" or fault.status == 204:
        return Response(status_code=fault.status, headers=fault.headers)
    return JSONResponse(body, fault.status, headers=fault.headers, media_type=JSON_TYPE)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise JiraError(400, "Unexpected character: the request body is not valid JSON.") from None


def _admit(sim: JiraSimulator, request: Request, endpoint: Endpoint) -> tuple[User, dict[str, str]]:
    """The caller, after authentication and rate limiting; the rate-limit headers to send."""
    user, secret = _authenticate(sim, request)
    headers: dict[str, str] = {}
    limiter = sim.rate_limiter
    if limiter is not None:
        now = sim.store.now()
        headers = limiter.charge(secret, now)
        issue_ref = request.path_params.get("issueIdOrKey")
        if endpoint.writes_issue and issue_ref is not None:
            issue = sim.store.issue(issue_ref)
            if issue is not None:
                limiter.charge_issue_write(issue.id, now)
    return user, headers


def _authenticate(sim: JiraSimulator, request: Request) -> tuple[User, str]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    login: str | None = None
    secret = value.strip()
    if scheme.lower() == "basic":
        try:
            login, _, secret = base64.b64decode(secret, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated() from None
    elif scheme.lower() != "bearer":
        raise Unauthenticated()
    user = sim.store.authenticate(login, secret) if secret else None
    if user is None or not user.active:
        raise Unauthenticated()
    return user, secret


def _call(sim: JiraSimulator, request: Request, user: User, body: Any) -> Call:
    base = f"{request.url.scheme}://{request.url.netloc}"
    render = Renderer(sim.store, sim.flavor, base, user, ZoneInfo(sim.time_zone))
    params = {k: str(v) for k, v in request.path_params.items()}
    return Call(sim, user, params, request.query_params, body, render)


def _identity(sim: JiraSimulator, user: User) -> dict[str, str]:
    # Cloud names the caller in X-AAccountId; Data Center in X-AUSERNAME.
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#special-request-headers
    # Date comes from the site's clock (clients read the server's time from it).
    date = format_datetime(sim.store.clock().astimezone(UTC), usegmt=True)
    if sim.flavor == "cloud":
        return {"X-AAccountId": user.account_id, "Date": date}
    return {"X-AUSERNAME": user.name, "Date": date}


def _reply(reply: Reply, headers: dict[str, str]) -> Response:
    merged = {**headers, **reply.headers}
    if reply.body is None:
        return Response(status_code=reply.status, headers=merged)
    return JSONResponse(reply.body, reply.status, headers=merged, media_type=JSON_TYPE)


def _error(sim: JiraSimulator, error: JiraError) -> Response:
    if isinstance(error, Unauthenticated):
        challenge = {"WWW-Authenticate": 'Basic realm="protected-area"'}
        if sim.flavor == "cloud":
            return PlainTextResponse(CLOUD_UNAUTHENTICATED, 401, headers=challenge)
        return JSONResponse(
            error.body(), 401, headers={**challenge, "X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
        )
    return JSONResponse(error.body(), error.status, headers=error.headers, media_type=JSON_TYPE)


def _unknown(sim: JiraSimulator) -> Any:
    async def serve(request: Request) -> Response:
        sim.calls[(request.method, request.url.path)] += 1
        # Jira's REST layer answers an unknown resource with its own 404 body.
        body = {"message": f"null for uri: {request.url}", "status-code": 404}
        return JSONResponse(body, 404, media_type=JSON_TYPE)

    return serve
