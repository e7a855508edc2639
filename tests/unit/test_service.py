"""``syncd run``: the service reconciles its groups, answers probes, reloads and stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from syncd.config import load_config
from syncd.service import Service

CONFIG = """\
state: sqlite:///{tmp}/state.db
service: {{interval: 1s, listen: "127.0.0.1:{port}"}}
connections:
  local: {{type: memory}}
groups:
{groups}
"""
GROUP = """\
  {name}:
    currency: EUR
    members:
      - {{connection: local, name: a, path: {tmp}/{name}-a.json}}
      - {{connection: local, name: b, path: {tmp}/{name}-b.json}}
"""


def write_config(tmp: Path, groups: list[str], port: int = 8787) -> Path:
    path = tmp / "syncd.yaml"
    body = "".join(GROUP.format(name=g, tmp=tmp) for g in groups)
    path.write_text(CONFIG.format(tmp=tmp, port=port, groups=body), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_service_runs_its_groups_and_answers_probes(tmp_path: Path) -> None:
    """Every group runs; /healthz, /readyz and /metrics answer on the listener."""
    path = write_config(tmp_path, ["web", "ops"])
    (tmp_path / "web-a.json").write_text(
        '{"format": "syncd-memory/1", "clock": 1, "records": {"T1": {"kind": "task",'
        ' "fields": {"title": "Write the plan"}, "modified": 1}}}',
        encoding="utf-8",
    )

    async def body() -> None:
        service = Service(load_config(path), path)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        stop = asyncio.Event()
        serving = asyncio.create_task(service.serve(stop, sock=sock))
        for _ in range(100):
            if all(h.last_status for h in service.groups().values()):
                break
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=url) as web:
            assert (await web.get("/healthz")).status_code == 200
            ready = await web.get("/readyz")
            assert ready.status_code == 200, ready.text
            metrics = (await web.get("/metrics")).text
        stop.set()
        await asyncio.wait_for(serving, 10)
        service.store.close()
        assert 'syncd_runs_total{group="web",status="ok"}' in metrics
        assert 'syncd_records_written_total{action="created",group="web",member="b"} 1.0' in metrics

    asyncio.run(body())
    assert "Write the plan" in (tmp_path / "web-b.json").read_text(encoding="utf-8")


def test_a_bad_config_on_reload_is_refused_and_the_old_one_keeps_running(
    tmp_path: Path,
) -> None:
    """SIGHUP with a broken file logs the problems and changes nothing; a good one applies."""
    path = write_config(tmp_path, ["web"])
    service = Service(load_config(path), path)
    try:
        path.write_text("groups: [not, a, mapping]\n", encoding="utf-8")
        assert service.reload() is False
        assert list(service.config.groups) == ["web"]
        write_config(tmp_path, ["web", "ops"])
        assert service.reload() is True
        assert set(service.scheduler.table.slots) == {"web", "ops"}
    finally:
        service.store.close()


@pytest.mark.slow
def test_syncd_run_exits_0_on_sigterm(tmp_path: Path) -> None:
    """The real command serves its probes, and SIGTERM ends it with exit code 0."""
    port = free_port()
    path = write_config(tmp_path, ["web"], port=port)
    command = [str(Path(sys.executable).with_name("syncd")), "run", "--config", str(path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(  # noqa: S603  # our own entry point, from this venv
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as proc:
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                pytest.fail("syncd run did not answer /healthz")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=40) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
