"""The simulator's own control API under ``/_sim/`` (not part of Trello's API).

POST   /_sim/faults        {"method", "path" (regex), "status", "times", "delay", "body",
                            "headers"} -> 201 the fault
GET    /_sim/faults        the faults in force
DELETE /_sim/faults[/{id}] remove all faults, or one
GET    /_sim/calls         {"calls": {"GET /1/cards/{id}": 3, ...}}
POST   /_sim/reset         forget faults, calls and rate-limit budgets
GET    /_sim/state         the whole state (JSON)
PATCH  /_sim/config        {"latency",
                            "rate_limit": {"key_requests", "token_requests", "window"} | null}
POST   /_sim/clock         {"advance": seconds} (only with a ManualClock)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.trello.simulator.limits import RateLimit
from adapters.trello.simulator.store import ManualClock

if TYPE_CHECKING:
    from adapters.trello.simulator.core import TrelloSimulator

_FAULT_KEYS = {"path", "method", "status", "times", "delay", "body", "headers"}
_CONFIG_KEYS = {"latency"}


def routes(sim: TrelloSimulator) -> Iterator[Route]:
    """The control routes bound to ``sim``."""
    control = _Control(sim)
    yield Route("/_sim/faults", control.add_fault, methods=["POST"])
    yield Route("/_sim/faults", control.list_faults, methods=["GET"])
    yield Route("/_sim/faults", control.clear_faults, methods=["DELETE"])
    yield Route("/_sim/faults/{id:int}", control.clear_faults, methods=["DELETE"])
    yield Route("/_sim/calls", control.calls, methods=["GET"])
    yield Route("/_sim/reset", control.reset, methods=["POST"])
    yield Route("/_sim/state", control.state, methods=["GET"])
    yield Route("/_sim/config", control.config, methods=["PATCH"])
    yield Route("/_sim/clock", control.clock, methods=["POST"])


class _Control:
    def __init__(self, sim: TrelloSimulator) -> None:
        self.sim = sim

    async def add_fault(self, request: Request) -> Response:
        spec = await _object(request)
        unknown = set(spec) - _FAULT_KEYS
        if unknown:
            return _problem(f"unknown fault keys: {sorted(unknown)}")
        fault = self.sim.fail(**spec)
        return JSONResponse(fault.as_json(), 201)

    async def list_faults(self, request: Request) -> Response:
        with self.sim.lock:
            return JSONResponse([f.as_json() for f in self.sim.faults.all()])

    async def clear_faults(self, request: Request) -> Response:
        with self.sim.lock:
            if "id" in request.path_params:
                found = self.sim.faults.remove(int(request.path_params["id"]))
                return Response(status_code=204 if found else 404)
            self.sim.faults.clear()
        return Response(status_code=204)

    async def calls(self, request: Request) -> Response:
        with self.sim.lock:
            counted = {f"{m} {p}": n for (m, p), n in sorted(self.sim.calls.items())}
        return JSONResponse({"calls": counted})

    async def reset(self, request: Request) -> Response:
        self.sim.reset()
        return Response(status_code=204)

    async def state(self, request: Request) -> Response:
        return JSONResponse(self.sim.dump())

    async def config(self, request: Request) -> Response:
        changes = await _object(request)
        unknown = set(changes) - _CONFIG_KEYS - {"rate_limit"}
        if unknown:
            return _problem(f"unknown config keys: {sorted(unknown)}")
        with self.sim.lock:
            _configure(self.sim, changes)
            return JSONResponse(_config(self.sim))

    async def clock(self, request: Request) -> Response:
        clock = self.sim.store.clock
        if not isinstance(clock, ManualClock):
            return _problem("the simulator runs on the system clock", 409)
        seconds = float((await _object(request)).get("advance", 0))
        with self.sim.lock:
            now = clock.advance(seconds)
        return JSONResponse({"now": now.isoformat()})


async def _object(request: Request) -> dict[str, Any]:
    body = await request.json() if (await request.body()).strip() else {}
    return body if isinstance(body, dict) else {}


def _problem(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status)


def _configure(sim: TrelloSimulator, changes: dict[str, Any]) -> None:
    for key in _CONFIG_KEYS & set(changes):
        setattr(sim, key, changes[key])
    if "rate_limit" in changes:
        limit = changes["rate_limit"]
        sim.rate_limit = RateLimit(**limit) if limit else None


def _config(sim: TrelloSimulator) -> dict[str, Any]:
    found: dict[str, Any] = {key: getattr(sim, key) for key in sorted(_CONFIG_KEYS)}
    limit = sim.rate_limit
    found["rate_limit"] = vars(limit) if limit else None
    return found
