"""``syncd webhooks``: registrations for the service's public URL, idempotent and only ours."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from adapters.trello.adapter import forget_caches
from adapters.trello.simulator import TrelloSimulator, serve
from syncd.config import Config, load_config_text
from syncd.errors import ConfigError
from syncd.webhookadmin import callback_url, manage

KEY, TOKEN = "wh-key", "wh-token"
PUBLIC = "https://syncd.example.com"


@pytest.fixture
def trello() -> Iterator[tuple[str, str]]:
    forget_caches()
    # Trello checks a new callback URL with HEAD: this receiver stands for `syncd run`.
    receiver = httpx.MockTransport(lambda request: httpx.Response(200))
    sim = TrelloSimulator(rate_limit=None, webhook_transport=receiver)
    pm = sim.add_member("pm", "Pat PM")
    sim.add_app(KEY, "app-secret")
    sim.add_token(pm, TOKEN, KEY)
    board = sim.add_board("Web", lists=["To do"], members=[pm])
    with serve(sim) as url:
        yield url, board.id


def config(api: str, board: str, public: str | None = PUBLIC) -> Config:
    service = f"service: {{public_url: {public}}}\n" if public else ""
    return load_config_text(
        f"""\
{service}connections:
  acme-trello: {{type: trello, base_url: "{api}", key: {KEY}, token: {TOKEN}, secret: s3cr3t}}
  local: {{type: memory}}
groups:
  web:
    currency: EUR
    members:
      - {{connection: acme-trello, board: {board}}}
      - {{connection: local}}
"""
    )


def test_register_is_idempotent_and_remove_takes_only_ours(trello: tuple[str, str]) -> None:
    """Registering twice leaves one webhook; list tells ours; remove removes it once."""
    api, board = trello
    cfg = config(api, board)
    url = callback_url(cfg, "acme-trello")
    assert url == f"{PUBLIC}/webhooks/acme-trello"
    first = asyncio.run(manage(cfg, ["web"], "register"))
    assert [(r.member, r.url, r.scope, r.note) for r in first] == [
        ("acme-trello", url, board, "registered"),
        ("local", "-", "-", "polling only (no webhooks)"),
    ]
    again = asyncio.run(manage(cfg, ["web"], "register"))
    assert again[0].note == "already there"
    assert again[0].webhook == first[0].webhook
    listed = asyncio.run(manage(cfg, ["web"], "list"))
    assert [(r.webhook, r.note) for r in listed if r.member == "acme-trello"] == [
        (first[0].webhook, "this service")
    ]
    other = config(api, board, public="https://elsewhere.example.com")
    assert asyncio.run(manage(other, ["web"], "remove"))[0].note == "none"
    removed = asyncio.run(manage(cfg, ["web"], "remove"))
    assert removed[0].note == "removed"
    assert asyncio.run(manage(cfg, ["web"], "list"))[0].note == "none"


def test_registering_needs_a_public_url(trello: tuple[str, str]) -> None:
    """Without service.public_url there is nothing to register, and the error says so."""
    api, board = trello
    with pytest.raises(ConfigError, match="public_url"):
        asyncio.run(manage(config(api, board, public=None), ["web"], "register"))
