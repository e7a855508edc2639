"""The Jira mapping round-trips: what syncd writes reads back as the same canonical values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.jira.mapping import (
    VERSION_PREFIX,
    Site,
    jira_label,
    parse_time,
    read_issue,
    read_version,
    write_fields,
    write_version,
)
from syncd.model import Ref, normalise, normalise_text

PEOPLE = {"ana@acme.example": "acc-ana", "bo@acme.example": "acc-bo"}
CUSTOM = {"start": "customfield_10015", "planned_cost": "customfield_10050"}

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=60)
DAYS = st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))
TASKS = st.fixed_dictionaries(
    {
        "title": TEXT.map(str.strip).filter(bool),
        "description": st.text(max_size=200).map(normalise_text),
        "assignee": st.sampled_from([None, *PEOPLE]),
        "due": DAYS,
        "start": DAYS,
        # Jira keeps estimates in whole minutes (timetracking), amounts as doubles.
        "estimate_hours": st.none() | st.integers(0, 10**6).map(lambda m: round(m / 60, 6)),
        "planned_cost": st.none() | st.decimals(-(10**9), 10**9, places=2),
        "labels": st.frozensets(st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)),
        "parent": st.none() | st.integers(1, 10**6).map(lambda n: Ref(uid=str(n))),
        "milestone": st.none()
        | st.integers(1, 10**6).map(lambda n: Ref(uid=f"{VERSION_PREFIX}{n}")),
    }
)


def stored(site: Site, fields: dict[str, Any]) -> dict[str, Any]:
    """The issue JSON Jira answers after storing these write fields."""
    out = dict(fields)
    tracking = out.pop("timetracking", None)
    if tracking is not None:
        estimate = tracking.get("originalEstimate")
        out["timeoriginalestimate"] = int(estimate[:-1]) * 60 if estimate else None
    if out.get("assignee"):
        user = out["assignee"]
        out["assignee"] = {**user, "displayName": "someone"}
    if out.get("fixVersions") is not None:
        out["fixVersions"] = [{"id": v["id"], "name": "v"} for v in out["fixVersions"]]
    out["status"] = {"name": "To Do", "statusCategory": {"key": "new"}}
    out["issuetype"] = {"name": "Task", "hierarchyLevel": 0}
    return {"id": "1", "key": "WEB-1", "fields": out}


@given(values=TASKS, cloud=st.booleans())
def test_task_fields_round_trip_exactly(values: dict[str, Any], cloud: bool) -> None:
    """to_canonical(from_canonical(x)) == x for every task field Jira holds."""
    expected = normalise("task", values)
    site = Site(cloud=cloud, custom=CUSTOM, user_email={v: k for k, v in PEOPLE.items()})
    fields = write_fields(site, expected, PEOPLE)
    read = read_issue(site, stored(site, fields))
    got = {k: v for k, v in read.values.items() if k in expected}
    assert got == expected


@given(
    title=TEXT.map(str.strip).filter(bool),
    description=st.text(max_size=100).map(normalise_text),
    due=DAYS,
    released=st.booleans(),
)
def test_milestone_round_trips_through_a_version(
    title: str, description: str, due: dt.date | None, released: bool
) -> None:
    """A milestone written as a version body reads back unchanged."""
    values = normalise(
        "milestone",
        {
            "title": title,
            "description": description,
            "due": due,
            "status": "done" if released else "todo",
        },
    )
    body = {"id": "7", **write_version(values)}
    assert read_version(body) == ("version/7", values)


def test_labels_lose_their_spaces_as_jira_demands() -> None:
    """Jira labels cannot hold white space: it becomes an underscore."""
    assert jira_label(" needs  review ") == "needs_review"


def test_amounts_travel_as_json_numbers_and_read_back_exactly() -> None:
    """An amount is sent as a JSON number and its decimal form survives the double."""
    site = Site(cloud=True, custom=CUSTOM)
    fields = write_fields(site, {"planned_cost": Decimal("12500.10")}, {})
    assert fields == {"customfield_10050": 12500.1}
    assert fields["customfield_10050"] == 12500.1


def test_jira_timestamps_with_a_numeric_offset_are_read_as_utc() -> None:
    """Jira's +0100 style offsets are understood, and the result is in UTC."""
    moment = parse_time("2026-01-31T14:05:07.123+0100")
    assert moment == dt.datetime(2026, 1, 31, 13, 5, 7, 123000, tzinfo=dt.UTC)
    assert parse_time("garbage") is None
