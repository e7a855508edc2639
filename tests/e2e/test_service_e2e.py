"""End to end: ``syncd run`` with a simulated Trello on 127.0.0.1 and a memory member.

A card renamed through Trello's API reaches the memory member by webhook within seconds, while
the polling interval is a minute; a forged delivery is refused and triggers no run.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.trello.adapter import forget_caches
from adapters.trello.simulator import TrelloSimulator, serve
from syncd import runner
from syncd.config import load_config
from syncd.service import Service
from syncd.store import Store

pytestmark = pytest.mark.slow

KEY, TOKEN, SECRET = "svc-trello-key", "svc-trello-token", "svc-app-secret"
AUTH = {"Authorization": f'OAuth oauth_consumer_key="{KEY}", oauth_token="{TOKEN}"'}


class RunningService:
    """``Service.serve`` on its own thread and event loop, as ``syncd run`` runs it."""

    def __init__(self, path: Path, sock: socket.socket) -> None:
        self.path, self.sock = path, sock
        self.ready = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self.service = Service(load_config(self.path), self.path)
        self.stop = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self.ready.set()
        try:
            await self.service.serve(self.stop, sock=self.sock)
        finally:
            self.service.store.close()

    def __enter__(self) -> RunningService:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(40)

    def runs(self) -> int:
        body = httpx.get(f"{self.url}/metrics", timeout=5).text
        return int(
            sum(
                float(line.rsplit(" ", 1)[1])
                for line in body.splitlines()
                if line.startswith("syncd_runs_total{")
            )
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"


@pytest.fixture
def trello() -> Iterator[tuple[TrelloSimulator, str, str]]:
    forget_caches()
    sim = TrelloSimulator(rate_limit=None)
    pm = sim.add_member("pm", "Pat PM")
    sim.add_app(KEY, SECRET)
    sim.add_token(pm, TOKEN, KEY)
    board = sim.add_board("Web", lists=["To do", "Done"], members=[pm])
    with serve(sim) as url:
        yield sim, url, board.id


def wait_for(check: object, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"not within {seconds} s")


def test_a_trello_edit_arrives_by_webhook_long_before_the_next_poll(
    tmp_path: Path, trello: tuple[TrelloSimulator, str, str]
) -> None:
    """Renaming a card in Trello reaches the memory member in seconds; forgeries are refused."""
    _sim, api, board = trello
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    callback = f"http://127.0.0.1:{port}/webhooks/acme-trello"
    memory = tmp_path / "board.json"
    path = tmp_path / "syncd.yaml"
    path.write_text(
        f"""\
state: sqlite:///{tmp_path}/state.db
service: {{interval: 60s, listen: "127.0.0.1:{port}"}}
connections:
  acme-trello: {{type: trello, base_url: "{api}", key: {KEY}, token: {TOKEN}, secret: {SECRET},
                webhook_url: "{callback}"}}
  local: {{type: memory}}
groups:
  web:
    currency: EUR
    members:
      - {{connection: acme-trello, board: {board},
          status_map: {{"To do": todo, "Done": done}}}}
      - {{connection: local, path: {memory}}}
""",
        encoding="utf-8",
    )
    lists = httpx.get(f"{api}/boards/{board}/lists", headers=AUTH).json()
    card = httpx.post(
        f"{api}/cards", json={"name": "Draft the plan", "idList": lists[0]["id"]}, headers=AUTH
    ).json()

    def titles() -> set[str]:
        if not memory.is_file():
            return set()
        records = json.loads(memory.read_text(encoding="utf-8"))["records"]
        return {r["fields"].get("title") for r in records.values()}

    with RunningService(path, sock) as running:
        wait_for(lambda: "Draft the plan" in titles(), 30)  # the first run, at start
        hook = httpx.post(
            f"{api}/webhooks/", json={"callbackURL": callback, "idModel": board}, headers=AUTH
        )
        assert hook.status_code == 200, hook.text  # Trello's HEAD check reached the service
        before = running.runs()
        forged = httpx.post(
            callback, content=b'{"action": {}}', headers={"X-Trello-Webhook": "Zm9yZ2Vk"}
        )
        assert forged.status_code == 401
        edit = httpx.put(f"{api}/cards/{card['id']}", json={"name": "Plan drafted"}, headers=AUTH)
        assert edit.status_code == 200
        seconds = wait_for(lambda: "Plan drafted" in titles(), 20)
        assert seconds < 20  # the interval is 60 s: only the webhook can explain it
        assert running.runs() == before + 1  # one live run; the forgery triggered none
        metrics = httpx.get(f"{running.url}/metrics", timeout=5).text
        assert 'syncd_http_calls_total{status="200",system="127.0.0.1"}' in metrics


def test_sigterm_during_a_run_leaves_nothing_pending_after_a_restart(tmp_path: Path) -> None:
    """SIGTERM mid-run: the run finishes or is settled; after a restart nothing is pending and
    nothing is duplicated."""
    tasks = 3000
    records = {
        f"T{n}": {"kind": "task", "fields": {"title": f"Task {n}"}, "modified": 1}
        for n in range(tasks)
    }
    source = tmp_path / "a.json"
    source.write_text(
        json.dumps({"format": "syncd-memory/1", "clock": 1, "records": records}), encoding="utf-8"
    )
    port = free_port()
    path = tmp_path / "syncd.yaml"
    path.write_text(
        f"""\
state: sqlite:///{tmp_path}/state.db
service: {{interval: 60s, listen: "127.0.0.1:{port}"}}
connections: {{local: {{type: memory}}}}
groups:
  web:
    currency: EUR
    members:
      - {{connection: local, name: a, path: {source}}}
      - {{connection: local, name: b, path: {tmp_path}/b.json}}
""",
        encoding="utf-8",
    )
    command = [str(Path(sys.executable).with_name("syncd")), "run", "--config", str(path)]
    with subprocess.Popen(  # noqa: S603  # our own entry point
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as proc:
        try:
            wait_for(lambda: _running(port), 30)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        report = asyncio.run(runner.sync(load_config(path), store, "web"))
        assert report.status == "ok"
        assert not store.load_group("web").pending
    copied = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["records"]
    assert sorted(r["fields"]["title"] for r in copied.values()) == sorted(
        f"Task {n}" for n in range(tasks)
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _running(port: int) -> bool:
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
    except httpx.TransportError:
        return False
    return 'syncd_group_running{group="web"} 1.0' in body
