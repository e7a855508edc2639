"""The state store under test, on SQLite and on PostgreSQL.

PostgreSQL runs where ``SYNCD_TEST_POSTGRES_URL`` names a server (``.ci/start-postgres.sh``
starts one); every database a test asks for there is a fresh schema, dropped afterwards, so
tests stay independent.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncd.store import Store

PG_ENV = "SYNCD_TEST_POSTGRES_URL"
NO_PG = f"no PostgreSQL server: set {PG_ENV} (.ci/start-postgres.sh starts one)"


@pytest.fixture(params=["sqlite", "postgresql"])
def new_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes URLs of empty state stores, on each backend."""
    if request.param == "sqlite":
        counter = iter(range(1_000_000))
        yield lambda: f"sqlite:///{tmp_path / f'state{next(counter)}.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(NO_PG)
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    schemas: list[str] = []

    def make() -> str:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}options=-csearch_path%3D{schema}"

    try:
        yield make
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store_url(new_store_url: Callable[[], str]) -> str:
    """The URL of an empty state store, on each backend."""
    return new_store_url()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, empty state store on each backend."""
    with Store.open(store_url) as opened:
        yield opened
