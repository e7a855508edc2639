"""Whole syncs over memory members: retries, crashes, echoes, outages and bad records."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from adapters.base import AdapterContext, Observed
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.config import MemoryConnection
from syncd.errors import SimulatedCrash
from syncd.model import Kind, Ref, Values
from tests.syncing import Rig, open_store


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig.make(open_store(tmp_path), 3)


def test_second_sync_plans_nothing(rig: Rig) -> None:
    """What syncd wrote does not come back as a change: a second sync is a no-op."""
    rig.backends["m0"].put("task", {"title": "Plan the launch", "due": dt.date(2026, 3, 1)})
    first = rig.sync()
    assert sum(first.result.created.values()) == 2
    again = rig.sync()
    assert again.plan.is_empty()
    assert again.plan.changes == []
    assert rig.divergences() == []


def test_failed_write_is_retried_not_reverted(rig: Rig) -> None:
    """A member whose write failed is written again next run; its old value never wins."""
    ext = rig.backends["m0"].put("task", {"title": "T", "status": "todo"})
    rig.sync()
    rig.backends["m0"].change(ext, {"status": "done"})
    rig.backends["m1"].faults.fail_write = 1.0
    failed = rig.sync()
    assert [f.member for f in failed.result.failures] == ["m1"]
    assert failed.status == "partial"
    rig.backends["m1"].faults.fail_write = 0
    retried = rig.sync()
    assert [(u.member, u.changes) for u in retried.plan.updates] == [("m1", {"status": "done"})]
    assert retried.plan.conflicts == []
    assert rig.divergences() == []
    assert {r["status"] for n in rig.names for r in rig.live(n).values()} == {"done"}


@pytest.mark.parametrize("markers", [True, False])
@pytest.mark.parametrize("after", [True, False])
def test_crash_around_a_create_never_duplicates(tmp_path: Path, markers: bool, after: bool) -> None:
    """Killed just before or after a create reaches the system, a rerun creates it exactly once."""
    rig = Rig.make(open_store(tmp_path), [{}, {"markers": markers}])
    rig.backends["m0"].put("task", {"title": "Only once"})
    rig.backends["m0"].put("task", {"title": "And this once"})
    faults = rig.backends["m1"].faults
    if after:
        faults.crash_after_write = 1
    else:
        faults.crash_before_write = 1
    with pytest.raises(SimulatedCrash):
        rig.sync()
    rerun = rig.sync()
    titles = sorted(r["title"] for r in rig.live("m1").values())
    assert titles == ["And this once", "Only once"]
    assert rig.divergences() == []
    assert rerun.status == "ok"
    assert rig.sync().plan.is_empty()


def test_crash_after_the_observations_were_stored_resumes_the_writes(rig: Rig) -> None:
    """A run killed mid-way leaves members that the rerun brings to the group's values."""
    ext = rig.backends["m0"].put("task", {"title": "T", "labels": frozenset({"a"})})
    rig.sync()
    rig.backends["m0"].change(ext, {"labels": frozenset({"a", "b"}), "title": "T2"})
    rig.backends["m2"].faults.crash_before_write = 1
    with pytest.raises(SimulatedCrash):
        rig.sync()
    rig.sync()
    assert rig.divergences() == []
    assert {r["title"] for n in rig.names for r in rig.live(n).values()} == {"T2"}


def test_member_down_is_left_out_and_nothing_is_deleted(rig: Rig) -> None:
    """A member that cannot be read is neither written nor taken as having deleted anything."""
    rig.backends["m0"].put("task", {"title": "Keep me"})
    rig.sync()
    rig.backends["m1"].faults.fail_fetch = 1.0
    rig.backends["m0"].put("task", {"title": "New while m1 is down"})
    report = rig.sync(full=True)
    assert list(report.member_errors) == ["m1"]
    assert report.result.deleted == {}
    assert sorted(report.result.created.elements()) == ["m2"]
    rig.backends["m1"].faults.fail_fetch = 0
    rig.sync()
    assert len(rig.live("m1")) == 2
    assert rig.divergences() == []


def test_record_that_does_not_parse_fails_alone(tmp_path: Path) -> None:
    """A malformed record is reported and skipped; the others sync; it is not taken as deleted."""
    path = tmp_path / "m0.json"
    path.write_text(
        '{"format": "syncd-memory/1", "records": {'
        '"T1": {"kind": "task", "fields": {"title": "Good"}},'
        '"T2": {"kind": "task", "fields": {"title": "Bad", "due": "not a date"}}}}'
    )
    rig = Rig.make(open_store(tmp_path), [{"path": path}, {}])
    rig.backends["m0"].path = path
    report = rig.sync()
    assert list(report.read_errors) == ["m0"]
    assert "T2" in report.read_errors["m0"][0]
    assert [r["title"] for r in rig.live("m1").values()] == ["Good"]
    assert report.status == "partial"
    assert rig.sync(full=True).result.deleted == {}


def test_deletion_propagates_as_archive(rig: Rig) -> None:
    """A record deleted in one member is archived in the others after a full read."""
    ext = rig.backends["m0"].put("task", {"title": "Obsolete"})
    rig.sync()
    rig.backends["m0"].remove(ext)
    report = rig.sync(full=True)
    assert sorted(report.result.deleted.elements()) == ["m1", "m2"]
    assert all(rec.archived for rec in rig.backends["m1"].records.values())
    assert rig.store.load_group("g").records == {}


def test_mass_delete_breaker_stops_deletes_end_to_end(tmp_path: Path) -> None:
    """An emptied member does not wipe the others; --force-delete goes ahead."""
    rig = Rig.make(open_store(tmp_path), 2, max_delete_ratio=0.2)
    for i in range(5):
        rig.backends["m0"].put("task", {"title": f"T{i}"})
    rig.sync()
    rig.backends["m0"].records.clear()
    refused = rig.sync(full=True)
    assert refused.result.deleted == {}
    assert len(rig.live("m1")) == 5
    assert "max_delete_ratio" in refused.summary()["notices"][0]


def test_references_follow_their_records(rig: Rig) -> None:
    """A task's milestone and dependencies point to the same records in every member."""
    b = rig.backends["m0"]
    stone = b.put("milestone", {"title": "Go-live", "due": dt.date(2026, 4, 1)})
    first = b.put("task", {"title": "Build", "milestone": Ref(uid=stone)})
    b.put("task", {"title": "Test", "milestone": Ref(uid=stone), "depends_on": [Ref(uid=first)]})
    rig.sync()
    for name in ("m1", "m2"):
        live = rig.live(name)
        by_title = {v["title"]: k for k, v in live.items()}
        test = live[by_title["Test"]]
        assert test["milestone"] == Ref(uid=by_title["Go-live"])
        assert test["depends_on"] == frozenset({Ref(uid=by_title["Build"])})
    assert rig.divergences() == []


def test_run_history_keeps_before_and_after(rig: Rig) -> None:
    """Every written change is in the run's history with its old and new value."""
    ext = rig.backends["m0"].put("task", {"title": "T", "status": "todo"})
    rig.sync()
    rig.backends["m0"].change(ext, {"status": "in_progress"})
    report = rig.sync()
    assert report.run_id is not None
    changes = rig.store.changes_of(report.run_id)
    written = sorted((c.member, c.before, c.after) for c in changes if c.origin == "written")
    assert written == [("m1", "todo", "in_progress"), ("m2", "todo", "in_progress")]
    observed = [(c.member, c.field) for c in changes if c.origin == "observed"]
    assert observed == [("m0", "status")]


def test_value_a_system_alters_is_adopted_not_rewritten_forever(rig: Rig) -> None:
    """When a system stores less than it was sent, the group adopts what it holds and settles."""
    rig.backends["m1"].faults.title_limit = 5
    rig.backends["m0"].put("task", {"title": "Long title"})
    rig.sync()
    rig.sync()
    assert {r["title"] for n in rig.names for r in rig.live(n).values()} == {"Long"}
    assert rig.sync().plan.is_empty()
    assert rig.divergences() == []


@pytest.mark.parametrize("markers", [True, False])
def test_a_create_whose_answer_was_lost_is_adopted_not_made_twice(
    tmp_path: Path, markers: bool
) -> None:
    """Found by the fault suite (a Trello card create whose connection dropped): the card was
    made, the intent was marked failed, and the next run read the card as a new record,
    copied it everywhere and made the original again. The intent now stays pending and the
    next run adopts the record, by marker or else by title."""
    rig = Rig.make(open_store(tmp_path), [{}, {"markers": markers}])
    rig.backends["m0"].put("task", {"title": "Landed"})
    rig.backends["m1"].faults.unsure_creates = 1
    first = rig.sync()
    assert [(f.member, f.action) for f in first.result.failures] == [("m1", "create")]
    rig.sync()
    for name in rig.names:
        assert [r["title"] for r in rig.live(name).values()] == ["Landed"]
    assert rig.divergences() == []
    assert rig.sync().plan.is_empty()


def test_an_id_given_again_to_a_new_record_fails_that_record_then_is_sorted_out(
    tmp_path: Path,
) -> None:
    """Found by the fault suite: a person deleted the plan's last task and syncd's next
    create took its freed UID while the deletion was not yet seen. Completing the create hit
    the link of the deleted task and crashed the whole run; the next run then read the new
    task as the deleted one (renaming it everywhere). Now that record fails alone, and the
    next run sees the old record gone there (by the new one's marker) and adopts the new."""
    rig = Rig.make(open_store(tmp_path), [{}, {"markers": True}])
    rig.backends["m0"].put("task", {"title": "Old"})
    rig.sync()
    old = next(iter(rig.live("m1")))
    rig.backends["m1"].remove(old)  # a person deletes it; syncd has not read that yet
    rig.backends["m0"].put("task", {"title": "New"})
    rig.backends["m1"].faults.reuse_ids = [old]
    rig.backends["m1"].faults.incomplete_fetch = 1.0
    first = rig.sync()
    assert [(f.member, f.action) for f in first.result.failures] == [("m1", "create")]
    rig.backends["m1"].faults.incomplete_fetch = 0
    rig.sync()
    rig.sync()
    for name in rig.names:
        assert [r["title"] for r in rig.live(name).values()] == ["New"]
    assert rig.divergences() == []


def test_a_write_answered_as_done_but_not_made_is_sent_again(rig: Rig) -> None:
    """Found by the fault suite (a garbled 200 to a Jira update): the system says done but
    still holds its old value. Remembering the value sent would leave that member stale for
    good (its incremental listing never shows the record again) and a later full read would
    take the old value for its own edit. The failure is reported and the write redone."""
    ext = rig.backends["m0"].put("task", {"title": "T", "due": dt.date(2026, 5, 1)})
    rig.sync()
    rig.backends["m0"].change(ext, {"due": dt.date(2026, 6, 1)})
    rig.backends["m1"].faults.lost_updates = 1
    lossy = rig.sync()
    assert [(f.member, f.action) for f in lossy.result.failures] == [("m1", "update")]
    rig.sync()
    assert {r["due"] for n in rig.names for r in rig.live(n).values()} == {dt.date(2026, 6, 1)}
    assert rig.divergences() == []


def test_first_sync_empty_field_does_not_conflict_with_a_filled_one(tmp_path: Path) -> None:
    """Matched on a first sync, a field one member never filled takes the other's value."""
    rig = Rig.make(open_store(tmp_path), 2)
    rig.backends["m0"].put("task", {"title": "Same", "due": dt.date(2026, 5, 1)})
    rig.backends["m1"].put("task", {"title": "Same", "labels": frozenset({"x"})})
    report = rig.sync()
    assert report.plan.conflicts == []
    assert [r["due"] for r in rig.live("m1").values()] == [dt.date(2026, 5, 1)]
    assert [r["labels"] for r in rig.live("m0").values()] == [frozenset({"x"})]


def test_every_log_line_of_a_sync_names_group_and_run(rig: Rig) -> None:
    """Log events of a sync carry the group and run id, and write events the member."""
    from structlog.contextvars import merge_contextvars
    from structlog.testing import capture_logs

    rig.backends["m0"].put("task", {"title": "T"})
    with capture_logs(processors=[merge_contextvars]) as events:
        report = rig.sync()
    assert events
    assert all(e["group"] == "g" and e["run_id"] == report.run_id for e in events)
    applied = [e for e in events if e["event"] == "sync.action.applied"]
    assert sorted(e["member"] for e in applied) == ["m1", "m2"]


def test_deleting_a_referenced_milestone_clears_the_reference_everywhere(rig: Rig) -> None:
    """Found by the sync machine: a task pointing at a milestone deleted meanwhile converges."""
    b = rig.backends["m1"]
    stone = b.put("milestone", {"title": "M"})
    task = b.put("task", {"title": "T"})
    rig.sync()
    b.change(task, {"milestone": Ref(uid=stone)})
    b.remove(stone)  # the system drops the task's reference with it
    rig.sync(full=True)
    assert rig.divergences() == []
    assert {r.get("milestone") for n in rig.names for r in rig.live(n).values()} == {None}
    assert rig.sync(full=True).plan.is_empty()


def test_hand_edit_of_a_memory_file_is_a_change(tmp_path: Path) -> None:
    """A person editing a record's fields in the JSON file is seen by the next incremental sync."""
    import json

    path = tmp_path / "m0.json"
    rig = Rig.make(open_store(tmp_path), [{"path": path}, {}])
    rig.backends["m0"].path = path
    rig.backends["m0"].put("task", {"title": "T", "status": "todo"})
    rig.backends["m0"].save()
    rig.sync()
    doc = json.loads(path.read_text())
    next(iter(doc["records"].values()))["fields"]["status"] = "done"
    path.write_text(json.dumps(doc))
    rig.sync()  # incremental
    assert [r["status"] for r in rig.live("m1").values()] == ["done"]


def test_edit_made_while_behind_conflicts_with_the_base(tmp_path: Path) -> None:
    """Found by the sync machine: an edit made while a member was down is a conflict.

    m1 changed a date while it was unreachable and m0's change of the same date went through;
    when m1 is back, the two values are recorded as a conflict (m1 wins here by its newer
    record), so m0's value is not silently dropped.
    """
    rig = Rig.make(open_store(tmp_path), 2)
    ext0 = rig.backends["m0"].put("task", {"title": "T", "due": dt.date(2026, 6, 1)})
    rig.sync()
    ext1 = next(iter(rig.live("m1")))
    rig.backends["m1"].change(ext1, {"due": dt.date(2026, 11, 4)})
    rig.backends["m0"].change(ext0, {"due": dt.date(2026, 8, 31)})
    rig.backends["m1"].faults.fail_fetch = 1.0
    rig.sync()
    rig.backends["m1"].faults.fail_fetch = 0
    rig.backends["m1"].change(ext1, {"status": "done"})
    report = rig.sync()
    (conflict,) = report.plan.conflicts
    assert conflict.field == "due"
    assert conflict.values == {"m0": "2026-08-31", "m1": "2026-11-04"}
    assert conflict.winner == "m1"
    assert rig.divergences() == []


class _RefusesStatus(MemoryAdapter):
    """A memory member that, like a Jira workflow without the transition, keeps its status."""

    refuse = True

    async def update(self, kind: Kind, external_id: str, changes: Values) -> Observed:
        if not (self.refuse and "status" in changes):
            return await super().update(kind, external_id, changes)
        rest = {k: v for k, v in changes.items() if k != "status"}
        observed = await super().update(kind, external_id, rest)
        return dataclasses.replace(observed, unwritten={"status": "no transition reaches it"})


def test_a_value_a_member_refuses_is_remembered_not_failed_and_never_reverted(
    rig: Rig,
) -> None:
    """A value a system cannot hold (a status no transition reaches) is recorded as that
    member's refusal, not a failed run; its old value never wins the group; it is not sent
    again on incremental runs, but is on a full read (its cause may be gone) and whenever the
    group's value changes."""
    ext = rig.backends["m0"].put("task", {"title": "T", "status": "todo"})
    rig.sync()
    refusing = {
        n: (_RefusesStatus if n == "m1" else MemoryAdapter)(
            MemoryConnection(), rig.settings[n], AdapterContext(member=n), rig.backends[n]
        )
        for n in rig.names
    }
    rig.adapters = lambda: refusing  # type: ignore[method-assign]
    rig.backends["m0"].change(ext, {"status": "done", "title": "T2"})
    first = rig.sync()
    assert first.status == "ok"
    assert first.result.failures == []
    assert [(k[1:], r.reason) for k, r in first.result.refused.items()] == [
        (("m1", "status"), "no transition reaches it")
    ]
    assert first.summary()["refused"] == {"m1": 1}
    (uid,) = rig.store.load_group("g").records
    assert rig.store.load_group("g").refusals.keys() == {(uid, "m1", "status")}

    quiet = rig.sync()
    assert quiet.plan.updates == []  # not sent again
    statuses = {n: [r["status"] for r in rig.live(n).values()] for n in rig.names}
    assert statuses == {"m0": ["done"], "m1": ["todo"], "m2": ["done"]}
    assert [r["title"] for r in rig.live("m1").values()] == ["T2"]

    retried = rig.sync(full=True)
    assert [(u.member, set(u.changes)) for u in retried.plan.updates] == [("m1", {"status"})]

    rig.backends["m2"].change(next(iter(rig.live("m2"))), {"status": "in_progress"})
    moved = rig.sync()  # a new value for the group: sent (and refused) again
    assert {u.member for u in moved.plan.updates} == {"m0", "m1"}
    _RefusesStatus.refuse = False
    rig.sync(full=True)
    assert rig.divergences() == []
    assert rig.store.load_group("g").refusals == {}
