"""What the state store remembers of a group, as plain data (no I/O here).

The planner reads a ``GroupState`` and the store loads and saves one; neither knows how the
other works. Values are canonical (``syncd.model``): references hold canonical uids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from syncd.model import Kind, Values

IntentAction: TypeAlias = Literal["create", "update", "delete"]
IntentStatus: TypeAlias = Literal["pending", "done", "failed", "adopted", "abandoned"]
ChangeOrigin: TypeAlias = Literal["observed", "written", "reverted"]
RunStatus: TypeAlias = Literal["ok", "partial", "failed", "crashed"]


@dataclass(slots=True)
class LinkState:
    """One member's side of a record: its external id and the values last synced with it.

    ``tombstone`` marks a record the member deleted under the ``ignore`` delete policy: the link
    is kept so the record is never re-created there.
    """

    member: str
    external_id: str
    shadow: Values = field(default_factory=dict)
    tombstone: bool = False


@dataclass(slots=True)
class RecordState:
    """One canonical record: its agreed values (``base``) and its links by member.

    ``deleted`` marks a record being deleted everywhere: it is never re-created, and its
    remaining links are deleted as their members allow.
    """

    uid: str
    kind: Kind
    base: Values = field(default_factory=dict)
    links: dict[str, LinkState] = field(default_factory=dict)
    deleted: bool = False


@dataclass(slots=True)
class CursorState:
    """Where a member's incremental reading stands."""

    cursor: str | None = None
    last_full_sync: dt.datetime | None = None


@dataclass(slots=True)
class Intent:
    """A journaled write: recorded before it is sent, completed after.

    ``payload`` is JSON (``syncd.model.encode``) so that it can be stored and shown as is.
    """

    id: int
    member: str
    uid: str
    kind: Kind
    action: IntentAction
    payload: dict[str, Any]
    status: IntentStatus = "pending"
    external_id: str | None = None
    run_id: int | None = None


@dataclass(slots=True)
class FieldTrail:
    """The recent canonical values of one field, for the oscillation guard.

    ``values`` holds (run sequence, value fingerprint) pairs, newest last, at most a few.
    """

    values: list[tuple[int, str]] = field(default_factory=list)
    quarantined: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    """A value a member refused to hold (``Observed.unwritten``): Asana's start date on the
    due date, an existing Jira issue under another task. The planner does not send the same
    value to the same member again until a full read (the cause may have been fixed there);
    the member's other fields, and the other members, sync as usual.

    ``fingerprint`` is the refused canonical value's (``syncd.plan.fingerprint``).
    """

    fingerprint: str
    reason: str


@dataclass(slots=True)
class GroupState:
    """Everything the planner needs to know about a group from the store."""

    group: str
    records: dict[str, RecordState] = field(default_factory=dict)
    cursors: dict[str, CursorState] = field(default_factory=dict)
    pending: list[Intent] = field(default_factory=list)
    trails: dict[tuple[str, str], FieldTrail] = field(default_factory=dict)  # (uid, field)
    # (uid, member, field)
    refusals: dict[tuple[str, str, str], Refusal] = field(default_factory=dict)
    run_seq: int = 0  # how many runs of this group were recorded

    def linked(self, member: str) -> dict[str, str]:
        """external_id -> uid for one member's live (non-tombstone) links."""
        return {
            link.external_id: rec.uid
            for rec in self.records.values()
            for m, link in rec.links.items()
            if m == member and not link.tombstone
        }


@dataclass(frozen=True, slots=True)
class Conflict:
    """Several members changed one field differently since the last sync.

    ``values`` holds every member's new value (JSON form), so nothing is lost; ``winner`` is the
    member whose value the policy chose.
    """

    uid: str
    kind: Kind
    field: str
    values: dict[str, Any]
    base: Any
    winner: str
    policy: str


@dataclass(frozen=True, slots=True)
class Change:
    """One field of one record changed in one member, for history and revert (JSON values)."""

    uid: str
    member: str
    field: str
    before: Any
    after: Any
    origin: ChangeOrigin
