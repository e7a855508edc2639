"""Planning step one: sort what members returned, settle journaled creates, match and adopt.

A record seen for the first time is linked to an existing one when the system kept our marker
on it, or (on a member's first sync) when kind and normalised title agree; otherwise it becomes
a new canonical record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from adapters.base import Observed
from syncd.model import Kind, match_key, title_of
from syncd.planbase import PlannerState
from syncd.state import Intent, LinkState, RecordState


class Matching(PlannerState):
    """Reading observations into links."""

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
                if uid is not None and self._reused(name, uid, obs):
                    uid = None
                if uid is not None:
                    seen[uid] = obs
                elif obs.external_id not in self.tombstoned[name]:
                    fresh.append(obs)
            self.seen[name] = seen
            unlinked[name] = sorted(fresh, key=lambda o: o.external_id)
        return unlinked

    def _reused(self, name: str, uid: str, obs: Observed) -> bool:
        """Whether the member gave a linked record's id to another of our records: its marker
        names that one. (A plan's task UID freed by a deletion and taken again by a task we
        created.) The linked record is then gone from the member, as if deleted there; the
        record seen is our other one, adopted by its marker."""
        if not obs.marker or obs.marker == uid or obs.marker not in self.records:
            return False
        self.replaced[name].add(uid)
        return True

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
            self.adopted.add((intent.uid, intent.member))
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
        # Our own create of this record landed without our knowing (its intent failed part
        # way: a Jira issue made, its transition refused): what it holds is not an edit.
        self.adopted.add((rec.uid, name))
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
