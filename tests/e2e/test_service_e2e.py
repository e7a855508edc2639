"""End to end: ``syncd run`` with a simulated Trello on 127.0.0.1 and a memory member.

A card renamed through Trello's API reaches the memory member by webhook within seconds, while
the polling interval is a minute; a forged delivery is refused and triggers no run.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.trello.adapter import forget_caches
from adapters.trello.simulator import TrelloSimulator, serve
from syncd.config import load_config
from syncd.service import Service

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
