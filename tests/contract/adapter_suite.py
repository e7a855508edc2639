"""The adapter contract as tests: every rule lives here once, and each adapter joins in a few lines.

An adapter's test module subclasses ``AdapterContract`` and provides ``open_adapter`` (an async
context manager yielding a ready adapter over an empty scope). Rules that need a capability the
adapter lacks skip themselves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from adapters.base import Adapter, Observation
from syncd.errors import RecordError, RecordNotFound
from syncd.model import FIELDS, Kind, Ref, Values, normalise

T = TypeVar("T")

TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")
TASK_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "title": TEXT,
    "description": st.sampled_from(["", "Plain", "**bold** and _it_\n\n- a\n- b", "`code`"]),
    "status": st.sampled_from(["todo", "in_progress", "done"]),
    "assignee": st.sampled_from([None, "ana@acme.example"]),
    "start": st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    "due": st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    "percent_complete": st.integers(0, 100),
    "estimate_hours": st.none() | st.integers(0, 4000).map(lambda m: m / 4),
    "planned_cost": st.none() | st.decimals(0, 10**7, places=2),
    "actual_cost": st.none() | st.decimals(0, 10**7, places=2),
    "labels": st.frozensets(st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True), max_size=4),
}


def run(coro: Awaitable[T]) -> T:
    """Run a coroutine to its end (the suite needs no async test plugin)."""
    return asyncio.run(_await(coro))


async def _await(coro: Awaitable[T]) -> T:
    return await coro


class AdapterContract:
    """The rules every adapter obeys. Subclasses implement ``open_adapter``."""

    def open_adapter(self) -> AbstractAsyncContextManager[Adapter]:
        raise NotImplementedError  # abstract: each adapter's test module provides it

    def use(self, body: Callable[[Adapter], Awaitable[T]]) -> T:
        async def go() -> T:
            async with self.open_adapter() as adapter:
                return await body(adapter)

        return run(go())

    def representable(self, kind: Kind, values: Values) -> bool:
        """Whether the system can hold these values together (a subclass narrows it with the
        vendor's own rules, e.g. Asana's start date needing a later due date)."""
        return True

    @staticmethod
    def writable(adapter: Adapter, kind: Kind, values: Values) -> Values:
        caps = adapter.capabilities
        both = caps.writes(kind) & caps.reads(kind)
        return {k: v for k, v in values.items() if k in both}

    # -- rules ------------------------------------------------------------------------------------

    def test_create_returns_what_it_stored_and_fetch_lists_it(self) -> None:
        """A created record comes back with the values sent, and a full listing shows it."""

        async def body(adapter: Adapter) -> None:
            values = self.writable(adapter, "task", {"title": "Write the plan", "status": "todo"})
            made = await adapter.create("task", values, uid="uid-1")
            assert made.external_id
            assert {k: made.values[k] for k in values} == values
            listing = await adapter.fetch(None)
            assert listing.complete
            assert made.external_id in {r.external_id for r in listing.records}

        self.use(body)

    def test_fields_it_cannot_hold_are_absent_not_none(self) -> None:
        """An observation carries exactly the fields the adapter can read."""

        async def body(adapter: Adapter) -> None:
            made = await adapter.create(
                "task", self.writable(adapter, "task", {"title": "T"}), uid="u"
            )
            assert set(made.values) == set(adapter.capabilities.reads("task"))

        self.use(body)

    @settings(
        max_examples=25,
        deadline=None,
        # Each subclass runs this one method; every example opens its own adapter, so the
        # executor (the subclass instance) holds no state between examples.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    @given(data=st.data())
    def test_mapping_round_trips(self, data: st.DataObject) -> None:
        """to_canonical(from_canonical(x)) == x for every field the adapter supports."""

        async def body(adapter: Adapter) -> None:
            fields = sorted(adapter.capabilities.writes("task") & set(TASK_VALUES))
            raw = {name: data.draw(TASK_VALUES[name], label=name) for name in fields}
            values = normalise("task", raw)
            assume(self.representable("task", values))
            made = await adapter.create("task", values, uid="u-rt")
            assert {k: made.values[k] for k in values} == values
            listing = await adapter.fetch(None)
            again = next(r for r in listing.records if r.external_id == made.external_id)
            assert {k: again.values[k] for k in values} == values

        self.use(body)

    def test_update_changes_only_what_it_is_given(self) -> None:
        """An update writes the given fields and returns the whole record."""

        async def body(adapter: Adapter) -> None:
            start = self.writable(adapter, "task", {"title": "T", "status": "todo"})
            made = await adapter.create("task", start, uid="u")
            changed = await adapter.update("task", made.external_id, {"title": "T2"})
            assert changed.values["title"] == "T2"
            for name, value in start.items():
                if name != "title":
                    assert changed.values[name] == value

        self.use(body)

    def test_update_of_a_missing_record_says_not_found(self) -> None:
        """Updating a record the system does not have raises RecordNotFound."""

        async def body(adapter: Adapter) -> None:
            with pytest.raises(RecordNotFound):
                await adapter.update("task", "no-such-record", {"title": "x"})

        self.use(body)

    def test_archived_records_leave_the_listing_and_deleting_twice_is_fine(self) -> None:
        """After delete (either mode) a record is not listed; deleting it again is no error."""

        async def body(adapter: Adapter) -> None:
            for mode in sorted(adapter.capabilities.delete_modes):
                made = await adapter.create("task", {"title": f"Gone {mode}"}, uid=f"u-{mode}")
                await adapter.delete("task", made.external_id, mode)
                await adapter.delete("task", made.external_id, mode)
                listing = await adapter.fetch(None)
                assert made.external_id not in {r.external_id for r in listing.records}

        self.use(body)

    def test_incremental_fetch_lists_only_changes_and_is_not_complete(self) -> None:
        """With a cursor, fetch returns records changed since, and never claims completeness."""

        async def body(adapter: Adapter) -> None:
            first = await adapter.create("task", {"title": "A"}, uid="a")
            await adapter.create("task", {"title": "B"}, uid="b")
            listing: Observation = await adapter.fetch(None)
            await adapter.update("task", first.external_id, {"title": "A2"})
            delta = await adapter.fetch(listing.cursor)
            assert not delta.complete
            assert [r.external_id for r in delta.records] == [first.external_id]

        self.use(body)

    def test_marker_is_kept_when_the_system_can(self) -> None:
        """A system that keeps markers returns the uid it was created with."""

        async def body(adapter: Adapter) -> None:
            if not adapter.capabilities.markers:
                pytest.skip("this adapter keeps no markers")
            made = await adapter.create("task", {"title": "T"}, uid="uid-42")
            listing = await adapter.fetch(None)
            again = next(r for r in listing.records if r.external_id == made.external_id)
            assert made.marker == again.marker == "uid-42"

        self.use(body)

    def test_references_round_trip_and_dangling_ones_are_refused(self) -> None:
        """A reference to an existing record round-trips; one to a missing record fails it."""

        async def body(adapter: Adapter) -> None:
            if "parent" not in adapter.capabilities.writes("task"):
                pytest.skip("this adapter holds no parent")
            parent = await adapter.create("task", {"title": "P"}, uid="p")
            child = await adapter.create(
                "task", {"title": "C", "parent": Ref(uid=parent.external_id)}, uid="c"
            )
            assert child.values["parent"] == Ref(uid=parent.external_id)
            with pytest.raises(RecordError):
                await adapter.create("task", {"title": "X", "parent": Ref(uid="nope")}, uid="x")

        self.use(body)

    def test_amounts_and_dates_keep_their_exact_values(self) -> None:
        """Costs keep their cents and dates their day, with nothing added."""

        async def body(adapter: Adapter) -> None:
            values = self.writable(
                adapter,
                "task",
                {"title": "Money", "planned_cost": Decimal("1234.56"), "due": dt.date(2026, 2, 28)},
            )
            made = await adapter.create("task", values, uid="m")
            for name in values:
                assert made.values[name] == values[name], FIELDS["task"][name]

        self.use(body)
