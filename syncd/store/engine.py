"""Where the state lives: state URLs, engines set up per backend, and database errors in our words.

A state URL is ``sqlite:///path``, a plain path (SQLite), or ``postgresql://...`` (always driven
by psycopg 3). Messages name the SQLite file or the PostgreSQL URL with its password redacted,
and never carry a SQLAlchemy traceback: the driver's error is chained as the cause.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from syncd.errors import StoreCorrupt, StoreError

BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 10
_CORRUPT_ADVICE = (
    "Restore it from a backup, or move it away and run syncd again to start afresh "
    "(records are then matched again by title instead of duplicated)"
)


def default_url() -> str:
    """The default state URL: ``$XDG_STATE_HOME/syncd/state.db``, else ``~/.local/state/...``.

    Returns:
        A ``sqlite:///`` URL with an absolute path.
    """
    state_home = os.environ.get("XDG_STATE_HOME", "")
    base = Path(state_home) if os.path.isabs(state_home) else Path.home() / ".local" / "state"
    return f"sqlite:///{base / 'syncd' / 'state.db'}"


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed state URL and how to name it in messages (never with a password)."""

    url: sa.URL
    location: str
    path: Path | None  # the SQLite file, None for PostgreSQL or an in-memory database

    @property
    def is_sqlite(self) -> bool:
        """Whether the state is an SQLite database."""
        return self.url.get_backend_name() == "sqlite"


def parse_url(raw: str) -> Target:
    """Make sense of a state URL or path.

    Raises:
        StoreError: a scheme other than sqlite or postgresql, or an unparsable URL.
    """
    if "://" not in raw:
        raw = f"sqlite:///{raw}"
    try:
        url = sa.make_url(raw)
    except exc.ArgumentError:
        # Not chained: SQLAlchemy's message repeats the URL, password included.
        raise StoreError(
            f"not a state URL: {redact(raw)!r} (expected sqlite:/// or postgresql://)"
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
        shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
        return Target(url, shown, None)
    if backend != "sqlite":
        raise StoreError(f"unsupported state URL {redact(raw)!r}: use sqlite:/// or postgresql://")
    database = url.database or ""
    if database in ("", ":memory:"):
        return Target(url.set(drivername="sqlite"), "an in-memory SQLite database", None)
    path = Path(database).expanduser().absolute()
    return Target(url.set(drivername="sqlite", database=str(path)), str(path), path)


def redact(raw: str) -> str:
    """A URL with its password, if any, replaced by ``***``."""
    try:
        return sa.make_url(raw).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return raw.split("@")[-1]


def make_engine(target: Target) -> Engine:
    """An engine for the target, set up for the store (SQLite: WAL, foreign keys, busy timeout).

    Raises:
        StoreError: the SQLite file's directory cannot be created.
    """
    if not target.is_sqlite:
        return sa.create_engine(
            target.url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}, pool_pre_ping=True
        )
    if target.path is None:
        engine = sa.create_engine(target.url, poolclass=StaticPool)
    else:
        try:
            target.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the directory of {target.location}: {err}") from err
        engine = sa.create_engine(target.url)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # SQLAlchemy's recipe for real transactions on sqlite3: turn off the driver's own BEGIN
    # handling (it skips BEGIN before DDL and SELECT) and emit BEGIN ourselves in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL").fetchall()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A write transaction takes the write lock up front: a deferred one that reads and then
    # writes fails at once (SQLITE_BUSY_SNAPSHOT) when another process wrote in between.
    immediate = conn.get_execution_options().get("syncd_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def corrupt(target: Target, problem: str) -> StoreCorrupt:
    """The error for a database that is damaged or not a syncd state store."""
    if target.is_sqlite:
        return StoreCorrupt(
            f"The state database {target.location} {problem}. {_CORRUPT_ADVICE}, "
            "or point `state:` at another file."
        )
    return StoreCorrupt(
        f"The state database {target.location} {problem}. "
        "Point `state:` at another database or schema."
    )


def driver_message(err: exc.DBAPIError) -> str:
    """The driver's own message, on one line."""
    return " ".join(str(err.orig).split()) or type(err.orig).__name__


@contextmanager
def translated(target: Target) -> Iterator[None]:
    """Turn database errors inside the block into ``StoreError``/``StoreCorrupt``, cause chained.

    Raises:
        StoreCorrupt: SQLite says the file is not a database or is malformed.
        StoreError: any other database error (unreachable server, lock timeout, constraint).
    """
    try:
        yield
    except exc.DBAPIError as err:
        raise _translate(target, err) from err
    except sqlite3.DatabaseError as err:  # raised outside a SQLAlchemy call, e.g. by a pragma
        raise corrupt(target, f"is not a usable SQLite database ({err})") from err


def _translate(target: Target, err: exc.DBAPIError) -> StoreError:
    message = driver_message(err)
    if target.is_sqlite:
        damaged = isinstance(err.orig, sqlite3.DatabaseError) and not isinstance(
            err.orig, sqlite3.OperationalError | sqlite3.IntegrityError
        )
        if damaged:
            return corrupt(target, f"is damaged or is not an SQLite database ({message})")
        return StoreError(f"state database {target.location}: {message}")
    password = target.url.password
    if password:
        message = message.replace(str(password), "***")
    if err.connection_invalidated or isinstance(err, exc.OperationalError):
        return StoreError(f"cannot use the PostgreSQL state store {target.location}: {message}")
    return StoreError(f"state store {target.location}: {message}")
