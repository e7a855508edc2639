"""Working time in MSPDI files: ISO 8601 durations and the calendars tasks are scheduled on.

Microsoft Project recomputes a task's Finish from Start + Duration when it opens a file, and
Duration counts *working* time of the task's calendar. So when syncd moves Start or Finish it
must also write the working time between them; this module provides that arithmetic.

Durations (``parse_duration``/``format_duration``)
    Project writes every duration as hours, minutes and seconds of work: ``PT8H0M0S`` is one
    8-hour working day (480 minutes), ``PT36H30M0S`` is 36.5 working hours. Other writers use
    more of ISO 8601: ``P2DT3H``, ``PT1.5H``, ``-PT8H0M0S``. A ``D`` is read in the ISO sense,
    24 hours, and a ``W`` as 7 such days: Project itself never writes them, and converting them
    to *working* days would need the project's MinutesPerDay, which is the caller's business.
    Years and months have no fixed length and are refused.

Calendars (``calendars``/``calendar_for``/``scheduling_calendar``)
    A ``WorkCalendar`` answers, for any date, the working periods of that day. For one date it
    looks, in order, at:

    1. exceptions of the calendar, then of its base calendars (a holiday of the base calendar
       applies to every calendar derived from it);
    2. the work week (``<WorkWeeks>``, Project 2007+) of the calendar whose date range covers
       the date, or else the calendar's own week (``<WeekDays>``);
    3. when that week does not define the weekday, the same question asked of the base calendar
       (step 2 only). A calendar without a base calendar takes such days from the project's
       default week (``STANDARD`` or the one the project's defaults describe).

    Step 3 is how MSPDI says "use the base calendar's times": a derived calendar (a resource's)
    simply leaves the weekday out, and a work week leaves out the days set to "use default".

Everything here is pure (no I/O) and lenient: a calendar this module cannot make sense of
behaves like its base calendar, and nothing in ``calendars`` raises on odd input.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cached_property

from lxml import etree

Element = etree._Element

Interval = tuple[int, int]
"""A working period of one day: ``(start, end)`` in seconds from midnight, ``end`` up to 86400."""
DayTimes = tuple[Interval, ...]
"""The working periods of one day, sorted and disjoint; empty on a non-working day."""
Week = tuple[DayTimes | None, ...]
"""Seven entries indexed by ``date.weekday()`` (Monday = 0); ``None`` = not defined here."""

DAY_SECONDS = 86_400
_ONE_DAY = dt.timedelta(days=1)
_NO_BASE = -1  # BaseCalendarUID / CalendarUID meaning "none"
_MAX_BASE_DEPTH = 32  # longer base-calendar chains are cut (they only occur in broken files)
_MAX_EXPANSION_DAYS = 36_600  # a recurring exception is expanded over at most ~100 years
_MAX_IDLE_DAYS = 3_660  # add_working_minutes gives up after ~10 years without working time

# DurationFormat values of elapsed durations (Duration counts 24 h days, not working time):
# em, eh, ed, ew, emo, e% and their "estimated" variants (35 + n).
ELAPSED_DURATION_FORMATS = frozenset({4, 6, 8, 10, 12, 20, 36, 38, 40, 42, 44, 52})


# --- durations -----------------------------------------------------------------------------------

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"(?P<sign>[-+])?P(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?"
)
_UNIT_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


def parse_duration(text: str) -> dt.timedelta:
    """Read an ISO 8601 duration as MSPDI writes it (``PT8H0M0S`` = 8 hours).

    Accepts fractions (``PT1.5H``, ``PT0H30M0.5S``), a sign (``-PT8H0M0S``), days and weeks
    (``P2DT3H``; a day is 24 hours, see the module notes). Raises ``ValueError`` naming the text
    for anything else, including years and months (``P1Y``, ``P2M``), which have no fixed length.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.group(unit) for unit in _UNIT_SECONDS):
        raise ValueError(f"not an ISO 8601 duration of hours/minutes/seconds: {text!r}")
    total = Decimal(0)
    for unit, seconds in _UNIT_SECONDS.items():
        value = match.group(unit)
        if value:
            total += Decimal(value.replace(",", ".")) * seconds
    micro = int((total * 1_000_000).to_integral_value(rounding=ROUND_HALF_EVEN))
    try:
        return dt.timedelta(microseconds=-micro if match.group("sign") == "-" else micro)
    except OverflowError:
        raise ValueError(f"duration out of range: {text!r}") from None


def format_duration(value: dt.timedelta) -> str:
    """Write a duration the way Project does: ``PT{hours}H{minutes}M{seconds}S``.

    Hours are not folded into days (``PT36H30M0S``); a negative duration gets a leading ``-``;
    sub-second parts (never written by Project) keep their digits (``PT0H0M0.5S``).
    """
    sign = "-" if value < dt.timedelta(0) else ""
    micro = abs(value) // dt.timedelta(microseconds=1)
    seconds, micro = divmod(micro, 1_000_000)
    hours, rest = divmod(seconds, 3_600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs}.{micro:06d}".rstrip("0") if micro else str(secs)
    return f"{sign}PT{hours}H{minutes}M{sec_text}S"


# --- calendars -----------------------------------------------------------------------------------


class CalendarView(ABC):
    """Working time day by day; the arithmetic shared by every kind of calendar.

    Date-times are local wall-clock times without a zone, as MSPDI stores them; aware
    date-times are refused (convert them to the project's local time first).
    """

    @abstractmethod
    def day_times(self, day: dt.date) -> DayTimes:
        """The working periods of ``day`` (seconds from midnight); empty when non-working."""

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` has any working time."""
        return bool(self.day_times(day))

    def day_bounds(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """First start and last finish of working time on ``day``; ``None`` when non-working.

        A finish of ``00:00`` means midnight at the end of the day, as in MSPDI's ``ToTime``.
        """
        times = self.day_times(day)
        if not times:
            return None
        return _clock(times[0][0]), _clock(times[-1][1])

    def working_time(self, start: dt.datetime, finish: dt.datetime) -> dt.timedelta:
        """Working time in ``[start, finish)``, to the second; zero if ``finish <= start``."""
        _require_naive(start, finish)
        if finish <= start:
            return dt.timedelta(0)
        total, first, last = 0, start.date(), finish.date()
        for offset in range((last - first).days + 1):  # per day: 5 years is ~1800 steps
            day = first + dt.timedelta(days=offset)
            low = _seconds(start) if day == first else 0
            high = _seconds(finish) if day == last else DAY_SECONDS
            if high > low:
                total += _overlap(self.day_times(day), low, high)
        return dt.timedelta(seconds=total)

    def working_minutes(self, start: dt.datetime, finish: dt.datetime) -> int:
        """Working minutes in ``[start, finish)`` (rounded to the nearest minute); 0 if empty."""
        return (self.working_time(start, finish) // dt.timedelta(seconds=1) + 30) // 60

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The moment ``minutes`` of working time after ``start``, as Project computes Finish.

        Work that ends exactly at the end of a working period finishes there (17:00, not the
        next morning). Raises ``ValueError`` for negative minutes or a calendar that has no
        working time for years after ``start``.
        """
        _require_naive(start)
        if minutes < 0:
            raise ValueError(f"negative working time: {minutes} minutes")
        if minutes == 0:
            return start
        remaining, day, low, idle = minutes * 60, start.date(), _seconds(start), 0
        while idle <= _MAX_IDLE_DAYS:
            for begin, end in self.day_times(day):
                begin = max(begin, low)
                if end <= begin:
                    continue
                if remaining <= end - begin:
                    return dt.datetime.combine(day, dt.time()) + dt.timedelta(
                        seconds=begin + remaining
                    )
                remaining -= end - begin
                idle = -1
            day, low, idle = day + _ONE_DAY, 0, idle + 1
        raise ValueError(f"no working time within {_MAX_IDLE_DAYS} days after {start}")


@dataclass(frozen=True)
class WorkWeek:
    """A date-ranged alternative week of a calendar (MSPDI ``<WorkWeek>``, Project 2007+)."""

    first: dt.date
    last: dt.date  # inclusive
    week: Week
    name: str = ""

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` falls in this work week's date range."""
        return self.first <= day <= self.last


@dataclass(frozen=True)
class WorkCalendar(CalendarView):
    """One MSPDI calendar: its week, work weeks and exceptions, over its base calendar.

    Immutable. ``base`` supplies every weekday this calendar leaves undefined and contributes
    its exceptions; ``calendars()`` gives calendars without a base calendar the project's
    default week as ``base``, so a parsed calendar answers for every day.
    """

    name: str = ""
    uid: int | None = None
    week: Week = (None,) * 7
    work_weeks: tuple[WorkWeek, ...] = ()
    exceptions: tuple[tuple[dt.date, DayTimes], ...] = ()  # sorted by date, one entry a day
    base: WorkCalendar | None = None

    @cached_property
    def _exception_map(self) -> Mapping[dt.date, DayTimes]:
        return dict(self.exceptions)

    def day_times(self, day: dt.date) -> DayTimes:
        """The working periods of ``day`` (seconds from midnight); empty when non-working."""
        calendar: WorkCalendar | None = self
        while calendar is not None:  # exceptions first, this calendar's then its bases'
            found = calendar._exception_map.get(day)
            if found is not None:
                return found
            calendar = calendar.base
        return self._weekly_times(day)

    def _weekly_times(self, day: dt.date) -> DayTimes:
        weekday = day.weekday()
        calendar: WorkCalendar | None = self
        while calendar is not None:
            work_week = next((w for w in calendar.work_weeks if w.covers(day)), None)
            times = (work_week.week if work_week is not None else calendar.week)[weekday]
            if times is not None:
                return times
            calendar = calendar.base  # "use the base calendar's times" for this weekday
        return ()


@dataclass(frozen=True)
class CombinedCalendar(CalendarView):
    """Working time when any member calendar works (a task worked by several resources)."""

    members: tuple[CalendarView, ...]

    def day_times(self, day: dt.date) -> DayTimes:
        """The union of the members' working periods on ``day``."""
        return _merge(interval for member in self.members for interval in member.day_times(day))


def _week_of(day: DayTimes, days: Iterable[int] = range(5)) -> Week:
    return tuple(day if weekday in days else () for weekday in range(7))


STANDARD = WorkCalendar(
    name="Standard", week=_week_of(((8 * 3_600, 12 * 3_600), (13 * 3_600, 17 * 3_600)))
)
"""Project's default calendar: Monday to Friday, 08:00-12:00 and 13:00-17:00."""


def calendars(project: Element) -> dict[int, WorkCalendar]:
    """The calendars of an MSPDI ``<Project>`` by UID, with base calendars resolved.

    Never raises: a calendar that cannot be read behaves like its base calendar, a missing,
    self-referencing or circular base calendar is replaced by the project's default week, and
    unknown elements are ignored. Elements are matched by local name, whatever the namespace.
    """
    fallback = project_standard(project)
    elements: dict[int, Element] = {}
    for calendar in _children(_child(project, "Calendars"), "Calendar"):
        uid = _int(calendar, "UID")
        if uid is not None:
            elements.setdefault(uid, calendar)  # a duplicate UID: the first one wins
    built: dict[int, WorkCalendar] = {}
    for uid in elements:
        _build(uid, elements, built, fallback)
    return built


def calendar_for(
    project: Element,
    task: Element | None,
    table: Mapping[int, WorkCalendar] | None = None,
) -> WorkCalendar:
    """The calendar a task's Duration is counted in, as its own fields say.

    The task's ``CalendarUID``; when absent, ``-1`` or unknown, the project's ``CalendarUID``;
    when that is unusable too, ``project_standard(project)``. Pass ``table`` (from
    ``calendars(project)``) to avoid re-reading the calendars for every task. Project schedules
    a task without its own calendar on its resources' calendars: see ``scheduling_calendar``.
    """
    table = calendars(project) if table is None else table
    own = _task_calendar(task, table)
    if own is not None:
        return own
    project_uid = _int(project, "CalendarUID")
    found = table.get(project_uid) if project_uid is not None else None
    return found if found is not None else project_standard(project)


def scheduling_calendar(
    project: Element,
    task: Element,
    table: Mapping[int, WorkCalendar] | None = None,
) -> CalendarView:
    """The working time Project counts a task's Duration in, resources included.

    A task with its own calendar uses it (Project would also intersect it with the resources'
    calendars unless ``IgnoreResourceCalendar`` is set: not modelled). A task without one that
    is assigned to work resources is worked whenever any of them works: the union of their
    calendars. Any other task uses ``calendar_for``.
    """
    table = calendars(project) if table is None else table
    own = _task_calendar(task, table)
    if own is not None:
        return own
    fallback = calendar_for(project, None, table)
    found = _resource_calendars(project, _int(task, "UID"), table, fallback)
    if not found:
        return fallback
    return found[0] if len(found) == 1 else CombinedCalendar(tuple(found))


def project_standard(project: Element) -> WorkCalendar:
    """The default calendar the project's ``DefaultStartTime``/``DefaultFinishTime`` describe.

    Monday to Friday from the default start to the default finish; when that span is longer
    than ``MinutesPerDay`` the difference is a break in its middle (08:00-17:00 with 480
    minutes a day gives 08:00-12:00, 13:00-17:00). ``STANDARD`` when the values are absent or
    make no sense.
    """
    start = _time(_text(project, "DefaultStartTime"))
    finish = _time(_text(project, "DefaultFinishTime"))
    per_day = _int(project, "MinutesPerDay")
    if start is None and finish is None and per_day is None:
        return STANDARD
    start = 8 * 3_600 if start is None else start
    finish = 17 * 3_600 if finish is None else finish or DAY_SECONDS  # 00:00 = midnight
    work = 480 * 60 if per_day is None else per_day * 60
    if not 0 < work <= DAY_SECONDS or finish <= start:
        return STANDARD
    if work >= finish - start:
        day: DayTimes = ((start, finish),)
    else:
        morning = work // 120 * 60  # half the working time, in whole minutes
        day = ((start, start + morning), (finish - (work - morning), finish))
    calendar = WorkCalendar(name="Standard", week=_week_of(day))
    return STANDARD if calendar == STANDARD else calendar


# --- reading calendars ---------------------------------------------------------------------------


def _build(
    uid: int, elements: Mapping[int, Element], built: dict[int, WorkCalendar], root: WorkCalendar
) -> None:
    """Build ``uid`` and the base calendars it needs, deepest base first (no recursion)."""
    chain: list[int] = []
    current: int | None = uid
    while (
        current is not None
        and current in elements
        and current not in built
        and current not in chain
        and len(chain) < _MAX_BASE_DEPTH
    ):
        chain.append(current)
        current = _base_uid(elements[current])
    base = built[current] if current is not None and current in built else root
    for link in reversed(chain):
        base = built[link] = _read_calendar(elements[link], link, base, root)


def _base_uid(calendar: Element) -> int | None:
    # The XSD: BaseCalendarUID "only applicable if the calendar is not a base calendar".
    # Base calendars carry -1 (Project 2003-2010) or 0 (Project 2019) there.
    if _bool(calendar, "IsBaseCalendar"):
        return None
    uid = _int(calendar, "BaseCalendarUID")
    return None if uid == _NO_BASE else uid


def _read_calendar(
    element: Element, uid: int, base: WorkCalendar, root: WorkCalendar
) -> WorkCalendar:
    name = _text(element, "Name") or ""
    workday = root.week[0] or STANDARD.week[0] or ()  # times for "working" without times
    try:
        return WorkCalendar(
            name=name,
            uid=uid,
            week=_read_week(_child(element, "WeekDays"), workday),
            work_weeks=_read_work_weeks(element, workday),
            exceptions=_read_exceptions(element, workday),
            base=base,
        )
    except (ValueError, OverflowError):  # dates at the edge of the calendar, odd numbers
        return WorkCalendar(name=name, uid=uid, base=base)


def _read_week(week_days: Element | None, workday: DayTimes) -> Week:
    week: list[DayTimes | None] = [None] * 7
    for week_day in _children(week_days, "WeekDay"):
        day_type = _int(week_day, "DayType")
        # DayType 1 = Sunday .. 7 = Saturday; 0 marks an old-style exception (read elsewhere).
        if day_type is not None and 1 <= day_type <= 7:
            week[(day_type + 5) % 7] = _day_times(week_day, workday, undefined=None)
    return tuple(week)


def _day_times(element: Element, workday: DayTimes, undefined: DayTimes | None) -> DayTimes | None:
    """The times of a WeekDay/Exception: ``DayWorking`` 0 wins over any WorkingTimes."""
    working = _bool(element, "DayWorking")
    times = _merge(_working_times(element))
    if working is False:
        return ()
    if times:
        return times
    # DayWorking 1 without usable WorkingTime: a plain working day of the project.
    return workday if working else undefined


def _working_times(element: Element) -> Iterator[Interval]:
    for period in _children(_child(element, "WorkingTimes"), "WorkingTime"):
        start, end = _time(_text(period, "FromTime")), _time(_text(period, "ToTime"))
        if start is None or end is None:
            continue
        if end == 0 or end < start:
            # ToTime 00:00:00 is midnight at the end of the day (Night Shift: 23:00-00:00).
            # Project never lets a period cross midnight; a writer that does is cut there.
            end = DAY_SECONDS
        yield start, end


def _read_work_weeks(element: Element, workday: DayTimes) -> tuple[WorkWeek, ...]:
    weeks: list[WorkWeek] = []
    for work_week in _children(_child(element, "WorkWeeks"), "WorkWeek"):
        span = _period(work_week)
        if span is None:
            continue
        first, last = span
        weeks.append(
            WorkWeek(
                first=first,
                last=dt.date.max if last is None else last,  # open-ended: lasts forever
                week=_read_week(_child(work_week, "WeekDays"), workday),
                name=_text(work_week, "Name") or "",
            )
        )
    return tuple(weeks)


def _read_exceptions(element: Element, workday: DayTimes) -> tuple[tuple[dt.date, DayTimes], ...]:
    ranked: list[tuple[int, list[dt.date], DayTimes]] = []
    for exception in _children(_child(element, "Exceptions"), "Exception"):
        ranked.extend(_read_exception(exception, workday))
    if not ranked:
        # Project 2003 writes exceptions as <WeekDay> with DayType 0 and a TimePeriod. Project
        # 2007+ writes <Exceptions> and may repeat them there: the old form is read only alone.
        for week_day in _children(_child(element, "WeekDays"), "WeekDay"):
            if _int(week_day, "DayType") == 0:
                span = _period(week_day)
                if span is not None:
                    days = list(_days(span[0], span[1] or span[0]))
                    ranked.append((_PLAIN, days, _day_times(week_day, workday, ()) or ()))
    by_day: dict[dt.date, DayTimes] = {}
    for _rank, days, times in sorted(ranked, key=lambda entry: entry[0]):  # stable: file order
        for day in days:
            by_day[day] = times  # a higher-ranked (or later) exception wins
    return tuple(sorted(by_day.items()))


# Which exception wins when several cover a day (as MPXJ does): a plain date range beats a
# recurring daily pattern, which beats yearly, monthly and weekly ones in that order.
_PLAIN = 4
_RANK = {6: 0, 4: 1, 5: 1, 2: 2, 3: 2, 1: 3}


def _read_exception(
    exception: Element, workday: DayTimes
) -> Iterator[tuple[int, list[dt.date], DayTimes]]:
    span = _period(exception)
    if span is None:
        return
    first, last = span
    kind, period = _int(exception, "Type"), max(1, _int(exception, "Period") or 1)
    count = _int(exception, "Occurrences")
    # Occurrences only limits the range when the user entered it that way; Project still
    # writes the last occurrence as ToDate. Without a ToDate it is all there is.
    by_count = bool(_bool(exception, "EnteredByOccurrences")) or last is None
    limit = count if by_count and count is not None and count > 0 else None
    if last is None and limit is None:
        last = first
    horizon = first + dt.timedelta(days=min(_MAX_EXPANSION_DAYS, (dt.date.max - first).days))
    end = min(last or dt.date.max, horizon)
    times = _day_times(exception, workday, ()) or ()
    if kind not in _RANK or (kind == 1 and period == 1):
        # Type 1 daily every day (how Project writes a holiday or a break), 7-9, or no Type:
        # one contiguous date range.
        days = list(_days(first, end))
        yield _PLAIN, days[:limit] if limit else days, times
        return
    rule = _Recurrence.read(exception, first, period)
    days = [day for day in _days(first, end) if rule.matches(day)]
    yield _RANK[kind], days[:limit] if limit else days, times


@dataclass(frozen=True)
class _Recurrence:
    """One recurring exception pattern (MSPDI ``Exception/Type`` 1-6) anchored at ``first``."""

    kind: int
    first: dt.date
    period: int
    days_of_week: int  # bit 1 = Sunday, 2 = Monday, ... 64 = Saturday
    month: int | None  # 0 = January
    month_day: int | None
    month_item: int | None  # 0 day, 1 weekday, 2 weekend day, 3 Sunday .. 9 Saturday
    month_position: int | None  # 0 first .. 3 fourth, 4 last

    @classmethod
    def read(cls, exception: Element, first: dt.date, period: int) -> _Recurrence:
        return cls(
            kind=_int(exception, "Type") or 1,
            first=first,
            period=period,
            days_of_week=_int(exception, "DaysOfWeek") or _weekday_bit(first),
            month=_int(exception, "Month"),
            month_day=_int(exception, "MonthDay"),
            month_item=_int(exception, "MonthItem"),
            month_position=_int(exception, "MonthPosition"),
        )

    def matches(self, day: dt.date) -> bool:
        """Whether the pattern has an occurrence on ``day`` (on or after ``first``)."""
        months = (day.year - self.first.year) * 12 + day.month - self.first.month
        if self.kind == 1:  # daily, every ``period`` days
            return (day - self.first).days % self.period == 0
        if self.kind == 6:  # weekly on DaysOfWeek, every ``period`` weeks (weeks from Sunday)
            weeks = (day - _sunday_before(self.first)).days // 7
            return bool(self.days_of_week & _weekday_bit(day)) and weeks % self.period == 0
        if self.kind == 4:  # monthly on a day of the month
            return months % self.period == 0 and day.day == self.month_day
        if self.kind == 5:  # monthly on "the second Tuesday" etc.
            return months % self.period == 0 and self._positioned(day)
        in_month = self.month is not None and day.month == self.month + 1
        if self.kind == 2:  # yearly on a date
            return in_month and day.day == self.month_day
        return in_month and self._positioned(day)  # 3: yearly on "the last Monday of May"

    def _positioned(self, day: dt.date) -> bool:
        item, position = self.month_item, self.month_position
        if item is None or position is None or not _is_month_item(day, item):
            return False
        same = [d for d in _month_days(day) if _is_month_item(d, item)]
        index = same.index(day)
        return index == len(same) - 1 if position == 4 else index == position


def _is_month_item(day: dt.date, item: int) -> bool:
    if item == 0:
        return True
    if item == 1:
        return day.weekday() < 5
    if item == 2:
        return day.weekday() >= 5
    return day.isoweekday() % 7 == item - 3  # 3 = Sunday .. 9 = Saturday


def _month_days(day: dt.date) -> Iterator[dt.date]:
    current = day.replace(day=1)
    while current.month == day.month:
        yield current
        current += _ONE_DAY


def _weekday_bit(day: dt.date) -> int:
    return 1 << (day.isoweekday() % 7)


def _sunday_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.isoweekday() % 7)


def _period(element: Element) -> tuple[dt.date, dt.date | None] | None:
    """The inclusive dates of a ``<TimePeriod>``; ``None`` when it has no usable FromDate."""
    period = _child(element, "TimePeriod")
    start = _datetime(_text(period, "FromDate")) if period is not None else None
    if period is None or start is None:
        return None
    end = _datetime(_text(period, "ToDate"))
    if end is None:
        return start.date(), None
    last = end.date()
    # Project writes ToDate as 23:59 of the last day. Other writers end a period at midnight,
    # which belongs to the next day: that day is not part of the period.
    if end.time() == dt.time() and last > start.date():
        last -= _ONE_DAY
    return (start.date(), last) if last >= start.date() else None


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        if day == dt.date.max:
            return
        day += _ONE_DAY


# --- tasks and resources -------------------------------------------------------------------------


def _task_calendar(task: Element | None, table: Mapping[int, WorkCalendar]) -> WorkCalendar | None:
    uid = _int(task, "CalendarUID") if task is not None else None
    return table.get(uid) if uid is not None and uid != _NO_BASE else None


def _resource_calendars(
    project: Element,
    task_uid: int | None,
    table: Mapping[int, WorkCalendar],
    fallback: WorkCalendar,
) -> list[WorkCalendar]:
    """Calendars of the work resources assigned to the task, without repeats, in file order."""
    if task_uid is None:
        return []
    resources: dict[int, WorkCalendar] = {}
    for resource in _children(_child(project, "Resources"), "Resource"):
        uid = _int(resource, "UID")
        # Type 1 = work resource (0 = material); cost resources and the null resource do not
        # drive the schedule. A resource without a usable calendar works the project calendar.
        if uid is None or _int(resource, "Type") == 0 or _bool(resource, "IsCostResource"):
            continue
        if _bool(resource, "IsNull"):
            continue
        calendar_uid = _int(resource, "CalendarUID")
        resources[uid] = table.get(calendar_uid, fallback) if calendar_uid is not None else fallback
    found: list[WorkCalendar] = []
    for assignment in _children(_child(project, "Assignments"), "Assignment"):
        if _int(assignment, "TaskUID") != task_uid:
            continue
        resource_uid = _int(assignment, "ResourceUID")
        calendar = resources.get(resource_uid) if resource_uid is not None else None
        if calendar is not None and all(calendar is not seen for seen in found):
            found.append(calendar)
    return found


# --- small helpers -------------------------------------------------------------------------------


def _merge(intervals: Iterable[Interval]) -> DayTimes:
    """Sorted, disjoint, non-empty intervals clipped to the day."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        start, end = max(start, 0), min(end, DAY_SECONDS)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _overlap(times: DayTimes, low: int, high: int) -> int:
    return sum(max(0, min(end, high) - max(start, low)) for start, end in times)


def _seconds(moment: dt.datetime) -> int:
    return moment.hour * 3_600 + moment.minute * 60 + moment.second


def _clock(seconds: int) -> dt.time:
    seconds %= DAY_SECONDS  # 24:00 is written 00:00, as MSPDI does
    return dt.time(seconds // 3_600, seconds // 60 % 60, seconds % 60)


def _require_naive(*moments: dt.datetime) -> None:
    for moment in moments:
        if moment.tzinfo is not None:
            raise ValueError(f"expected a local date-time without zone, got {moment.isoformat()}")


def _local(element: Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""  # comments, PIs: ""


def _children(element: Element | None, name: str) -> Iterator[Element]:
    if element is None:
        return
    for item in element:
        if _local(item) == name:
            yield item


def _child(element: Element | None, name: str) -> Element | None:
    return next(_children(element, name), None)


def _text(element: Element | None, name: str) -> str | None:
    found = _child(element, name)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _int(element: Element | None, name: str) -> int | None:
    raw = _text(element, name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _bool(element: Element | None, name: str) -> bool | None:
    raw = _text(element, name)
    return {"1": True, "true": True, "0": False, "false": False}.get((raw or "").lower())


def _time(raw: str | None) -> int | None:
    """Seconds from midnight of an ``xsd:time`` (``08:00:00``; ``24:00:00`` = 86400)."""
    if raw is None:
        return None
    if raw.startswith("24:00"):
        return DAY_SECONDS
    try:
        value = dt.time.fromisoformat(raw)
    except ValueError:
        return None
    return value.hour * 3_600 + value.minute * 60 + value.second


def _datetime(raw: str | None) -> dt.datetime | None:
    if raw is None:
        return None
    try:
        return dt.datetime.fromisoformat(raw).replace(tzinfo=None)  # MSPDI times are local
    except ValueError:
        return None
