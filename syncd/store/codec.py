"""How Python values become column values, identically on SQLite and PostgreSQL.

JSON is stored as TEXT (``json.dumps(sort_keys=True)``) rather than a native JSON type, so both
engines hold the same bytes and ``verify`` can find text that does not decode. Instants are
stored as fixed-width ISO-8601 text in UTC with microseconds, which sorts correctly and
round-trips exactly as timezone-aware ``datetime`` objects.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from typing_extensions import override

T = TypeVar("T")


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # built once: dumps() is slower


def dump_json(value: Any) -> str:
    """A JSON-ready value as the text stored in the database (keys sorted, compact)."""
    return _ENCODER.encode(value)


def load_json(text: str) -> Any:
    """The inverse of ``dump_json``.

    Raises:
        ValueError: the text is not JSON.
    """
    return json.loads(text)


def dump_trail(values: Sequence[tuple[int, str]]) -> str:
    """A field trail's (run sequence, fingerprint) pairs as stored JSON text."""
    return dump_json([[seq, fingerprint] for seq, fingerprint in values])


def load_trail(text: str) -> list[tuple[int, str]]:
    """The inverse of ``dump_trail``.

    Raises:
        ValueError: the text is not a list of pairs.
    """
    raw = load_json(text)
    if not isinstance(raw, list):
        raise ValueError("a field trail must be a JSON list")
    return [(int(seq), str(fingerprint)) for seq, fingerprint in raw]


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Successive lists of at most ``size`` items."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware instant stored as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` text."""

    impl = sa.String(32)
    cache_ok = True

    @override
    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps timezone-aware instants")
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")

    @override
    def process_result_value(self, value: str | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromisoformat(value)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or reading many rows.

    Loading a large group allocates millions of small containers, none of them cyclic; each
    allocation burst would trigger full collections that traverse everything allocated so far,
    which more than doubles the time. Reference counting still frees memory meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
