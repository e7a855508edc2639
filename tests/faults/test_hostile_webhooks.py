"""The webhook listener under a stream of hostile deliveries (issue 9): a thousand malformed,
unsigned, wrongly signed or oversized requests in a row are each refused with a 4xx (a GET or
HEAD, a vendor's check of the URL, is answered 200 and runs nothing), trigger nothing, and
leave the listener answering the next genuine delivery."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import httpx

from tests.unit.test_webhooks import Harness, jira_delivery

ROUTES = ["acme-jira", "acme-asana", "acme-trello", "local", "nobody", "acme-jira/extra"]
METHODS = ["POST", "POST", "POST", "GET", "PUT", "HEAD", "DELETE"]


def hostile(rng: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
    """One bad delivery: garbage, truncated JSON, a forged or missing signature, a huge body."""
    route = rng.choice(ROUTES)
    method = rng.choice(METHODS)
    body, headers = jira_delivery(f"WEB-{rng.randrange(10_000)}")
    kind = rng.randrange(7)
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

    async def storm() -> httpx.Response:
        transport = httpx.ASGITransport(app=harness.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://syncd") as web:
            for _ in range(1000):
                method, path, body, headers = hostile(rng)
                answer = await web.request(method, path, content=body, headers=headers)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if method in ("GET", "HEAD") and answer.status_code == 200:
                    continue  # a vendor's check of the callback URL (Trello): nothing runs
                assert 400 <= answer.status_code < 500, (method, path, answer.status_code)
            body, headers = jira_delivery("WEB-1")
            return await web.post("/webhooks/acme-jira", content=body, headers=headers)

    genuine = asyncio.run(storm())
    assert harness.triggered == ["web"]  # the genuine delivery (a WEB issue) alone
    assert genuine.status_code < 300
    assert sum(statuses.values()) == 1000
    assert {401, 413} <= statuses.keys()  # unsigned or forged; oversized


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
