"""What every simulator shares: injected faults, and serving an ASGI app with uvicorn on
127.0.0.1 (in a thread for tests, or in the foreground for ``python -m adapters.<tool>.simulator``)
until a signal stops it cleanly.

Vendor simulators (``adapters/<tool>/simulator/``) never import one another; this module is
theirs in common. It imports nothing from the engine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STARTUP_TIMEOUT = 10.0


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening-ready socket (port 0: an ephemeral port)."""
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY on accepted connections only when
    # the listening socket says it is TCP; without it every small answer on a kept-alive
    # connection waited ~40 ms for the client's delayed ACK (uvicorn issue #3149).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


def server_for(app: ASGIApp) -> uvicorn.Server:
    """A quiet uvicorn server for ``app`` (HTTP/1.1, no websockets, no lifespan).

    ``log_config=None``: uvicorn leaves the process's logging configuration alone (its default
    would take over the ``uvicorn.*`` loggers of the host application).
    """
    config = uvicorn.Config(
        app,
        http="h11",
        date_header=False,  # each simulator sends Date from its own clock, as the vendor does
        ws="none",
        lifespan="off",
        log_config=None,
        log_level=None,
        access_log=False,
    )
    return uvicorn.Server(config)


@contextmanager
def serve_app(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` in a background thread and yield its base URL (``http://127.0.0.1:<port>``).

    Raises:
        RuntimeError: the server did not start within 10 seconds.
    """
    sock = bind(host, port)
    server = server_for(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulator's server did not start")
        time.sleep(0.01)


def run_until_signalled(
    app: ASGIApp, sock: socket.socket, on_exit: Callable[[], None] | None = None
) -> None:
    """Serve ``app`` on ``sock`` in the foreground until SIGTERM or SIGINT; then ``on_exit``."""
    server = server_for(app)
    try:
        with stop_on_signals(server):
            server.run(sockets=[sock])
    finally:
        sock.close()
        if on_exit is not None:
            on_exit()


@contextmanager
def stop_on_signals(server: uvicorn.Server) -> Iterator[None]:
    """SIGTERM and SIGINT stop the server gracefully (and we save the state after); the
    previous handlers are restored. uvicorn's own handling would re-raise the signal and end
    the process before the state is saved."""

    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    server.capture_signals = _no_capture  # type: ignore[method-assign]
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _no_capture() -> Iterator[None]:
    yield


# --- injected faults -----------------------------------------------------------------------


# How a fault meets a request. "answer": the vendor's answer is replaced by ``status`` (and
# ``body``); the request is not served. The others break the connection or the answer itself,
# as real networks and proxies do, and are carried out by `FaultMiddleware`:
#   "reset"    the connection is closed after the answer's headers; the request is not served;
#   "drop"     the request IS served (its change is made), then the connection is closed midway
#              through the answer: the client cannot know whether its write happened;
#   "truncate" the request is served; the answer arrives whole but with its body cut in half
#              (invalid JSON, with a 200);
#   "garble"   the request is not served; the answer is a 200 whose body is not JSON.
FAULT_MODES = ("answer", "reset", "drop", "truncate", "garble")


@dataclass
class Fault:
    """Answer requests matching ``method`` and ``path`` (a regex searched in the URL path) with
    ``status`` (None: only wait ``delay`` seconds, then serve normally), ``times`` times
    (None: until removed), after letting the first ``skip`` matching requests through (a listing
    that fails on its third page). ``mode`` (see FAULT_MODES) breaks the connection instead."""

    path: str = ".*"
    method: str | None = None
    status: int | None = 500
    times: int | None = 1
    delay: float = 0.0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "answer"
    skip: int = 0
    id: int = 0

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}; one of {FAULT_MODES}")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    def response_body(self, error: Callable[[str], Any]) -> Any:
        """The body to answer: the one given, else the vendor's error body (``error``)."""
        if self.body is not None:
            return self.body
        return error(f"Injected fault: HTTP {self.status}.")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "times": self.times,
            "delay": self.delay,
            "body": self.body,
            "headers": self.headers,
            "mode": self.mode,
            "skip": self.skip,
        }


class FaultSet:
    """The faults in force; the first match is used and counts down."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, fault: Fault) -> Fault:
        fault.id = next(self._ids)
        self._faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) < before

    def clear(self) -> None:
        self._faults.clear()

    def all(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str, path: str, *, answering: bool = True) -> Fault | None:
        """The matching fault, used once: among "answer" faults (the simulator's handlers), or
        among those breaking the connection (``answering=False``: `FaultMiddleware`)."""
        for fault in self._faults:
            if (fault.mode == "answer") == answering and fault.matches(method, path):
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None


# --- clocks, and what every simulator object does ---------------------------------------------

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told (deterministic tests and demos)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2024, 1, 31, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float = 1.0) -> datetime:
        """Move forward; returns the new time."""
        self.current += timedelta(seconds=seconds)
        return self.current


async def injected_fault(sim: SimulatorBase, method: str, path: str) -> Fault | None:
    """The fault a request meets: it is taken (counting down), its delay waited; None when
    there is none, or when it only delays (the request is then served normally)."""
    with sim.lock:
        fault = sim.faults.take(method, path)
    if fault is None:
        return None
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
    return None if fault.status is None else fault


class ConnectionBroken(Exception):
    """Raised by `FaultMiddleware` after part of an answer was sent: the server (uvicorn) then
    closes the connection, and the client sees it end before the answer is complete."""


class FaultMiddleware:
    """Carries out the faults that break a connection or an answer ("reset", "drop",
    "truncate", "garble"; see FAULT_MODES) around a simulator's ASGI app."""

    def __init__(self, sim: SimulatorBase, app: ASGIApp) -> None:
        self.sim = sim
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.sim.lock:
            fault = self.sim.faults.take(scope["method"], scope["path"], answering=False)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.mode == "reset":
            await send(_start(200, [(b"content-type", b"application/json")], 64))
            raise ConnectionBroken("injected fault: connection reset before the answer")
        if fault.mode == "garble":
            body = b'{"injected": "fault", "cut'
            await send(_start(200, [(b"content-type", b"application/json")], len(body)))
            await send({"type": "http.response.body", "body": body})
            return
        start, body = await _served(self.app, scope, receive)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        half = body[: len(body) // 2]
        if fault.mode == "truncate":
            await send(_start(start["status"], headers, len(half)))
            await send({"type": "http.response.body", "body": half})
            return
        await send(_start(start["status"], headers, len(body)))  # "drop"
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise ConnectionBroken("injected fault: connection dropped in the middle of the answer")


def _start(status: int, headers: list[tuple[bytes, bytes]], length: int) -> Message:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [*headers, (b"content-length", str(length).encode())],
    }


async def _served(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    """Serve the request in full; its answer's start message and body."""
    messages: list[Message] = []

    async def keep(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, keep)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start, body


class SimulatorBase:
    """Faults, the state as JSON, and a reset, for a simulator that has ``lock``, ``faults``,
    ``calls`` and ``state`` (a pydantic model); ``_forget`` forgets its own tokens and budgets."""

    lock: threading.RLock
    faults: FaultSet
    calls: Counter[tuple[str, str]]
    state: BaseModel

    def fail(
        self,
        path: str = ".*",
        status: int | None = 500,
        *,
        method: str | None = None,
        times: int | None = 1,
        delay: float = 0.0,
        body: Any = None,
        headers: dict[str, str] | None = None,
        mode: str = "answer",
        skip: int = 0,
    ) -> Fault:
        """Answer the next ``times`` matching calls with ``status`` (None: only ``delay``), or
        break them as ``mode`` says, after letting ``skip`` of them through."""
        fault = Fault(path, method, status, times, delay, body, dict(headers or {}), mode, skip)
        with self.lock:
            return self.faults.add(fault)

    def reset(self) -> None:
        """Forget faults, counted calls, and the simulator's tokens and budgets (not the data)."""
        with self.lock:
            self.faults.clear()
            self.calls.clear()
            self._forget()

    def _forget(self) -> None:
        """Forget what a subclass keeps besides the data (page tokens, rate-limit budgets)."""

    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-ready data."""
        with self.lock:
            return self.state.model_dump(mode="json")

    def save(self, path: Path | str) -> None:
        """Write the state to a JSON file (atomically)."""
        target = Path(path)
        temporary = target.with_suffix(target.suffix + ".tmp")
        temporary.write_text(json.dumps(self.dump(), indent=1), encoding="utf-8")
        temporary.replace(target)


# --- the /_sim/ control API -------------------------------------------------------------------

_FAULT_KEYS = {"path", "method", "status", "times", "delay", "body", "headers", "mode", "skip"}


def control_routes(
    sim: Any, *, config_keys: frozenset[str], make_limit: Callable[..., Any]
) -> list[Route]:
    """The simulator's own control API under ``/_sim/`` (not part of any vendor's API).

    ```
    POST   /_sim/faults        {"method", "path" (regex), "status", "times", "delay", "body",
                                "headers", "mode", "skip"} -> 201 the fault
    GET    /_sim/faults        the faults in force
    DELETE /_sim/faults[/{id}] remove all faults, or one
    GET    /_sim/calls         {"calls": {"GET <path template>": 3, ...}}
    POST   /_sim/reset         forget faults, calls and rate-limit budgets (and tokens)
    GET    /_sim/state         the whole state (JSON)
    PATCH  /_sim/config        {<config_keys>, "rate_limit": {...} | null}
    POST   /_sim/clock         {"advance": seconds} (only with a ManualClock)
    ```

    Args:
        sim: a simulator: ``lock``, ``faults``, ``calls``, ``store.clock``, ``rate_limit``,
            ``fail(...)``, ``reset()`` and ``dump()``.
        config_keys: the simulator's attributes ``PATCH /_sim/config`` may set.
        make_limit: builds the simulator's rate limit from its JSON fields.
    """
    control = _Control(sim, config_keys, make_limit)
    return [
        Route("/_sim/faults", control.add_fault, methods=["POST"]),
        Route("/_sim/faults", control.list_faults, methods=["GET"]),
        Route("/_sim/faults", control.clear_faults, methods=["DELETE"]),
        Route("/_sim/faults/{id:int}", control.clear_faults, methods=["DELETE"]),
        Route("/_sim/calls", control.calls, methods=["GET"]),
        Route("/_sim/reset", control.reset, methods=["POST"]),
        Route("/_sim/state", control.state, methods=["GET"]),
        Route("/_sim/config", control.config, methods=["PATCH"]),
        Route("/_sim/clock", control.clock, methods=["POST"]),
    ]


class _Control:
    def __init__(
        self, sim: Any, config_keys: frozenset[str], make_limit: Callable[..., Any]
    ) -> None:
        self.sim = sim
        self.config_keys = config_keys
        self.make_limit = make_limit

    async def add_fault(self, request: Request) -> Response:
        spec = await _object(request)
        unknown = set(spec) - _FAULT_KEYS
        if unknown:
            return _problem(f"unknown fault keys: {sorted(unknown)}")
        try:
            fault = self.sim.fail(**spec)
        except ValueError as exc:
            return _problem(str(exc))
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
        unknown = set(changes) - self.config_keys - {"rate_limit"}
        if unknown:
            return _problem(f"unknown config keys: {sorted(unknown)}")
        with self.sim.lock:
            for key in self.config_keys & set(changes):
                setattr(self.sim, key, changes[key])
            if "rate_limit" in changes:
                limit = changes["rate_limit"]
                self.sim.rate_limit = self.make_limit(**limit) if limit else None
            found = {key: getattr(self.sim, key) for key in sorted(self.config_keys)}
            limit = self.sim.rate_limit
            found["rate_limit"] = vars(limit) if limit else None
            return JSONResponse(found)

    async def clock(self, request: Request) -> Response:
        clock = self.sim.store.clock
        if not hasattr(clock, "advance"):  # a ManualClock
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
