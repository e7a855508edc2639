"""Webhook deliveries: verified by the members' adapters, turned into live runs, or refused."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette
from structlog.testing import capture_logs

from syncd.config import Config, load_config_text
from syncd.metrics import Metrics
from syncd.webhooks import REMEMBERED, REPLAY_WINDOW, STALE, Webhooks

JIRA_SECRET, TRELLO_SECRET, ASANA_SECRET = "jira-hook-secret", "trello-app-secret", "s3cr3t"
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

    def __init__(self, capacity: int = REMEMBERED) -> None:
        self.config = config()
        self.triggered: list[str] = []
        self.metrics = Metrics()
        self.now = dt.datetime.now(dt.UTC)
        self.hooks = Webhooks(
            lambda: self.config,
            self._trigger,
            self.metrics,
            clock=lambda: self.now,
            capacity=capacity,
        )
        self.app = Starlette(routes=self.hooks.routes())

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


Delivery = tuple[bytes, dict[str, str]]


def jira_delivery(key: str, at: dt.datetime | None = None) -> Delivery:
    """A signed ``jira:issue_updated`` of issue ``key``, made ``at`` (now by default)."""
    moment = at or dt.datetime.now(dt.UTC)
    event = {
        "timestamp": int(moment.timestamp() * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue": {"id": "10001", "key": key},
    }
    body = json.dumps(event).encode()
    digest = hmac.new(JIRA_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Hub-Signature": f"sha256={digest}"}


def trello_delivery(card: str, at: dt.datetime | None = None) -> Delivery:
    """A signed ``updateCard`` action on ``card``, made ``at`` (now by default)."""
    moment = (at or dt.datetime.now(dt.UTC)).isoformat(timespec="milliseconds")
    action = {"id": f"a-{card}", "type": "updateCard", "date": moment.replace("+00:00", "Z")}
    body = json.dumps({"action": {**action, "data": {"card": {"id": card}}}}).encode()
    digest = hmac.new(TRELLO_SECRET.encode(), body + TRELLO_URL.encode(), hashlib.sha1).digest()
    return body, {"X-Trello-Webhook": base64.b64encode(digest).decode()}


def asana_delivery(task: str, at: dt.datetime | None = None) -> Delivery:
    """A delivery of one ``changed`` event of ``task``, made ``at`` (now by default), signed
    with the secret of `shake_hands`."""
    moment = (at or dt.datetime.now(dt.UTC)).isoformat(timespec="milliseconds")
    event = {
        "resource": {"gid": task, "resource_type": "task"},
        "action": "changed",
        "created_at": moment.replace("+00:00", "Z"),
    }
    body = json.dumps({"events": [event]}).encode()
    signature = hmac.new(ASANA_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Hook-Signature": signature}


def shake_hands(harness: Harness) -> None:
    """Asana's handshake, which gives the listener the secret of its deliveries."""
    harness.send("POST", "/webhooks/acme-asana", b"", {"X-Hook-Secret": ASANA_SECRET})


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


# --- replays -----------------------------------------------------------------------------------

VENDORS: dict[str, tuple[str, Callable[[str, dt.datetime | None], Delivery], str]] = {
    # vendor: (its connection, a delivery of record n made at a time, the group it triggers)
    "jira": ("acme-jira", lambda n, at: jira_delivery(f"WEB-{n}", at), "web"),
    "trello": ("acme-trello", lambda n, at: trello_delivery(f"c4rd{n}", at), "ops"),
    "asana": ("acme-asana", lambda n, at: asana_delivery(f"4{n}", at), "ops"),
}


def harness_for(connection: str, capacity: int = REMEMBERED) -> Harness:
    harness = Harness(capacity)
    if connection == "acme-asana":
        shake_hands(harness)
    return harness


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_same_delivery_again_triggers_nothing(vendor: str) -> None:
    """A genuine delivery triggers; its exact copy is acknowledged as a duplicate and triggers
    nothing; a different genuine delivery still triggers."""
    connection, delivery, group = VENDORS[vendor]
    harness = harness_for(connection)
    body, headers = delivery("7", None)
    path = f"/webhooks/{connection}"
    assert harness.send("POST", path, body, headers).json() == {"triggered": [group]}
    again = harness.send("POST", path, body, headers)
    assert again.status_code == 200
    assert again.json() == {"triggered": [], "duplicate": True}
    assert harness.triggered == [group]
    other, other_headers = delivery("8", None)
    assert harness.send("POST", path, other, other_headers).json() == {"triggered": [group]}
    assert harness.triggered == [group, group]


@pytest.mark.parametrize("vendor", VENDORS)
def test_an_old_delivery_is_refused_as_stale(vendor: str) -> None:
    """The same event, genuinely signed but made before the replay window, is refused (401)."""
    connection, delivery, _group = VENDORS[vendor]
    harness = harness_for(connection)
    old = harness.now - REPLAY_WINDOW - dt.timedelta(minutes=10)
    body, headers = delivery("7", old)
    answer = harness.send("POST", f"/webhooks/{connection}", body, headers)
    assert answer.status_code == 401
    assert answer.json() == {"error": STALE}
    assert harness.triggered == []
    rendered = harness.metrics.render()[0].decode()
    outcome = f'connection="{connection}",outcome="rejected"'
    assert f"syncd_webhook_deliveries_total{{{outcome}}} 1.0" in rendered


def test_a_delivery_within_the_clock_skew_is_accepted_and_one_from_the_future_is_not() -> None:
    """A delivery dated a little ahead of our clock (skew) triggers; one hours ahead is 401."""
    harness = Harness()
    soon = jira_delivery("WEB-1", harness.now + dt.timedelta(minutes=2))
    assert harness.send("POST", "/webhooks/acme-jira", *soon).status_code == 200
    later = jira_delivery("WEB-2", harness.now + dt.timedelta(hours=3))
    assert harness.send("POST", "/webhooks/acme-jira", *later).status_code == 401
    assert harness.triggered == ["web"]


def test_a_delivery_is_forgotten_once_stale_and_its_copy_still_refused() -> None:
    """Past the window the listener forgets a delivery, and a copy of it is then refused as
    stale: nothing is remembered longer than needed, and nothing forgotten gets through."""
    harness = Harness()
    body, headers = jira_delivery("WEB-7", harness.now)
    assert harness.send("POST", "/webhooks/acme-jira", body, headers).status_code == 200
    harness.now += REPLAY_WINDOW + dt.timedelta(minutes=10)
    fresh = jira_delivery("WEB-8", harness.now)
    assert harness.send("POST", "/webhooks/acme-jira", *fresh).status_code == 200
    assert harness.hooks.remembered("acme-jira") == 1  # WEB-7 forgotten
    assert harness.send("POST", "/webhooks/acme-jira", body, headers).status_code == 401
    assert harness.triggered == ["web", "web"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_memory_stays_bounded_and_a_forgotten_delivery_is_still_refused(vendor: str) -> None:
    """Past its capacity the memory forgets the oldest deliveries, and anything dated no later
    than them is then refused as stale; newer deliveries still trigger."""
    connection, delivery, group = VENDORS[vendor]
    harness = harness_for(connection, capacity=8)
    path = f"/webhooks/{connection}"
    start = harness.now - dt.timedelta(minutes=30)
    sent = [delivery(str(n), start + dt.timedelta(seconds=n)) for n in range(20)]
    for body, headers in sent:
        assert harness.send("POST", path, body, headers).status_code == 200
        assert harness.hooks.remembered(connection) <= 8
    assert harness.hooks.remembered(connection) == 8
    assert len(harness.triggered) == 20
    forgotten = harness.send("POST", path, *sent[0])
    assert (forgotten.status_code, forgotten.json()) == (401, {"error": STALE})
    remembered = harness.send("POST", path, *sent[-1])
    assert remembered.json() == {"triggered": [], "duplicate": True}
    assert harness.send("POST", path, *delivery("new", None)).json() == {"triggered": [group]}
    assert len(harness.triggered) == 21


def test_an_asana_heartbeat_is_answered_and_its_copy_triggers_nothing() -> None:
    """Asana's heartbeat (no events, so no time) is answered 200 and triggers nothing."""
    harness = harness_for("acme-asana")
    body = json.dumps({"events": []}).encode()
    signature = hmac.new(ASANA_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Hook-Signature": signature}
    first = harness.send("POST", "/webhooks/acme-asana", body, headers)
    assert (first.status_code, first.json()) == (200, {"triggered": []})
    again = harness.send("POST", "/webhooks/acme-asana", body, headers)
    assert (again.status_code, again.json()["triggered"]) == (200, [])
    assert harness.triggered == []


def test_replays_log_neither_secret_nor_body() -> None:
    """The log lines of refused and duplicate deliveries name the connection and the reason,
    never a secret nor anything of the body."""
    harness = Harness()
    body, headers = jira_delivery("WEB-7")
    old = jira_delivery("WEB-9", harness.now - 2 * REPLAY_WINDOW)
    with capture_logs() as logs:
        for delivery in [(body, headers), (body, headers), old]:
            harness.send("POST", "/webhooks/acme-jira", *delivery)
    events = [entry["event"] for entry in logs]
    assert events == ["webhook.accepted", "webhook.duplicate", "webhook.replay_refused"]
    text = repr(logs)
    for secret in (JIRA_SECRET, "WEB-7", "WEB-9", headers["X-Hub-Signature"]):
        assert secret not in text
