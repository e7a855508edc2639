"""A hypothesis state machine over 2-4 memory members: random edits, faults, crashes and syncs.

After every fault-free sync: the members converge, a second sync plans nothing, nothing is
duplicated, no record that no user deleted is lost, and every value a user last wrote survives
as the group's value or in the conflict log or the history.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from syncd.errors import SimulatedCrash
from syncd.model import FIELDS, Ref, encode_value
from tests.syncing import Rig, open_store

MEMBER_KINDS = [
    {},
    {
        "supports": {
            "task": ["title", "status", "due", "labels", "milestone"],
            "milestone": ["title", "due", "status"],
        }
    },
    {"markers": False},
    {"supports": {"task": ["title", "status", "planned_cost", "assignee", "description"]}},
]
TASK_EDITS: dict[str, st.SearchStrategy[Any]] = {
    "status": st.sampled_from(["todo", "in_progress", "done"]),
    "due": st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    "labels": st.frozensets(st.sampled_from(["a", "b", "ux", "ops"]), max_size=3),
    "planned_cost": st.decimals(0, 10_000, places=2).map(Decimal),
    "assignee": st.sampled_from([None, "ana@acme.example", "bo@acme.example"]),
    "description": st.sampled_from(["", "Do it", "**Bold** plan\n- one\n- two"]),
}


class SyncMachine(RuleBasedStateMachine):
    """Users edit, create and delete in every member between syncs that may fail or crash."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="syncd-machine-"))
        self.store = open_store(self.tmp)
        self.titles = itertools.count(1)
        # (member, ext, field) -> (last value a user wrote there, how many syncs had run then)
        self.edits: dict[tuple[str, str, str], tuple[Any, int]] = {}
        self.syncs = 0
        self.user_deleted: set[str] = set()  # uids a user deleted somewhere
        self.known: set[str] = set()  # uids the store held after the last clean sync
        self.rig: Rig

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @initialize(n=st.integers(2, 4), shuffle=st.randoms(use_true_random=False))
    def make_members(self, n: int, shuffle: Any) -> None:
        kinds = [dict(k) for k in MEMBER_KINDS[:n]]
        shuffle.shuffle(kinds)
        self.rig = Rig.make(self.store, kinds)

    # -- users ----------------------------------------------------------------------------------

    def _member(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(self.rig.names))

    def _supports(self, name: str, kind: str, field: str = "title") -> bool:
        return field in self.rig.adapters()[name].capabilities.reads(kind)  # type: ignore[arg-type]

    @rule(data=st.data(), milestone=st.booleans())
    def user_creates(self, data: st.DataObject, milestone: bool) -> None:
        name = self._member(data)
        kind = "milestone" if milestone and self._supports(name, "milestone") else "task"
        self.rig.backends[name].put(kind, {"title": f"{kind} {next(self.titles)}"})

    @rule(data=st.data())
    def user_edits(self, data: st.DataObject) -> None:
        name = self._member(data)
        backend = self.rig.backends[name]
        tasks = sorted(
            e for e, r in self.rig.live(name).items() if backend.records[e].kind == "task"
        )
        if not tasks:
            return
        ext = data.draw(st.sampled_from(tasks))
        fields = [f for f in [*TASK_EDITS, "milestone"] if self._supports(name, "task", f)]
        field = data.draw(st.sampled_from(fields))
        if field == "milestone":
            stones = sorted(
                e for e, r in backend.records.items() if r.kind == "milestone" and not r.archived
            )
            value: Any = Ref(uid=data.draw(st.sampled_from(stones))) if stones else None
        else:
            value = data.draw(TASK_EDITS[field])
        before = backend.records[ext].fields.get(field, FIELDS["task"][field].default)
        stored = backend.change(ext, {field: value}).fields[field]
        if stored != before:  # setting a field to what it holds is no edit to preserve
            self.edits[(name, ext, field)] = (stored, self.syncs)

    @rule(data=st.data())
    def user_deletes(self, data: st.DataObject) -> None:
        name = self._member(data)
        live = sorted(self.rig.live(name))
        if not live:
            return
        ext = data.draw(st.sampled_from(live))
        uid = self.store.load_group("g").linked(name).get(ext)
        if uid is not None:
            self.user_deleted.add(uid)
        self.rig.backends[name].remove(ext)
        self.edits = {k: v for k, v in self.edits.items() if k[:2] != (name, ext)}

    # -- faults ---------------------------------------------------------------------------------

    def _sync(self, **options: Any) -> Any:
        self.syncs += 1
        return self.rig.sync(**options)

    @rule(data=st.data(), rate=st.sampled_from([0.3, 1.0]))
    def sync_with_failing_writes(self, data: st.DataObject, rate: float) -> None:
        backend = self.rig.backends[self._member(data)]
        backend.faults.fail_write = rate
        try:
            self._sync()
        finally:
            backend.faults.fail_write = 0

    @rule(data=st.data(), at=st.integers(1, 6), after=st.booleans())
    def sync_killed_mid_write(self, data: st.DataObject, at: int, after: bool) -> None:
        backend = self.rig.backends[self._member(data)]
        backend.faults.writes = 0
        if after:
            backend.faults.crash_after_write = at
        else:
            backend.faults.crash_before_write = at
        try:
            with contextlib.suppress(SimulatedCrash):  # the "killed" run; the next one resumes
                self._sync()
        finally:
            backend.faults.crash_after_write = backend.faults.crash_before_write = None

    @rule(data=st.data())
    def sync_with_a_member_down(self, data: st.DataObject) -> None:
        backend = self.rig.backends[self._member(data)]
        backend.faults.fail_fetch = 1.0
        try:
            self._sync()
        finally:
            backend.faults.fail_fetch = 0

    # -- the checks -----------------------------------------------------------------------------

    @precondition(lambda self: hasattr(self, "rig"))
    @rule(full=st.booleans())
    def clean_sync(self, full: bool) -> None:
        self._sync(full=full)
        self._sync(full=True)  # the deletions a partial read could not see
        assert self.rig.divergences() == []
        again = self._sync(full=True)
        assert again.plan.is_empty(), again.plan.actions
        assert again.plan.conflicts == []
        self._check_edits_survive()
        self._check_nothing_lost()
        self.edits.clear()

    def _check_edits_survive(self) -> None:
        """Each user's last value is the group's value or a conflict's recorded loser.

        An edit is exempt only when a later sync let another edit of the same field supersede
        it legitimately (an edit made after a sync that may already have taken this one).
        """
        state = self.store.load_group("g")
        conflicts = self.store.conflicts("g", open_only=False)
        resolved: dict[tuple[str, str, str], tuple[Any, int]] = {}
        for (name, ext, field), (value, epoch) in self.edits.items():
            uid = state.linked(name).get(ext)
            if uid is not None:
                resolved[(name, uid, field)] = (value, epoch)
        newest: dict[tuple[str, str], int] = {}
        for (_, uid, field), (_, epoch) in resolved.items():
            newest[(uid, field)] = max(epoch, newest.get((uid, field), epoch))
        for (name, uid, field), (value, epoch) in resolved.items():
            if uid not in state.records or uid in self.user_deleted:
                continue  # the record went with a deletion a user made
            if isinstance(value, Ref) or epoch < newest[(uid, field)]:
                continue  # references are checked by convergence; superseded by a later edit
            rec = state.records[uid]
            spec = FIELDS[rec.kind][field]
            wanted = encode_value(spec, value)
            if encode_value(spec, rec.base.get(field)) == wanted:
                continue
            logged = [
                c.conflict.values.get(name)
                for c in conflicts
                if c.conflict.uid == uid and c.conflict.field == field
            ]
            assert wanted in logged, f"{name}'s {field}={value!r} on {uid} was lost"

    def _check_nothing_lost(self) -> None:
        state = self.store.load_group("g")
        for uid in self.known - self.user_deleted:
            assert uid in state.records, f"{uid} was lost"
            assert not state.records[uid].deleted, f"{uid} was deleted"
        self.known = set(state.records)

    @invariant()
    def markers_are_unique(self) -> None:
        if not hasattr(self, "rig"):
            return
        for name, backend in self.rig.backends.items():
            markers = [r.marker for r in backend.records.values() if r.marker and not r.archived]
            assert len(markers) == len(set(markers)), f"{name} holds a record twice"


SyncMachine.TestCase.settings = settings(
    # SYNCD_SOAK=500 explores much longer (a soak run); CI keeps the default.
    max_examples=int(os.environ.get("SYNCD_SOAK", "40")),
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestSyncMachine = SyncMachine.TestCase
