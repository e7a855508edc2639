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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from adapters.base import Capabilities, DeleteMode, Observation, Observed
from syncd.model import (
    FIELDS,
    KINDS,
    Kind,
    Values,
    encode_value,
    map_refs,
    match_key,
    references,
    title_of,
)
from syncd.state import (
    Change,
    Conflict,
    FieldTrail,
    GroupState,
    Intent,
    IntentStatus,
    LinkState,
    RecordState,
)

ConflictPolicy: TypeAlias = Literal["authority", "last_writer_wins"]
DeletePolicy: TypeAlias = Literal["archive", "delete", "ignore"]
_MISSING: Any = object()
TRAIL_LENGTH = 4  # values kept per field for the oscillation guard
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)
_NONE: frozenset[Any] = frozenset()


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


# --- the planner ------------------------------------------------------------------------------


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


class _Planner:
    """One planning pass; holds the indexes that the steps share."""

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
        self.deleted_in: dict[str, set[str]] = defaultdict(set)  # uid -> members it vanished from
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

    # -- driver ---------------------------------------------------------------------------------

    def run(self) -> Plan:
        unlinked = self._index_observations()
        self._settle_intents(unlinked)
        self._match(unlinked)
        self._new_records(unlinked)
        self._find_deletions()
        for uid in self._uids_in_order():
            self._reconcile(uid)
        self._order_creates()
        return self.out

    # -- reading the observations ---------------------------------------------------------------

    def _index_observations(self) -> dict[str, list[Observed]]:
        """Sort what each member returned into linked records and ones seen for the first time."""
        unlinked: dict[str, list[Observed]] = {}
        for name, view in self.members.items():
            if view.observation is None:
                continue
            known = self.ext_to_uid[name]
            seen: dict[str, Observed] = {}
            fresh: list[Observed] = []
            for obs in view.observation.records:
                if obs.kind not in view.capabilities.kinds:
                    continue
                uid = known.get(obs.external_id)
                if uid is not None:
                    seen[uid] = obs
                elif obs.external_id not in self.tombstoned[name]:
                    fresh.append(obs)
            self.seen[name] = seen
            unlinked[name] = sorted(fresh, key=lambda o: o.external_id)
        return unlinked

    def _link(self, member: str, uid: str, obs: Observed) -> None:
        self.ext_to_uid[member][obs.external_id] = uid
        self.seen[member][uid] = obs
        self.out.links_made += 1

    def _settle_intents(self, unlinked: dict[str, list[Observed]]) -> None:
        """Adopt records created just before a crash; retire intents the state has absorbed."""
        for intent in self.state.pending:
            if intent.action != "create":
                self.out.settled[intent.id] = "abandoned"  # re-planned from state, level-triggered
                continue
            self._settle_create(intent, unlinked)

    def _settle_create(self, intent: Intent, unlinked: dict[str, list[Observed]]) -> None:
        view = self.members.get(intent.member)
        rec = self.records.get(intent.uid)
        if view is None or rec is None or intent.member in rec.links:
            self.out.settled[intent.id] = "abandoned"
            return
        if view.observation is None:
            self.blocked_creates.add((intent.member, intent.uid))
            return
        candidates = unlinked.get(intent.member, [])
        found = _find_marker(candidates, intent.uid) or _find_title(
            candidates, intent.kind, intent.payload.get("title")
        )
        if found is not None:
            candidates.remove(found)
            self._link(intent.member, intent.uid, found)
            self._touch(intent.uid).links[intent.member] = LinkState(
                intent.member, found.external_id, shadow={}
            )
            self.out.settled[intent.id] = "adopted"
        elif view.observation.complete:
            self.out.settled[intent.id] = "abandoned"  # it never landed: create it again
        else:
            self.blocked_creates.add((intent.member, intent.uid))  # unsure: wait for a full read

    def _match(self, unlinked: dict[str, list[Observed]]) -> None:
        """Link records that already exist: by marker always, by kind and title on a first sync."""
        for name, fresh in unlinked.items():
            unlinked[name] = [obs for obs in fresh if not self._match_marker(name, obs)]
        matching = [n for n in self.order if self.members[n].first_sync and unlinked.get(n)]
        if not self.policy.match_existing or not matching:
            return
        by_key = self._unlinked_records_by_key()
        for name in matching:
            unlinked[name] = [
                obs for obs in unlinked[name] if not self._match_title(name, obs, by_key)
            ]

    def _match_marker(self, name: str, obs: Observed) -> bool:
        rec = self.records.get(obs.marker) if obs.marker else None
        if rec is None or name in rec.links or rec.deleted:
            return False
        self._link(name, rec.uid, obs)
        self._touch(rec.uid).links[name] = LinkState(name, obs.external_id)
        return True

    def _match_title(
        self, name: str, obs: Observed, by_key: dict[tuple[str, str], list[tuple[str, set[str]]]]
    ) -> bool:
        uid = _pop_match(by_key, _key(obs.kind, obs.values), name)
        if uid is None:
            return False
        self._link(name, uid, obs)
        self._touch(uid).links[name] = LinkState(name, obs.external_id)
        return True

    def _unlinked_records_by_key(self) -> dict[tuple[str, str], list[tuple[str, set[str]]]]:
        """Live records by match key, each with the members it is already linked in."""
        by_key: dict[tuple[str, str], list[tuple[str, set[str]]]] = defaultdict(list)
        for rec in sorted(self.records.values(), key=lambda r: r.uid):
            if not rec.deleted:
                by_key[_key(rec.kind, rec.base)].append((rec.uid, set(rec.links)))
        return by_key

    def _new_records(self, unlinked: dict[str, list[Observed]]) -> None:
        """New records become canonical (matched across members on a first sync)."""
        by_key: dict[tuple[str, str], list[tuple[str, set[str]]]] = defaultdict(list)
        for name in self.order:
            for obs in unlinked.get(name, []):
                key = _key(obs.kind, obs.values)
                uid = None
                if self.policy.match_existing and self.members[name].first_sync:
                    uid = _pop_match(by_key, key, name)
                if uid is None:
                    uid = self.new_uid()
                    self.out.records[uid] = RecordState(uid, obs.kind)
                    by_key[key].append((uid, {name}))
                self._link(name, uid, obs)
                self.out.records[uid].links[name] = LinkState(name, obs.external_id)

    def _find_deletions(self) -> None:
        """After complete listings, linked records a member no longer has were deleted there."""
        gone: dict[str, list[str]] = {}
        for name, view in self.members.items():
            obs = view.observation
            if obs is None or not obs.complete:
                continue
            failed = {e.external_id for e in obs.errors}
            seen = self.seen[name]
            gone[name] = [
                uid
                for ext, uid in self.ext_to_uid[name].items()
                if uid not in seen and ext not in failed
            ]
        if not self.policy.force_delete and self._breaker_trips(gone):
            return
        for name, uids in gone.items():
            for uid in uids:
                self.deleted_in[uid].add(name)

    def _breaker_trips(self, gone: dict[str, list[str]]) -> bool:
        for name, uids in gone.items():
            linked = len(self.ext_to_uid[name])
            if uids and len(uids) > self.policy.max_delete_ratio * linked:
                self.out.notices.append(
                    Notice(
                        "mass_delete_refused",
                        f"{name}'s listing lacks {len(uids)} of its {linked} linked records, more "
                        f"than max_delete_ratio {self.policy.max_delete_ratio:.0%}: no record of "
                        "this group is deleted this run (check the member's scope; "
                        "--force-delete overrides)",
                        member=name,
                    )
                )
                return True
        return False

    # -- one record -----------------------------------------------------------------------------

    def _uids_in_order(self) -> list[str]:
        uids = set(self.records) | set(self.out.records)
        return sorted(uids)

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

    def _reconcile(self, uid: str) -> None:
        stored = self.records.get(uid)
        rec = self.out.records.get(uid) or stored
        assert rec is not None
        if rec.deleted:
            self._plan_deletes(self._touch(uid))  # a deletion still under way
            return
        if uid in self.deleted_in and self._deleted(uid):
            return
        rec = self.out.records.get(uid) or rec
        current = self._current_values(uid, rec)
        if uid not in self.out.records and self._in_sync(rec, current):
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

    def _canonical(self, member: str, kind: Kind, obs: Observed) -> Values:
        """An observed record's values with references as uids; unresolvable ones left out."""
        readable = self.readable.get((member, kind))
        if readable is None:
            readable = self.readable[(member, kind)] = self.members[member].capabilities.reads(kind)
        values = obs.values
        if not values.keys() <= readable:
            values = {f: v for f, v in values.items() if f in readable}
        return map_refs(kind, values, self.ext_to_uid[member])

    def _merge(self, uid: str, rec: RecordState, current: dict[str, Values]) -> None:
        base = rec.base
        kind = rec.kind
        writes: dict[str, Values] = defaultdict(dict)
        before: dict[str, Values] = defaultdict(dict)
        for name in FIELDS[kind]:
            trail = self.state.trails.get((uid, name))
            if trail is not None and trail.quarantined:
                continue
            target = self._merge_field(uid, rec, name, current)
            if target is _MISSING:
                continue
            if base.get(name, _MISSING) != target:
                if self._oscillates(uid, name, target):
                    continue
                base[name] = target
            for member in rec.links:
                held = self._held(rec, member, name, current)
                if held is not _MISSING and held != target:
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
            if value is _MISSING or value == base:
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
        if len(set(changed.values())) == 1:
            return next(iter(changed.values()))
        winner = self._resolve(uid, rec, name, changed)
        return changed[winner]

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

    def _kind(self, uid: str) -> Kind:
        rec = self.out.records.get(uid) or self.records[uid]
        return rec.kind

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

    # -- deletions ------------------------------------------------------------------------------

    def _deleted(self, uid: str) -> bool:
        """Apply a deletion seen in some members; False when the record lives on."""
        rec = self._touch(uid)
        vanished = sorted(self.deleted_in[uid])
        stored_links = {name: rec.links.pop(name) for name in vanished}
        if self._edited_elsewhere(uid, rec):
            self.out.notices.append(
                Notice(
                    "resurrected",
                    f"{rec.kind} {uid} was deleted in {', '.join(vanished)} but edited "
                    "elsewhere since the last sync: the edit wins and it is re-created there",
                    uid=uid,
                )
            )
            return False
        if self.policy.deletes == "ignore":
            for name, link in stored_links.items():
                rec.links[name] = LinkState(name, link.external_id, link.shadow, tombstone=True)
            return False
        rec.deleted = True
        self._plan_deletes(rec)
        return True

    def _edited_elsewhere(self, uid: str, rec: RecordState) -> bool:
        for name, link in rec.links.items():
            obs = self.seen.get(name, {}).get(uid)
            if obs is not None and self._canonical(name, rec.kind, obs) != link.shadow:
                return True
        return False

    def _plan_deletes(self, rec: RecordState) -> None:
        mode: DeleteMode = "delete" if self.policy.deletes == "delete" else "archive"
        live = [(m, ln) for m, ln in rec.links.items() if not ln.tombstone]
        for name, link in live:
            view = self.members.get(name)
            if view is None or view.observation is None:
                continue
            if mode not in view.capabilities.delete_modes:
                self.out.notices.append(
                    Notice(
                        "delete_unsupported",
                        f"{name} cannot {mode} records: {rec.kind} {rec.uid} stays there, unlinked",
                        member=name,
                        uid=rec.uid,
                    )
                )
                del rec.links[name]
                continue
            self.out.deletes.append(Delete(name, rec.uid, rec.kind, link.external_id, mode))

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


def _key(kind: Kind, values: Mapping[str, Any]) -> tuple[str, str]:
    title = title_of(values)
    return (kind, match_key(title) if title is not None else "")


def _pop_match(
    by_key: dict[tuple[str, str], list[tuple[str, set[str]]]], key: tuple[str, str], member: str
) -> str | None:
    """The first record with this key not yet linked in ``member``; marks it linked."""
    if not key[1] and key[0] != "budget":
        return None  # untitled records are never matched by title
    for uid, linked in by_key.get(key, []):
        if member not in linked:
            linked.add(member)
            return uid
    return None


def _find_marker(candidates: list[Observed], uid: str) -> Observed | None:
    return next((o for o in candidates if o.marker == uid), None)


def _find_title(candidates: list[Observed], kind: Kind, title: Any) -> Observed | None:
    if not isinstance(title, str) or not title:
        return None
    key = match_key(title)
    return next(
        (
            o
            for o in candidates
            if o.kind == kind and o.marker is None and _key(kind, o.values)[1] == key
        ),
        None,
    )


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
