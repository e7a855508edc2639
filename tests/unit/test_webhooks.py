"""Webhook deliveries: verified by the members' adapters, turned into live runs, or refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json

import httpx
from starlette.applications import Starlette

from syncd.config import Config, load_config_text
from syncd.metrics import Metrics
from syncd.webhooks import Webhooks

JIRA_SECRET, TRELLO_SECRET = "jira-hook-secret", "trello-app-secret"
TRELLO_URL = "https://syncd.example.com/webhooks/acme-trello"
CONFIG = f"""\
connections:
  acme-jira: {{type: jira, base_url: "https://acme.atlassian.net", email: pm@acme.example,
              token: t0k3n, webhook_secret: {JIRA_SECRET}}}
  acme-asana: {{type: asana, token: asana-t0k3n}}
  acme-trello: {{type: trello, key: k3y, token: t0k3n, secret: {TRELLO_SECRET},
                webhook_url: "{TRELLO_URL}"}}
  local: {{type: memory}}
groups:
  web:
    currency: EUR
    members:
      - {{connection: acme-jira, project: WEB}}
      - {{connection: local}}
  ops:
    currency: EUR
    members:
      - {{connection: acme-jira, project: OPS}}
      - {{connection: acme-asana, project: "1203456789012345"}}
      - {{connection: acme-trello, board: b0ard}}
"""


def config() -> Config:
    return load_config_text(CONFIG, display="syncd.yaml")


class Harness:
    """The webhook route on its own app, recording what it triggers."""

    def __init__(self) -> None:
        self.config = config()
        self.triggered: list[str] = []
        self.metrics = Metrics()
        hooks = Webhooks(lambda: self.config, self._trigger, self.metrics)
        self.app = Starlette(routes=hooks.routes())

    def _trigger(self, group: str) -> bool:
        self.triggered.append(group)
        return True

    def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://syncd") as web:
                return await web.request(method, path, content=body, headers=headers or {})

        return asyncio.run(go())


def jira_delivery(key: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"webhookEvent": "jira:issue_updated", "issue": {"id": "10001", "key": key}}
    ).encode()
    digest = hmac.new(JIRA_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Hub-Signature": f"sha256={digest}"}


def test_a_signed_delivery_triggers_only_the_groups_it_concerns() -> None:
    """A Jira delivery for WEB-7 triggers the group syncing project WEB, not OPS."""
    harness = Harness()
    body, headers = jira_delivery("WEB-7")
    answer = harness.send("POST", "/webhooks/acme-jira", body, headers)
    assert answer.status_code == 200
    assert answer.json() == {"triggered": ["web"]}
    assert harness.triggered == ["web"]
    rendered = harness.metrics.render()[0].decode()
    assert (
        'syncd_webhook_deliveries_total{connection="acme-jira",outcome="accepted"} 1.0' in rendered
    )


def test_a_forged_delivery_is_refused_and_triggers_nothing() -> None:
    """A delivery with a wrong signature is answered 401."""
    harness = Harness()
    body, _ = jira_delivery("WEB-7")
    answer = harness.send("POST", "/webhooks/acme-jira", body, {"X-Hub-Signature": "sha256=00"})
    assert answer.status_code == 401
    assert harness.triggered == []
    unsigned = harness.send("POST", "/webhooks/acme-jira", body)
    assert unsigned.status_code == 401


def test_an_unknown_connection_is_404() -> None:
    """Deliveries to a connection the config does not have are not ours."""
    assert Harness().send("POST", "/webhooks/nope", b"{}").status_code == 404


def test_trellos_check_of_the_callback_url_is_answered() -> None:
    """Trello's HEAD on a new callback URL gets 200; a signed action triggers its group."""
    harness = Harness()
    assert harness.send("HEAD", "/webhooks/acme-trello").status_code == 200
    body = json.dumps({"action": {"data": {"card": {"id": "c4rd"}}}}).encode()
    digest = hmac.new(TRELLO_SECRET.encode(), body + TRELLO_URL.encode(), hashlib.sha1).digest()
    headers = {"X-Trello-Webhook": base64.b64encode(digest).decode()}
    assert harness.send("POST", "/webhooks/acme-trello", body, headers).status_code == 200
    assert harness.triggered == ["ops"]


def test_asanas_handshake_is_echoed_and_its_secret_verifies_deliveries() -> None:
    """The X-Hook-Secret handshake is echoed; deliveries signed with it are accepted."""
    harness = Harness()
    shake = harness.send("POST", "/webhooks/acme-asana", b"", {"X-Hook-Secret": "s3cr3t"})
    assert shake.status_code == 200
    assert shake.headers["X-Hook-Secret"] == "s3cr3t"
    body = json.dumps(
        {"events": [{"resource": {"gid": "42", "resource_type": "task"}, "action": "changed"}]}
    ).encode()
    signature = hmac.new(b"s3cr3t", body, hashlib.sha256).hexdigest()
    answer = harness.send("POST", "/webhooks/acme-asana", body, {"X-Hook-Signature": signature})
    assert answer.status_code == 200
    assert harness.triggered == ["ops"]
    forged = harness.send("POST", "/webhooks/acme-asana", body, {"X-Hook-Signature": "00"})
    assert forged.status_code == 401


def test_an_oversized_delivery_is_refused() -> None:
    """Bodies over 1 MiB are refused before any adapter reads them."""
    answer = Harness().send("POST", "/webhooks/acme-jira", b"x" * (1 << 20 | 1))
    assert answer.status_code == 413
