"""Serving the simulator over real HTTP on 127.0.0.1 (see `adapters.simulation`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from adapters.simulation import serve_app
from adapters.trello.simulator.app import API

if TYPE_CHECKING:
    from adapters.trello.simulator.core import TrelloSimulator


@contextmanager
def serve(sim: TrelloSimulator, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``sim`` in a background thread and yield its base URL (``http://127.0.0.1:<port>/1``).

    Raises:
        RuntimeError: the server did not start within 10 seconds.
    """
    with serve_app(sim.app, host=host, port=port) as url:
        yield url + API
