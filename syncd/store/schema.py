"""The current shape of the state store's tables, as the queries see it.

This module describes the schema *after* every migration; ``migrations.py`` is what builds it,
step by step, and a test checks that the two agree. Never change a table here without adding a
migration that makes the same change.

Every table is keyed by the group's name. Values are JSON text (``codec``); instants are UTC
text (``codec.UTCDateTime``).
"""

from __future__ import annotations

import sqlalchemy as sa

from syncd.store.codec import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names, fixed so that migrations and checks can name them on both engines."""


def id_column() -> sa.Column[int]:
    """An auto-incrementing 64-bit key (SQLite needs INTEGER for its rowid alias)."""
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


def group_column() -> sa.Column[str]:
    """The group name every row belongs to."""
    return sa.Column("group", sa.String, nullable=False)


def run_fk(ondelete: str) -> sa.Column[int]:
    """The run a history row belongs to, if any."""
    key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    return sa.Column("run_id", key, sa.ForeignKey("runs.id", ondelete=ondelete), nullable=True)


metadata = sa.MetaData(naming_convention=NAMING)

schema_version = sa.Table(
    "syncd_schema",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("migrated_at", UTCDateTime, nullable=False),
)

records = sa.Table(
    "records",
    metadata,
    group_column(),
    sa.Column("uid", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("base", sa.Text, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("group", "uid"),
)

links = sa.Table(
    "links",
    metadata,
    group_column(),
    sa.Column("uid", sa.String, nullable=False),
    sa.Column("member", sa.String, nullable=False),
    sa.Column("external_id", sa.String, nullable=False),
    sa.Column("shadow", sa.Text, nullable=False),
    sa.Column("tombstone", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("group", "uid", "member"),
    sa.ForeignKeyConstraint(["group", "uid"], ["records.group", "records.uid"], ondelete="CASCADE"),
    sa.Index(None, "group", "member", "external_id", unique=True),
)

cursors = sa.Table(
    "cursors",
    metadata,
    group_column(),
    sa.Column("member", sa.String, nullable=False),
    sa.Column("cursor", sa.Text, nullable=True),
    sa.Column("last_full_sync", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("group", "member"),
)

runs = sa.Table(
    "runs",
    metadata,
    id_column(),
    group_column(),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Index(None, "group", "seq", unique=True),
)

journal = sa.Table(
    "journal",
    metadata,
    id_column(),
    group_column(),
    run_fk("SET NULL"),
    sa.Column("member", sa.String, nullable=False),
    sa.Column("uid", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("external_id", sa.String, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Index(None, "group", "status"),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    id_column(),
    group_column(),
    run_fk("SET NULL"),
    sa.Column("uid", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("field", sa.String, nullable=False),
    sa.Column("values", sa.Text, nullable=False),
    sa.Column("base", sa.Text, nullable=False),
    sa.Column("winner", sa.String, nullable=False),
    sa.Column("policy", sa.String, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("resolved", sa.Boolean, nullable=False),
    sa.Index(None, "group", "resolved"),  # migration 2
)

changes = sa.Table(
    "changes",
    metadata,
    id_column(),
    run_fk("CASCADE"),
    group_column(),
    sa.Column("uid", sa.String, nullable=False),
    sa.Column("member", sa.String, nullable=False),
    sa.Column("field", sa.String, nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("origin", sa.String, nullable=False),
    sa.Index(None, "run_id"),  # migration 2
)

field_trails = sa.Table(  # migration 2
    "field_trails",
    metadata,
    group_column(),
    sa.Column("uid", sa.String, nullable=False),
    sa.Column("field", sa.String, nullable=False),
    sa.Column("trail", sa.Text, nullable=False),
    sa.Column("quarantined", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("group", "uid", "field"),
    sa.ForeignKeyConstraint(["group", "uid"], ["records.group", "records.uid"], ondelete="CASCADE"),
    sa.Index(None, "group", "quarantined"),
)

refusals = sa.Table(  # migration 3
    "refusals",
    metadata,
    group_column(),
    sa.Column("uid", sa.String, nullable=False),
    sa.Column("member", sa.String, nullable=False),
    sa.Column("field", sa.String, nullable=False),
    sa.Column("fingerprint", sa.String, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("group", "uid", "member", "field"),
    sa.ForeignKeyConstraint(["group", "uid"], ["records.group", "records.uid"], ondelete="CASCADE"),
)

SYNCD_TABLES = frozenset(metadata.tables)
"""Every table the store owns (a database holding some of them but no version is not ours)."""
