"""``python -m adapters.asana.simulator``: serve a simulated Asana until SIGTERM or SIGINT.

The first line of output is the API's base URL (ending in ``/api/1.0``); then the token and
the workspace and project gids. With ``--state FILE`` the state is loaded at start (when the
file exists) and saved at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from adapters.asana.simulator import demo
from adapters.asana.simulator.app import API
from adapters.asana.simulator.core import AsanaSimulator
from adapters.simulation import base_url, bind, run_until_signalled


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m adapters.asana.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--state", type=Path, help="JSON file to load at start and save at exit")
    parser.add_argument("--seed-demo", action="store_true", help="create demo tasks via the API")
    parser.add_argument("--free", action="store_true", help="a free (non-premium) workspace")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    return parser.parse_args(argv)


def _simulator(args: argparse.Namespace) -> tuple[AsanaSimulator, str, str]:
    """The simulator, and the gids of its first workspace and project."""
    options = {"premium": not args.free, "latency": args.latency}
    if args.state is not None and args.state.exists():
        sim = AsanaSimulator.load(args.state, **options)
        workspace = next(iter(sim.state.workspaces), "")
        return sim, workspace, next(iter(sim.state.projects), "")
    sim = AsanaSimulator(**options)
    site = demo.add_site(sim)
    if args.seed_demo:
        asyncio.run(demo.seed_demo(sim, site))
    return sim, site.workspace.gid, site.project.gid


def main(argv: list[str] | None = None) -> int:
    """Run the simulator; returns the exit status."""
    args = _arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sim, workspace, project = _simulator(args)
    sock = bind(args.host, args.port)
    lines = [
        base_url(sock) + API,
        f"token: {demo.ADMIN_TOKEN}",
        f"workspace: {workspace}",
        f"project: {project}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    save = (lambda: sim.save(args.state)) if args.state is not None else None
    run_until_signalled(sim.app, sock, save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
