"""All-or-nothing writes, refused links, and problems planted behind the store's back."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncd.errors import SimulatedCrash, StoreCorrupt, StoreError
from syncd.state import Change, CursorState, LinkState, RecordState
from syncd.store import Store
from syncd.store.engine import make_engine, parse_url


def rec(uid: str, links: dict[str, str], title: str = "T") -> RecordState:
    return RecordState(
        uid,
        "task",
        {"title": title},
        {m: LinkState(m, e, {"title": title}) for m, e in links.items()},
    )


def run_sql(url: str, *statements: str) -> None:
    """Write behind the store's back, with foreign keys and the link uniqueness switched off."""
    target = parse_url(url)
    if target.path is not None:
        with sqlite3.connect(target.path) as conn:
            conn.execute("PRAGMA foreign_keys = OFF")
            for statement in statements:
                conn.execute(statement)
        conn.close()
        return
    engine = make_engine(target)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE links DROP CONSTRAINT IF EXISTS fk_links_records"))
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def test_commit_observed_saves_nothing_when_the_process_dies_midway(store: Store) -> None:
    """A crash after records and links were written but before the commit leaves no trace."""
    store.commit_observed("g", [rec("r1", {"a": "1"})], {"a": CursorState("c1")})
    before = store.load_group("g")

    def changes() -> Iterator[Change]:
        yield Change("r1", "a", "title", "T", "New", "observed")
        raise SimulatedCrash("killed while saving")

    with pytest.raises(SimulatedCrash):
        store.commit_observed(
            "g",
            [rec("r1", {"b": "2"}, title="New"), rec("r2", {"a": "3"})],
            {"a": CursorState("c2")},
            changes=changes(),
        )
    assert store.load_group("g") == before


def test_a_refused_history_row_rolls_back_the_whole_commit(store: Store) -> None:
    """A change pointing at an unknown run is refused as StoreError, and nothing else is saved."""
    with pytest.raises(StoreError):
        store.commit_observed(
            "g",
            [rec("r1", {"a": "1"})],
            {"a": CursorState("c1")},
            changes=[Change("r1", "a", "title", None, "T", "observed")],
            run_id=987654,
        )
    state = store.load_group("g")
    assert (state.records, state.cursors) == ({}, {})


def test_a_link_may_move_between_records_saved_together(store: Store) -> None:
    """An external id handed from one uid to another in the same commit is not a conflict."""
    store.commit_observed("g", [rec("r1", {"a": "1"}), rec("r2", {"a": "2"})], {})
    store.commit_observed("g", [rec("r1", {"a": "2"}), rec("r2", {})], {})
    assert store.load_group("g").linked("a") == {"2": "r1"}


def test_completing_an_intent_onto_a_taken_external_id_is_refused(store: Store) -> None:
    """complete_intent refuses an id linked to another uid, naming both, and stays pending."""
    store.commit_observed("g", [rec("r1", {"jira": "WEB-1"})], {})
    intent = store.add_intent("g", None, "jira", "r2", "task", "create", {"title": "T"})
    with pytest.raises(StoreError, match=r"'WEB-1'.*'r1'.*'r2'"):
        store.complete_intent(
            intent,
            group="g",
            uid="r2",
            member="jira",
            external_id="WEB-1",
            shadow={"title": "T"},
            kind="task",
        )
    state = store.load_group("g")
    assert [p.id for p in state.pending] == [intent]
    assert "r2" not in state.records


def test_completing_a_create_makes_the_missing_record_and_keeps_shadow_on_none(
    store: Store,
) -> None:
    """A create for an unsaved uid makes its record; a later update without shadow keeps it."""
    first = store.add_intent("g", None, "plan", "m1", "milestone", "create", {"title": "M"})
    store.complete_intent(
        first,
        group="g",
        uid="m1",
        member="plan",
        external_id="7",
        shadow={"title": "M"},
        kind="milestone",
    )
    second = store.add_intent("g", None, "plan", "m1", "milestone", "update", {"title": "M"})
    store.complete_intent(
        second, group="g", uid="m1", member="plan", external_id="7", shadow=None, kind="milestone"
    )
    record = store.load_group("g").records["m1"]
    assert (record.kind, record.base) == ("milestone", {})
    assert record.links["plan"] == LinkState("plan", "7", {"title": "M"})


def test_unknown_intents_runs_and_statuses_are_refused(store: Store) -> None:
    """Settling an intent or run that does not exist, or with a made-up status, raises."""
    with pytest.raises(StoreError, match="no intent"):
        store.set_intent_status(424242, "failed")
    with pytest.raises(StoreError, match="no run"):
        store.finish_run(424242, "ok", {})
    with pytest.raises(ValueError, match="status"):
        store.set_intent_status(1, "lost")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="action"):
        store.add_intent("g", None, "a", "r1", "task", "move", {})  # type: ignore[arg-type]


def test_naive_cursor_time_is_refused_before_anything_is_written(store: Store) -> None:
    """A last_full_sync without a time zone raises ValueError and saves nothing."""
    naive = dt.datetime(2026, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="timezone"):
        store.commit_observed("g", [rec("r1", {})], {"a": CursorState("c", naive)})
    assert store.load_group("g").records == {}


def test_instants_round_trip_exactly_in_utc(store: Store) -> None:
    """A cursor time in any zone loads back as the same instant, in UTC, to the microsecond."""
    paris = dt.timezone(dt.timedelta(hours=1))
    stamp = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=paris)
    store.commit_observed("g", [], {"a": CursorState(None, stamp)})
    loaded = store.load_group("g").cursors["a"].last_full_sync
    assert loaded == stamp
    assert loaded is not None
    assert loaded.utcoffset() == dt.timedelta(0)


def test_run_sequence_counts_the_groups_runs(store: Store) -> None:
    """load_group's run_seq is the group's number of runs, other groups not counted."""
    store.begin_run("g")
    store.begin_run("other")
    _, seq = store.begin_run("g")
    assert seq == 2
    assert store.load_group("g").run_seq == 2


def test_undecodable_row_makes_load_group_raise_store_corrupt(store: Store, store_url: str) -> None:
    """A base that is not JSON gives StoreCorrupt naming the record, not a JSON traceback."""
    store.commit_observed("g", [rec("r1", {"a": "1"})], {})
    run_sql(store_url, "UPDATE records SET base = '{oops' WHERE uid = 'r1'")
    with pytest.raises(StoreCorrupt, match=r"'r1'.*syncd verify"):
        store.load_group("g")


def test_verify_finds_each_kind_of_planted_problem(store: Store, store_url: str) -> None:
    """verify reports orphan links, an id linked twice, bad JSON, bad values and unknown kinds."""
    records = [rec("r1", {"a": "1"}), rec("r2", {"a": "2"}), rec("r3", {}), rec("r4", {})]
    store.commit_observed("g", records, {})
    intent = store.add_intent("g", None, "a", "r1", "task", "update", {})
    store.commit_observed("clean", [rec("c1", {"a": "1"})], {})
    run_sql(
        store_url,
        "DROP INDEX ix_links_group_member_external_id",
        'INSERT INTO links ("group", uid, member, external_id, shadow, tombstone) '
        "VALUES ('g', 'ghost', 'b', '5', '{}', false)",
        "UPDATE links SET external_id = '1' WHERE uid = 'r2'",
        "UPDATE records SET kind = 'epic' WHERE uid = 'r3'",
        "UPDATE records SET base = '{\"due\": \"someday\"}' WHERE uid = 'r4'",
        f"UPDATE journal SET payload = 'nope' WHERE id = {intent}",  # noqa: S608  # an int id
    )
    problems = "\n".join(store.verify("g"))
    assert "links of record 'ghost', which does not exist" in problems
    assert "external id '1' is linked to several records (r1, r2)" in problems
    assert "record 'r3': unknown record kind 'epic'" in problems
    assert "record 'r4'" in problems
    assert f"journal {intent}, column payload" in problems
    assert store.verify("clean") == []


def test_a_truncated_store_file_is_reported_as_corrupt(tmp_path: Path) -> None:
    """A real store cut short on disk gives StoreCorrupt naming the file, on open or on read."""
    path = tmp_path / "state.db"
    with Store.open(str(path)) as store:
        store.commit_observed(
            "g", [rec(f"r{i}", {"a": f"{i}"}, "x" * 200) for i in range(2000)], {}
        )
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    # Opening or reading may be what notices.
    with pytest.raises(StoreCorrupt, match=str(path)), Store.open(str(path)) as store:
        store.load_group("g")
