"""``GET /1/batch?urls=/cards/a,/boards/b/lists``: up to 10 GET routes (below ``/1``) at once.

The answer is 200 with one object per URL, keyed by its status: ``[{"200": {...card}},
{"404": "The requested resource was not found."}]``; a failing URL fails alone.
https://developer.atlassian.com/cloud/trello/rest/api-group-batch/
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from adapters.trello.simulator.call import Call, Endpoint, Reply
from adapters.trello.simulator.errors import NOT_FOUND, TrelloError, invalid_value

MAX_URLS = 10


class Router:
    """Finds the GET endpoint of a path below ``/1`` (for batch URLs)."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        ordered = sorted(endpoints, key=lambda e: e.path.count("{"))
        self._routes = [(e, re.compile(_pattern(e.path))) for e in ordered if e.method == "GET"]

    def find(self, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        for endpoint, regex in self._routes:
            match = regex.fullmatch(path)
            if match:
                return endpoint, match.groupdict()
        return None


def _pattern(template: str) -> str:
    parts = re.split(r"\{(\w+)\}", template)
    return "".join(f"(?P<{p}>[^/]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts))


def run_batch(call: Call) -> Reply:
    urls = [u for u in str(call.arg("urls") or "").split(",") if u.strip()]
    if not urls or len(urls) > MAX_URLS:
        raise invalid_value("urls")
    return Reply(200, [_run(call, url.strip()) for url in urls])


def _run(call: Call, url: str) -> dict[str, Any]:
    try:
        reply = _dispatch(call, url)
    except TrelloError as error:
        return {str(error.status): error.body}
    return {str(reply.status): reply.body}


def _dispatch(call: Call, url: str) -> Reply:
    split = urlsplit(url)
    path = unquote(split.path).removeprefix("/1/").removeprefix("1/")
    path = "/" + path.lstrip("/")
    found = call.sim.router.find(path)
    if found is None or found[0].path == "/batch":
        raise TrelloError(404, NOT_FOUND)
    endpoint, params = found
    args = dict(parse_qsl(split.query))
    inner = Call(call.sim, call.member, call.token, path, params, args, call.base_url)
    return endpoint.handler(inner)


ENDPOINTS = (Endpoint("GET", "/batch", run_batch),)
