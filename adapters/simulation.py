"""What every simulator shares: injected faults, and serving an ASGI app with uvicorn on
127.0.0.1 (in a thread for tests, or in the foreground for ``python -m adapters.<tool>.simulator``)
until a signal stops it cleanly.

Vendor simulators (``adapters/<tool>/simulator/``) never import one another; this module is
theirs in common. It imports nothing from the engine.
"""

from __future__ import annotations

import itertools
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT = 10.0


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening-ready socket (port 0: an ephemeral port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
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


@dataclass
class Fault:
    """Answer requests matching ``method`` and ``path`` (a regex searched in the URL path) with
    ``status`` (None: only wait ``delay`` seconds, then serve normally), ``times`` times
    (None: until removed)."""

    path: str = ".*"
    method: str | None = None
    status: int | None = 500
    times: int | None = 1
    delay: float = 0.0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    id: int = 0

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

    def take(self, method: str, path: str) -> Fault | None:
        """The matching fault, used once."""
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None
