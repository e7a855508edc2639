"""Inserting (or upserting) many rows at once, the fast way on each engine.

SQLite gets a plain executemany: its driver loops in C. On PostgreSQL, psycopg's executemany
costs tens of microseconds per row on the client, multi-row VALUES make SQLAlchemy compile a new
statement per batch, and array parameters are escaped element by element in Python; so there a
batch travels as ONE JSON text parameter that the server turns back into typed rows:
``INSERT ... SELECT ... FROM json_to_recordset(:rows) AS batch("group" VARCHAR, ...)``, a fixed
statement per table that SQLAlchemy compiles once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from syncd.store.codec import dump_json

Upsert = tuple[Sequence[str], Sequence[str]]
"""(conflict keys, columns to update) for INSERT ... ON CONFLICT DO UPDATE."""

PG_BATCH = 20_000  # rows per unnest statement


def insert_for(conn: Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for the connection's engine, so that callers can add ON CONFLICT clauses."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def bulk_insert(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    upsert: Upsert | None = None,
) -> None:
    """Insert rows that all have the same keys; with ``upsert``, update those that exist.

    Rows must not repeat a conflict key (PostgreSQL refuses to update one row twice).
    """
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name != "postgresql":
        conn.execute(_on_conflict(insert_for(conn, table), upsert), list(rows))
        return
    statement = _recordset_insert(table, columns, upsert)
    processors = {name: table.c[name].type.bind_processor(conn.dialect) for name in columns}
    for start in range(0, len(rows), PG_BATCH):
        batch = [_json_row(row, processors) for row in rows[start : start + PG_BATCH]]
        conn.execute(statement, {"rows": dump_json(batch)})


def _json_row(
    row: Mapping[str, Any], processors: Mapping[str, Callable[[Any], Any] | None]
) -> dict[str, Any]:
    """A row with each value as its column sends it (e.g. instants already as UTC text)."""
    out = dict(row)
    for name, process in processors.items():
        if process is not None:
            out[name] = process(out[name])
    return out


def _on_conflict(insert: postgresql.Insert | sqlite.Insert, upsert: Upsert | None) -> Insert:
    if upsert is None:
        return insert
    keys, updates = upsert
    set_ = {name: insert.excluded[name] for name in updates}
    return insert.on_conflict_do_update(index_elements=list(keys), set_=set_)


def _recordset_insert(table: sa.Table, columns: list[str], upsert: Upsert | None) -> Insert:
    types = [_wire_type(table.c[name].type) for name in columns]
    recordset = sa.func.json_to_recordset(sa.cast(sa.bindparam("rows", type_=sa.Text), sa.JSON))
    batch = recordset.table_valued(
        *(sa.column(name, type_) for name, type_ in zip(columns, types, strict=True))
    ).render_derived(name="batch", with_types=True)
    select = sa.select(*(batch.c[name] for name in columns))
    return _on_conflict(postgresql.insert(table).from_select(columns, select), upsert)


def _wire_type(type_: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    """The SQL type a value travels as (a TypeDecorator's underlying type)."""
    return type_.impl_instance if isinstance(type_, sa.TypeDecorator) else type_
