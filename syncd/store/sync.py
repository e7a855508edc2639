"""The engine's side of the store: load a group, record runs, save observations, journal writes.

Every method is one transaction and commits before it returns, so the process can die between
any two calls and the store stays consistent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncd.errors import StoreError
from syncd.state import (
    Change,
    Conflict,
    CursorState,
    FieldTrail,
    GroupState,
    RecordState,
    Refusal,
)
from syncd.store import rows
from syncd.store import schema as t
from syncd.store.base import IntegrityFailure, StoreBase, taken
from syncd.store.bulk import bulk_insert
from syncd.store.codec import chunked, dump_json, gc_paused, utcnow
from syncd.store.engine import corrupt
from syncd.store.values import ValueDumper

RunStatus = Literal["ok", "partial", "failed", "crashed"]
BATCH = 5_000  # rows per executemany
# One DELETE per uid, run as executemany. Not `uid IN (...)`: PostgreSQL estimates a long IN
# list on a table not yet analysed (a group's first sync) as most of the table and scans all of
# it for every batch, which turned a 100k-record commit from seconds into a quarter of an hour.
_BY_UID = {
    table.name: sa.delete(table).where(
        table.c.group == sa.bindparam("g"), table.c.uid == sa.bindparam("u")
    )
    for table in (t.records, t.links)
}
_RECORD_UPSERT = (("group", "uid"), ("kind", "base", "deleted", "updated_at"))
_CURSOR_UPSERT = (("group", "member"), ("cursor", "last_full_sync"))
_TRAIL_UPSERT = (("group", "uid", "field"), ("trail", "quarantined"))
_NO_TRAILS: Mapping[tuple[str, str], FieldTrail] = MappingProxyType({})


class SyncSide(StoreBase):
    """Loading and saving what the engine works on."""

    def load_group(self, group: str) -> GroupState:
        """Everything the planner needs about a group, in a handful of bulk queries.

        Args:
            group: the group's name.

        Returns:
            Records with their links, cursors, pending intents, field trails, and ``run_seq``:
            the sequence number of the group's latest run (its number of runs), counting a
            run that is still 'running'.

        Raises:
            StoreCorrupt: a stored row does not decode (``verify`` lists them all).
            StoreError: the database cannot be read.
        """
        try:
            with gc_paused(), self._read() as conn:
                return GroupState(
                    group=group,
                    records=rows.load_records(conn, group),
                    cursors=rows.load_cursors(conn, group),
                    pending=rows.load_pending(conn, group),
                    trails=rows.load_trails(conn, group),
                    refusals=rows.load_refusals(conn, group),
                    run_seq=_last_seq(conn, group),
                )
        except ValueError as err:
            problem = f"holds data of group {group!r} that does not decode ({err})"
            raise corrupt(self._target, f"{problem}; `syncd verify` lists every such row") from err

    def begin_run(self, group: str) -> tuple[int, int]:
        """Record the start of a run; an earlier run of the group still 'running' crashed.

        Returns:
            The run's id and its sequence number within the group (1, 2, 3, ...).

        Raises:
            StoreError: the database cannot be written.
        """
        with self._write() as conn:
            running = sa.and_(t.runs.c.group == group, t.runs.c.status == "running")
            conn.execute(sa.update(t.runs).where(running).values(status="crashed"))
            seq = _last_seq(conn, group) + 1
            row = {"group": group, "seq": seq, "started_at": utcnow(), "status": "running"}
            insert = sa.insert(t.runs).returning(t.runs.c.id)
            run_id = conn.execute(insert, {**row, "summary": dump_json({})}).scalar_one()
            return int(run_id), seq

    def finish_run(self, run_id: int, status: RunStatus, summary: Mapping[str, Any]) -> None:
        """Record the end of a run.

        Args:
            run_id: from ``begin_run``.
            status: 'ok', 'partial' (some records failed), 'failed' or 'crashed'.
            summary: JSON-ready figures for ``syncd history``.

        Raises:
            ValueError: an unknown status.
            StoreError: no such run, or the database cannot be written.
        """
        if status not in get_args(RunStatus):
            raise ValueError(f"unknown run status {status!r}")
        values = {"status": status, "summary": dump_json(dict(summary)), "finished_at": utcnow()}
        with self._write() as conn:
            result = conn.execute(sa.update(t.runs).where(t.runs.c.id == run_id).values(values))
            if result.rowcount == 0:
                raise StoreError(f"no run {run_id} in {self.location}")

    def commit_observed(
        self,
        group: str,
        records: Iterable[RecordState],
        cursors: Mapping[str, CursorState],
        changes: Iterable[Change] = (),
        conflicts: Iterable[Conflict] = (),
        trails: Mapping[tuple[str, str], FieldTrail] = _NO_TRAILS,
        run_id: int | None = None,
    ) -> None:
        """Save what a run settled, all or nothing.

        Each given record's base and ``deleted`` flag are upserted and its links are REPLACED
        by ``record.links``: a link missing there is deleted (a record given with no links
        loses all of them). Records not given are left alone. Cursors and trails are upserted;
        changes and conflicts are appended. A trail must belong to a stored (or given) record.

        Raises:
            StoreError: a write was refused (e.g. one external id linked to two uids in a
                member, naming group, member and external id), or the database failed.
                Nothing of the call is saved then.
        """
        given = list({record.uid: record for record in records}.values())  # the last one wins
        try:
            with gc_paused(), self._write() as conn:
                self._save_records(conn, group, given)
                cursor_rows = rows.cursor_rows(group, cursors)
                bulk_insert(conn, t.cursors, cursor_rows, _CURSOR_UPSERT)
                self._append(conn, group, run_id, changes, conflicts)
                trail_rows = rows.trail_rows(group, trails)
                bulk_insert(conn, t.field_trails, trail_rows, _TRAIL_UPSERT)
        except IntegrityFailure as err:
            raise self._explain(group, given, err) from err

    def _save_records(self, conn: Connection, group: str, given: list[RecordState]) -> None:
        now, dumper = utcnow(), ValueDumper()
        for batch in chunked(given, BATCH):
            record_rows = [rows.record_row(group, r, now, dumper) for r in batch]
            bulk_insert(conn, t.records, record_rows, _RECORD_UPSERT)
        # All deletes before any insert: a link may move from one given uid to another.
        for batch in chunked(given, BATCH):
            conn.execute(_BY_UID[t.links.name], [{"g": group, "u": r.uid} for r in batch])
        for link_rows in chunked(rows.link_rows(group, given, dumper), BATCH):
            bulk_insert(conn, t.links, link_rows)

    def _append(
        self,
        conn: Connection,
        group: str,
        run_id: int | None,
        changes: Iterable[Change],
        conflicts: Iterable[Conflict],
    ) -> None:
        for batch in chunked(changes, BATCH):
            bulk_insert(conn, t.changes, rows.change_rows(group, run_id, batch))
        for found in chunked(conflicts, BATCH):
            conflict_rows = rows.conflict_rows(group, run_id, found, utcnow())
            bulk_insert(conn, t.conflicts, conflict_rows)

    def _explain(self, group: str, given: list[RecordState], err: IntegrityFailure) -> StoreError:
        """Name the external id behind a refused ``commit_observed``, if that was the cause."""
        owner: dict[tuple[str, str], str] = {}
        for record in given:
            for member, link in record.links.items():
                key = (member, link.external_id)
                if owner.setdefault(key, record.uid) != record.uid:
                    return taken(group, key, owner[key], record.uid)
        uids = {record.uid for record in given}
        with self._read() as conn:
            c = t.links.c
            query = sa.select(c.member, c.external_id, c.uid).where(c.group == group)
            for member, external_id, uid in conn.execute(query):
                wanted = owner.get((member, external_id))
                if wanted is not None and uid not in uids:
                    return taken(group, (member, external_id), uid, wanted)
        return StoreError(f"group {group!r}: the observed state was not saved: {err}")

    def save_refusals(
        self,
        group: str,
        refused: Mapping[tuple[str, str, str], Refusal],
        cleared: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        """Remember the values members refused, and forget those written since, in one
        transaction; both keyed by (uid, member, field). A refusal of a record that is no
        longer stored is dropped.

        Raises:
            StoreError: the database failed.
        """
        c = t.refusals.c
        now = utcnow()
        forget = [{"g": group, "u": u, "m": m, "f": f} for u, m, f in {*cleared, *refused}]
        delete = sa.delete(t.refusals).where(
            c.group == sa.bindparam("g"),
            c.uid == sa.bindparam("u"),
            c.member == sa.bindparam("m"),
            c.field == sa.bindparam("f"),
        )
        with self._write() as conn:
            if forget:
                conn.execute(delete, forget)
            stored = (
                {
                    u
                    for (u,) in conn.execute(
                        sa.select(t.records.c.uid).where(t.records.c.group == group)
                    )
                }
                if refused
                else set()
            )
            new_rows = [
                {
                    "group": group,
                    "uid": uid,
                    "member": member,
                    "field": name,
                    "fingerprint": refusal.fingerprint,
                    "reason": refusal.reason,
                    "at": now,
                }
                for (uid, member, name), refusal in refused.items()
                if uid in stored
            ]
            if new_rows:
                conn.execute(sa.insert(t.refusals), new_rows)

    def forget_records(self, group: str, uids: Iterable[str]) -> int:
        """Delete records with their links and trails, in one transaction.

        Returns:
            How many records were deleted.

        Raises:
            StoreError: the database cannot be written.
        """
        deleted = 0
        with self._write() as conn:
            for batch in chunked(uids, BATCH):
                params = [{"g": group, "u": uid} for uid in batch]
                deleted += conn.execute(_BY_UID[t.records.name], params).rowcount
        return deleted

    def record_changes(self, group: str, run_id: int | None, changes: Iterable[Change]) -> None:
        """Append field changes to the history, on their own.

        Raises:
            StoreError: e.g. an unknown run id, or the database cannot be written.
        """
        with self._write() as conn:
            self._append(conn, group, run_id, changes, ())

    def record_conflicts(
        self, group: str, run_id: int | None, conflicts: Iterable[Conflict]
    ) -> None:
        """Append conflicts (unresolved), on their own.

        Raises:
            StoreError: e.g. an unknown run id, or the database cannot be written.
        """
        with self._write() as conn:
            self._append(conn, group, run_id, (), conflicts)


def _last_seq(conn: Connection, group: str) -> int:
    query = sa.select(sa.func.max(t.runs.c.seq)).where(t.runs.c.group == group)
    return int(conn.scalar(query) or 0)
