"""Serving the simulator over real HTTP on 127.0.0.1 (see `adapters.simulation`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from adapters.simulation import base_url, bind, serve_app, server_for

if TYPE_CHECKING:
    from adapters.jira.simulator.core import JiraSimulator

__all__ = ["base_url", "bind", "serve", "server_for"]


@contextmanager
def serve(sim: JiraSimulator, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``sim`` in a background thread and yield its base URL (``http://127.0.0.1:<port>``).

    Raises:
        RuntimeError: the server did not start within 10 seconds.
    """
    with serve_app(sim.app, host=host, port=port) as url:
        yield url
