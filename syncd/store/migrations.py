"""Versioned schema migrations: the only way the store's schema ever changes.

Each step is a version number and a function of a connection that moves the schema from the
previous version to its own, with SQLAlchemy Core DDL. A step, once released, is never edited:
it keeps describing the tables *as they were*, so it defines them itself instead of importing
``schema.py`` (which describes the current shape; a test checks that both agree). To change the
schema, append a step.

``migrate`` runs in one transaction, holding the write lock (SQLite) or an advisory lock
(PostgreSQL) so that two processes opening the store at once do not both migrate it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncd.errors import StoreError
from syncd.store.codec import UTCDateTime, utcnow
from syncd.store.engine import Target, corrupt
from syncd.store.schema import SYNCD_TABLES, schema_version

_ADVISORY_LOCK = 0x73796E6364  # "syncd": serialises migrations of one PostgreSQL database
_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@dataclass(frozen=True, slots=True)
class Migration:
    """One step: ``apply`` moves the schema from ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


def _run_id(ondelete: str) -> sa.Column[int]:
    key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    return sa.Column("run_id", key, sa.ForeignKey("runs.id", ondelete=ondelete), nullable=True)


def _text(name: str, *, null: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=null)


def _str(name: str, *, null: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String, nullable=null)


def _time(name: str, *, null: bool = False) -> sa.Column[dt.datetime]:
    return sa.Column(name, UTCDateTime, nullable=null)


def _flag(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean, nullable=False)


def _v1_core_tables(conn: Connection) -> None:
    md = sa.MetaData(naming_convention=_CONVENTION)
    sa.Table(
        "syncd_schema",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False),
        _time("migrated_at"),
    )
    sa.Table(
        "records",
        md,
        _str("group"),
        _str("uid"),
        _str("kind"),
        _text("base"),
        _flag("deleted"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("group", "uid"),
    )
    sa.Table(
        "links",
        md,
        _str("group"),
        _str("uid"),
        _str("member"),
        _str("external_id"),
        _text("shadow"),
        _flag("tombstone"),
        sa.PrimaryKeyConstraint("group", "uid", "member"),
        sa.ForeignKeyConstraint(
            ["group", "uid"], ["records.group", "records.uid"], ondelete="CASCADE"
        ),
        sa.Index(
            "ix_links_group_member_external_id", "group", "member", "external_id", unique=True
        ),
    )
    sa.Table(
        "cursors",
        md,
        _str("group"),
        _str("member"),
        _text("cursor", null=True),
        _time("last_full_sync", null=True),
        sa.PrimaryKeyConstraint("group", "member"),
    )
    sa.Table(
        "runs",
        md,
        _id(),
        _str("group"),
        sa.Column("seq", sa.Integer, nullable=False),
        _time("started_at"),
        _time("finished_at", null=True),
        _str("status"),
        _text("summary"),
        sa.Index("ix_runs_group_seq", "group", "seq", unique=True),
    )
    sa.Table(
        "journal",
        md,
        _id(),
        _str("group"),
        _run_id("SET NULL"),
        _str("member"),
        _str("uid"),
        _str("kind"),
        _str("action"),
        _text("payload"),
        _str("status"),
        _str("external_id", null=True),
        _text("error", null=True),
        _time("created_at"),
        _time("finished_at", null=True),
        sa.Index("ix_journal_group_status", "group", "status"),
    )
    sa.Table(
        "conflicts",
        md,
        _id(),
        _str("group"),
        _run_id("SET NULL"),
        _str("uid"),
        _str("kind"),
        _str("field"),
        _text("values"),
        _text("base"),
        _str("winner"),
        _str("policy"),
        _time("at"),
        _flag("resolved"),
    )
    sa.Table(
        "changes",
        md,
        _id(),
        _run_id("CASCADE"),
        _str("group"),
        _str("uid"),
        _str("member"),
        _str("field"),
        _text("before"),
        _text("after"),
        _str("origin"),
    )
    md.create_all(conn)


def _v2_field_trails(conn: Connection) -> None:
    md = sa.MetaData(naming_convention=_CONVENTION)
    sa.Table("records", md, autoload_with=conn)
    conflicts = sa.Table("conflicts", md, autoload_with=conn)
    changes = sa.Table("changes", md, autoload_with=conn)
    trails = sa.Table(
        "field_trails",
        md,
        _str("group"),
        _str("uid"),
        _str("field"),
        _text("trail"),
        _flag("quarantined"),
        sa.PrimaryKeyConstraint("group", "uid", "field"),
        sa.ForeignKeyConstraint(
            ["group", "uid"], ["records.group", "records.uid"], ondelete="CASCADE"
        ),
        sa.Index("ix_field_trails_group_quarantined", "group", "quarantined"),
    )
    trails.create(conn)
    sa.Index("ix_conflicts_group_resolved", conflicts.c.group, conflicts.c.resolved).create(conn)
    sa.Index("ix_changes_run_id", changes.c.run_id).create(conn)


def _v3_refusals(conn: Connection) -> None:
    md = sa.MetaData(naming_convention=_CONVENTION)
    sa.Table("records", md, autoload_with=conn)
    sa.Table(
        "refusals",
        md,
        _str("group"),
        _str("uid"),
        _str("member"),
        _str("field"),
        _str("fingerprint"),
        _text("reason"),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("group", "uid", "member", "field"),
        sa.ForeignKeyConstraint(
            ["group", "uid"], ["records.group", "records.uid"], ondelete="CASCADE"
        ),
    ).create(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "core tables: records, links, cursors, runs, journal, conflicts, changes",
        _v1_core_tables,
    ),
    Migration(2, "field_trails for the oscillation guard; history indexes", _v2_field_trails),
    Migration(3, "refusals: values a member refused to hold", _v3_refusals),
)
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection, target: Target) -> int:
    """The schema version of the database behind ``conn`` (0: an empty database).

    Raises:
        StoreCorrupt: the database holds tables but is not a syncd state store.
    """
    names = set(sa.inspect(conn).get_table_names())
    if schema_version.name not in names:
        ours = sorted(names & SYNCD_TABLES)
        if ours:
            raise corrupt(target, f"has tables {', '.join(ours)} but no syncd_schema version")
        if names and target.is_sqlite:
            shown = ", ".join(sorted(names)[:5])
            raise corrupt(target, f"is an SQLite database of something else (tables: {shown})")
        return 0
    version = conn.scalar(sa.select(schema_version.c.version).where(schema_version.c.id == 1))
    if version is None:
        raise corrupt(target, "has an empty syncd_schema table")
    return int(version)


def migrate(conn: Connection, target: Target, to: int = LATEST) -> tuple[int, int]:
    """Bring the schema forward to version ``to``, inside the caller's transaction.

    Args:
        conn: a connection in a write transaction.
        target: the database, to name it in errors.
        to: the version to reach (tests build old versions with it).

    Returns:
        The versions before and after.

    Raises:
        StoreError: the database was made by a newer syncd.
        StoreCorrupt: the database is not a syncd state store.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_LOCK)))
    before = current_version(conn, target)
    if before > LATEST:
        raise StoreError(
            f"The state store {target.location} was made by a newer syncd (schema version "
            f"{before}; this syncd knows up to {LATEST}). Upgrade syncd to use it."
        )
    for step in MIGRATIONS:
        if before < step.version <= to:
            step.apply(conn)
            _set_version(conn, step.version)
    return before, max(before, to)


def _set_version(conn: Connection, version: int) -> None:
    values = {"version": version, "migrated_at": utcnow()}
    updated = conn.execute(sa.update(schema_version).where(schema_version.c.id == 1), values)
    if updated.rowcount == 0:
        conn.execute(sa.insert(schema_version), {"id": 1, **values})
