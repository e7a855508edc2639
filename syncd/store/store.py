"""The state store: one object the engine and the CLI use, on SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Self

from syncd.store import verify as checks
from syncd.store.codec import gc_paused
from syncd.store.engine import make_engine, parse_url, translated
from syncd.store.history import HistorySide
from syncd.store.intents import IntentSide
from syncd.store.migrations import migrate
from syncd.store.sync import SyncSide


class Store(SyncSide, IntentSide, HistorySide):
    """What syncd remembers between runs: records, links, cursors, journal and history.

    The API is synchronous and every method is its own transaction, committed before it
    returns. One ``Store`` may be shared by threads (the engine pools connections); call its
    methods from a worker thread in async code.
    """

    @classmethod
    def open(cls, url: str) -> Self:
        """Open (creating and migrating as needed) the state store at ``url``.

        Args:
            url: ``sqlite:///path``, a plain path (SQLite), or ``postgresql://...``.

        Returns:
            The open store; close it with ``close()`` or use it as a context manager.

        Raises:
            StoreCorrupt: the file is damaged or is not a syncd state store.
            StoreError: the database cannot be reached or created, or a newer syncd made it.
        """
        target = parse_url(url)
        engine = make_engine(target)
        try:
            with translated(target), engine.connect() as conn:
                conn.execution_options(syncd_write=True)
                with conn.begin():
                    migrate(conn, target)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, target)

    def verify(self, group: str | None = None) -> list[str]:
        """Check the store's integrity.

        Args:
            group: check only this group (the SQLite file check always covers the whole file).

        Returns:
            One human-readable line per problem; empty when all is well.

        Raises:
            StoreCorrupt: the file is too damaged to be read at all.
            StoreError: the database cannot be read.
        """
        with gc_paused(), self._read() as conn:
            return list(checks.problems(conn, group))
