"""The Asana mapping round-trips: what syncd writes reads back as the same canonical values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.asana.mapping import Site, read_task, write_fields
from syncd.model import normalise
from tests.unit.asana.test_richtext import XML_TEXT
from tests.unit.jira.test_jira_mapping import TEXT

PROJECT = "1200000000000001"
CUSTOM = {"planned_cost": "cf1", "actual_cost": "cf2", "estimate_hours": "cf3"}
USERS = {"ana@acme.example": "7", "bo@acme.example": "8"}
DAYS = st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))
TASKS = st.fixed_dictionaries(
    {
        "title": TEXT.map(str.strip).filter(bool),
        "description": XML_TEXT,
        "assignee": st.sampled_from([None, *USERS]),
        "due": DAYS,
        "status": st.sampled_from(["todo", "done"]),
        "planned_cost": st.none() | st.decimals(-(10**9), 10**9, places=2),
        "estimate_hours": st.none() | st.integers(0, 10**5).map(lambda q: q / 4),
    }
)


def stored(data: dict[str, Any]) -> dict[str, Any]:
    """The task Asana answers after storing this data."""
    custom = data.pop("custom_fields", {})
    assignee = data.pop("assignee", None)
    email = {v: k for k, v in USERS.items()}.get(assignee) if assignee else None
    return {
        "gid": "5",
        "resource_subtype": "default_task",
        **data,
        "assignee": {"gid": assignee, "email": email} if assignee else None,
        "custom_fields": [{"gid": gid, "number_value": v} for gid, v in custom.items()],
        "memberships": [{"project": {"gid": PROJECT}, "section": {"name": "Untitled"}}],
    }


@given(TASKS)
def test_task_fields_round_trip_exactly(values: dict[str, Any]) -> None:
    """to_canonical(from_canonical(x)) == x for every task field Asana holds."""
    expected = normalise("task", values)
    site = Site(project=PROJECT, custom=CUSTOM)
    data = write_fields(site, "task", expected, USERS)
    read = read_task(site, stored(data))
    assert {k: v for k, v in read.values.items() if k in expected} == expected


def test_due_at_is_read_as_a_day_in_the_groups_time_zone() -> None:
    """An instant due date is the day it falls on where the group works."""
    site = Site(project=PROJECT, timezone=dt.timezone(dt.timedelta(hours=-8)))
    read = read_task(site, stored({"name": "T", "due_at": "2026-02-01T03:00:00.000Z"}))
    assert read.values["due"] == dt.date(2026, 1, 31)
