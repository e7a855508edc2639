"""Plain-data types <-> table rows: building rows to write and decoding rows read.

Decoding failures raise ``ValueError`` with the row named; the store turns them into
``StoreCorrupt`` (``syncd verify`` lists every such row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from syncd.model import Kind
from syncd.state import (
    Change,
    Conflict,
    CursorState,
    FieldTrail,
    Intent,
    LinkState,
    RecordState,
    Refusal,
)
from syncd.store import schema as t
from syncd.store.codec import dump_json, dump_trail, load_json, load_trail
from syncd.store.values import ValueDumper, ValueLoader


def record_row(
    group: str, record: RecordState, now: dt.datetime, dumper: ValueDumper
) -> dict[str, Any]:
    """The ``records`` row of one record."""
    return {
        "group": group,
        "uid": record.uid,
        "kind": record.kind,
        "base": dumper.dump(record.kind, record.base),
        "deleted": record.deleted,
        "updated_at": now,
    }


def link_rows(
    group: str, records: Iterable[RecordState], dumper: ValueDumper
) -> Iterator[dict[str, Any]]:
    """The ``links`` rows of the records, each shadow encoded with its record's kind."""
    for record in records:
        for member, link in record.links.items():
            yield {
                "group": group,
                "uid": record.uid,
                "member": member,
                "external_id": link.external_id,
                "shadow": dumper.dump(record.kind, link.shadow),
                "tombstone": link.tombstone,
            }


def cursor_rows(group: str, cursors: Mapping[str, CursorState]) -> list[dict[str, Any]]:
    """The ``cursors`` rows.

    Raises:
        ValueError: a naive ``last_full_sync``.
    """
    for member, state in cursors.items():
        if state.last_full_sync is not None and state.last_full_sync.tzinfo is None:
            raise ValueError(f"cursor of {member!r}: last_full_sync must be timezone-aware")
    return [
        {"group": group, "member": m, "cursor": c.cursor, "last_full_sync": c.last_full_sync}
        for m, c in cursors.items()
    ]


def change_rows(group: str, run_id: int | None, changes: Iterable[Change]) -> list[dict[str, Any]]:
    """The ``changes`` rows."""
    return [
        {
            "run_id": run_id,
            "group": group,
            "uid": c.uid,
            "member": c.member,
            "field": c.field,
            "before": dump_json(c.before),
            "after": dump_json(c.after),
            "origin": c.origin,
        }
        for c in changes
    ]


def conflict_rows(
    group: str, run_id: int | None, conflicts: Iterable[Conflict], now: dt.datetime
) -> list[dict[str, Any]]:
    """The ``conflicts`` rows, all unresolved."""
    return [
        {
            "group": group,
            "run_id": run_id,
            "uid": c.uid,
            "kind": c.kind,
            "field": c.field,
            "values": dump_json(c.values),
            "base": dump_json(c.base),
            "winner": c.winner,
            "policy": c.policy,
            "at": now,
            "resolved": False,
        }
        for c in conflicts
    ]


def trail_rows(group: str, trails: Mapping[tuple[str, str], FieldTrail]) -> list[dict[str, Any]]:
    """The ``field_trails`` rows."""
    return [
        {
            "group": group,
            "uid": uid,
            "field": field,
            "trail": dump_trail(trail.values),
            "quarantined": trail.quarantined,
        }
        for (uid, field), trail in trails.items()
    ]


def load_records(conn: Connection, group: str) -> dict[str, RecordState]:
    """Every record of the group with its links, in two bulk queries.

    Raises:
        ValueError: a row that does not decode (unknown kind, bad JSON), named.
    """
    loader = ValueLoader()
    records: dict[str, RecordState] = {}
    r, c = t.records.c, t.links.c
    query = sa.select(r.uid, r.kind, r.base, r.deleted).where(r.group == group).order_by(r.uid)
    uid = member = ""
    # A member in step with the group holds exactly the base: its shadow then shares the base's
    # dict instead of a copy (read-only by contract), which keeps a 100k-record group small.
    texts: dict[str, str] = {}
    try:
        for uid, kind, base, deleted in conn.execute(query).all():
            values = loader.load(kind, base)
            records[uid] = RecordState(uid, cast(Kind, kind), values, {}, bool(deleted))
            texts[uid] = base
        links = sa.select(c.uid, c.member, c.external_id, c.shadow, c.tombstone)
        for uid, member, external_id, shadow, tombstone in conn.execute(
            links.where(c.group == group)
        ).all():
            record = records.get(uid)
            if record is not None:  # no orphans with foreign keys on; verify reports them
                same = shadow == texts[uid]
                values = record.base if same else loader.load(record.kind, shadow)
                record.links[member] = LinkState(member, external_id, values, bool(tombstone))
    except ValueError as err:
        what = f"link {member!r} of record {uid!r}" if member else f"record {uid!r}"
        raise ValueError(f"{what}: {err}") from err
    return records


def load_cursors(conn: Connection, group: str) -> dict[str, CursorState]:
    """The group's cursors by member."""
    c = t.cursors.c
    query = sa.select(c.member, c.cursor, c.last_full_sync).where(c.group == group)
    return {member: CursorState(cursor, last) for member, cursor, last in conn.execute(query)}


def load_pending(conn: Connection, group: str) -> list[Intent]:
    """The group's pending intents, oldest first.

    Raises:
        ValueError: a payload that is not JSON.
    """
    j = t.journal.c
    query = sa.select(t.journal).where(j.group == group, j.status == "pending").order_by(j.id)
    return [intent_of(row) for row in conn.execute(query)]


def intent_of(row: Row[Any]) -> Intent:
    """An ``Intent`` from a ``journal`` row.

    Raises:
        ValueError: a payload that is not JSON.
    """
    m = row._mapping
    payload = load_json(m["payload"])
    return Intent(
        id=m["id"],
        member=m["member"],
        uid=m["uid"],
        kind=m["kind"],
        action=m["action"],
        payload=payload,
        status=m["status"],
        external_id=m["external_id"],
        run_id=m["run_id"],
    )


def load_trails(conn: Connection, group: str) -> dict[tuple[str, str], FieldTrail]:
    """The group's field trails by (uid, field).

    Raises:
        ValueError: a trail that does not decode.
    """
    c = t.field_trails.c
    query = sa.select(c.uid, c.field, c.trail, c.quarantined).where(c.group == group)
    return {
        (uid, field): FieldTrail(load_trail(trail), bool(quarantined))
        for uid, field, trail, quarantined in conn.execute(query)
    }


def load_refusals(conn: Connection, group: str) -> dict[tuple[str, str, str], Refusal]:
    """The group's standing refusals by (uid, member, field)."""
    c = t.refusals.c
    query = sa.select(c.uid, c.member, c.field, c.fingerprint, c.reason).where(c.group == group)
    return {
        (uid, member, field): Refusal(fingerprint, reason)
        for uid, member, field, fingerprint, reason in conn.execute(query)
    }


def change_of(row: Sequence[Any]) -> Change:
    """A ``Change`` from (uid, member, field, before, after, origin).

    Raises:
        ValueError: a value that is not JSON.
    """
    uid, member, field, before, after, origin = row
    return Change(uid, member, field, load_json(before), load_json(after), origin)
