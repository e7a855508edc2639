"""The project report as rich tables in a terminal (``syncd report``, the end of ``syncd
demo``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncd.report import CostLine, Report, money, percent, plural

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


def render_terminal(report: Report, console: Console) -> None:
    """The report as rich tables: milestones, budget, problems (user text is never markup)."""
    from rich.markup import escape

    console.print(
        f"[bold]{escape(report.group)}[/]: project report for {report.today} "
        f"({report.tasks} tasks, {len(report.milestones)} milestones; as last synced)",
        highlight=False,
    )
    if not report.tasks and not report.milestones:
        console.print("nothing synced for this group yet: run `syncd sync` first")
    _milestone_table(report, console)
    _budget_table(report, console)
    _problem_table(report, console)
    if report.conflicts:
        console.print(
            f"[yellow]{plural(report.conflicts, 'open conflict')}[/]: see `syncd conflicts`"
        )


def _table(title: str, *columns: str, caption: str | None = None) -> Table:
    """A table whose columns named with a leading ``>`` are figures: right-aligned, unwrapped."""
    from rich.table import Table

    table = Table(title=title, caption=caption, title_justify="left")
    for name in columns:
        figure = name.startswith(">")
        table.add_column(name.lstrip(">"), justify="right" if figure else "left", no_wrap=figure)
    return table


def _milestone_table(report: Report, console: Console) -> None:
    from rich.text import Text

    if not report.milestones:
        console.print("no milestones")
        return
    # Costs per milestone are in the budget table: here the names keep the room.
    table = _table("Milestones", "milestone", ">due", ">progress", ">open tasks", "state")
    for m in report.milestones:
        state = (
            Text("done", "green")
            if m.done
            else Text("AT RISK", "bold red")
            if m.at_risk
            else Text("on track", "green")
        )
        open_ = f"{m.open_tasks} of {m.tasks}"
        figures = (str(m.due or "—"), percent(m.progress), open_)
        table.add_row(Text(m.title), *figures, state)
    console.print(table)
    # Reasons go below the table: in a column they would wrap to one word a line.
    for m in report.milestones:
        if m.risks:
            console.print(Text.assemble((m.title, "bold"), (" is at risk:", "red")))
            for risk in m.risks:
                console.print(Text(f"  • {risk.message}"))


def _budget_table(report: Report, console: Console) -> None:
    from rich.text import Text

    budget = report.budget
    table = _table(
        f"Budget ({budget.currency or 'no currency'})",
        "",
        ">tasks",
        ">planned",
        ">actual",
        ">variance",
        "costs missing",
        caption="variance: planned − actual. Tasks without subtasks only: a summary task's "
        "cost is its subtasks'.",
    )
    for line in budget.lines:
        table.add_row(*_cost_cells(line, Text(line.title)))
    table.add_section()
    table.add_row(*_cost_cells(budget.total, Text("project", "bold")))
    console.print(table)
    their = budget.budget_currency or budget.currency
    if budget.exists:
        spent = "" if budget.actual is None else f", {money(budget.actual, their)} spent"
        console.print(
            f"budget: {money(budget.planned, their)} planned{spent}; "
            f"budget − planned: {money(budget.variance)}; "
            f"budget − actual: {money(budget.remaining)}",
            highlight=False,
        )
    if budget.note:
        console.print(Text(budget.note, "yellow"))


def _cost_cells(line: CostLine, title: Text) -> list[str | Text]:
    from rich.text import Text

    missing = [
        f"{n} {what}"
        for n, what in ((line.without_planned, "planned"), (line.without_actual, "actual"))
        if n
    ]
    variance = line.variance
    colour = "" if variance is None else "red" if variance < 0 else "green"
    return [
        title,
        str(line.tasks),
        money(line.planned),
        money(line.actual),
        Text(money(variance), colour),
        ", ".join(missing) or "none",
    ]


def _problem_table(report: Report, console: Console) -> None:
    from rich.text import Text

    if not report.problems:
        console.print("no consistency problems")
        return
    table = _table("Consistency problems", "", "rule", "problem")
    for p in report.problems:
        mark = Text("error", "red") if p.severity == "error" else Text("warning", "yellow")
        table.add_row(mark, p.rule, Text(p.message))
    console.print(table)
