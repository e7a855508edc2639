"""What every part of the store shares: the engine, and one transaction per public call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Engine

from syncd.errors import LinkTaken, StoreError
from syncd.store.engine import Target, translated


class IntegrityFailure(StoreError):
    """A constraint refused a write; callers that know the context explain it better."""


class StoreBase:
    """The engine and the transactions. Not used on its own: see ``syncd.store.Store``."""

    def __init__(self, engine: Engine, target: Target) -> None:
        self._engine = engine
        self._target = target

    @property
    def location(self) -> str:
        """The SQLite file or the PostgreSQL URL (password redacted), for messages."""
        return self._target.location

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and diagnostics; the store's API is the contract)."""
        return self._engine

    def close(self) -> None:
        """Release every connection. The store is unusable afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot on both engines)."""
        with translated(self._target), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction, committed when the block ends, rolled back if it raises.

        Raises:
            IntegrityFailure: a constraint refused a write.
            StoreError: any other database error.
        """
        try:
            with translated(self._target), self._engine.connect() as conn:
                conn.execution_options(syncd_write=True)
                with conn.begin():
                    yield conn
        except StoreError as err:
            cause = err.__cause__
            if isinstance(cause, exc.IntegrityError):
                raise IntegrityFailure(f"{err} (a constraint refused the write)") from cause
            raise


def taken(group: str, key: tuple[str, str], holder: str, wanted: str) -> LinkTaken:
    """The error for an external id that another uid of the group already holds in a member."""
    member, external_id = key
    return LinkTaken(
        f"group {group!r}: member {member!r} external id {external_id!r} is linked to record "
        f"{holder!r}, so it cannot also be linked to {wanted!r} (one uid per external id)"
    )
