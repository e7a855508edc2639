"""The CLI's side of the store: run history, conflicts, counts and the quarantine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Row

from syncd.state import Change, Conflict, Refusal
from syncd.store import rows
from syncd.store import schema as t
from syncd.store.base import StoreBase
from syncd.store.codec import dump_trail, load_json
from syncd.store.engine import corrupt


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One run of one group, as ``syncd history`` shows it."""

    id: int
    group: str
    seq: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str  # 'running', 'ok', 'partial', 'failed' or 'crashed'
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ConflictInfo:
    """A recorded conflict with where and when it was found."""

    id: int
    group: str
    run_id: int | None
    at: dt.datetime
    resolved: bool
    conflict: Conflict


class GroupCounts(TypedDict):
    """What ``syncd status`` shows about a group."""

    records: int
    deleted: int
    links: dict[str, int]  # live (non-tombstone) links by member
    pending_intents: int
    open_conflicts: int
    quarantined: int


class HistorySide(StoreBase):
    """Reading history and settling what a user decides."""

    def runs(self, group: str | None = None, limit: int = 20) -> list[RunInfo]:
        """The latest runs, newest first.

        Args:
            group: only this group's runs; ``None`` for every group.
            limit: at most this many.

        Raises:
            StoreError: the database cannot be read.
        """
        query = sa.select(t.runs).order_by(t.runs.c.id.desc()).limit(limit)
        if group is not None:
            query = query.where(t.runs.c.group == group)
        with self._read() as conn:
            return [self._run_info(row) for row in conn.execute(query)]

    def run(self, run_id: int) -> RunInfo | None:
        """One run, or ``None`` if there is no such run.

        Raises:
            StoreError: the database cannot be read.
        """
        with self._read() as conn:
            row = conn.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).first()
        return None if row is None else self._run_info(row)

    def changes_of(self, run_id: int) -> list[Change]:
        """The field changes a run recorded, in the order they were recorded.

        Raises:
            StoreCorrupt: a stored value is not JSON.
            StoreError: the database cannot be read.
        """
        c = t.changes.c
        query = sa.select(c.uid, c.member, c.field, c.before, c.after, c.origin)
        with self._read() as conn:
            found = conn.execute(query.where(c.run_id == run_id).order_by(c.id)).all()
        try:
            return [rows.change_of(row) for row in found]
        except ValueError as err:
            raise corrupt(self._target, f"holds a change of run {run_id} that is not JSON") from err

    def conflicts(self, group: str | None = None, open_only: bool = True) -> list[ConflictInfo]:
        """Recorded conflicts, oldest first.

        Args:
            group: only this group's; ``None`` for every group.
            open_only: leave out resolved conflicts.

        Raises:
            StoreCorrupt: a stored value is not JSON.
            StoreError: the database cannot be read.
        """
        query = sa.select(t.conflicts).order_by(t.conflicts.c.id)
        if group is not None:
            query = query.where(t.conflicts.c.group == group)
        if open_only:
            query = query.where(t.conflicts.c.resolved == sa.false())
        with self._read() as conn:
            found = conn.execute(query).all()
        try:
            return [_conflict_info(row) for row in found]
        except ValueError as err:
            raise corrupt(self._target, "holds a conflict whose values are not JSON") from err

    def resolve_conflict(self, conflict_id: int) -> bool:
        """Mark a conflict resolved.

        Returns:
            Whether there was such a conflict.

        Raises:
            StoreError: the database cannot be written.
        """
        query = sa.update(t.conflicts).where(t.conflicts.c.id == conflict_id)
        with self._write() as conn:
            return bool(conn.execute(query.values(resolved=True)).rowcount)

    def groups(self) -> list[str]:
        """The names of the groups the store knows (with records, cursors or runs), sorted.

        Raises:
            StoreError: the database cannot be read.
        """
        tables = (t.records, t.cursors, t.runs)
        query = sa.union(*(sa.select(table.c.group).distinct() for table in tables))
        with self._read() as conn:
            return sorted(conn.scalars(query))

    def counts(self, group: str) -> GroupCounts:
        """How much the store holds about a group.

        Raises:
            StoreError: the database cannot be read.
        """
        r, link, j = t.records.c, t.links.c, t.journal.c
        c, f = t.conflicts.c, t.field_trails.c
        live_links = sa.select(link.member, sa.func.count()).group_by(link.member)
        live_links = live_links.where(link.group == group, link.tombstone == sa.false())
        with self._read() as conn:

            def count(table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
                query = sa.select(sa.func.count()).select_from(table)
                return int(conn.scalar(query.where(table.c.group == group, *where)) or 0)

            return GroupCounts(
                records=count(t.records),
                deleted=count(t.records, r.deleted == sa.true()),
                links={member: int(n) for member, n in conn.execute(live_links)},
                pending_intents=count(t.journal, j.status == "pending"),
                open_conflicts=count(t.conflicts, c.resolved == sa.false()),
                quarantined=count(t.field_trails, f.quarantined == sa.true()),
            )

    def quarantined(self, group: str) -> list[tuple[str, str]]:
        """The (uid, field) pairs the oscillation guard stopped syncing, sorted.

        Raises:
            StoreError: the database cannot be read.
        """
        f = t.field_trails.c
        query = sa.select(f.uid, f.field).where(f.group == group, f.quarantined == sa.true())
        with self._read() as conn:
            return sorted((uid, field) for uid, field in conn.execute(query))

    def refusals(self, group: str) -> dict[tuple[str, str, str], Refusal]:
        """The values members refused to hold, by (uid, member, field).

        Raises:
            StoreError: the database cannot be read.
        """
        with self._read() as conn:
            return rows.load_refusals(conn, group)

    def release_quarantine(self, group: str, uid: str, field: str) -> bool:
        """Let a quarantined field sync again, with a fresh trail.

        Returns:
            Whether that field was quarantined.

        Raises:
            StoreError: the database cannot be written.
        """
        f = t.field_trails.c
        query = sa.update(t.field_trails).where(f.group == group, f.uid == uid, f.field == field)
        query = query.where(f.quarantined == sa.true())
        with self._write() as conn:
            result = conn.execute(query.values(quarantined=False, trail=dump_trail([])))
            return bool(result.rowcount)

    def _run_info(self, row: Row[Any]) -> RunInfo:
        m = row._mapping
        try:
            summary = load_json(m["summary"])
        except ValueError:
            summary = {"unreadable": m["summary"]}  # history stays viewable; verify reports it
        return RunInfo(
            m["id"], m["group"], m["seq"], m["started_at"], m["finished_at"], m["status"], summary
        )


def _conflict_info(row: Row[Any]) -> ConflictInfo:
    m = row._mapping
    conflict = Conflict(
        uid=m["uid"],
        kind=m["kind"],
        field=m["field"],
        values=load_json(m["values"]),
        base=load_json(m["base"]),
        winner=m["winner"],
        policy=m["policy"],
    )
    return ConflictInfo(m["id"], m["group"], m["run_id"], m["at"], bool(m["resolved"]), conflict)
