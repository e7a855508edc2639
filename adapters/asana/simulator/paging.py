"""Asana's pagination: ``limit`` (1..100) and an opaque ``offset`` token.

    GET /projects/1/tasks?limit=2
    {"data": [...],
     "next_page": {"offset": "eyJ0",
                   "path": "/projects/1/tasks?limit=2&offset=eyJ0",
                   "uri": "https://app.asana.com/api/1.0/projects/1/tasks?limit=2&offset=eyJ0"}}

``next_page`` is null on the last page, and absent when no ``limit`` was given (Asana's
"grandfathered" unpaginated answer). Offsets are bound to their query and expire; a bad or
expired one is a 400. https://developers.asana.com/docs/pagination
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel

from adapters.asana.simulator.call import Call, Reply
from adapters.asana.simulator.errors import bad_request

MAX_LIMIT = 100
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Offset:
    scope: str
    index: int
    issued: datetime


class Offsets:
    """The offset tokens handed out (in memory: they do not survive a restart, as they expire)."""

    def __init__(self) -> None:
        self._tokens: dict[str, _Offset] = {}

    def issue(self, scope: str, index: int, now: datetime) -> str:
        seed = f"{len(self._tokens)}:{scope}:{index}".encode()
        token = base64.urlsafe_b64encode(hashlib.sha256(seed).digest()[:24]).decode()
        self._tokens[token] = _Offset(scope, index, now)
        return token

    def resolve(self, token: str, scope: str, now: datetime, ttl: float) -> int:
        found = self._tokens.get(token)
        if found is None or found.scope != scope:
            raise bad_request("offset: Your pagination token is invalid.")
        if (now - found.issued).total_seconds() > ttl:
            raise bad_request("offset: Your pagination token has expired.")
        return found.index


def limit_of(call: Call) -> int | None:
    raw = call.query.get("limit")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad_request(f"limit: Must be an integer between 1 and {MAX_LIMIT}, got {raw}")
    return int(raw)


def page(call: Call, items: Sequence[_T]) -> tuple[Sequence[_T], dict[str, Any] | None, bool]:
    """The items of this page, its ``next_page``, and whether ``next_page`` is sent at all."""
    limit = limit_of(call)
    scope = _scope(call)
    sim = call.sim
    start = 0
    if call.query.get("offset"):
        start = sim.offsets.resolve(call.query["offset"], scope, sim.store.now(), sim.offset_ttl)
    if limit is None:
        return items[start:], None, start > 0
    chosen = items[start : start + limit]
    if start + limit >= len(items):
        return chosen, None, True
    token = sim.offsets.issue(scope, start + limit, sim.store.now())
    return chosen, _next_page(call, token), True


def _scope(call: Call) -> str:
    kept = sorted((k, v) for k, v in call.query.items() if k not in ("offset", "limit"))
    return call.path + "?" + urlencode(kept)


def _next_page(call: Call, token: str) -> dict[str, Any]:
    query = {k: v for k, v in call.query.items() if k != "offset"}
    path = f"{call.path}?{urlencode({**query, 'offset': token})}"
    return {"offset": token, "path": path, "uri": f"{call.base_url}{path}"}


def listing(call: Call, records: Sequence[BaseModel]) -> Reply:
    """A list answer: one page of compact records (or the ``opt_fields`` named)."""
    chosen, next_page, paginated = page(call, records)
    render = call.sim.render
    body: dict[str, Any] = {"data": render.page(chosen, call.opt_fields())}
    if paginated:
        body["next_page"] = next_page
    return Reply(200, body)
