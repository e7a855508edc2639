"""The state store on SQLAlchemy Core: SQLite by default, PostgreSQL for several workers.

``Store.open(url)`` creates or migrates the database; see ``store.Store`` for the API.
"""

from __future__ import annotations

from syncd.store.engine import default_url
from syncd.store.history import ConflictInfo, GroupCounts, RunInfo
from syncd.store.store import Store

__all__ = ["ConflictInfo", "GroupCounts", "RunInfo", "Store", "default_url"]
