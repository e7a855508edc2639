"""Service benchmark: webhook latency, and an idle service's CPU and memory.

Run: ``python bench/service.py`` (``--changes 10`` for a quick look). Prints figures, asserts
nothing:

- **latency**: ``syncd run`` (a subprocess) syncs a simulated Trello board with a memory
  member, polling every 60 s; 50 cards are renamed one after another through Trello's API and
  the time until each name is in the memory member is measured (the webhook path: delivery,
  1 s debounce, one run). Target: p95 under 2 s.
- **idle**: ``syncd run`` with 20 groups of memory members, interval 60 s, measured over 20 s
  after their first runs from /proc (Linux): CPU share of one core and resident memory.
  Targets: under 1 % of a core, under 150 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.trello.simulator import TrelloSimulator, serve

KEY, TOKEN, SECRET = "bench-key", "bench-token", "bench-secret"  # made-up credentials
AUTH = {"Authorization": f'OAuth oauth_consumer_key="{KEY}", oauth_token="{TOKEN}"'}
SYNCD = str(Path(sys.executable).with_name("syncd"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(config: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(  # noqa: S603  # our own entry point
        [SYNCD, "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("syncd run did not start")


def titles(memory: Path) -> set[str]:
    try:
        records = json.loads(memory.read_text(encoding="utf-8"))["records"]
    except (OSError, ValueError, KeyError):
        return set()
    return {r["fields"].get("title") for r in records.values()}


def latency(changes: int) -> dict[str, str]:
    sim = TrelloSimulator(rate_limit=None)
    pm = sim.add_member("pm", "Pat PM")
    sim.add_app(KEY, SECRET)
    sim.add_token(pm, TOKEN, KEY)
    board = sim.add_board("Web", lists=["To do", "Done"], members=[pm]).id
    with serve(sim) as api, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        callback = f"http://127.0.0.1:{port}/webhooks/acme-trello"
        memory = Path(tmp) / "board.json"
        config = Path(tmp) / "syncd.yaml"
        config.write_text(
            f"state: sqlite:///{tmp}/state.db\n"
            f'service: {{interval: 60s, listen: "127.0.0.1:{port}"}}\n'
            "connections:\n"
            f'  acme-trello: {{type: trello, base_url: "{api}", key: {KEY}, token: {TOKEN},'
            f' secret: {SECRET}, webhook_url: "{callback}"}}\n'
            "  local: {type: memory}\n"
            "groups:\n  web:\n    currency: EUR\n    members:\n"
            f"      - {{connection: acme-trello, board: {board}}}\n"
            f"      - {{connection: local, path: {memory}}}\n",
            encoding="utf-8",
        )
        first = httpx.get(f"{api}/boards/{board}/lists", headers=AUTH).json()[0]["id"]
        card = httpx.post(f"{api}/cards", json={"name": "c", "idList": first}, headers=AUTH)
        card_id = card.json()["id"]
        proc = start(config, port)
        try:
            while "c" not in titles(memory):
                time.sleep(0.05)
            httpx.post(
                f"{api}/webhooks/", json={"callbackURL": callback, "idModel": board}, headers=AUTH
            ).raise_for_status()
            seconds = []
            for n in range(changes):
                name = f"renamed {n}"
                started = time.monotonic()
                httpx.put(f"{api}/cards/{card_id}", json={"name": name}, headers=AUTH)
                while name not in titles(memory):
                    time.sleep(0.01)
                seconds.append(time.monotonic() - started)
        finally:
            proc.terminate()
            proc.wait(40)
    seconds.sort()
    p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
    return {
        "changes": str(changes),
        "median s": f"{statistics.median(seconds):.2f}",
        "p95 s (target < 2)": f"{p95:.2f}",
    }


def idle(groups: int, seconds: float) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = Path(tmp) / "syncd.yaml"
        lines = [
            f"state: sqlite:///{tmp}/state.db",
            f'service: {{interval: 60s, listen: "127.0.0.1:{port}"}}',
            "connections:\n  local: {type: memory}",
            "groups:",
        ]
        for g in range(groups):
            lines.append(
                f"  g{g}:\n    currency: EUR\n    members:\n"
                f"      - {{connection: local, name: a, path: {tmp}/g{g}-a.json}}\n"
                f"      - {{connection: local, name: b, path: {tmp}/g{g}-b.json}}"
            )
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        proc = start(config, port)
        try:
            time.sleep(8)  # the first runs (spread over the first tenth of the interval)
            ticks = os.sysconf("SC_CLK_TCK")
            before = _cpu(proc.pid)
            time.sleep(seconds)
            used = (_cpu(proc.pid) - before) / ticks
            rss = _rss_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(40)
    return {
        "groups": str(groups),
        "idle CPU % of a core (target < 1)": f"{100 * used / seconds:.2f}",
        "RSS MiB (target < 150)": f"{rss:.0f}",
    }


def _cpu(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()
    for row in (latency(args.changes), idle(args.groups, args.idle_seconds)):
        print(" | ".join(row))
        print(" | ".join(row.values()))


if __name__ == "__main__":
    main()
