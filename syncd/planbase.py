"""What the planner's steps share: its indexes of links and observations, and small helpers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from adapters.base import Observed
from syncd.actions import MemberView, Plan, Policy
from syncd.model import KINDS, Kind, Values, map_refs
from syncd.state import GroupState, LinkState, RecordState

MISSING: Any = object()  # a field a member does not hold (distinct from None, a value)


class PlannerState:
    """One planning pass's state; the steps (matching, deletions, merging) extend it."""

    def __init__(
        self,
        state: GroupState,
        members: list[MemberView],
        policy: Policy,
        new_uid: Callable[[], str],
    ) -> None:
        self.state = state
        self.members = {m.name: m for m in members}
        self.order = [m.name for m in members]
        self.policy = policy
        self.new_uid = new_uid
        self.out = Plan(group=state.group)
        self.records = state.records  # read-only; touched records are copied into out.records
        # member -> external id -> uid, for live links and for links made this run
        self.ext_to_uid: dict[str, dict[str, str]] = {name: {} for name in self.order}
        self.tombstoned: dict[str, set[str]] = {name: set() for name in self.order}
        for rec in self.records.values():
            for name, link in rec.links.items():
                if name not in self.ext_to_uid:
                    continue  # a member no longer in the config
                if link.tombstone:
                    self.tombstoned[name].add(link.external_id)
                else:
                    self.ext_to_uid[name][link.external_id] = rec.uid
        self.seen: dict[str, dict[str, Observed]] = {}  # member -> uid -> observed (raw refs)
        self.blocked_creates: set[tuple[str, str]] = set()  # (member, uid): pending intent
        # (uid, member): a create adopted after a crash or a failure part way (by its pending
        # intent, or by its marker). What the member holds there is what our interrupted
        # create left (a Jira issue made, its transition never sent), not a person's edit: it
        # has no say in the merge, and the base is written to it.
        self.adopted: set[tuple[str, str]] = set()
        # member -> uids whose external id the member gave to another of our records: gone
        # from that member, whatever its listing vouches for (see Matching._reused).
        self.replaced: dict[str, set[str]] = defaultdict(set)
        self.deleted_in: dict[str, set[str]] = defaultdict(set)  # uid -> members it vanished from
        # records deleted (or being deleted): a reference to one reads as cleared
        self.dead: set[str] = {uid for uid, rec in self.records.items() if rec.deleted}
        self.deleting: set[str] = set()  # deleted this run (their deletes are planned)
        self.readable: dict[tuple[str, Kind], frozenset[str]] = {}
        # kind -> the members, in order, that were read this run and can hold that kind
        self.holders: dict[Kind, list[str]] = {
            kind: [
                m.name
                for m in members
                if m.observation is not None and kind in m.capabilities.kinds
            ]
            for kind in KINDS
        }

    def _link(self, member: str, uid: str, obs: Observed) -> None:
        self.ext_to_uid[member][obs.external_id] = uid
        self.seen[member][uid] = obs
        self.out.links_made += 1

    def _touch(self, uid: str) -> RecordState:
        """The record's new state, copied from the stored one on first touch."""
        rec = self.out.records.get(uid)
        if rec is None:
            old = self.records[uid]
            rec = RecordState(
                uid,
                old.kind,
                dict(old.base),
                {
                    m: LinkState(m, ln.external_id, ln.shadow, ln.tombstone)
                    for m, ln in old.links.items()
                },
                old.deleted,
            )
            self.out.records[uid] = rec
        return rec

    def _canonical(self, member: str, kind: Kind, obs: Observed) -> Values:
        """An observed record's values with references as uids; unresolvable ones left out."""
        readable = self.readable.get((member, kind))
        if readable is None:
            readable = self.readable[(member, kind)] = self.members[member].capabilities.reads(kind)
        values = obs.values
        if not values.keys() <= readable:
            values = {f: v for f, v in values.items() if f in readable}
        return map_refs(kind, values, self.ext_to_uid[member])

    def _kind(self, uid: str) -> Kind:
        rec = self.out.records.get(uid) or self.records[uid]
        return rec.kind
