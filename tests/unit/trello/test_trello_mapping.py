"""The Trello mapping round-trips: dates across time zones, numbers as text, lists as status."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.trello.mapping import Site, card_body, number_item, read_card, to_day, to_instant
from syncd.model import normalise
from tests.unit.jira.test_jira_mapping import TEXT

ZONES = st.sampled_from(
    ["UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata"]
)
TIMES = st.times().map(lambda t: t.replace(second=0, microsecond=0))
DAYS = st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))


def site(zone: str, when: dt.time) -> Site:
    return Site(
        lists={"l1": "To do", "l2": "Doing", "l3": "Done"},
        labels={"m": "Milestone", "w": "web"},
        milestone_label="m",
        status_map={"to do": "todo", "doing": "in_progress", "done": "done"},
        custom={"planned_cost": "cf1", "estimate_hours": "cf2"},
        emails={"mem-ana": "ana@acme.example"},
        timezone=zoneinfo.ZoneInfo(zone),
        time_of_day=when,
    )


@given(day=DAYS, zone=ZONES, when=TIMES)
def test_a_date_survives_trellos_instants_in_any_time_zone(
    day: dt.date | None, zone: str, when: dt.time
) -> None:
    """A date written at the member's time of day reads back as the same date."""
    here = site(zone, when)
    assert to_day(here, to_instant(here, day)) == day


@given(
    title=TEXT.map(str.strip).filter(bool),
    description=st.text(max_size=200),
    due=DAYS,
    start=DAYS,
    status=st.sampled_from(["todo", "in_progress", "done"]),
    cost=st.none() | st.decimals(-(10**9), 10**9, places=2),
    hours=st.none() | st.integers(0, 10**5).map(lambda q: q / 4),
    zone=ZONES,
)
def test_card_fields_round_trip_exactly(
    title: str,
    description: str,
    due: dt.date | None,
    start: dt.date | None,
    status: str,
    cost: Any,
    hours: float | None,
    zone: str,
) -> None:
    """to_canonical(from_canonical(x)) == x for every card field."""
    here = site(zone, dt.time(17, 0))
    values = normalise(
        "task",
        {
            "title": title,
            "description": description,
            "due": due,
            "start": start,
            "status": status,
            "planned_cost": cost,
            "estimate_hours": hours,
            "labels": frozenset({"web"}),
            "assignee": "ana@acme.example",
        },
    )
    body = card_body(here, values)
    card = {
        "id": "c1",
        "name": body["name"],
        "desc": body["desc"],
        "due": body["due"],
        "start": body["start"],
        "dueComplete": body["dueComplete"],
        "idList": {"todo": "l1", "in_progress": "l2", "done": "l3"}[status],
        "idLabels": ["w"],
        "idMembers": ["mem-ana", "mem-other"],
        "customFieldItems": [
            {"idCustomField": "cf1", **number_item("planned_cost", cost)},
            {"idCustomField": "cf2", **number_item("estimate_hours", hours)},
        ],
    }
    read = read_card(here, card)
    assert {k: v for k, v in read.values.items() if k in values} == values


def test_a_card_with_the_milestone_label_is_a_milestone() -> None:
    """The configured label makes a card a milestone (and is not one of its labels)."""
    read = read_card(site("UTC", dt.time(17)), {"id": "c", "name": "GA", "idLabels": ["m"]})
    assert read.kind == "milestone"


def test_members_nobody_mapped_leave_the_assignee_out() -> None:
    """A card whose members are all unknown to people: has no opinion on its assignee."""
    read = read_card(site("UTC", dt.time(17)), {"id": "c", "name": "T", "idMembers": ["x"]})
    assert "assignee" not in read.values
