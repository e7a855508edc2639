"""The planner's cases, one behaviour per test, as a readable table of situations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from syncd.model import Ref
from syncd.plan import Create, Delete, Update, fingerprint
from syncd.state import FieldTrail, Intent
from tests.planning import caps, group, member, record, run, seen

LINKS = {"a": "A1", "b": "B1", "c": "C1"}


def test_nothing_changed_plans_nothing() -> None:
    """When every member holds the base, the plan is empty and touches no record."""
    state = group(record("r", links=LINKS, title="Plan"))
    p = run(
        state,
        member("a", seen("A1", title="Plan")),
        member("b", seen("B1", title="Plan")),
        member("c", seen("C1", title="Plan")),
    )
    assert p.is_empty()
    assert p.records == {}


def test_one_change_goes_to_every_other_member() -> None:
    """A field changed in one member is written to each member that holds another value."""
    state = group(record("r", links=LINKS, title="Plan", due="2026-02-01"))
    p = run(
        state,
        member("a", seen("A1", title="Plan", due="2026-03-01")),
        member("b", seen("B1", title="Plan", due="2026-02-01")),
        member("c", complete=False),  # an incremental listing without the record: unchanged
    )
    assert sorted((u.member, u.changes["due"]) for u in p.updates) == [
        ("b", dt.date(2026, 3, 1)),
        ("c", dt.date(2026, 3, 1)),
    ]
    assert p.records["r"].base["due"] == dt.date(2026, 3, 1)
    assert p.conflicts == []


def test_same_change_in_two_members_is_no_conflict() -> None:
    """Two members that made the same change agree: only the third is written."""
    state = group(record("r", links=LINKS, title="Plan", status="todo"))
    p = run(
        state,
        member("a", seen("A1", title="Plan", status="done")),
        member("b", seen("B1", title="Plan", status="done")),
        member("c", seen("C1", title="Plan", status="todo")),
    )
    assert [(u.member, u.changes) for u in p.updates] == [("c", {"status": "done"})]
    assert p.conflicts == []


def test_conflict_resolved_by_authority_and_recorded_with_every_value() -> None:
    """Under ``authority`` the first listed member that changed the field wins; all values kept."""
    state = group(record("r", links=LINKS, title="Plan", status="todo"))
    p = run(
        state,
        member("a", seen("A1", at=50, title="Plan", status="done")),
        member("b", seen("B1", at=10, title="Plan", status="in_progress")),
        member("c", seen("C1", title="Plan", status="todo")),
        authority={"status": ("b", "a")},
    )
    (conflict,) = p.conflicts
    assert (conflict.winner, conflict.policy) == ("b", "authority")
    assert conflict.values == {"a": "done", "b": "in_progress"}
    assert conflict.base == "todo"
    assert sorted(u.member for u in p.updates) == ["a", "c"]
    assert p.records["r"].base["status"] == "in_progress"


def test_conflict_without_authority_falls_back_to_last_writer() -> None:
    """With no authority for the field, the most recent modified_at wins."""
    state = group(record("r", links=LINKS, title="Plan", due="2026-02-01"))
    p = run(
        state,
        member("a", seen("A1", at=50, title="Plan", due="2026-04-01")),
        member("b", seen("B1", at=10, title="Plan", due="2026-05-01")),
        member("c", seen("C1", title="Plan", due="2026-02-01")),
        authority={"status": ("b",)},
    )
    (conflict,) = p.conflicts
    assert (conflict.winner, conflict.policy) == ("a", "last_writer_wins")
    assert p.records["r"].base["due"] == dt.date(2026, 4, 1)


def test_last_writer_wins_policy_ignores_authority() -> None:
    """The ``last_writer_wins`` policy decides by time even where an authority is listed."""
    state = group(record("r", links=LINKS, title="Plan", status="todo"))
    p = run(
        state,
        member("a", seen("A1", at=50, title="Plan", status="done")),
        member("b", seen("B1", at=10, title="Plan", status="in_progress")),
        member("c", seen("C1", title="Plan", status="todo")),
        conflicts="last_writer_wins",
        authority={"status": ("b",)},
    )
    assert p.conflicts[0].winner == "a"


def test_new_record_is_created_in_every_other_member() -> None:
    """A record seen for the first time becomes canonical and is created elsewhere."""
    p = run(
        group(), member("a", seen("A7", title="New", due="2026-02-02")), member("b"), member("c")
    )
    assert [(c.member, c.uid, c.values["title"]) for c in p.creates] == [
        ("b", "u1", "New"),
        ("c", "u1", "New"),
    ]
    assert p.records["u1"].links["a"].external_id == "A7"
    assert p.records["u1"].base["due"] == dt.date(2026, 2, 2)


def test_first_sync_matches_existing_records_by_kind_and_title() -> None:
    """On a first sync, same-kind records with the same normalised title become one record."""
    p = run(
        group(),
        member("a", seen("A1", title="Go  Live", due="2026-02-01", at=5), first_sync=True),
        member("b", seen("B9", title="go live", due="2026-03-01", at=9), first_sync=True),
        member("c", seen("C3", "milestone", title="Go live"), first_sync=True),
    )
    task = next(r for r in p.records.values() if r.kind == "task")
    assert {m: ln.external_id for m, ln in task.links.items()} == {"a": "A1", "b": "B9"}
    assert [c.member for c in p.creates if c.uid == task.uid] == ["c"]
    assert {c.field for c in p.conflicts} == {"title", "due"}  # both values are kept


def test_matching_can_be_turned_off() -> None:
    """With ``match_existing: none`` equal titles stay separate records."""
    p = run(
        group(),
        member("a", seen("A1", title="Go live"), first_sync=True),
        member("b", seen("B1", title="Go live"), first_sync=True),
        match_existing=False,
    )
    assert len(p.records) == 2
    assert len(p.creates) == 2


def test_delete_after_complete_listing_archives_elsewhere() -> None:
    """A linked record missing from a complete listing is archived in the others."""
    others = [record(f"k{i}", links={"a": f"A{i}", "b": f"B{i}"}, title=f"K{i}") for i in range(9)]
    state = group(record("r", links={"a": "A1x", "b": "B1x"}, title="Old"), *others)
    listing = [seen(f"A{i}", title=f"K{i}") for i in range(9)]
    p = run(state, member("a", *listing), member("b", complete=False))
    assert p.deletes == [Delete("b", "r", "task", "B1x", "archive")]
    assert p.records["r"].deleted
    assert "a" not in p.records["r"].links


def test_delete_policy_delete_deletes() -> None:
    """Under ``deletes: delete`` the other members delete the record for good."""
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="Old"))
    p = run(state, member("a"), member("b", complete=False), deletes="delete", force_delete=True)
    assert p.deletes == [Delete("b", "r", "task", "B1", "delete")]


def test_delete_policy_ignore_keeps_the_record_and_never_recreates_it() -> None:
    """Under ``deletes: ignore`` the others keep the record and the deleting member gets none."""
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="Old"))
    p = run(state, member("a"), member("b", complete=False), deletes="ignore", force_delete=True)
    assert p.is_empty()
    assert p.records["r"].links["a"].tombstone
    again = run(group(p.records["r"]), member("a"), member("b"), deletes="ignore")
    assert again.creates == []


def test_incomplete_listing_never_deletes() -> None:
    """A record missing from an incomplete listing is unchanged, not deleted."""
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="Old"))
    p = run(state, member("a", complete=False), member("b", complete=False), force_delete=True)
    assert p.is_empty()


def test_failed_read_is_neither_a_change_nor_written_to() -> None:
    """A member that could not be read is left out: no deletion, no write, no create."""
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="Old"))
    p = run(
        state,
        member("a", seen("A1", title="New"), seen("A2", title="Fresh")),
        member("b", failed=True),
    )
    assert p.is_empty()
    assert p.records["r"].base["title"] == "New"
    assert p.records["r"].links["b"].shadow["title"] == "Old"  # still owed the change


def test_mass_delete_breaker_refuses_and_says_why() -> None:
    """A listing that lacks more than max_delete_ratio of a member's records deletes nothing."""
    recs = [record(f"r{i}", links={"a": f"A{i}", "b": f"B{i}"}, title=f"T{i}") for i in range(5)]
    p = run(group(*recs), member("a", seen("A0", title="T0")), member("b", complete=False))
    assert p.deletes == []
    assert [n.code for n in p.notices] == ["mass_delete_refused"]
    assert "4 of its 5" in p.notices[0].message
    forced = run(
        group(*recs),
        member("a", seen("A0", title="T0")),
        member("b", complete=False),
        force_delete=True,
    )
    assert len(forced.deletes) == 4


def test_unsupported_field_is_neither_written_nor_read_as_cleared() -> None:
    """A member without a field keeps out of it: it is not written there nor taken as cleared."""
    narrow = caps({"task": ["title", "due"]})
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="T", planned_cost="100"))
    state.records["r"].links["b"].shadow = {"title": "T"}
    p = run(
        state,
        member("a", seen("A1", title="T", planned_cost="250")),
        member("b", seen("B1", title="T", due=None), capabilities=narrow),
    )
    assert p.updates == []
    assert p.records["r"].base["planned_cost"] == Decimal(250)
    created = run(
        group(),
        member("a", seen("A1", title="T", planned_cost="9")),
        member("b", capabilities=narrow),
    )
    assert created.creates[0].values == {"title": "T"}


def test_create_that_references_a_new_record_comes_after_it() -> None:
    """A child referencing a new parent is created after it, with the reference as a uid."""
    p = run(
        group(),
        member(
            "a",
            seen("A2", title="Child", parent="A9"),
            seen("A9", title="Parent"),
            seen("A5", "milestone", title="M1"),
        ),
        member("b"),
    )
    order = [c.values["title"] for c in p.creates]
    assert order == ["M1", "Parent", "Child"]
    parent_uid = p.creates[1].uid
    assert p.creates[2].values["parent"] == Ref(uid=parent_uid)


def test_reference_outside_the_group_is_left_alone() -> None:
    """A reference to a record the group does not hold is neither synced nor cleared."""
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="T"))
    p = run(
        state,
        member("a", seen("A1", title="T", parent="A404")),
        member("b", seen("B1", title="T", parent=None)),
    )
    assert p.updates == []


def test_delete_while_edited_elsewhere_recreates_the_record() -> None:
    """An edit wins over a deletion made at the same time: the record is created again."""
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="T"))
    p = run(state, member("a"), member("b", seen("B1", title="T2")), force_delete=True)
    assert p.deletes == []
    assert [(c.member, c.values["title"]) for c in p.creates] == [("a", "T2")]
    assert [n.code for n in p.notices] == ["resurrected"]


def test_pending_create_is_adopted_by_marker_not_created_twice() -> None:
    """A create journaled before a crash is found by its marker and linked, not redone."""
    rec = record("r", links={"a": "A1"}, title="T")
    intent = Intent(1, "b", "r", "task", "create", {"title": "T"})
    p = run(
        group(rec, pending=[intent]),
        member("a", seen("A1", title="T")),
        member("b", seen("B5", title="T", marker="r")),
    )
    assert p.creates == []
    assert p.records["r"].links["b"].external_id == "B5"
    assert p.settled == {1: "adopted"}


def test_an_adopted_create_is_finished_not_taken_for_an_edit() -> None:
    """Killed between a create and its follow-up (a Jira issue made, its transition never
    sent): the adopted record's other values are what the interrupted create left, not a
    person's edit. The group's values stand and are written to it; nothing is recorded as
    changed there, and nothing flows back to the other members."""
    rec = record("r", links={"a": "A1"}, title="T", status="in_progress")
    intent = Intent(1, "b", "r", "task", "create", {"title": "T", "status": "in_progress"})
    p = run(
        group(rec, pending=[intent]),
        member("a", seen("A1", title="T", status="in_progress")),
        member("b", seen("B5", title="T", status="todo", marker="r")),
    )
    assert p.settled == {1: "adopted"}
    assert p.records["r"].base["status"] == "in_progress"
    assert [(u.member, u.changes) for u in p.updates] == [("b", {"status": "in_progress"})]
    assert p.changes == []
    assert p.conflicts == []


def test_a_record_found_by_its_marker_is_finished_not_taken_for_an_edit() -> None:
    """Our create landed though its intent failed part way (a Jira issue made, its transition
    refused): found by its marker, it is finished with the group's values, as an adopted
    create is; its default status is not Jira's edit."""
    rec = record("r", links={"a": "A1"}, title="T", status="in_progress")
    p = run(
        group(rec),
        member("a", seen("A1", title="T", status="in_progress")),
        member("b", seen("B5", title="T", status="todo", marker="r")),
    )
    assert p.records["r"].links["b"].external_id == "B5"
    assert p.records["r"].base["status"] == "in_progress"
    assert [(u.member, u.changes) for u in p.updates] == [("b", {"status": "in_progress"})]
    assert p.changes == []
    assert p.conflicts == []  # not a conflict with the group's value either


def test_pending_create_waits_for_a_complete_listing() -> None:
    """When the member's listing is incomplete, a pending create is neither adopted nor redone."""
    rec = record("r", links={"a": "A1"}, title="T")
    intent = Intent(1, "b", "r", "task", "create", {"title": "T"})
    p = run(group(rec, pending=[intent]), member("a"), member("b", complete=False))
    assert p.creates == []
    assert p.settled == {}
    done = run(group(rec, pending=[intent]), member("a", seen("A1", title="T")), member("b"))
    assert [c.member for c in done.creates] == ["b"]
    assert done.settled == {1: "abandoned"}


def test_field_flipping_back_and_forth_is_quarantined() -> None:
    """A field whose value alternates A-B-A-B over consecutive runs stops being written."""
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="T", status="todo"))
    state.run_seq = 4
    done, todo = fingerprint("task", "status", "done"), fingerprint("task", "status", "todo")
    state.trails[("r", "status")] = FieldTrail([(2, todo), (3, done), (4, todo)])
    p = run(state, member("a", seen("A1", title="T", status="done")), member("b", complete=False))
    assert p.trails[("r", "status")].quarantined
    assert p.updates == []
    assert [n.code for n in p.notices] == ["quarantined"]
    calm = group(record("r", links={"a": "A1", "b": "B1"}, title="T", status="todo"))
    calm.run_seq = 4
    calm.trails[("r", "status")] = FieldTrail([(1, todo), (3, done), (4, todo)])  # a gap
    q = run(calm, member("a", seen("A1", title="T", status="done")), member("b", complete=False))
    assert not q.trails[("r", "status")].quarantined
    assert [u.member for u in q.updates] == ["b"]


def test_update_records_what_the_member_held_before() -> None:
    """Each update carries the member's old values, for history and revert."""
    state = group(record("r", links={"a": "A1", "b": "B1"}, title="T"))
    p = run(state, member("a", seen("A1", title="T2")), member("b", seen("B1", title="T")))
    assert p.updates == [Update("b", "r", "task", "B1", {"title": "T2"}, {"title": "T"})]
    assert [(c.member, c.before, c.after) for c in p.changes] == [("a", "T", "T2")]


def test_creates_only_where_the_member_admits_the_record() -> None:
    """A member that does not hold a kind gets no record of it."""
    only_tasks = caps({"task": ["title"]})
    p = run(
        group(),
        member("a", seen("A1", "milestone", title="M")),
        member("b", capabilities=only_tasks),
    )
    assert p.creates == []
    tasks = run(group(), member("a", seen("A1", title="T")), member("b", capabilities=only_tasks))
    assert tasks.creates == [Create("b", "u1", "task", {"title": "T"})]


def test_reference_to_a_record_deleted_this_run_reads_as_cleared() -> None:
    """A task whose milestone is deleted this run loses the reference everywhere."""
    stone = record("m", "milestone", links={"a": "AM", "b": "BM"}, title="M")
    task = record("t", links={"a": "A1", "b": "B1"}, title="T", milestone="m")
    p = run(
        group(stone, task),
        member("a", seen("A1", title="T", milestone="AM")),  # AM is gone from a's listing
        member("b", seen("B1", title="T", milestone="BM"), seen("BM", "milestone", title="M")),
        force_delete=True,
    )
    assert p.deletes == [Delete("b", "m", "milestone", "BM", "archive")]
    assert p.records["t"].base["milestone"] is None
    # both still point at it (a's listing may lag its deletion): both are cleared
    assert [(u.member, u.changes) for u in p.updates] == [
        ("a", {"milestone": None}),
        ("b", {"milestone": None}),
    ]
