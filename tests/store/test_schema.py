"""Migrations, damaged files and integrity checks."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from syncd.errors import StoreCorrupt, StoreError
from syncd.state import LinkState, RecordState
from syncd.store import Store
from syncd.store.engine import make_engine, parse_url
from syncd.store.migrations import LATEST, migrate


def schema_of(url: str) -> dict[str, Any]:
    """Tables, columns and indexes of a database, comparable across two databases."""
    engine = make_engine(parse_url(url))
    try:
        inspector = sa.inspect(engine)
        return {
            table: (
                sorted(
                    (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
                ),
                sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)),
            )
            for table in sorted(inspector.get_table_names())
        }
    finally:
        engine.dispose()


def test_upgraded_and_fresh_databases_reach_the_same_schema(
    new_store_url: Callable[[], str],
) -> None:
    """A database made at version 1 and migrated equals one created at the latest version."""
    assert LATEST >= 2
    old_url, fresh_url = new_store_url(), new_store_url()
    target = parse_url(old_url)
    engine = make_engine(target)
    with engine.begin() as conn:
        assert migrate(conn, target, to=1) == (0, 1)
    engine.dispose()
    Store.open(old_url).close()  # upgrades to LATEST
    Store.open(fresh_url).close()
    assert schema_of(old_url) == schema_of(fresh_url)


def test_database_from_a_newer_syncd_is_refused(store_url: str) -> None:
    """A schema version beyond the code's is refused with advice, not touched."""
    Store.open(store_url).close()
    engine = make_engine(parse_url(store_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE syncd_schema SET version = :v"), {"v": LATEST + 5})
    engine.dispose()
    with pytest.raises(StoreError, match="newer syncd"):
        Store.open(store_url)


@pytest.mark.parametrize(
    "content",
    [b"not a database at all" * 50, b"SQLite format 3\x00" + b"\x00" * 40],
    ids=["text", "truncated"],
)
def test_damaged_file_is_named_in_a_clear_error(tmp_path: Path, content: bytes) -> None:
    """A file that is not a (sound) database gives StoreCorrupt naming the path."""
    path = tmp_path / "state.db"
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt) as caught:
        Store.open(f"sqlite:///{path}")
    assert str(path) in str(caught.value)


def test_someone_elses_sqlite_database_is_refused(tmp_path: Path) -> None:
    """An SQLite file of another application is not mistaken for an empty store."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreCorrupt, match="something else"):
        Store.open(str(path))


def test_password_never_appears_in_connection_errors() -> None:
    """An unreachable PostgreSQL server is reported without the URL's password."""
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql://syncd:hunter2secret@127.0.0.1:1/nowhere")
    assert "hunter2secret" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_verify_finds_planted_problems(tmp_path: Path) -> None:
    """The integrity check reports links without records and one id linked twice."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with Store.open(url) as store:
        rec = RecordState("r1", "task", {"title": "T"}, {"a": LinkState("a", "1", {})})
        store.commit_observed("g", [rec], {})
    with sqlite3.connect(tmp_path / "state.db") as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            'INSERT INTO links ("group", uid, member, external_id, shadow, tombstone) '
            "VALUES ('g', 'ghost', 'b', '5', '{}', 0)"
        )
        conn.execute("UPDATE records SET base = 'not json' WHERE uid = 'r1'")
    with Store.open(url) as store:
        problems = store.verify()
    assert any("ghost" in p for p in problems)
    assert any("r1" in p for p in problems)
