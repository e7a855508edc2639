"""The demo's sample plan: an IT project in Microsoft Project XML (MSPDI), written by syncd.

A website relaunch of 60 tasks under six phases, with five milestones, six people (resources
with email addresses), hourly rates, fixed costs, a project budget, finish-to-start chains
inside each phase and through the milestones, and start-to-start links with lag: what a project
manager's plan looks like when ``syncd demo`` copies it next to the simulated Jira, Asana and
Trello. It is our own data, generated here; every date is a working day of the standard
calendar, every Duration is the working time between Start and Finish, and every Cost is the
resources' rate times work plus the fixed cost, so Project opens it unchanged.

Every task of a phase leads into the phase's milestone (a finish-to-start link, as project
managers draw deliverables into their gate), which is how a task's milestone reads in MSPDI.

``sample_plan(start=..., status_date=...)`` dates the plan from any Monday and records the
progress a project in flight would have on the status date: work that should be finished is
done (but for one task, which runs late), the tasks under way are partly done, actual costs
follow. The demo starts the plan some weeks before today so that its report has something to
say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

START = dt.date(2027, 3, 1)  # a Monday
HOURS_PER_DAY = 8

# The hourly rates (EUR) of the cast's six people, in the order ``sample_plan`` is given them.
RATES = (95, 80, 85, 90, 70, 75)

# phase -> [(task, working days, person (an index into RATES) or None, fixed cost EUR)], then
# the milestone that closes the phase (if any).
PHASES: list[tuple[str, list[tuple[str, int, int | None, int]], str | None]] = [
    (
        "Initiation",
        [
            ("Stakeholder interviews", 3, 0, 0),
            ("Current site audit", 4, 3, 0),
            ("Analytics baseline", 2, 4, 0),
            ("Scope and success criteria", 2, 0, 0),
            ("Budget approval", 1, 0, 1500),
        ],
        "Kickoff complete",
    ),
    (
        "Design",
        [
            ("Information architecture", 4, 2, 0),
            ("Content inventory", 3, 4, 0),
            ("Wireframes: home and landing pages", 4, 2, 0),
            ("Wireframes: product pages", 4, 2, 0),
            ("Design system tokens", 3, 2, 0),
            ("Visual design: home", 3, 2, 0),
            ("Visual design: product pages", 4, 2, 0),
            ("Accessibility review of designs", 2, 5, 0),
            ("Usability test round 1", 3, 4, 2400),
            ("Design sign-off", 1, 0, 0),
        ],
        "Design approved",
    ),
    (
        "Build",
        [
            ("Hosting and CDN set-up", 2, 3, 4800),
            ("CI/CD pipeline", 3, 3, 0),
            ("CMS installation", 2, 1, 3600),
            ("Content model in the CMS", 3, 1, 0),
            ("Front-end scaffold", 3, 1, 0),
            ("Component library", 6, 1, 0),
            ("Home page template", 3, 1, 0),
            ("Product page template", 4, 1, 0),
            ("Search integration", 4, 3, 2000),
            ("Forms and CRM hand-off", 3, 3, 0),
            ("Analytics tagging", 2, 4, 0),
            ("Cookie consent", 2, 5, 900),
            ("Redirect map from the old site", 3, 4, 0),
            ("Content migration: products", 6, 4, 0),
            ("Content migration: articles", 5, 4, 0),
            ("Image optimisation pipeline", 2, 3, 0),
            ("Multilingual routing", 3, 1, 0),
            ("Performance budget checks", 2, 3, 0),
            ("Security headers and WAF rules", 2, 3, 1200),
            ("Code freeze", 1, 1, 0),
        ],
        "Build complete",
    ),
    (
        "Test",
        [
            ("Test plan", 2, 5, 0),
            ("Functional testing", 5, 5, 0),
            ("Cross-browser testing", 3, 5, 0),
            ("Accessibility audit (WCAG 2.2)", 3, 5, 3500),
            ("Load testing", 2, 3, 1800),
            ("Penetration test", 3, None, 6500),
            ("Bug fixing", 6, 1, 0),
            ("Content proofreading", 3, 4, 0),
            ("User acceptance testing", 4, 0, 0),
            ("Go/no-go meeting", 1, 0, 0),
        ],
        "Go-live",
    ),
    (
        "Deployment",
        [
            ("Deployment runbook", 2, 3, 0),
            ("DNS cut-over plan", 1, 3, 0),
            ("Production deployment", 1, 3, 0),
            ("Redirects live", 1, 4, 0),
            ("Search engine resubmission", 1, 4, 0),
            ("Monitoring and alerts", 2, 3, 0),
            ("Launch communication", 2, 0, 2500),
            ("Old site decommissioning", 2, 3, 0),
        ],
        None,
    ),
    (
        "Hypercare",
        [
            ("Hypercare support", 10, 1, 0),
            ("Analytics review", 2, 4, 0),
            ("Retrospective", 1, 0, 0),
            ("Handover to operations", 2, 3, 0),
            ("Project closure report", 2, 0, 0),
            ("Budget reconciliation", 1, 0, 0),
            ("Lessons learned published", 1, 0, 0),
        ],
        "Project closed",
    ),
]
BUDGET = Decimal(250_000)
OVERLAPS = [  # (successor, predecessor, lag in working days): start-to-start links
    ("Content proofreading", "Content migration: articles", 2),
    ("Analytics review", "Analytics tagging", 5),
]


LATE_TASK = "Usability test round 1"  # behind schedule on any status date after its finish
LATE_PERCENT = 60


@dataclass
class _Row:
    uid: int
    name: str
    level: int
    outline: str
    start: dt.datetime
    finish: dt.datetime
    hours: int = 0  # duration in working hours
    work: int = 0  # work hours
    person: int | None = None
    fixed: int = 0
    milestone: bool = False
    summary: bool = False
    links: list[tuple[int, int, int]] = field(default_factory=list)  # (uid, type, lag tenths)
    cost: Decimal = Decimal(0)
    percent: int = 0
    actual: Decimal = Decimal(0)  # spent so far


def _workdays(start: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The first and last working day of ``days`` working days from ``start`` (Mon-Fri)."""
    day = start
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    first, left = day, days - 1
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return first, day


def _next_workday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _rows(start: dt.date) -> list[_Row]:
    rows: list[_Row] = []
    uid, day = 1, start
    previous_milestone: int | None = None
    for number, (phase, tasks, milestone) in enumerate(PHASES, start=1):
        summary = _Row(uid, phase, 1, str(number), _at(day, 8), _at(day, 17), summary=True)
        rows.append(summary)
        uid += 1
        previous: int | None = None
        for index, (name, days, person, fixed) in enumerate(tasks, start=1):
            first, last = _workdays(day, days)
            row = _Row(
                uid,
                name,
                2,
                f"{number}.{index}",
                _at(first, 8),
                _at(last, 17),
                hours=days * HOURS_PER_DAY,
                work=days * HOURS_PER_DAY if person is not None else 0,
                person=person,
                fixed=fixed,
            )
            if previous is not None:
                row.links.append((previous, 1, 0))  # finish-to-start inside the phase
            elif previous_milestone is not None:
                row.links.append((previous_milestone, 1, 0))
            rate = RATES[person] if person is not None else 0
            row.cost = Decimal(rate * row.work + fixed)
            rows.append(row)
            previous, uid, day = uid, uid + 1, _next_workday(last)
        end = rows[-1].finish
        if milestone is not None:
            phase_tasks = range(summary.uid + 1, uid)
            rows.append(
                _Row(
                    uid,
                    milestone,
                    2,
                    f"{number}.{len(tasks) + 1}",
                    end,
                    end,
                    milestone=True,
                    links=[(task, 1, 0) for task in phase_tasks],
                )
            )
            previous, uid = uid, uid + 1
        previous_milestone = previous
        children = [r for r in rows if r.outline.startswith(f"{number}.")]
        summary.start, summary.finish = children[0].start, end
        summary.hours = sum(r.hours for r in children)
        summary.work = sum(r.work for r in children)
        summary.cost = sum((r.cost for r in children), Decimal(0))
    by_name = {r.name: r for r in rows}
    for successor, predecessor, days in OVERLAPS:
        # Start-to-start with lag; LinkLag counts tenths of a minute.
        lag = days * HOURS_PER_DAY * 60 * 10
        by_name[successor].links.append((by_name[predecessor].uid, 3, lag))
    return rows


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def _time(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _duration(hours: int) -> str:
    return f"PT{hours}H0M0S"


def _cost(value: Decimal | int) -> str:
    return str(int(Decimal(value) * 100))  # MSPDI amounts are hundredths


def _progress(rows: list[_Row], status_date: dt.date) -> None:
    """Percent complete as of the end of ``status_date``, by the working time elapsed; summary
    tasks roll their children up weighted by duration, as Project does."""
    end = _at(status_date, 17)
    by_uid = {r.uid: r for r in rows}
    for row in rows:
        if row.summary:
            continue
        if row.milestone:  # reached when its date has passed and everything leading to it is done
            reached = row.finish <= end and all(by_uid[u].percent == 100 for u, _, _ in row.links)
            row.percent = 100 if reached else 0
        elif row.finish <= end:
            row.percent = LATE_PERCENT if row.name == LATE_TASK else 100
        elif row.start < end:
            elapsed = _working_hours(row.start, end)
            row.percent = min(99, max(1, round(100 * elapsed / row.hours)))
        # Spent in proportion to the work done, to the cent.
        row.actual = (row.cost * row.percent / 100).quantize(Decimal("0.01"))
    for row in rows:
        if row.summary:
            children = [r for r in rows if r.outline.startswith(f"{row.outline}.")]
            hours = sum(r.hours for r in children) or 1
            row.percent = round(sum(r.percent * r.hours for r in children) / hours)
            row.actual = sum((r.actual for r in children), Decimal(0))


def _working_hours(start: dt.datetime, end: dt.datetime) -> int:
    """Whole working hours (8 a day, Monday to Friday) from a task's start to a day's end."""
    day, hours = start.date(), 0
    while day <= end.date():
        if day.weekday() < 5:
            hours += HOURS_PER_DAY
        day += dt.timedelta(days=1)
    return hours


def sample_plan(
    people: Sequence[tuple[str, str]], start: dt.date = START, status_date: dt.date | None = None
) -> str:
    """The sample plan's XML text (UTF-8, Project's own layout).

    Args:
        people: (name, email) of the six people who do the work, with ``RATES``' rates.
        start: the project's first day (moved to the next working day if it is not one).
        status_date: record the progress due by the end of this day (none when None).

    Raises:
        ValueError: not exactly six people.
    """
    if len(people) != len(RATES):
        raise ValueError(f"the plan staffs {len(RATES)} people, not {len(people)}")
    start = start if start.weekday() < 5 else _next_workday(start)
    rows = _rows(start)
    if status_date is not None:
        _progress(rows, status_date)
    total = sum((r.cost for r in rows if r.summary), Decimal(0))
    spent = sum((r.actual for r in rows if r.summary), Decimal(0))
    hours = sum(r.hours for r in rows if r.summary)
    done = sum(r.percent * r.hours for r in rows if r.summary)
    finish = rows[-1].finish
    created = _at(start - dt.timedelta(days=14), 9)
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        '<Project xmlns="http://schemas.microsoft.com/project">',
        "\t<SaveVersion>14</SaveVersion>",
        "\t<Name>website-relaunch.xml</Name>",
        "\t<Title>Website relaunch</Title>",
        "\t<Company>Acme</Company>",
        f"\t<Manager>{escape(people[0][0])}</Manager>",
        f"\t<CreationDate>{_time(created)}</CreationDate>",
        f"\t<LastSaved>{_time(created + dt.timedelta(days=11, hours=8))}</LastSaved>",
        "\t<ScheduleFromStart>1</ScheduleFromStart>",
        f"\t<StartDate>{_time(_at(start, 8))}</StartDate>",
        f"\t<FinishDate>{_time(finish)}</FinishDate>",
        "\t<FYStartDate>1</FYStartDate>",
        "\t<CriticalSlackLimit>0</CriticalSlackLimit>",
        "\t<CurrencyDigits>2</CurrencyDigits>",
        "\t<CurrencySymbol>€</CurrencySymbol>",
        "\t<CurrencyCode>EUR</CurrencyCode>",
        "\t<CurrencySymbolPosition>3</CurrencySymbolPosition>",
        "\t<CalendarUID>1</CalendarUID>",
        "\t<DefaultStartTime>08:00:00</DefaultStartTime>",
        "\t<DefaultFinishTime>17:00:00</DefaultFinishTime>",
        "\t<MinutesPerDay>480</MinutesPerDay>",
        "\t<MinutesPerWeek>2400</MinutesPerWeek>",
        "\t<DaysPerMonth>20</DaysPerMonth>",
        "\t<DurationFormat>7</DurationFormat>",
        "\t<WorkFormat>2</WorkFormat>",
        "\t<EditableActualCosts>1</EditableActualCosts>",
        "\t<HonorConstraints>0</HonorConstraints>",
        "\t<WeekStartDay>1</WeekStartDay>",
        "\t<NewTasksAreManual>0</NewTasksAreManual>",
        *_calendar(),
        "\t<Tasks>",
        *_task(
            _Row(
                0,
                "Website relaunch",
                0,
                "0",
                _at(start, 8),
                finish,
                summary=True,
                hours=hours,
                cost=total,
                work=sum(r.work for r in rows if r.summary),
                percent=round(done / hours),
                actual=spent,
            ),
            created,
        ),
    ]
    for row in rows:
        out.extend(_task(row, created))
    out.append("\t</Tasks>")
    out.extend(_resources(people))
    out.extend(_assignments(rows, _at(start, 8), finish))
    out.append("</Project>")
    return "\n".join(out) + "\n"


def _calendar() -> list[str]:
    out = [
        "\t<Calendars>",
        "\t\t<Calendar>",
        "\t\t\t<UID>1</UID>",
        "\t\t\t<Name>Standard</Name>",
        "\t\t\t<IsBaseCalendar>1</IsBaseCalendar>",
        "\t\t\t<BaseCalendarUID>-1</BaseCalendarUID>",
        "\t\t\t<WeekDays>",
    ]
    for day in range(1, 8):
        out += ["\t\t\t\t<WeekDay>", f"\t\t\t\t\t<DayType>{day}</DayType>"]
        if day in (1, 7):
            out.append("\t\t\t\t\t<DayWorking>0</DayWorking>")
        else:
            out += ["\t\t\t\t\t<DayWorking>1</DayWorking>", "\t\t\t\t\t<WorkingTimes>"]
            for start, end in (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00")):
                out += [
                    "\t\t\t\t\t\t<WorkingTime>",
                    f"\t\t\t\t\t\t\t<FromTime>{start}</FromTime>",
                    f"\t\t\t\t\t\t\t<ToTime>{end}</ToTime>",
                    "\t\t\t\t\t\t</WorkingTime>",
                ]
            out.append("\t\t\t\t\t</WorkingTimes>")
        out.append("\t\t\t\t</WeekDay>")
    out += ["\t\t\t</WeekDays>", "\t\t</Calendar>", "\t</Calendars>"]
    return out


def _task(row: _Row, created: dt.datetime) -> list[str]:
    t = "\t\t\t"
    out = [
        "\t\t<Task>",
        f"{t}<UID>{row.uid}</UID>",
        f"{t}<ID>{row.uid}</ID>",
        f"{t}<Name>{escape(row.name)}</Name>",
        f"{t}<Type>{0 if row.person is not None else 1}</Type>",
        f"{t}<IsNull>0</IsNull>",
        f"{t}<CreateDate>{_time(created)}</CreateDate>",
        f"{t}<WBS>{row.outline}</WBS>",
        f"{t}<OutlineNumber>{row.outline}</OutlineNumber>",
        f"{t}<OutlineLevel>{row.level}</OutlineLevel>",
        f"{t}<Priority>500</Priority>",
        f"{t}<Start>{_time(row.start)}</Start>",
        f"{t}<Finish>{_time(row.finish)}</Finish>",
        f"{t}<Duration>{_duration(row.hours)}</Duration>",
        f"{t}<DurationFormat>7</DurationFormat>",
        f"{t}<Work>{_duration(row.work)}</Work>",
        f"{t}<Estimated>0</Estimated>",
        f"{t}<Milestone>{int(row.milestone)}</Milestone>",
        f"{t}<Summary>{int(row.summary)}</Summary>",
        f"{t}<FixedCost>{_cost(row.fixed)}</FixedCost>",
        f"{t}<FixedCostAccrual>3</FixedCostAccrual>",
        f"{t}<PercentComplete>{row.percent}</PercentComplete>",
        f"{t}<Cost>{_cost(row.cost)}</Cost>",
        f"{t}<ActualCost>{_cost(row.actual)}</ActualCost>",
        f"{t}<ConstraintType>0</ConstraintType>",
        f"{t}<CalendarUID>-1</CalendarUID>",
    ]
    for source, kind, lag in row.links:
        out += [
            f"{t}<PredecessorLink>",
            f"{t}\t<PredecessorUID>{source}</PredecessorUID>",
            f"{t}\t<Type>{kind}</Type>",
            f"{t}\t<CrossProject>0</CrossProject>",
            f"{t}\t<LinkLag>{lag}</LinkLag>",
            f"{t}\t<LagFormat>7</LagFormat>",
            f"{t}</PredecessorLink>",
        ]
    out += [f"{t}<Active>1</Active>", f"{t}<Manual>0</Manual>", "\t\t</Task>"]
    return out


def _resources(people: Sequence[tuple[str, str]]) -> list[str]:
    out = [
        "\t<Resources>",
        "\t\t<Resource>",
        "\t\t\t<UID>0</UID>",
        "\t\t\t<ID>0</ID>",
        "\t\t\t<Type>1</Type>",
        "\t\t\t<IsNull>0</IsNull>",
        "\t\t</Resource>",
    ]
    for uid, ((name, email), rate) in enumerate(zip(people, RATES, strict=True), start=1):
        out += [
            "\t\t<Resource>",
            f"\t\t\t<UID>{uid}</UID>",
            f"\t\t\t<ID>{uid}</ID>",
            f"\t\t\t<Name>{escape(name)}</Name>",
            "\t\t\t<Type>1</Type>",
            "\t\t\t<IsNull>0</IsNull>",
            f"\t\t\t<EmailAddress>{email}</EmailAddress>",
            "\t\t\t<MaxUnits>1.00</MaxUnits>",
            f"\t\t\t<StandardRate>{rate}</StandardRate>",
            "\t\t\t<StandardRateFormat>2</StandardRateFormat>",
            "\t\t</Resource>",
        ]
    budget = len(people) + 1
    out += [
        "\t\t<Resource>",
        f"\t\t\t<UID>{budget}</UID>",
        f"\t\t\t<ID>{budget}</ID>",
        "\t\t\t<Name>Project budget</Name>",
        "\t\t\t<Type>0</Type>",
        "\t\t\t<IsNull>0</IsNull>",
        "\t\t\t<IsCostResource>1</IsCostResource>",
        "\t\t\t<IsBudget>1</IsBudget>",
        "\t\t</Resource>",
        "\t</Resources>",
    ]
    return out


def _assignments(rows: list[_Row], start: dt.datetime, finish: dt.datetime) -> list[str]:
    out = ["\t<Assignments>"]
    uid = 1
    for row in rows:
        if row.person is None or row.summary or row.milestone:
            continue
        rate = RATES[row.person]
        out += [
            "\t\t<Assignment>",
            f"\t\t\t<UID>{uid}</UID>",
            f"\t\t\t<TaskUID>{row.uid}</TaskUID>",
            f"\t\t\t<ResourceUID>{row.person + 1}</ResourceUID>",
            f"\t\t\t<Cost>{_cost(rate * row.work)}</Cost>",
            f"\t\t\t<Finish>{_time(row.finish)}</Finish>",
            f"\t\t\t<Start>{_time(row.start)}</Start>",
            "\t\t\t<Units>1</Units>",
            f"\t\t\t<Work>{_duration(row.work)}</Work>",
            "\t\t</Assignment>",
        ]
        uid += 1
    out += [
        "\t\t<Assignment>",
        f"\t\t\t<UID>{uid}</UID>",
        "\t\t\t<TaskUID>0</TaskUID>",
        f"\t\t\t<ResourceUID>{len(RATES) + 1}</ResourceUID>",
        "\t\t\t<Cost>0</Cost>",
        f"\t\t\t<Finish>{_time(finish)}</Finish>",
        f"\t\t\t<Start>{_time(start)}</Start>",
        "\t\t\t<Units>1</Units>",
        "\t\t\t<Work>PT0H0M0S</Work>",
        f"\t\t\t<BudgetCost>{_cost(BUDGET)}</BudgetCost>",
        "\t\t</Assignment>",
        "\t</Assignments>",
    ]
    return out
