"""The planner: (state, observations, policy) -> Plan. Pure: no I/O, no clock, no randomness.

For each record of a group, field by field, a three-way merge over N members:

* a member *changed* a field when what it holds now differs from what was last synced with it
  (its shadow) and from the group's agreed value (base);
* no change: the base stands; one distinct new value: it becomes the base; several: a
  **conflict**, resolved by ``authority`` (an ordered list of members per field) then
  ``last_writer_wins`` on ``modified_at``, and recorded with every value;
* every member that can hold the field and holds something else is written the new base.

The plan says what to write (``Create``, ``Update``, ``Delete``) and what the store must remember
once the observations are accounted for (``records``). Because base and shadows move together
and writes only ever pull members towards the base, a write that fails is simply planned again
next time (level-triggered), and a member that did not answer is neither read nor written.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from syncd.actions import (
    Action,
    ConflictPolicy,
    Create,
    Delete,
    DeletePolicy,
    MemberView,
    Notice,
    Plan,
    Policy,
    Update,
)
from syncd.model import FIELDS, KINDS, Kind, Values, drop_refs, encode_value, references
from syncd.planbase import MISSING as _MISSING
from syncd.plandelete import Deleting
from syncd.planmatch import Matching
from syncd.state import Change, Conflict, FieldTrail, GroupState, RecordState

__all__ = [
    "Action",
    "ConflictPolicy",
    "Create",
    "Delete",
    "DeletePolicy",
    "MemberView",
    "Notice",
    "Plan",
    "Policy",
    "Update",
    "fingerprint",
    "plan",
]

TRAIL_LENGTH = 4  # values kept per field for the oscillation guard
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)
_NONE: frozenset[Any] = frozenset()


def plan(
    state: GroupState,
    members: Iterable[MemberView],
    policy: Policy,
    new_uid: Callable[[], str],
) -> Plan:
    """Decide what to write where so that every member converges on the group's values.

    Args:
        state: what the store remembers of the group.
        members: every member of the group, with what was read from it this run.
        policy: the group's conflict, delete and matching rules.
        new_uid: makes a canonical uid for a record seen for the first time.

    Returns:
        The plan: actions in write order, and the state to commit before applying them.
    """
    # The planner makes millions of short-lived objects and no reference cycles: the cyclic
    # collector would only rescan the growing heap again and again (super-linear time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Planner(state, list(members), policy, new_uid).run()
    finally:
        if was_enabled:
            gc.enable()


class _Planner(Matching, Deleting):
    """One planning pass: read, match, find deletions, then merge each record."""

    # -- driver ---------------------------------------------------------------------------------

    def run(self) -> Plan:
        unlinked = self._index_observations()
        self._settle_intents(unlinked)
        self._match(unlinked)
        self._new_records(unlinked)
        self._find_deletions()
        for uid in sorted(self.deleted_in):
            self._vanished(uid)
        for uid in self._uids_in_order():
            self._reconcile(uid)
        self._order_creates()
        return self.out

    # -- one record -----------------------------------------------------------------------------

    def _uids_in_order(self) -> list[str]:
        uids = set(self.records) | set(self.out.records)
        return sorted(uids)

    def _reconcile(self, uid: str) -> None:
        stored = self.records.get(uid)
        rec = self.out.records.get(uid) or stored
        assert rec is not None
        if rec.deleted:
            if uid not in self.deleting:
                self._plan_deletes(self._touch(uid))  # a deletion still under way
            return
        current = self._current_values(uid, rec)
        points_to_dead = bool(self.dead) and bool(references(rec.kind, rec.base) & self.dead)
        if uid not in self.out.records and not points_to_dead and self._in_sync(rec, current):
            return
        self._merge(uid, self._touch(uid), current)

    def _current_values(self, uid: str, rec: RecordState) -> dict[str, Values]:
        """What each readable member holds now, references translated to uids."""
        current: dict[str, Values] = {}
        for name, link in rec.links.items():
            seen = self.seen.get(name)  # None: gone from the config, or unreadable this run
            if seen is None or link.tombstone:
                continue
            obs = seen.get(uid)
            if obs is None:
                current[name] = link.shadow  # not listed this time (incremental): unchanged
            else:
                current[name] = self._canonical(name, rec.kind, obs)
        return current

    def _in_sync(self, rec: RecordState, current: dict[str, Values]) -> bool:
        """Fast path: nobody changed anything and every member holds the base."""
        base_items = rec.base.items()
        for name, link in rec.links.items():
            if link.tombstone or name not in self.members:
                continue
            now = current.get(name)
            if now is not None and now is not link.shadow and now != link.shadow:
                return False
            if not link.shadow.items() <= base_items:
                return False
        return not self._missing_members(rec)

    def _merge(self, uid: str, rec: RecordState, current: dict[str, Values]) -> None:
        base = rec.base
        kind = rec.kind
        writes: dict[str, Values] = defaultdict(dict)
        before: dict[str, Values] = defaultdict(dict)
        live = current
        if self.dead:  # a reference to a deleted record reads as cleared, and is written so
            base.update(drop_refs(kind, base, self.dead))
            live = {m: drop_refs(kind, values, self.dead) for m, values in current.items()}
        for name in FIELDS[kind]:
            trail = self.state.trails.get((uid, name))
            if trail is not None and trail.quarantined:
                continue
            target = self._merge_field(uid, rec, name, live)
            if target is _MISSING:
                continue
            if base.get(name, _MISSING) != target:
                if self._oscillates(uid, name, target):
                    continue
                base[name] = target
            for member in rec.links:
                held = self._held(rec, member, name, current)
                if held is not _MISSING and held != target:
                    if self._refused(uid, kind, member, name, target):
                        continue
                    writes[member][name] = target
                    before[member][name] = held
        for name, values in current.items():
            rec.links[name].shadow = values
        self._plan_writes(rec, writes, before)

    def _merge_field(
        self, uid: str, rec: RecordState, name: str, current: dict[str, Values]
    ) -> Any:
        base = rec.base.get(name, _MISSING)
        changed: dict[str, Any] = {}
        for member, values in current.items():
            value = values.get(name, _MISSING)
            if value is _MISSING or value == base or (uid, member) in self.adopted:
                continue
            if value != rec.links[member].shadow.get(name, _MISSING):
                changed[member] = value
        if not changed:
            return base
        if base is _MISSING and len(changed) > 1:
            # Records matched on a first sync: a member that never filled the field in has no
            # opinion on it, so it does not conflict with one that did.
            filled = {m: v for m, v in changed.items() if v is not None and v != "" and v != _NONE}
            changed = filled or changed
        for member, value in changed.items():
            shadow = rec.links[member].shadow
            if name in shadow:  # a change, not a record's first sight
                before = _enc(rec.kind, name, shadow[name])
                after = _enc(rec.kind, name, value)
                self.out.changes.append(Change(uid, member, name, before, after, "observed"))
        changed = {**self._base_holders(rec, name, base, changed, current), **changed}
        if len(set(changed.values())) == 1:
            return next(iter(changed.values()))
        winner = self._resolve(uid, rec, name, changed)
        return changed[winner]

    def _base_holders(
        self,
        rec: RecordState,
        name: str,
        base: Any,
        changed: dict[str, Any],
        current: dict[str, Values],
    ) -> dict[str, Any]:
        """The members that speak for the base when a change was made without seeing it.

        A member that was behind (down, or its write failed) and changed the field made its
        edit concurrently with whoever set the base: that is a conflict, not an update.
        """
        if base is _MISSING:
            return {}
        behind = any(rec.links[m].shadow.get(name, _MISSING) != base for m in changed)
        if not behind:
            return {}
        return {
            m: base
            for m, values in current.items()
            if m not in changed
            and values.get(name, _MISSING) == base
            and rec.links[m].shadow.get(name, _MISSING) == base
        }

    def _resolve(self, uid: str, rec: RecordState, name: str, changed: dict[str, Any]) -> str:
        """Pick the winning member of a conflict and record every value."""
        policy = "last_writer_wins"
        winner = None
        if self.policy.conflicts == "authority":
            winner = next((m for m in self.policy.authority.get(name, ()) if m in changed), None)
            if winner is not None:
                policy = "authority"
        if winner is None:
            winner = max(changed, key=lambda m: self._write_time(m, uid))
        self.out.conflicts.append(
            Conflict(
                uid=uid,
                kind=rec.kind,
                field=name,
                values={m: _enc(rec.kind, name, v) for m, v in changed.items()},
                base=_enc(rec.kind, name, rec.base.get(name)),
                winner=winner,
                policy=policy,
            )
        )
        return winner

    def _write_time(self, member: str, uid: str) -> tuple[dt.datetime, int]:
        """Sort key for last_writer_wins: newest modified_at, ties by member order (first wins)."""
        obs = self.seen.get(member, {}).get(uid)
        stamp = obs.modified_at if obs is not None and obs.modified_at is not None else _EPOCH
        return (stamp, -self.order.index(member))

    def _held(self, rec: RecordState, member: str, name: str, current: dict[str, Values]) -> Any:
        """What a writable member holds for a field; _MISSING when it is not ours to write."""
        view = self.members.get(member)
        if view is None or member not in current:
            return _MISSING  # gone from the config, tombstoned, or unreadable this run
        caps = view.capabilities
        if name not in caps.writes(rec.kind) or name not in caps.reads(rec.kind):
            return _MISSING  # we only write what we can read back (echo suppression needs it)
        return current[member].get(name, _MISSING)  # missing: a reference outside the group

    def _oscillates(self, uid: str, name: str, target: Any) -> bool:
        """Record the field's new value; quarantine it when it flips back and forth."""
        kind = self._kind(uid)
        old = self.state.trails.get((uid, name))
        trail = FieldTrail(list(old.values) if old else [], False)
        trail.values.append((self.state.run_seq + 1, fingerprint(kind, name, target)))
        del trail.values[:-TRAIL_LENGTH]
        self.out.trails[(uid, name)] = trail
        if _flips(trail.values):
            trail.quarantined = True
            self.out.notices.append(
                Notice(
                    "quarantined",
                    f"{kind} {uid}: field {name!r} flipped back and forth over the last "
                    f"{TRAIL_LENGTH} runs; no more writes to it until released",
                    uid=uid,
                )
            )
            return True
        return False

    def _refused(self, uid: str, kind: Kind, member: str, name: str, target: Any) -> bool:
        """Whether the member already refused this very value: it is not sent again, but on a
        full read of the member (its cause may be gone: a user added, a workflow changed)."""
        refusal = self.state.refusals.get((uid, member, name))
        if refusal is None or refusal.fingerprint != fingerprint(kind, name, target):
            return False
        view = self.members.get(member)
        observation = view.observation if view is not None else None
        return observation is None or not observation.complete

    def _plan_writes(
        self, rec: RecordState, writes: dict[str, Values], before: dict[str, Values]
    ) -> None:
        for member, changes in writes.items():
            link = rec.links[member]
            self.out.updates.append(
                Update(member, rec.uid, rec.kind, link.external_id, changes, before[member])
            )
        for member in self._missing_members(rec):
            writable = self.members[member].capabilities.writes(rec.kind)
            values = {f: v for f, v in rec.base.items() if f in writable}
            self.out.creates.append(Create(member, rec.uid, rec.kind, values))

    def _missing_members(self, rec: RecordState) -> list[str]:
        """Members that can hold the record, admit it, and have no link to it."""
        holders = self.holders[rec.kind]
        if all(name in rec.links for name in holders):
            return []
        missing = []
        for name in holders:
            view = self.members[name]
            if name in rec.links or (name, rec.uid) in self.blocked_creates:
                continue
            if view.admits is None or view.admits(rec.kind, rec.base):
                missing.append(name)
        return missing

    # -- write order ----------------------------------------------------------------------------

    def _order_creates(self) -> None:
        """Milestones, then tasks parents-first, then anything that references a new record."""
        creates = self.out.creates
        by_member: dict[str, list[Create]] = defaultdict(list)
        for create in creates:
            by_member[create.member].append(create)
        ordered: list[Create] = []
        for name in self.order:
            ordered.extend(_topological(by_member.get(name, [])))
        self.out.creates = ordered


# --- small pure helpers -----------------------------------------------------------------------


def _enc(kind: Kind, name: str, value: Any) -> Any:
    return encode_value(FIELDS[kind][name], value)


def fingerprint(kind: Kind, name: str, value: Any) -> str:
    """A short, stable digest of a field's value (for the oscillation guard's trail)."""
    raw = json.dumps(_enc(kind, name, value), sort_keys=True, default=str)
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def _flips(values: list[tuple[int, str]]) -> bool:
    """A-B-A-B over consecutive runs."""
    if len(values) < TRAIL_LENGTH:
        return False
    runs = [r for r, _ in values]
    prints = [p for _, p in values]
    consecutive = all(b - a == 1 for a, b in itertools.pairwise(runs))
    return consecutive and prints[0] == prints[2] != prints[1] == prints[3]


def _topological(creates: list[Create]) -> list[Create]:
    """Kahn's order over references among the new records; kinds in KINDS order first."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    pending = sorted(creates, key=lambda c: (rank[c.kind], c.uid))
    new = {c.uid for c in pending}
    done: set[str] = set()
    ordered: list[Create] = []
    while pending:
        ready = [c for c in pending if not (references(c.kind, c.values) & new) - done]
        if not ready:
            ready = pending[:1]  # a cycle: created without the reference, written next run
        for create in ready:
            done.add(create.uid)
            ordered.append(create)
        pending = [c for c in pending if c.uid not in done]
    return ordered
