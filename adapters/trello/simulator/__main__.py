"""``python -m adapters.trello.simulator``: serve a simulated Trello until SIGTERM or SIGINT.

The first line of output is the API's base URL (ending in ``/1``); then the API key, the token
and the board id. With ``--state FILE`` the state is loaded at start (when the file exists) and
saved at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from adapters.simulation import base_url, bind, run_until_signalled
from adapters.trello.simulator import demo
from adapters.trello.simulator.app import API
from adapters.trello.simulator.core import TrelloSimulator
from adapters.trello.simulator.limits import RateLimit


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m adapters.trello.simulator", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--state", type=Path, help="JSON file to load at start and save at exit")
    parser.add_argument("--seed-demo", action="store_true", help="create demo cards via the API")
    parser.add_argument("--no-rate-limit", action="store_true", help="turn Trello's limits off")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    return parser.parse_args(argv)


def _simulator(args: argparse.Namespace) -> tuple[TrelloSimulator, str]:
    """The simulator, and the id of its first board."""
    limit = None if args.no_rate_limit else RateLimit()
    options = {"rate_limit": limit, "latency": args.latency}
    if args.state is not None and args.state.exists():
        sim = TrelloSimulator.load(args.state, **options)
        return sim, next(iter(sim.state.boards), "")
    sim = TrelloSimulator(**options)
    site = demo.add_site(sim)
    if args.seed_demo:
        asyncio.run(demo.seed_demo(sim, site))
    return sim, site.board.id


def main(argv: list[str] | None = None) -> int:
    """Run the simulator; returns the exit status."""
    args = _arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sim, board = _simulator(args)
    sock = bind(args.host, args.port)
    lines = [
        base_url(sock) + API,
        f"key: {demo.API_KEY}",
        f"token: {demo.API_TOKEN}",
        f"board: {board}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    save = (lambda: sim.save(args.state)) if args.state is not None else None
    run_until_signalled(sim.app, sock, save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
