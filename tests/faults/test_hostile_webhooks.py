"""The webhook listener under a stream of hostile deliveries (issue 9): a thousand malformed,
unsigned, wrongly signed, oversized or replayed requests in a row trigger nothing and leave the
listener answering the next genuine delivery. Each is refused with a 4xx, but a GET or HEAD (a
vendor's check of the URL, 200) and an exact copy of a delivery already accepted (200, marked a
duplicate: it may be the vendor's retry, see `syncd.webhooks`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator

import httpx

from syncd.webhooks import REPLAY_WINDOW, STALE
from tests.unit.test_webhooks import Delivery, Harness, jira_delivery

ROUTES = ["acme-jira", "acme-asana", "acme-trello", "local", "nobody", "acme-jira/extra"]
METHODS = ["POST", "POST", "POST", "GET", "PUT", "HEAD", "DELETE"]


def hostile(rng: random.Random, genuine: Delivery) -> tuple[str, str, bytes, dict[str, str]]:
    """One bad delivery: garbage, truncated JSON, a forged or missing signature, a huge body, a
    copy of the ``genuine`` delivery already accepted, or a genuine one made long ago."""
    route = rng.choice(ROUTES)
    method = rng.choice(METHODS)
    body, headers = jira_delivery(f"WEB-{rng.randrange(10_000)}")
    kind = rng.randrange(9)
    if kind == 7:
        return "POST", "/webhooks/acme-jira", *genuine
    if kind == 8:
        made = dt.datetime.now(dt.UTC) - REPLAY_WINDOW - dt.timedelta(hours=rng.randrange(1, 999))
        return "POST", "/webhooks/acme-jira", *jira_delivery(f"WEB-{rng.randrange(99)}", made)
    if kind == 0:
        body = rng.randbytes(rng.randrange(0, 2048))
    elif kind == 1:
        body = body[: rng.randrange(len(body))]  # truncated, signature of the whole
    elif kind == 2:
        headers = {"X-Hub-Signature": "sha256=" + "0" * 64}
    elif kind == 3:
        headers = {}
    elif kind == 4:
        body = b"{" * (2 * 1024 * 1024)  # beyond any delivery's size
    elif kind == 5:
        headers = {"X-Hub-Signature": "md5=abc", "Content-Type": "text/html"}
    else:
        headers = {**headers, "X-Hub-Signature": headers["X-Hub-Signature"][:-1] + "x"}
    return method, f"/webhooks/{route}", body, headers


def test_a_thousand_hostile_deliveries_are_refused_and_trigger_nothing() -> None:
    harness = Harness()
    rng = random.Random(9)
    statuses: dict[int, int] = {}
    duplicates = stale = 0
    genuine = jira_delivery("WEB-2")
    assert harness.send("POST", "/webhooks/acme-jira", *genuine).status_code == 200
    harness.triggered.clear()

    async def storm() -> httpx.Response:
        nonlocal duplicates, stale
        transport = httpx.ASGITransport(app=harness.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://syncd") as web:
            for _ in range(1000):
                method, path, body, headers = hostile(rng, genuine)
                answer = await web.request(method, path, content=body, headers=headers)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if method in ("GET", "HEAD") and answer.status_code == 200:
                    continue  # a vendor's check of the callback URL (Trello): nothing runs
                if (body, headers) == genuine and answer.status_code == 200:
                    assert answer.json() == {"triggered": [], "duplicate": True}
                    duplicates += 1
                    continue
                assert 400 <= answer.status_code < 500, (method, path, answer.status_code)
                if answer.status_code == 401 and answer.json() == {"error": STALE}:
                    stale += 1
            body, headers = jira_delivery("WEB-1")
            return await web.post("/webhooks/acme-jira", content=body, headers=headers)

    fresh = asyncio.run(storm())
    assert harness.triggered == ["web"]  # the fresh genuine delivery (a WEB issue) alone
    assert fresh.status_code < 300
    assert sum(statuses.values()) == 1000
    assert {401, 413} <= statuses.keys()  # unsigned, forged or stale; oversized
    assert duplicates > 50  # the copies of the genuine delivery: acknowledged, never run
    assert stale > 50  # genuine deliveries made long ago


def test_an_endless_delivery_is_cut_off_at_the_limit_not_read_to_its_end() -> None:
    """A body with no declared length is read only up to the limit, then refused (413): a
    hostile sender cannot make the listener hold an unbounded body in memory."""
    from syncd.webhooks import MAX_BODY

    harness = Harness()
    sent = 0
    chunk = b"x" * 65_536
    total = 4 * MAX_BODY // len(chunk)

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(total):
            sent += 1
            yield chunk

    async def deliver() -> httpx.Response:
        transport = httpx.ASGITransport(app=harness.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://syncd") as web:
            return await web.post("/webhooks/acme-jira", content=endless())

    answer = asyncio.run(deliver())
    assert answer.status_code == 413
    assert sent * len(chunk) <= MAX_BODY + 2 * len(chunk)
    assert harness.triggered == []
