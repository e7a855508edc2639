"""``python -m adapters.jira.simulator``: serve a simulated Jira until SIGTERM or SIGINT.

The first line of output is the base URL; then the credentials and the project key. With
``--state FILE`` the state is loaded at start (when the file exists) and saved at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from adapters.jira.simulator import demo
from adapters.jira.simulator.core import JiraSimulator
from adapters.jira.simulator.webhooks import Webhook
from adapters.simulation import base_url, bind, run_until_signalled


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m adapters.jira.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument(
        "--flavor", choices=("cloud", "dc"), default="cloud", help="ignored when --state exists"
    )
    parser.add_argument("--state", type=Path, help="JSON file to load at start and save at exit")
    parser.add_argument("--seed-demo", action="store_true", help="create demo issues via the API")
    parser.add_argument("--search-lag", type=float, default=0.0, help="seconds (Cloud search)")
    parser.add_argument("--time-zone", default="UTC", help="the site's default time zone")
    parser.add_argument("--webhook", action="append", default=[], help="URL to send events to")
    parser.add_argument("--webhook-secret", help="sign webhooks with X-Hub-Signature")
    return parser.parse_args(argv)


def _simulator(args: argparse.Namespace) -> JiraSimulator:
    hooks = [Webhook(url, args.webhook_secret) for url in args.webhook]
    options = {"search_lag": args.search_lag, "time_zone": args.time_zone, "webhooks": hooks}
    if args.state is not None and args.state.exists():
        return JiraSimulator.load(args.state, **options)
    sim = JiraSimulator(args.flavor, **options)
    demo.add_admin_and_project(sim)
    if args.seed_demo:
        asyncio.run(demo.seed_demo(sim))
    return sim


def main(argv: list[str] | None = None) -> int:
    """Run the simulator; returns the exit status."""
    args = _arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sim = _simulator(args)
    sock = bind(args.host, args.port)
    login = (
        f"email: {demo.ADMIN_EMAIL}" if sim.flavor == "cloud" else f"username: {demo.ADMIN_NAME}"
    )
    lines = [base_url(sock), login, f"token: {demo.ADMIN_TOKEN}", f"project: {demo.PROJECT}"]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    save = (lambda: sim.save(args.state)) if args.state is not None else None
    run_until_signalled(sim.app, sock, save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
