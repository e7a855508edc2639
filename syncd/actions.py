"""The planner's vocabulary: its inputs (member views, policy) and its output (a Plan of actions).

Pure data; ``syncd.plan`` makes plans out of these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from adapters.base import Capabilities, DeleteMode, Observation
from syncd.model import Kind, Values
from syncd.state import Change, Conflict, FieldTrail, IntentStatus, RecordState

ConflictPolicy: TypeAlias = Literal["authority", "last_writer_wins"]
DeletePolicy: TypeAlias = Literal["archive", "delete", "ignore"]


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    """One member as the planner sees it.

    ``observation`` is None when the member could not be read this run: it is then neither taken
    as changed nor written to. ``first_sync`` enables matching of its pre-existing records.
    """

    name: str
    capabilities: Capabilities
    observation: Observation | None
    first_sync: bool = False
    admits: Callable[[Kind, Values], bool] | None = None


@dataclass(frozen=True)
class Policy:
    """The group's rules, from its config."""

    conflicts: ConflictPolicy = "authority"
    authority: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    deletes: DeletePolicy = "archive"
    match_existing: bool = True
    max_delete_ratio: float = 0.2
    force_delete: bool = False


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Create:
    """A record the member lacks: create it there with the group's values."""

    member: str
    uid: str
    kind: Kind
    values: Values


@dataclass(frozen=True)
class Update:
    """Fields the member holds differently from the group's value: write them."""

    member: str
    uid: str
    kind: Kind
    external_id: str
    changes: Values
    before: Values


@dataclass(frozen=True)
class Delete:
    """A record deleted elsewhere (after a complete listing): archive or delete it here."""

    member: str
    uid: str
    kind: Kind
    external_id: str
    mode: DeleteMode


Action: TypeAlias = Create | Update | Delete


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not an action (a refusal, a guard, a skip)."""

    code: str  # stable: mass_delete_refused, quarantined, resurrected, unresolved_ref, ...
    message: str
    member: str | None = None
    uid: str | None = None


@dataclass
class Plan:
    """What a sync will do, and the state to remember once the observations are accounted for.

    ``records`` holds every record whose base or links change before any write (new records,
    matched links, acknowledged observations).
    """

    group: str
    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    deletes: list[Delete] = field(default_factory=list)
    records: dict[str, RecordState] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    settled: dict[int, IntentStatus] = field(default_factory=dict)  # intent id -> new status
    trails: dict[tuple[str, str], FieldTrail] = field(default_factory=dict)
    links_made: int = 0

    @property
    def actions(self) -> list[Action]:
        """Every write, in the order they are applied."""
        return [*self.creates, *self.updates, *self.deletes]

    def is_empty(self) -> bool:
        """True when the plan writes nothing to any member."""
        return not (self.creates or self.updates or self.deletes)
