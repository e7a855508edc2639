"""The project report as one self-contained HTML page: milestone timeline and budget chart.

Everything is inline (CSS and SVG); nothing is fetched and no script runs, so the page can be
mailed, archived or opened offline and shows the same everywhere. Every piece of user text goes
through ``html.escape``: titles come from four tools and anyone can type ``<script>`` into one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape

from syncd.report import (
    BudgetReport,
    CostLine,
    MilestoneReport,
    Report,
    money,
    percent,
    plural,
)

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_WIDTH, _LEFT, _RIGHT = 960, 250, 170  # the charts' width and their margins for labels
_ROW = 30  # one timeline row
_LABEL = 34  # characters of a title shown in a chart (the full title is its tooltip)

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2329; margin: 2rem auto;
       max-width: 1000px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; font-size: 1.2rem; }
.muted { color: #5c6670; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #d6dbe0; border-radius: 6px; padding: .5rem .8rem; min-width: 9rem; }
.card b { display: block; font-size: 1.15rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e7eb;
         vertical-align: top; }
td.date { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #9aa4ad; }
.risk { color: #b42318; font-weight: 600; } .done { color: #1a7f37; } .ok { color: #1f5fbf; }
.neg { color: #b42318; } .pos { color: #1a7f37; }
.error { color: #b42318; font-weight: 600; } .warning { color: #9a6700; font-weight: 600; }
.bar { background: #e3e7eb; border-radius: 3px; height: .5rem; width: 6rem; }
.bar span { display: block; background: #1f5fbf; border-radius: 3px; height: 100%; }
ul.reasons { margin: 0; padding-left: 1.1rem; }
svg { display: block; max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg .axis { stroke: #c4cbd2; } svg .today { stroke: #b42318; stroke-dasharray: 4 3; }
svg .span-risk { fill: #f4c7c3; } svg .span-done { fill: #bfe3c8; } svg .span-ok { fill: #c9dbf5; }
svg .mark-risk { fill: #b42318; } svg .mark-done { fill: #1a7f37; } svg .mark-ok { fill: #1f5fbf; }
svg .planned { fill: #8fb3e8; } svg .actual { fill: #1f5fbf; } svg .over { fill: #b42318; }
svg .budget { stroke: #1d2329; stroke-width: 2; stroke-dasharray: 6 3; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _short(title: str) -> str:
    return title if len(title) <= _LABEL else title[: _LABEL - 1] + "…"


def render_html(report: Report) -> str:
    """The report as one HTML page with inline CSS and SVG, and no script.

    Args:
        report: a report from ``syncd.report.build_report``.

    Returns:
        The page's text (UTF-8 when written to a file).
    """
    title = f"Project report: {report.group}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{_e(title)}</h1>",
            f'<p class="muted">As of {report.today}, from what syncd last synced: '
            f"{report.tasks} tasks ({report.leaf_tasks} without subtasks), "
            f"{len(report.milestones)} milestones.</p>",
            _cards(report),
            '<section id="timeline"><h2>Milestone timeline</h2>',
            _timeline(report),
            "</section>",
            '<section id="milestones"><h2>Milestones</h2>',
            _milestone_table(report.milestones),
            "</section>",
            f'<section id="budget"><h2>Budget ({_e(report.currency or "no currency")})</h2>',
            _budget_chart(report.budget),
            _budget_table(report.budget),
            "</section>",
            '<section id="problems"><h2>Consistency problems</h2>',
            _problem_table(report),
            "</section>",
            "</body></html>",
        ]
    )


def _cards(report: Report) -> str:
    budget = report.budget
    risky = sum(1 for m in report.milestones if m.at_risk)
    errors = sum(1 for p in report.problems if p.severity == "error")
    warnings = len(report.problems) - errors
    cards = [
        ("Milestones at risk", f"{risky} of {len(report.milestones)}", "risk" if risky else ""),
        ("Budget", money(budget.planned, budget.budget_currency or budget.currency), ""),
        ("Planned (tasks)", money(budget.total.planned, budget.currency), ""),
        ("Actual (tasks)", money(budget.total.actual, budget.currency), ""),
        ("Budget − planned", money(budget.variance), _sign(budget.variance)),
        ("Problems", f"{plural(errors, 'error')}, {plural(warnings, 'warning')}", ""),
        ("Open conflicts", str(report.conflicts), "risk" if report.conflicts else ""),
    ]
    body = "".join(
        f'<div class="card"><span class="muted">{_e(label)}</span>'
        f'<b class="{css}">{_e(value)}</b></div>'
        for label, value, css in cards
    )
    return f'<div class="cards">{body}</div>'


def _sign(amount: Decimal | None) -> str:
    return "" if amount is None else "neg" if amount < 0 else "pos"


def _state(m: MilestoneReport) -> str:
    return "done" if m.done else "risk" if m.at_risk else "ok"


_STATE_TEXT = {"done": "done", "risk": "at risk", "ok": "on track"}


# --- the timeline ---------------------------------------------------------------------------------


def _scale(lo: dt.date, hi: dt.date) -> Callable[[dt.date], float]:
    """Day -> x, with a few days' margin so the first and last marks are not on the edge."""
    lo, hi = lo - dt.timedelta(days=3), hi + dt.timedelta(days=3)
    span = (hi - lo).days
    return lambda day: _LEFT + (day - lo).days / span * (_WIDTH - _LEFT - _RIGHT)


def _ticks(lo: dt.date, hi: dt.date) -> list[tuple[dt.date, str]]:
    """Month starts (at most about twelve), or Mondays when the span is under two months."""
    months, day = [], dt.date(lo.year, lo.month, 1)
    while day <= hi:
        if day >= lo:
            months.append((day, f"{_MONTHS[day.month - 1]} {day.year}"))
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    if len(months) >= 2:
        return months[:: math.ceil(len(months) / 12)]
    monday = lo + dt.timedelta(days=-lo.weekday() % 7)
    count = (hi - monday).days // 7 + 1
    return [(d, f"{d:%m-%d}") for d in (monday + dt.timedelta(weeks=n) for n in range(count))]


def _timeline(report: Report) -> str:
    milestones = report.milestones
    if not milestones:
        return '<p class="muted">No milestones.</p>'
    days = [d for m in milestones for d in (m.start, m.due) if d is not None] + [report.today]
    lo, hi = min(days), max(days)
    x = _scale(lo, hi)
    height = 40 + len(milestones) * _ROW + 10
    out = [
        f'<svg viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" height="{height}" role="img" '
        'aria-label="Milestone timeline">'
    ]
    for day, label in _ticks(lo, hi):
        out.append(
            f'<line class="axis" x1="{x(day):.1f}" y1="28" x2="{x(day):.1f}" y2="{height}"/>'
        )
        out.append(f'<text x="{x(day):.1f}" y="22" text-anchor="middle">{_e(label)}</text>')
    for row, m in enumerate(milestones):
        out.extend(_timeline_row(m, 40 + row * _ROW + _ROW // 2, x))
    today = x(report.today)
    out.append(f'<line class="today" x1="{today:.1f}" y1="4" x2="{today:.1f}" y2="{height}"/>')
    out.append(f'<text x="{today + 4:.1f}" y="10" fill="#b42318">today {report.today}</text></svg>')
    return "".join(out)


def _timeline_row(m: MilestoneReport, y: int, x: Callable[[dt.date], float]) -> list[str]:
    state = _state(m)
    out = [
        f'<text x="8" y="{y + 4}"><title>{_e(m.title)}</title>{_e(_short(m.title))}</text>',
    ]
    if m.due is None:
        return [*out, f'<text x="{_LEFT}" y="{y + 4}" class="muted">no due date</text>']
    if m.start is not None and m.start < m.due:
        left, right = x(m.start), x(m.due)
        out.append(
            f'<rect class="span-{state}" x="{left:.1f}" y="{y - 6}" width="{right - left:.1f}" '
            f'height="12" rx="3"/>'
        )
    cx = x(m.due)
    out.append(
        f'<polygon class="mark-{state}" points="{cx:.1f},{y - 8} {cx + 8:.1f},{y} '
        f'{cx:.1f},{y + 8} {cx - 8:.1f},{y}"><title>{_e(m.title)}: due {m.due}, '
        f"{_STATE_TEXT[state]}</title></polygon>"
    )
    out.append(f'<text x="{cx + 12:.1f}" y="{y + 4}">{m.due} · {_STATE_TEXT[state]}</text>')
    return out


# --- the budget chart ---------------------------------------------------------------------------


def _budget_chart(budget: BudgetReport) -> str:
    """Planned and actual bars per milestone and for the project, with the budget as a line."""
    lines = [*budget.lines, budget.total]
    limit = budget.planned if budget.variance is not None else None  # same currency only
    amounts = [a for line in lines for a in (line.planned, line.actual) if a is not None]
    top = max([*amounts, limit or Decimal(0), Decimal(0)])
    if top <= 0:
        return '<p class="muted">No task carries a cost yet.</p>'
    width = _WIDTH - _LEFT - _RIGHT

    def x(amount: Decimal) -> float:
        return _LEFT + float(max(amount, Decimal(0)) / top) * width

    height = 30 + len(lines) * 40 + 10
    out = [
        f'<svg viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" height="{height}" role="img" '
        'aria-label="Budget: planned and actual cost per milestone">',
        '<rect class="planned" x="8" y="6" width="12" height="10"/>'
        '<text x="24" y="15">planned</text>'
        '<rect class="actual" x="90" y="6" width="12" height="10"/>'
        '<text x="106" y="15">actual</text>',
    ]
    for row, line in enumerate(lines):
        out.extend(_budget_row(line, 30 + row * 40, x, line is budget.total))
    if limit is not None:
        bx = x(limit)
        out.append(f'<line class="budget" x1="{bx:.1f}" y1="24" x2="{bx:.1f}" y2="{height}"/>')
        out.append(f'<text x="{bx:.1f}" y="15" text-anchor="middle">budget {money(limit)}</text>')
    out.append("</svg>")
    return "".join(out)


def _budget_row(line: CostLine, y: int, x: Callable[[Decimal], float], total: bool) -> list[str]:
    label = "Project (all tasks)" if total else line.title
    weight = ' font-weight="bold"' if total else ""
    out = [f'<text x="8" y="{y + 18}"{weight}><title>{_e(label)}</title>{_e(_short(label))}</text>']
    over = line.planned is not None and line.actual is not None and line.actual > line.planned
    for offset, css, amount in (
        (4, "planned", line.planned),
        (19, "over" if over else "actual", line.actual),
    ):
        if amount is None:
            out.append(
                f'<text x="{_LEFT}" y="{y + offset + 10}" class="muted">no {css} cost</text>'
            )
            continue
        end = x(amount)
        out.append(
            f'<rect class="{css}" x="{_LEFT}" y="{y + offset}" width="{end - _LEFT:.1f}" '
            f'height="13"><title>{_e(label)}: {css} {money(amount)}</title></rect>'
        )
        out.append(f'<text x="{end + 4:.1f}" y="{y + offset + 10}">{money(amount)}</text>')
    return out


# --- tables -------------------------------------------------------------------------------------


def _milestone_table(milestones: Sequence[MilestoneReport]) -> str:
    if not milestones:
        return '<p class="muted">No milestones.</p>'
    head = (
        "<tr><th>Milestone</th><th>Due</th><th>State</th><th>Progress</th>"
        '<th class="num">Open / tasks</th><th class="num">Planned</th>'
        '<th class="num">Actual</th><th>Why at risk</th></tr>'
    )
    rows = []
    for m in milestones:
        state = _state(m)
        fill = 0 if m.progress is None else m.progress
        reasons = "".join(f"<li>{_e(r.message)}</li>" for r in m.risks)
        why = f'<ul class="reasons">{reasons}</ul>' if reasons else ""
        rows.append(
            f'<tr><td>{_e(m.title)}</td><td class="date">{m.due or "—"}</td>'
            f'<td class="{state}">{_STATE_TEXT[state]}</td>'
            f'<td>{percent(m.progress)}<div class="bar"><span style="width:{fill:.0f}%">'
            f"</span></div></td>"
            f'<td class="num">{m.open_tasks} / {m.tasks}</td>'
            f'<td class="num">{money(m.planned)}</td><td class="num">{money(m.actual)}</td>'
            f"<td>{why}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _budget_table(budget: BudgetReport) -> str:
    head = (
        '<tr><th></th><th class="num">Tasks</th><th class="num">Planned</th>'
        '<th class="num">Actual</th><th class="num">Planned − actual</th>'
        "<th>Costs missing</th></tr>"
    )
    rows = [_cost_row(line, line.title, "") for line in budget.lines]
    rows.append(_cost_row(budget.total, "Project (all tasks)", "total"))
    parts = [f"<table>{head}{''.join(rows)}</table>"]
    their = budget.budget_currency or budget.currency
    if budget.exists:
        parts.append(
            f"<p>Budget {_e(money(budget.planned, their))} planned, "
            f"{_e(money(budget.actual, their))} spent (as the budget record says). "
            f'Budget − planned: <b class="{_sign(budget.variance)}">{money(budget.variance)}</b>; '
            f'budget − actual: <b class="{_sign(budget.remaining)}">{money(budget.remaining)}</b>.'
            "</p>"
        )
    if budget.note:
        parts.append(f'<p class="warning">{_e(budget.note)}</p>')
    return "".join(parts)


def _cost_row(line: CostLine, label: str, css: str) -> str:
    missing = [
        f"{n} without {what}"
        for n, what in ((line.without_planned, "planned"), (line.without_actual, "actual"))
        if n
    ]
    return (
        f'<tr class="{css}"><td>{_e(label)}</td><td class="num">{line.tasks}</td>'
        f'<td class="num">{money(line.planned)}</td><td class="num">{money(line.actual)}</td>'
        f'<td class="num {_sign(line.variance)}">{money(line.variance)}</td>'
        f"<td>{_e(', '.join(missing) or 'none')}</td></tr>"
    )


def _problem_table(report: Report) -> str:
    if not report.problems:
        return '<p class="muted">No consistency problems.</p>'
    rows = "".join(
        f'<tr><td class="{p.severity}">{p.severity}</td><td>{_e(p.rule)}</td>'
        f"<td>{_e(p.message)}</td></tr>"
        for p in report.problems
    )
    return f"<table><tr><th></th><th>Rule</th><th>Problem</th></tr>{rows}</table>"
