"""The state store's contract, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from syncd.errors import StoreError
from syncd.model import Ref
from syncd.state import (
    Change,
    Conflict,
    CursorState,
    FieldTrail,
    LinkState,
    RecordState,
    Refusal,
)
from syncd.store import Store

TASK = {
    "title": "Migrate the CRM",
    "description": "**Now**\n- a",
    "status": "in_progress",
    "assignee": "ana@acme.example",
    "start": dt.date(2026, 1, 5),
    "due": dt.date(2026, 2, 27),
    "percent_complete": 40,
    "estimate_hours": 12.5,
    "planned_cost": Decimal("12500.5"),
    "actual_cost": Decimal(0),
    "labels": frozenset({"crm", "wave-1"}),
    "parent": Ref(uid="p"),
    "milestone": None,
    "depends_on": frozenset({Ref(uid="a"), Ref(uid="b")}),
}


def task(uid: str, links: dict[str, str], **base: object) -> RecordState:
    values = {**TASK, **base}
    return RecordState(
        uid, "task", dict(values), {m: LinkState(m, e, dict(values)) for m, e in links.items()}
    )


def test_group_state_round_trips_every_value_type(store: Store) -> None:
    """Records, links, shadows, cursors and trails load back exactly as they were saved."""
    rec = task("r1", {"jira": "WEB-1", "plan": "7"})
    rec.links["plan"].shadow = {"title": "Old title", "due": None}
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    trail = FieldTrail([(1, "aa"), (2, "bb")], quarantined=True)
    store.commit_observed(
        "g", [rec], {"jira": CursorState("c-9", stamp)}, trails={("r1", "due"): trail}
    )
    state = store.load_group("g")
    assert state.records["r1"].base == rec.base
    assert state.records["r1"].links["plan"].shadow == {"title": "Old title", "due": None}
    assert state.records["r1"].links["jira"].external_id == "WEB-1"
    assert state.cursors["jira"] == CursorState("c-9", stamp)
    assert state.trails[("r1", "due")] == trail
    assert state.linked("jira") == {"WEB-1": "r1"}


def test_links_are_replaced_by_what_is_given(store: Store) -> None:
    """Saving a record replaces its set of links; other records are left alone."""
    store.commit_observed("g", [task("r1", {"a": "1", "b": "2"}), task("r2", {"a": "3"})], {})
    store.commit_observed("g", [task("r1", {"b": "2", "c": "9"})], {})
    state = store.load_group("g")
    assert sorted(state.records["r1"].links) == ["b", "c"]
    assert sorted(state.records["r2"].links) == ["a"]


def test_refusals_are_remembered_replaced_cleared_and_go_with_their_record(
    store: Store,
) -> None:
    """A refused value is saved per (uid, member, field) and replaced by a newer refusal; a
    write clears it; a refusal of a record not stored is dropped; forgetting the record
    forgets its refusals."""
    store.commit_observed("g", [task("r1", {"asana": "1"}), task("r2", {"asana": "2"})], {})
    start = ("r1", "asana", "start")
    store.save_refusals(
        "g",
        {
            start: Refusal("f1", "no start on the due date"),
            ("ghost", "asana", "due"): Refusal("x", "y"),
        },
    )
    assert store.load_group("g").refusals == {start: Refusal("f1", "no start on the due date")}
    store.save_refusals("g", {start: Refusal("f2", "still no")})
    assert store.refusals("g") == {start: Refusal("f2", "still no")}
    store.save_refusals("g", {("r2", "asana", "parent"): Refusal("p", "hierarchy")}, [start])
    assert store.refusals("g").keys() == {("r2", "asana", "parent")}
    store.forget_records("g", ["r2"])
    assert store.refusals("g") == {}


def test_one_external_id_cannot_link_two_records(store: Store) -> None:
    """Linking an external id already linked to another uid is refused, naming it; nothing saved."""
    store.commit_observed("g", [task("r1", {"jira": "WEB-1"})], {})
    with pytest.raises(StoreError, match="WEB-1"):
        store.commit_observed("g", [task("r3", {"plan": "x"}), task("r2", {"jira": "WEB-1"})], {})
    state = store.load_group("g")
    assert set(state.records) == {"r1"}  # r3 was not saved either: all or nothing


def test_intent_lifecycle_links_the_created_record(store: Store) -> None:
    """A create intent is pending until completed, which links the record in one step."""
    store.commit_observed("g", [task("r1", {"jira": "WEB-1"})], {})
    run_id, seq = store.begin_run("g")
    assert seq == 1
    intent = store.add_intent("g", run_id, "plan", "r1", "task", "create", {"title": "T"})
    (pending,) = store.load_group("g").pending
    assert (pending.id, pending.member, pending.action, pending.payload) == (
        intent,
        "plan",
        "create",
        {"title": "T"},
    )
    store.complete_intent(
        intent,
        group="g",
        uid="r1",
        member="plan",
        external_id="12",
        shadow={"title": "T"},
        kind="task",
    )
    state = store.load_group("g")
    assert state.pending == []
    assert state.records["r1"].links["plan"].external_id == "12"
    gone = store.add_intent("g", run_id, "plan", "r1", "task", "delete", {})
    store.complete_intent(
        gone, group="g", uid="r1", member="plan", external_id=None, shadow=None, kind="task"
    )
    assert "plan" not in store.load_group("g").records["r1"].links
    failed = store.add_intent("g", run_id, "jira", "r1", "task", "update", {"title": "x"})
    store.set_intent_status(failed, "failed", "422: bad")
    assert store.load_group("g").pending == []


def test_runs_changes_and_conflicts_are_kept(store: Store) -> None:
    """A run's status, summary, changes and conflicts are read back for the CLI."""
    run_id, _ = store.begin_run("g")
    store.commit_observed(
        "g",
        [task("r1", {"a": "1"})],
        {},
        changes=[Change("r1", "a", "due", "2026-01-01", "2026-02-01", "observed")],
        conflicts=[
            Conflict("r1", "task", "status", {"a": "done", "b": "todo"}, "todo", "a", "authority")
        ],
        run_id=run_id,
    )
    store.record_changes("g", run_id, [Change("r1", "b", "due", None, "2026-02-01", "written")])
    store.finish_run(run_id, "partial", {"failures": 1})
    (info,) = store.runs("g")
    assert (info.id, info.status, info.summary) == (run_id, "partial", {"failures": 1})
    assert info.finished_at is not None
    assert [(c.member, c.origin) for c in store.changes_of(run_id)] == [
        ("a", "observed"),
        ("b", "written"),
    ]
    (conflict,) = store.conflicts("g")
    assert conflict.conflict.values == {"a": "done", "b": "todo"}
    assert store.resolve_conflict(conflict.id)
    assert store.conflicts("g") == []
    assert len(store.conflicts("g", open_only=False)) == 1


def test_unfinished_run_is_marked_crashed_by_the_next(store: Store) -> None:
    """A run still 'running' when the next begins is recorded as crashed."""
    first, _ = store.begin_run("g")
    second, seq = store.begin_run("g")
    assert seq == 2
    assert store.run(first).status == "crashed"  # type: ignore[union-attr]
    assert store.run(second).status == "running"  # type: ignore[union-attr]


def test_forget_and_quarantine_and_counts(store: Store) -> None:
    """Forgotten records lose their links; quarantines are listed until released."""
    store.commit_observed(
        "g",
        [task("r1", {"a": "1"}), task("r2", {"a": "2", "b": "3"})],
        {},
        trails={("r2", "due"): FieldTrail([], quarantined=True)},
    )
    assert store.quarantined("g") == [("r2", "due")]
    assert store.release_quarantine("g", "r2", "due")
    assert store.quarantined("g") == []
    assert store.forget_records("g", ["r1"]) == 1
    counts = store.counts("g")
    assert counts["records"] == 1
    assert counts["links"] == {"a": 1, "b": 1}
    assert store.groups() == ["g"]


def test_verify_is_clean_on_a_sound_store(store: Store) -> None:
    """A store written only through its API passes the integrity check."""
    store.commit_observed("g", [task("r1", {"a": "1"})], {})
    assert store.verify() == []


def test_large_group_round_trips(store: Store) -> None:
    """Thousands of records with links save and load in bulk, intact."""
    records = [task(f"r{i}", {"a": f"A{i}", "b": f"B{i}"}, title=f"T{i}") for i in range(3000)]
    store.commit_observed("g", records, {})
    state = store.load_group("g")
    assert len(state.records) == 3000
    assert state.records["r2999"].links["b"].shadow["title"] == "T2999"
