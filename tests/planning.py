"""Small builders for planner tests: states, observations and member views in a line each."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from typing import Any

from adapters.base import Capabilities, KindCapability, Observation, Observed
from syncd.model import KINDS, Kind, normalise
from syncd.plan import MemberView, Plan, Policy, plan
from syncd.state import GroupState, Intent, LinkState, RecordState


def seen(
    ext: str,
    kind: Kind = "task",
    *,
    at: int | None = None,
    marker: str | None = None,
    **values: Any,
) -> Observed:
    """A record as a member returns it; ``at`` is its modified_at as minutes past 9:00."""
    stamp = (
        None if at is None else dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=at)
    )
    return Observed(kind, ext, normalise(kind, values), stamp, None, marker)


def caps(fields: dict[Kind, Iterable[str]] | None = None) -> Capabilities:
    """Capabilities: every field of every kind, or only the given ones."""
    if fields is None:
        return Capabilities({k: KindCapability.all_fields(k) for k in KINDS}, markers=True)
    return Capabilities(
        {k: KindCapability(frozenset(v), frozenset(v)) for k, v in fields.items()}, markers=True
    )


def member(
    name: str,
    *records: Observed,
    complete: bool = True,
    failed: bool = False,
    first_sync: bool = False,
    capabilities: Capabilities | None = None,
) -> MemberView:
    """A member view with what it returned this run."""
    observation = None if failed else Observation(list(records), "c1", complete)
    return MemberView(name, capabilities or caps(), observation, first_sync)


def record(uid: str, kind: Kind = "task", *, links: dict[str, str], **base: Any) -> RecordState:
    """A synced record whose every member holds the base (shadows equal to it)."""
    values = normalise(kind, base)
    return RecordState(
        uid, kind, dict(values), {m: LinkState(m, ext, dict(values)) for m, ext in links.items()}
    )


def group(*records: RecordState, pending: list[Intent] | None = None) -> GroupState:
    """A group state with these records."""
    return GroupState("g", {r.uid: r for r in records}, pending=pending or [])


def uids() -> Callable[[], str]:
    """Deterministic new uids: u1, u2, ..."""
    counter = itertools.count(1)
    return lambda: f"u{next(counter)}"


def run(state: GroupState, *members: MemberView, **policy: Any) -> Plan:
    """Plan with a deterministic uid maker."""
    return plan(state, members, Policy(**policy), uids())
