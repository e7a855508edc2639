"""The Events API: ``GET /events?resource=<gid>&sync=<token>``.

Without a token, or with an unknown or expired one, Asana answers 412 with a fresh token in
the body; with a valid one, the events since it (100 at most, ``has_more`` when there are
more) and the next token. Re-reading a token gives the same answer. Tokens expire after 24 h.
https://developers.asana.com/reference/getevents
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from adapters.asana.simulator.call import Call, Endpoint, Reply
from adapters.asana.simulator.errors import AsanaError, bad_request, not_found

PAGE = 100
SYNC_INVALID = (
    "Sync token invalid or too old. If you are attempting to keep resources in sync, you must "
    "fetch the full dataset for this query now and use the new sync token for the next sync."
)


@dataclass(frozen=True)
class _Sync:
    resource: str
    position: int  # the number of events already seen
    issued: datetime


class SyncTokens:
    """The sync tokens handed out (in memory: a restarted Asana would expire them too)."""

    def __init__(self) -> None:
        self._tokens: dict[str, _Sync] = {}

    def issue(self, resource: str, position: int, now: datetime) -> str:
        seed = f"{len(self._tokens)}:{resource}:{position}".encode()
        token = hashlib.md5(seed, usedforsecurity=False).hexdigest()
        self._tokens[token] = _Sync(resource, position, now)
        return token

    def position(self, token: str, resource: str, now: datetime, ttl: float) -> int | None:
        """Where ``token`` stands, or None (unknown, another resource's, or expired)."""
        found = self._tokens.get(token)
        if found is None or found.resource != resource:
            return None
        if (now - found.issued).total_seconds() > ttl:
            return None
        return found.position


def get_events(call: Call) -> Reply:
    sim, store = call.sim, call.sim.store
    resource = call.query.get("resource")
    if not resource:
        raise bad_request("resource: Missing input")
    _check_resource(call, resource)
    now, events = store.now(), store.state.events
    token = call.query.get("sync")
    start = sim.sync_tokens.position(token, resource, now, sim.sync_ttl) if token else None
    if start is None:
        fresh = sim.sync_tokens.issue(resource, len(events), now)
        raise AsanaError(412, SYNC_INVALID, extra={"sync": fresh})
    matching = [e for e in events[start:] if resource in e.scopes]
    chosen, has_more = matching[:PAGE], len(matching) > PAGE
    end = chosen[-1].seq if has_more else len(events)
    body = {
        "data": [e.body for e in chosen],
        "sync": sim.sync_tokens.issue(resource, end, now),
        "has_more": has_more,
    }
    return Reply(200, body)


def _check_resource(call: Call, gid: str) -> None:
    state = call.sim.store.state
    found = state.projects.get(gid) or state.tasks.get(gid)
    if found is None:
        raise not_found("resource", gid)
    call.sim.store.check_member(call.user, found.workspace)


ENDPOINTS = (Endpoint("GET", "/events", get_events),)
