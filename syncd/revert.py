"""Undoing a run: its before values go back wherever its after values are still current.

Only field changes are reverted (creations and deletions are not undone: a deleted record may
be archived in its system, and re-creating records is what a sync does anyway). A field that
changed again since the run keeps its newer value: revert never overwrites someone's later edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.base import Observation
from syncd.apply import apply
from syncd.config import Config
from syncd.model import FIELDS, Values, decode_value, encode_value, map_refs
from syncd.plan import Plan, Update
from syncd.runner import make_adapters, opened
from syncd.state import Change, GroupState, LinkState, RecordState
from syncd.store import Store


@dataclass
class RevertReport:
    """What a revert wrote back."""

    run_id: int
    reverted: int
    skipped: int
    failures: list[str]


async def revert_run(config: Config, store: Store, group: str, run_id: int) -> RevertReport:
    """Write a run's before values back wherever its after values are still current.

    Args:
        config: the loaded config.
        store: the state store.
        group: the run's group.
        run_id: the run to undo.

    Returns:
        How many records were written back, how many changes were skipped, what failed.
    """
    changes = [c for c in store.changes_of(run_id) if not c.field.startswith("@")]
    state = store.load_group(group)
    async with opened(make_adapters(config, group)) as adapters:
        listings = {name: await adapter.fetch(None) for name, adapter in adapters.items()}
        plan, skipped = plan_revert(state, changes, listings)
        store.commit_observed(group, list(plan.records.values()), {})
        run = store.begin_run(group)[0]
        records = {**state.records, **plan.records}
        result = await apply(plan, adapters, store, run_id=run, records=records)
    store.record_changes(group, run, _reverted_changes(plan.updates))
    failures = [f"{f.member} {f.uid}: {f.error}" for f in result.failures]
    summary = {"reverted_run": run_id, "updated": dict(result.updated)}
    store.finish_run(run, "partial" if failures else "ok", summary)
    return RevertReport(run_id, sum(result.updated.values()), skipped, failures)


def plan_revert(
    state: GroupState, changes: list[Change], listings: Mapping[str, Observation]
) -> tuple[Plan, int]:
    """The updates that undo ``changes`` where they are still current; and how many were not."""
    by_ext = {name: {o.external_id: o for o in obs.records} for name, obs in listings.items()}
    plan = Plan(group=state.group)
    writes: dict[tuple[str, str], tuple[Values, Values]] = {}  # (uid, member) -> (new, old)
    skipped = 0
    for change in changes:
        rec = state.records.get(change.uid)
        link = rec.links.get(change.member) if rec is not None else None
        seen = by_ext.get(change.member, {})
        observed = seen.get(link.external_id) if link is not None else None
        if rec is None or link is None or observed is None or change.field not in FIELDS[rec.kind]:
            skipped += 1  # the record or the member is gone
            continue
        spec = FIELDS[rec.kind][change.field]
        current = map_refs(rec.kind, observed.values, state.linked(change.member))
        held = current.get(change.field)
        if encode_value(spec, held) != change.after:
            skipped += 1  # changed again since: the newer value stays
            continue
        before = decode_value(spec, change.before)
        copy = plan.records.get(rec.uid) or _copy(rec)
        copy.base[change.field] = before
        copy.links[change.member].shadow[change.field] = held  # what it holds, acknowledged
        plan.records[rec.uid] = copy
        new, old = writes.setdefault((rec.uid, change.member), ({}, {}))
        new[change.field], old[change.field] = before, held
    for (uid, member), (new, old) in writes.items():
        rec = plan.records[uid]
        plan.updates.append(Update(member, uid, rec.kind, rec.links[member].external_id, new, old))
    return plan, skipped


def _copy(rec: RecordState) -> RecordState:
    links = {
        m: LinkState(m, ln.external_id, dict(ln.shadow), ln.tombstone)
        for m, ln in rec.links.items()
    }
    return RecordState(rec.uid, rec.kind, dict(rec.base), links, rec.deleted)


def _reverted_changes(updates: list[Update]) -> list[Change]:
    out = []
    for update in updates:
        specs = FIELDS[update.kind]
        for name, value in update.changes.items():
            before: Any = encode_value(specs[name], update.before.get(name))
            out.append(
                Change(
                    update.uid,
                    update.member,
                    name,
                    before,
                    encode_value(specs[name], value),
                    "reverted",
                )
            )
    return out
