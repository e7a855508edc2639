"""Serving a simulator over real HTTP on 127.0.0.1 with uvicorn, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn
from starlette.types import ASGIApp

from adapters.asana.simulator.app import API

if TYPE_CHECKING:
    from adapters.asana.simulator.core import AsanaSimulator

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
        date_header=False,  # the app sends Date from the simulator's clock, as Asana from its own
        ws="none",
        lifespan="off",
        log_config=None,
        log_level=None,
        access_log=False,
    )
    return uvicorn.Server(config)


@contextmanager
def serve(sim: AsanaSimulator, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``sim`` and yield its API base URL (``http://127.0.0.1:<port>/api/1.0``).

    Raises:
        RuntimeError: the server did not start within 10 seconds.
    """
    sock = bind(host, port)
    server = server_for(sim.app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield base_url(sock) + API
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
