"""MSPDI working time: ISO 8601 durations, calendars, and the real sample files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from adapters.msproject import worktime
from adapters.msproject.worktime import (
    STANDARD,
    CombinedCalendar,
    WorkCalendar,
    calendar_for,
    calendars,
    format_duration,
    parse_duration,
    project_standard,
    scheduling_calendar,
)

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "specs" / "mspdi"
NS = "http://schemas.microsoft.com/project"
NAMESPACES = [NS, "http://schemas.microsoft.com/project/2007", None]
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)

H = dt.timedelta(hours=1)
MON = dt.date(2024, 12, 23)  # a Monday; 25 December 2024 is a Wednesday


def at(day: dt.date, clock: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(clock))


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


# --- building MSPDI snippets ---------------------------------------------------------------------


def times(*periods: tuple[str, str]) -> str:
    rows = "".join(
        f"<WorkingTime><FromTime>{a}:00</FromTime><ToTime>{b}:00</ToTime></WorkingTime>"
        for a, b in periods
    )
    return f"<WorkingTimes>{rows}</WorkingTimes>"


def weekday(day_type: int, *periods: tuple[str, str], period: str = "") -> str:
    working = "1" if periods else "0"
    return (
        f"<WeekDay><DayType>{day_type}</DayType><DayWorking>{working}</DayWorking>"
        f"{period}{times(*periods) if periods else ''}</WeekDay>"
    )


def span(first: str, last: str) -> str:
    return f"<TimePeriod><FromDate>{first}</FromDate><ToDate>{last}</ToDate></TimePeriod>"


OFFICE = (("08:00", "12:00"), ("13:00", "17:00"))
STANDARD_WEEK = weekday(1) + "".join(weekday(n, *OFFICE) for n in range(2, 7)) + weekday(7)


def calendar(uid: int, body: str = "", base: int = -1, name: str = "Cal") -> str:
    is_base = "1" if base == -1 else "0"
    return (
        f"<Calendar><UID>{uid}</UID><Name>{name}</Name><IsBaseCalendar>{is_base}</IsBaseCalendar>"
        f"<BaseCalendarUID>{base}</BaseCalendarUID>{body}</Calendar>"
    )


def exception(first: str, last: str, *periods: tuple[str, str], extra: str = "") -> str:
    working = "1" if periods else "0"
    return (
        f"<Exception><EnteredByOccurrences>0</EnteredByOccurrences>"
        f"{span(first + 'T00:00:00', last + 'T23:59:00')}<Occurrences>1</Occurrences>"
        f"<Name>x</Name>{extra or '<Type>1</Type>'}<DayWorking>{working}</DayWorking>"
        f"{times(*periods) if periods else ''}</Exception>"
    )


def project(
    cals: str = "",
    *,
    ns: str | None = NS,
    header: str = "<CalendarUID>1</CalendarUID>",
    rest: str = "",
) -> etree._Element:
    xmlns = f' xmlns="{ns}"' if ns else ""
    xml = f"<Project{xmlns}>{header}<Calendars>{cals}</Calendars>{rest}</Project>"
    return etree.fromstring(xml.encode(), PARSER)


def only(cals: str, uid: int = 1, ns: str | None = NS) -> WorkCalendar:
    return calendars(project(cals, ns=ns))[uid]


# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT8H0M0S", 8 * H),
        ("PT0H0M0S", dt.timedelta(0)),
        ("PT36H30M0S", dt.timedelta(hours=36, minutes=30)),
        ("P2DT3H", 51 * H),
        ("PT1.5H", dt.timedelta(minutes=90)),
        ("PT1,5H", dt.timedelta(minutes=90)),
        ("-PT8H0M0S", -8 * H),
        ("PT480M", 8 * H),
        ("PT0H30M0.5S", dt.timedelta(minutes=30, milliseconds=500)),
        ("P1W", 168 * H),
        ("P1D", 24 * H),
        ("  PT8H0M0S\n", 8 * H),
    ],
)
def test_parse_duration_reads_project_and_iso_forms(text: str, expected: dt.timedelta) -> None:
    """Project's PTnHnMnS and the other ISO 8601 forms read as exact durations, D = 24 h."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "8H", "PT8", "P1Y", "P2M", "P1DT", "PTH", "PT-8H", "PT8H junk", "x"]
)
def test_parse_duration_rejects_bad_input_naming_it(text: str) -> None:
    """Anything that is not a fixed-length ISO 8601 duration raises ValueError naming the text."""
    with pytest.raises(ValueError, match="duration") as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)


def test_parse_duration_out_of_range_is_a_value_error() -> None:
    """A duration too long for timedelta raises ValueError, not OverflowError."""
    with pytest.raises(ValueError, match="out of range"):
        parse_duration("PT99999999999999999H")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (8 * H, "PT8H0M0S"),
        (dt.timedelta(0), "PT0H0M0S"),
        (dt.timedelta(hours=36, minutes=30), "PT36H30M0S"),
        (dt.timedelta(days=2), "PT48H0M0S"),
        (-8 * H, "-PT8H0M0S"),
        (dt.timedelta(minutes=1, seconds=5), "PT0H1M5S"),
        (dt.timedelta(milliseconds=500), "PT0H0M0.5S"),
    ],
)
def test_format_duration_writes_project_style(value: dt.timedelta, expected: str) -> None:
    """Durations are written as Project does: hours, minutes and seconds, never days."""
    assert format_duration(value) == expected


@given(st.integers(min_value=-(10**10), max_value=10**10))
def test_format_then_parse_round_trips_whole_seconds(seconds: int) -> None:
    """Every whole-second duration survives format_duration then parse_duration unchanged."""
    value = dt.timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value


@given(st.timedeltas(min_value=dt.timedelta(days=-(10**5)), max_value=dt.timedelta(days=10**5)))
def test_format_then_parse_round_trips_microseconds(value: dt.timedelta) -> None:
    """Sub-second durations round-trip too, although Project never writes them."""
    assert parse_duration(format_duration(value)) == value


# --- the standard calendar -----------------------------------------------------------------------


def test_standard_full_week_is_forty_hours() -> None:
    """Monday 08:00 to the next Monday 08:00 holds five 8-hour days."""
    assert STANDARD.working_minutes(at(day(0), "08:00"), at(day(7), "08:00")) == 5 * 480


def test_standard_weekend_is_not_working() -> None:
    """Saturday and Sunday have no working time and no bounds."""
    assert STANDARD.working_minutes(at(day(5), "00:00"), at(day(7), "00:00")) == 0
    assert not STANDARD.is_working_day(day(5))
    assert STANDARD.day_bounds(day(6)) is None


def test_standard_lunch_break_is_not_counted() -> None:
    """11:00 to 14:00 on a weekday counts two hours: 12:00-13:00 is the lunch break."""
    assert STANDARD.working_minutes(at(day(0), "11:00"), at(day(0), "14:00")) == 120
    assert STANDARD.working_minutes(at(day(0), "12:10"), at(day(0), "12:50")) == 0


def test_standard_partial_days() -> None:
    """Partial first and last days count only their working time inside the range."""
    assert STANDARD.working_minutes(at(day(0), "10:30"), at(day(1), "09:15")) == 90 + 240 + 75
    assert STANDARD.working_minutes(at(day(4), "15:00"), at(day(7), "10:00")) == 240
    assert STANDARD.working_minutes(at(day(0), "07:00"), at(day(0), "17:30")) == 480


def test_standard_multi_week_span() -> None:
    """Four weeks hold twenty working days, wherever the span starts."""
    assert STANDARD.working_minutes(at(day(2), "13:00"), at(day(30), "13:00")) == 20 * 480


def test_empty_or_reversed_range_is_zero() -> None:
    """A finish at or before the start gives zero working minutes."""
    assert STANDARD.working_minutes(at(day(0), "10:00"), at(day(0), "10:00")) == 0
    assert STANDARD.working_minutes(at(day(1), "10:00"), at(day(0), "10:00")) == 0


def test_standard_day_bounds() -> None:
    """A weekday's bounds are its first start and its last finish."""
    assert STANDARD.day_bounds(day(0)) == (dt.time(8), dt.time(17))
    assert STANDARD.is_working_day(day(0))


def test_working_minutes_rounds_seconds_to_the_nearest_minute() -> None:
    """Seconds in the range are counted and rounded to the nearest minute."""
    start = at(day(0), "08:00:00")
    assert STANDARD.working_minutes(start, at(day(0), "08:00:29")) == 0
    assert STANDARD.working_minutes(start, at(day(0), "08:00:30")) == 1
    assert STANDARD.working_time(start, at(day(0), "08:00:29")) == dt.timedelta(seconds=29)


def test_five_year_span_is_fast_and_exact() -> None:
    """A five-year span is counted per day (milliseconds, not minute by minute) and exactly."""
    start, finish = dt.datetime(2020, 1, 1, 9), dt.datetime(2025, 1, 1, 9)
    begun = time.perf_counter()
    minutes = STANDARD.working_minutes(start, finish)
    elapsed = time.perf_counter() - begun
    days = (finish.date() - start.date()).days
    weekdays = sum((start.date() + dt.timedelta(n)).weekday() < 5 for n in range(days))
    assert minutes == weekdays * 480  # both ends are Wednesdays at 09:00: the hours cancel out
    assert elapsed < 0.5


def test_aware_datetimes_are_refused() -> None:
    """MSPDI times are local: a date-time with a zone raises ValueError."""
    aware = dt.datetime(2024, 12, 23, 8, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="without zone"):
        STANDARD.working_minutes(aware, aware + H)


def test_add_working_minutes_finishes_like_project() -> None:
    """Start plus a working duration ends at the end of a period, skipping breaks and weekends."""
    assert STANDARD.add_working_minutes(at(day(0), "08:00"), 480) == at(day(0), "17:00")
    assert STANDARD.add_working_minutes(at(day(0), "11:00"), 120) == at(day(0), "14:00")
    assert STANDARD.add_working_minutes(at(day(4), "16:00"), 120) == at(day(7), "09:00")
    assert STANDARD.add_working_minutes(at(day(5), "10:00"), 0) == at(day(5), "10:00")
    with pytest.raises(ValueError, match="negative"):
        STANDARD.add_working_minutes(at(day(0), "08:00"), -1)


def test_add_working_minutes_gives_up_on_a_calendar_without_work() -> None:
    """A calendar with no working time at all raises instead of looping forever."""
    idle = WorkCalendar(week=((),) * 7)
    with pytest.raises(ValueError, match="no working time"):
        idle.add_working_minutes(at(day(0), "08:00"), 60)


@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1)),
    st.integers(min_value=1, max_value=200_000),
)
def test_add_working_minutes_inverts_working_minutes(start: dt.datetime, minutes: int) -> None:
    """The working time from a start to start + n working minutes is n minutes."""
    start = start.replace(second=0, microsecond=0)
    finish = STANDARD.add_working_minutes(start, minutes)
    assert STANDARD.working_minutes(start, finish) == minutes


def test_work_calendar_is_immutable() -> None:
    """A WorkCalendar cannot be changed after it is built."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        STANDARD.name = "Other"  # type: ignore[misc]


# --- reading calendars ---------------------------------------------------------------------------


@pytest.mark.parametrize("ns", NAMESPACES)
def test_calendars_match_elements_by_local_name(ns: str | None) -> None:
    """The same calendar reads the same in either Project namespace or none."""
    cal = only(calendar(1, f"<WeekDays>{STANDARD_WEEK}</WeekDays>"), ns=ns)
    assert cal.name == "Cal"
    assert cal.working_minutes(at(day(0), "08:00"), at(day(7), "08:00")) == 2400
    assert not cal.is_working_day(day(5))


def test_midnight_to_time_ends_the_day() -> None:
    """ToTime 00:00:00 is midnight at the end of the day, as in Project's Night Shift calendar."""
    week = weekday(2, ("23:00", "00:00")) + weekday(3, ("00:00", "03:00"), ("04:00", "08:00"))
    cal = only(calendar(1, f"<WeekDays>{week}</WeekDays>"))
    assert cal.day_bounds(day(0)) == (dt.time(23), dt.time(0))
    assert cal.working_minutes(at(day(0), "22:00"), at(day(1), "09:00")) == 60 + 180 + 240
    assert cal.add_working_minutes(at(day(0), "23:00"), 60) == at(day(1), "00:00")


def test_old_style_day_type_zero_exceptions() -> None:
    """Project 2003 exceptions (WeekDay with DayType 0 and a TimePeriod) apply by date."""
    holiday = weekday(0, period=span("2024-12-25T00:00:00", "2024-12-26T23:59:00"))
    saturday = weekday(
        0, ("09:00", "13:00"), period=span("2024-12-28T00:00:00", "2024-12-28T23:59:00")
    )
    cal = only(calendar(1, f"<WeekDays>{STANDARD_WEEK}{holiday}{saturday}</WeekDays>"))
    assert not cal.is_working_day(day(2))
    assert not cal.is_working_day(day(3))
    assert cal.day_bounds(day(5)) == (dt.time(9), dt.time(13))
    assert cal.working_minutes(at(day(0), "08:00"), at(day(7), "08:00")) == 3 * 480 + 240


def test_new_style_exceptions() -> None:
    """Project 2007+ <Exceptions> of Type 1 cover their date range, working or not."""
    body = (
        f"<WeekDays>{STANDARD_WEEK}</WeekDays><Exceptions>"
        + exception("2024-12-25", "2024-12-26")
        + exception("2024-12-28", "2024-12-28", ("10:00", "12:00"))
        + exception("2024-12-23", "2024-12-23", ("08:00", "10:00"))
        + "</Exceptions>"
    )
    cal = only(calendar(1, body))
    working = [True, True, False, False, True, True, False]
    assert [cal.is_working_day(day(n)) for n in range(7)] == working
    assert cal.working_minutes(at(day(0), "00:00"), at(day(7), "00:00")) == 120 + 960 + 120


def test_new_style_exceptions_replace_old_style_copies() -> None:
    """When <Exceptions> is present, DayType 0 WeekDays (Project's backward copy) are ignored."""
    stale = weekday(0, period=span("2024-12-24T00:00:00", "2024-12-24T23:59:00"))
    body = (
        f"<WeekDays>{STANDARD_WEEK}{stale}</WeekDays>"
        f"<Exceptions>{exception('2024-12-25', '2024-12-25')}</Exceptions>"
    )
    cal = only(calendar(1, body))
    assert cal.is_working_day(day(1))
    assert not cal.is_working_day(day(2))


def test_exception_ending_at_midnight_excludes_that_day() -> None:
    """A TimePeriod whose ToDate is midnight after FromDate ends before that day."""
    body = (
        f"<WeekDays>{STANDARD_WEEK}</WeekDays><Exceptions><Exception>"
        f"{span('2024-12-24T00:00:00', '2024-12-26T00:00:00')}<Type>1</Type>"
        "<DayWorking>0</DayWorking></Exception></Exceptions>"
    )
    cal = only(calendar(1, body))
    assert [cal.is_working_day(day(n)) for n in (0, 1, 2, 3)] == [True, False, False, True]


@pytest.mark.parametrize(
    ("rule", "first", "last", "expected"),
    [
        # every 25 December (Type 2: yearly on Month 11 = December, MonthDay 25)
        (
            "<Type>2</Type><Month>11</Month><MonthDay>25</MonthDay>",
            "2024-12-25",
            "2026-12-25",
            ["2024-12-25", "2025-12-25", "2026-12-25"],
        ),
        # every other week on Friday (Type 6: DaysOfWeek 32 = Friday, Period 2)
        (
            "<Type>6</Type><Period>2</Period><DaysOfWeek>32</DaysOfWeek>",
            "2024-12-23",
            "2025-01-31",
            ["2024-12-27", "2025-01-10", "2025-01-24"],
        ),
        # the last Friday of every month (Type 5: MonthItem 8 = Friday, MonthPosition 4 = last)
        (
            "<Type>5</Type><Period>1</Period><MonthItem>8</MonthItem><MonthPosition>4</MonthPosition>",
            "2025-01-01",
            "2025-03-31",
            ["2025-01-31", "2025-02-28", "2025-03-28"],
        ),
        # the 15th of every second month (Type 4)
        (
            "<Type>4</Type><Period>2</Period><MonthDay>15</MonthDay>",
            "2025-01-15",
            "2025-06-30",
            ["2025-01-15", "2025-03-15", "2025-05-15"],
        ),
        # the first Monday of September (Type 3: MonthItem 4 = Monday, MonthPosition 0 = first)
        (
            "<Type>3</Type><Month>8</Month><MonthItem>4</MonthItem><MonthPosition>0</MonthPosition>",
            "2025-09-01",
            "2026-09-30",
            ["2025-09-01", "2026-09-07"],
        ),
        # every third day (Type 1 with Period 3)
        (
            "<Type>1</Type><Period>3</Period>",
            "2025-01-06",
            "2025-01-16",
            ["2025-01-06", "2025-01-09", "2025-01-12", "2025-01-15"],
        ),
        # an unknown Type is read as a plain date range
        ("<Type>9</Type>", "2025-01-06", "2025-01-07", ["2025-01-06", "2025-01-07"]),
    ],
)
def test_recurring_exceptions(rule: str, first: str, last: str, expected: list[str]) -> None:
    """Recurring exceptions (yearly, weekly, monthly, every n days) expand to their dates."""
    every_day = "".join(weekday(n, ("08:00", "16:00")) for n in range(1, 8))
    rules = f"<Exceptions>{exception(first, last, extra=rule)}</Exceptions>"
    body = f"<WeekDays>{every_day}</WeekDays>{rules}"
    cal = only(calendar(1, body))
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    off = [
        str(start + dt.timedelta(n))
        for n in range((end - start).days + 1)
        if not cal.is_working_day(start + dt.timedelta(n))
    ]
    assert off == expected


def test_exception_entered_by_occurrences_stops_after_the_count() -> None:
    """EnteredByOccurrences limits a recurring exception to its number of occurrences."""
    rule = (
        "<Exception><EnteredByOccurrences>1</EnteredByOccurrences>"
        "<TimePeriod><FromDate>2024-12-23T00:00:00</FromDate></TimePeriod>"
        "<Occurrences>2</Occurrences><Type>6</Type><Period>1</Period><DaysOfWeek>2</DaysOfWeek>"
        "<DayWorking>0</DayWorking></Exception>"
    )
    cal = only(calendar(1, f"<WeekDays>{STANDARD_WEEK}</WeekDays><Exceptions>{rule}</Exceptions>"))
    assert [cal.is_working_day(day(n)) for n in (0, 7, 14)] == [False, False, True]


def test_a_plain_exception_beats_a_recurring_one() -> None:
    """Where a one-off exception and a recurring one meet, the one-off wins (as in MPXJ)."""
    weekly = exception("2024-12-23", "2025-01-31", extra="<Type>6</Type><DaysOfWeek>8</DaysOfWeek>")
    one_off = exception("2024-12-25", "2024-12-25", ("09:00", "10:00"))
    body = f"<WeekDays>{STANDARD_WEEK}</WeekDays><Exceptions>{one_off}{weekly}</Exceptions>"
    cal = only(calendar(1, body))
    assert cal.day_bounds(day(2)) == (dt.time(9), dt.time(10))
    assert not cal.is_working_day(day(9))


def test_derived_calendar_inherits_undefined_weekdays() -> None:
    """A resource calendar that defines only Saturday takes the other days from its base."""
    base = calendar(1, f"<WeekDays>{STANDARD_WEEK}</WeekDays>", name="Standard")
    derived = calendar(2, f"<WeekDays>{weekday(7, ('09:00', '12:00'))}</WeekDays>", base=1)
    table = calendars(project(base + derived))
    cal = table[2]
    assert cal.base is table[1]
    assert cal.day_bounds(day(5)) == (dt.time(9), dt.time(12))
    assert cal.working_minutes(at(day(0), "08:00"), at(day(7), "08:00")) == 2400 + 180


def test_derived_calendar_without_weekdays_equals_its_base() -> None:
    """A derived calendar with no definitions of its own works exactly like its base."""
    night = "".join(weekday(n, ("22:00", "00:00")) for n in range(1, 8))
    table = calendars(project(calendar(1, f"<WeekDays>{night}</WeekDays>") + calendar(3, base=1)))
    assert table[3].working_minutes(at(day(0), "00:00"), at(day(7), "00:00")) == 7 * 120


def test_base_exceptions_apply_to_derived_calendars() -> None:
    """A base calendar's holiday is a holiday of derived calendars; their own exceptions win."""
    holidays = exception("2024-12-25", "2024-12-26")
    base = calendar(1, f"<WeekDays>{STANDARD_WEEK}</WeekDays><Exceptions>{holidays}</Exceptions>")
    own = exception("2024-12-26", "2024-12-26", ("08:00", "12:00"))
    derived = calendar(2, f"<Exceptions>{own}</Exceptions>", base=1)
    table = calendars(project(base + derived + calendar(3, base=1)))
    assert not table[3].is_working_day(day(2))
    assert not table[3].is_working_day(day(3))
    assert not table[2].is_working_day(day(2))
    assert table[2].day_bounds(day(3)) == (dt.time(8), dt.time(12))


def test_work_weeks_replace_the_week_in_their_date_range() -> None:
    """A WorkWeek rules the days of its range; days it leaves out fall back to the base."""
    summer_days = "".join(weekday(n, ("07:00", "15:00")) for n in range(2, 6)) + weekday(6)
    summer = (
        f"<WorkWeeks><WorkWeek>{span('2025-06-01T00:00:00', '2025-08-31T23:59:00')}"
        f"<Name>Summer</Name><WeekDays>{summer_days}</WeekDays></WorkWeek></WorkWeeks>"
    )
    table = calendars(project(calendar(1, f"<WeekDays>{STANDARD_WEEK}</WeekDays>{summer}")))
    cal = table[1]
    july = dt.date(2025, 7, 7)  # a Monday
    assert cal.day_bounds(july) == (dt.time(7), dt.time(15))
    assert not cal.is_working_day(july + dt.timedelta(4))  # Friday: non-working that summer
    assert not cal.is_working_day(july + dt.timedelta(5))  # Saturday: not in the work week
    assert cal.day_bounds(dt.date(2025, 9, 1)) == (dt.time(8), dt.time(17))
    assert cal.working_minutes(dt.datetime(2025, 7, 7), dt.datetime(2025, 7, 14)) == 4 * 480


def test_derived_calendar_inherits_base_work_weeks() -> None:
    """A derived calendar that leaves a weekday undefined follows its base's work week too."""
    week = weekday(2, ("10:00", "11:00"))
    special = (
        f"<WorkWeeks><WorkWeek>{span('2025-01-06T00:00:00', '2025-01-12T23:59:00')}"
        f"<WeekDays>{week}</WeekDays></WorkWeek></WorkWeeks>"
    )
    base = calendar(1, f"<WeekDays>{STANDARD_WEEK}</WeekDays>{special}")
    table = calendars(project(base + calendar(2, base=1)))
    assert table[2].day_bounds(dt.date(2025, 1, 6)) == (dt.time(10), dt.time(11))
    assert table[2].day_bounds(dt.date(2025, 1, 13)) == (dt.time(8), dt.time(17))


@pytest.mark.parametrize(
    "cals",
    [
        calendar(1, base=1),  # its own base
        calendar(1, base=2) + calendar(2, base=1),  # a cycle
        calendar(1, base=-65533),  # a base that does not exist (seen in Project files)
        "<Calendar><UID>x</UID></Calendar>" + calendar(1),  # an unreadable UID
        calendar(
            1,
            "<WeekDays><WeekDay><DayType>9</DayType></WeekDay><WeekDay><DayType>2</DayType>"
            "<DayWorking>1</DayWorking><WorkingTimes><WorkingTime><FromTime>late</FromTime>"
            "<ToTime>never</ToTime></WorkingTime></WorkingTimes></WeekDay></WeekDays>"
            "<Exceptions><Exception><TimePeriod><FromDate>soon</FromDate></TimePeriod></Exception>"
            "<Exception><TimePeriod><FromDate>9999-12-31T00:00:00</FromDate>"
            "<ToDate>9999-12-31T23:59:00</ToDate></TimePeriod><Type>1</Type><Period>2</Period>"
            "</Exception></Exceptions><Unknown><Stuff/></Unknown><!-- a comment -->",
        ),
    ],
)
def test_unusable_calendars_fall_back_without_raising(cals: str) -> None:
    """Broken, circular or unknown-based calendars read as the standard week, never raising."""
    cal = calendars(project(cals))[1]
    assert cal.working_minutes(at(day(0), "08:00"), at(day(7), "08:00")) == 2400
    assert cal.day_bounds(day(0)) == (dt.time(8), dt.time(17))


def test_base_calendar_uid_zero_on_a_base_calendar_is_ignored() -> None:
    """Project 2019 writes BaseCalendarUID 0 on base calendars: it does not point anywhere."""
    base = (
        "<Calendar><UID>1</UID><IsBaseCalendar>1</IsBaseCalendar><BaseCalendarUID>0</BaseCalendarUID>"
        f"<WeekDays>{weekday(2, ('09:00', '10:00'))}</WeekDays></Calendar>"
    )
    other = calendar(0, f"<WeekDays>{weekday(2, ('11:00', '12:00'))}</WeekDays>")
    cal = calendars(project(other + base))[1]
    assert cal.day_bounds(day(0)) == (dt.time(9), dt.time(10))


def test_working_day_without_times_gets_the_default_hours() -> None:
    """DayWorking 1 with no WorkingTimes is a working day of the project's default hours."""
    bare = "<WeekDay><DayType>7</DayType><DayWorking>1</DayWorking></WeekDay>"
    week = weekday(1) + "".join(weekday(n, *OFFICE) for n in range(2, 7)) + bare
    cal = only(calendar(1, f"<WeekDays>{week}</WeekDays>"))
    assert cal.day_bounds(day(5)) == (dt.time(8), dt.time(17))


# --- choosing a task's calendar ------------------------------------------------------------------

TWO_CALENDARS = calendar(1, f"<WeekDays>{STANDARD_WEEK}</WeekDays>", name="Standard") + calendar(
    2, "<WeekDays>" + "".join(weekday(n, ("06:00", "14:00")) for n in range(1, 8)) + "</WeekDays>"
)


def task(uid: int = 5, calendar_uid: str | None = None) -> etree._Element:
    field = "" if calendar_uid is None else f"<CalendarUID>{calendar_uid}</CalendarUID>"
    return etree.fromstring(f"<Task xmlns='{NS}'><UID>{uid}</UID>{field}</Task>".encode())


@pytest.mark.parametrize(
    ("calendar_uid", "expected"), [("2", 2), ("-1", 1), (None, 1), ("77", 1), ("oops", 1)]
)
def test_calendar_for_uses_the_task_calendar_or_the_project_calendar(
    calendar_uid: str | None, expected: int
) -> None:
    """A task's own CalendarUID wins; absent, -1 or unknown means the project's CalendarUID."""
    plan = project(TWO_CALENDARS)
    assert calendar_for(plan, task(calendar_uid=calendar_uid)).uid == expected
    assert calendar_for(plan, None).uid == 1


def test_calendar_for_accepts_a_precomputed_table() -> None:
    """Passing calendars() once avoids re-reading them and gives the same calendar objects."""
    plan = project(TWO_CALENDARS)
    table = calendars(plan)
    assert calendar_for(plan, task(calendar_uid="2"), table) is table[2]


def test_calendar_for_falls_back_to_the_standard_calendar() -> None:
    """Without a usable project calendar the default Mon-Fri 8-12, 13-17 calendar is used."""
    plan = project("", header="<CalendarUID>9</CalendarUID>")
    assert calendar_for(plan, task()) == STANDARD


def test_fallback_standard_follows_the_project_defaults() -> None:
    """DefaultStartTime, DefaultFinishTime and MinutesPerDay shape the fallback calendar."""
    header = (
        "<DefaultStartTime>09:00:00</DefaultStartTime><DefaultFinishTime>18:00:00"
        "</DefaultFinishTime><MinutesPerDay>480</MinutesPerDay>"
    )
    cal = calendar_for(project("", header=header), None)
    assert cal.day_times(day(0)) == ((9 * 3600, 13 * 3600), (14 * 3600, 18 * 3600))
    assert not cal.is_working_day(day(5))
    short = header.replace("18:00:00", "17:00:00").replace("09:00", "08:00").replace("480", "540")
    assert project_standard(project("", header=short)).day_times(day(0)) == ((8 * 3600, 17 * 3600),)
    standard = header.replace("09:00", "08:00").replace("18:00", "17:00")
    assert project_standard(project("", header=standard)) is STANDARD


def test_root_calendars_take_undefined_days_from_the_project_defaults() -> None:
    """A base calendar that leaves a weekday out works the project's default hours that day."""
    header = (
        "<CalendarUID>1</CalendarUID><DefaultStartTime>07:00:00</DefaultStartTime>"
        "<DefaultFinishTime>15:00:00</DefaultFinishTime><MinutesPerDay>480</MinutesPerDay>"
    )
    cal = calendars(project(calendar(1, f"<WeekDays>{weekday(1)}</WeekDays>"), header=header))[1]
    assert cal.day_bounds(day(0)) == (dt.time(7), dt.time(15))
    assert not cal.is_working_day(day(6))


RESOURCES = (
    "<Resources>"
    "<Resource><UID>1</UID><Type>1</Type><CalendarUID>1</CalendarUID></Resource>"
    "<Resource><UID>2</UID><Type>1</Type><CalendarUID>2</CalendarUID></Resource>"
    "<Resource><UID>3</UID><Type>0</Type><CalendarUID>2</CalendarUID></Resource>"
    "</Resources>"
)


def assignments(*pairs: tuple[int, int]) -> str:
    rows = "".join(
        f"<Assignment><TaskUID>{t}</TaskUID><ResourceUID>{r}</ResourceUID></Assignment>"
        for t, r in pairs
    )
    return f"<Assignments>{rows}</Assignments>"


def test_scheduling_calendar_is_the_union_of_resource_calendars() -> None:
    """A task worked by several resources works whenever any of them works."""
    plan = project(TWO_CALENDARS, rest=RESOURCES + assignments((5, 1), (5, 2), (5, 3)))
    cal = scheduling_calendar(plan, task())
    assert isinstance(cal, CombinedCalendar)
    assert cal.day_times(day(0)) == ((6 * 3600, 17 * 3600),)
    assert cal.day_times(day(5)) == ((6 * 3600, 14 * 3600),)


def test_scheduling_calendar_of_one_resource_or_none() -> None:
    """One resource gives its calendar; material resources and no assignment give calendar_for."""
    plan = project(TWO_CALENDARS, rest=RESOURCES + assignments((5, 2), (6, 3), (7, -65535)))
    assert isinstance(scheduling_calendar(plan, task(5)), WorkCalendar)
    assert scheduling_calendar(plan, task(5)).day_bounds(day(5)) == (dt.time(6), dt.time(14))
    assert scheduling_calendar(plan, task(6)) == calendar_for(plan, task(6))
    assert scheduling_calendar(plan, task(7)) == calendar_for(plan, task(7))


def test_scheduling_calendar_prefers_the_task_calendar() -> None:
    """A task with its own calendar is counted in it, whatever its resources."""
    plan = project(TWO_CALENDARS, rest=RESOURCES + assignments((5, 2)))
    assert scheduling_calendar(plan, task(5, calendar_uid="1")) == calendars(plan)[1]


# --- the real sample files -----------------------------------------------------------------------

# Tasks whose Duration Project counted on their resources' calendars, not on the task's own
# (or project's) calendar: "Second Task" has two resources, one on "Night Shift"; "Assigned
# Task 2" has one resource on "Night Shift". scheduling_calendar() covers them.
RESOURCE_SCHEDULED = {
    ("mpxj_sample.xml", 2),
    ("mpxj_sample1.xml", 2),
    ("mpxj_sample1.xml", 24),
}


def _sample_files() -> list[object]:
    files = sorted(SAMPLES.glob("*.xml")) if SAMPLES.is_dir() else []
    if not files:
        reason = f"no MSPDI sample files in {SAMPLES.resolve()} (shared specs not mounted)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-samples")]
    return [pytest.param(path, id=path.name) for path in files]


def _fields(element: etree._Element) -> dict[str, str]:
    return {
        etree.QName(item).localname: (item.text or "").strip()
        for item in element
        if isinstance(item.tag, str)
    }


def _tasks_to_check(
    plan: etree._Element,
) -> list[tuple[etree._Element, dt.datetime, dt.datetime, int]]:
    """Tasks whose Duration should be the working time from Start to Finish."""
    found = []
    for element in plan.iter():
        if not isinstance(element.tag, str) or etree.QName(element).localname != "Task":
            continue
        values = _fields(element)
        if "1" in (values.get("Summary"), values.get("Milestone"), values.get("Manual")):
            continue  # roll-ups, zero-length markers and user-typed dates
        if not all(values.get(name) for name in ("Start", "Finish", "Duration")):
            continue
        if int(values.get("DurationFormat") or 0) in worktime.ELAPSED_DURATION_FORMATS:
            continue  # elapsed durations count calendar time, not working time
        start = dt.datetime.fromisoformat(values["Start"])
        finish = dt.datetime.fromisoformat(values["Finish"])
        if values.get("Stop") and values.get("Resume"):
            stop, resume = (dt.datetime.fromisoformat(values[n]) for n in ("Stop", "Resume"))
            if calendar_for(plan, element).working_minutes(stop, resume):
                continue  # split by Stop/Resume: the gap is not part of Duration
        minutes = parse_duration(values["Duration"]) // dt.timedelta(minutes=1)
        found.append((element, start, finish, minutes))
    return found


def _read_sample(path: Path) -> etree._Element:
    return etree.parse(str(path), PARSER).getroot()


@pytest.mark.parametrize("path", _sample_files())
def test_sample_durations_are_working_time_between_start_and_finish(path: Path) -> None:
    """In Project's own files, Duration is the working time from Start to Finish."""
    plan = _read_sample(path)
    table = calendars(plan)
    wrong, unexplained = [], []
    for element, start, finish, minutes in _tasks_to_check(plan):
        uid = int(_fields(element)["UID"])
        if scheduling_calendar(plan, element, table).working_minutes(start, finish) != minutes:
            wrong.append(uid)
        own = calendar_for(plan, element, table).working_minutes(start, finish)
        if own != minutes and (path.name, uid) not in RESOURCE_SCHEDULED:
            unexplained.append(uid)
        if (path.name, uid) in RESOURCE_SCHEDULED:
            assert own != minutes  # the resource calendars really make the difference
    assert wrong == []
    assert unexplained == []


def test_samples_have_tasks_to_check() -> None:
    """The sample check is not vacuous: the files hold tasks with durations to compare."""
    if not SAMPLES.is_dir():
        pytest.skip(f"no MSPDI sample files in {SAMPLES.resolve()} (shared specs not mounted)")
    counts = [len(_tasks_to_check(_read_sample(path))) for path in sorted(SAMPLES.glob("*.xml"))]
    assert sum(counts) > len(RESOURCE_SCHEDULED)


@pytest.mark.parametrize("path", _sample_files())
def test_sample_calendars_read(path: Path) -> None:
    """Every sample's calendars read, and its project calendar is the Monday-Friday office week."""
    plan = _read_sample(path)
    table = calendars(plan)
    assert table
    cal = calendar_for(plan, None, table)
    assert cal.working_minutes(at(day(0), "00:00"), at(day(7), "00:00")) == 2400
    night = [c for c in table.values() if c.name == "Night Shift"]
    for shift in night:  # sample.xml and sample1.xml: 23:00-00:00 then 00:00-03:00, 04:00-08:00
        assert shift.day_bounds(day(0)) == (dt.time(23), dt.time(0))
        assert shift.working_minutes(at(day(0), "00:00"), at(day(7), "00:00")) == 40 * 60
