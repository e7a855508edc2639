"""The integrity check behind ``syncd verify``: every problem as one human-readable line.

Foreign keys and unique indexes prevent most of these; the check still looks, because a file
may have been edited by hand, restored from a partial copy, or written with foreign keys off.
A run left 'running' is not a problem here (it is marked 'crashed' by the next run).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncd.store import schema as t
from syncd.store.codec import load_json, load_trail
from syncd.store.values import ValueLoader


def problems(conn: Connection, group: str | None) -> Iterator[str]:
    """Every problem found in the store (or in one group), in a stable order."""
    yield from _orphans(conn, t.links, group)
    yield from _orphans(conn, t.field_trails, group)
    yield from _shared_external_ids(conn, group)
    yield from _undecodable_records(conn, group)
    yield from _undecodable_json(conn, group)
    if conn.dialect.name == "sqlite":
        yield from _sqlite_integrity(conn)


def _in_group(table: sa.Table, group: str | None) -> sa.ColumnElement[bool]:
    return sa.true() if group is None else table.c.group == group


def _orphans(conn: Connection, table: sa.Table, group: str | None) -> Iterator[str]:
    r = t.records.c
    joined = table.outerjoin(t.records, sa.and_(r.group == table.c.group, r.uid == table.c.uid))
    query = sa.select(table.c.group, table.c.uid).distinct().select_from(joined)
    query = query.where(r.uid.is_(None), _in_group(table, group))
    for group_name, uid in conn.execute(query.order_by(table.c.group, table.c.uid)):
        yield f"group {group_name!r}: {table.name} of record {uid!r}, which does not exist"


def _shared_external_ids(conn: Connection, group: str | None) -> Iterator[str]:
    c = t.links.c
    uids = sa.func.count(sa.distinct(c.uid))
    query = sa.select(c.group, c.member, c.external_id).where(_in_group(t.links, group))
    query = query.group_by(c.group, c.member, c.external_id).having(uids > 1)
    for group_name, member, external_id in conn.execute(query.order_by(c.group, c.member)):
        owners = sa.select(c.uid).where(
            c.group == group_name, c.member == member, c.external_id == external_id
        )
        shown = ", ".join(sorted(conn.scalars(owners)))
        yield (
            f"group {group_name!r}: member {member!r} external id {external_id!r} "
            f"is linked to several records ({shown})"
        )


def _undecodable_records(conn: Connection, group: str | None) -> Iterator[str]:
    r, c = t.records.c, t.links.c
    loader = ValueLoader()
    query = sa.select(r.group, r.uid, r.kind, r.base).where(_in_group(t.records, group))
    for group_name, uid, kind, base in conn.execute(query.order_by(r.group, r.uid)):
        yield from _check(f"group {group_name!r}: record {uid!r}", loader.load, kind, base)
    joined = t.links.join(t.records, sa.and_(r.group == c.group, r.uid == c.uid))
    shadows = sa.select(c.group, c.uid, c.member, r.kind, c.shadow).select_from(joined)
    shadows = shadows.where(_in_group(t.links, group)).order_by(c.group, c.uid, c.member)
    for group_name, uid, member, kind, shadow in conn.execute(shadows):
        where = f"group {group_name!r}: link {member!r} of record {uid!r}"
        yield from _check(where, loader.load, kind, shadow)


_JSON_COLUMNS: tuple[tuple[sa.Table, str, Callable[[str], object]], ...] = (
    (t.journal, "payload", load_json),
    (t.conflicts, "values", load_json),
    (t.conflicts, "base", load_json),
    (t.runs, "summary", load_json),
    (t.changes, "before", load_json),
    (t.changes, "after", load_json),
    (t.field_trails, "trail", load_trail),
)


def _undecodable_json(conn: Connection, group: str | None) -> Iterator[str]:
    for table, column, load in _JSON_COLUMNS:
        key = table.c.id if "id" in table.c else table.c.uid
        query = sa.select(table.c.group, key, table.c[column]).where(_in_group(table, group))
        for group_name, row_key, text in conn.execute(query.order_by(key)):
            where = f"group {group_name!r}: {table.name} {row_key!r}, column {column}"
            yield from _check(where, load, text)


def _check(where: str, decode: Callable[..., object], *raw: str) -> Iterator[str]:
    try:
        decode(*raw)
    except (ValueError, TypeError) as err:
        yield f"{where}: {err}"


def _sqlite_integrity(conn: Connection) -> Iterator[str]:
    for (line,) in conn.exec_driver_sql("PRAGMA integrity_check"):
        if line != "ok":
            yield f"SQLite integrity check: {line}"
