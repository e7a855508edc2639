"""The project report: milestones, budget rollup and consistency problems, and `syncd report`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from syncd.cli import app
from syncd.model import Kind, Ref
from syncd.report import Report, build_report, to_json
from syncd.reporthtml import render_html
from syncd.reportterm import render_terminal
from syncd.state import RecordState
from tests.planning import group, record

TODAY = dt.date(2027, 3, 10)
TYPES = {"jira": "jira", "asana": "asana", "trello": "trello", "plan": "msproject"}


def rec(uid: str, kind: Kind = "task", **base: Any) -> RecordState:
    """A synced record held by one member."""
    return record(uid, kind, links={"plan": f"x-{uid}"}, **base)


def report(
    *records: RecordState,
    people: Mapping[str, Mapping[str, str]] | None = None,
    members: Mapping[str, str] | None = None,
    currency: str | None = "EUR",
) -> Report:
    return build_report(
        group(*records),
        group="web",
        currency=currency,
        today=TODAY,
        people=people or {},
        members=members or {"plan": "plan"},
        connection_types=TYPES,
    )


def milestone(r: Report, title: str) -> Any:
    return next(m for m in r.milestones if m.title == title)


def rules(r: Report) -> list[str]:
    return [p.rule for p in r.problems]


# --- costs ---------------------------------------------------------------------------------------


def test_only_leaf_tasks_are_rolled_up() -> None:
    """A summary task's rolled-up cost is not added to its subtasks' costs."""
    r = report(
        rec("m", "milestone", title="Design", due="2027-04-30"),
        rec("p", title="Phase", milestone="m", planned_cost="10000", actual_cost="900"),
        rec("a", title="A", parent="p", planned_cost="4000", actual_cost="500"),
        rec("b", title="B", parent="p", planned_cost="6000", actual_cost="400"),
    )
    assert r.budget.total.planned == Decimal(10000)
    assert r.budget.total.actual == Decimal(900)
    assert r.budget.total.tasks == 2
    assert (r.tasks, r.leaf_tasks) == (3, 2)
    design = milestone(r, "Design")
    assert (design.planned, design.actual, design.tasks) == (Decimal(10000), Decimal(900), 2)


def test_subtasks_inherit_their_parents_milestone() -> None:
    """A leaf without a milestone of its own counts toward its nearest ancestor's."""
    r = report(
        rec("m", "milestone", title="Launch", due="2027-04-30"),
        rec("p", title="Phase", milestone="m"),
        rec("q", title="Sub-phase", parent="p"),
        rec("a", title="A", parent="q", planned_cost="300"),
    )
    assert r.budget.lines[0].title == "Launch"
    assert r.budget.lines[0].planned == Decimal(300)
    assert len(r.budget.lines) == 1  # no unscheduled line: every leaf has a milestone


def test_absent_costs_are_counted_not_zeroed() -> None:
    """Tasks without a cost are counted; a figure no task carries is None, not 0."""
    r = report(
        rec("m", "milestone", title="Launch", due="2027-04-30"),
        rec("a", title="A", milestone="m", planned_cost="100"),
        rec("b", title="B", milestone="m"),
    )
    line = r.budget.lines[0]
    assert (line.planned, line.without_planned) == (Decimal(100), 1)
    assert (line.actual, line.without_actual, line.variance) == (None, 2, None)
    assert r.budget.total.actual is None
    assert r.budget.remaining is None


def test_tasks_without_milestone_form_the_unscheduled_line() -> None:
    """Leaf tasks with no milestone (their own or inherited) are costed on their own line."""
    r = report(
        rec("m", "milestone", title="Launch", due="2027-04-30"),
        rec("a", title="A", milestone="m", planned_cost="100", actual_cost="120"),
        rec("b", title="B", planned_cost="50"),
    )
    assert [line.title for line in r.budget.lines] == ["Launch", "unscheduled (no milestone)"]
    assert r.budget.lines[0].variance == Decimal(-20)
    assert r.budget.lines[1].milestone is None
    assert r.budget.total.planned == Decimal(150)


def test_budget_variance_against_the_budget_record() -> None:
    """Variance is budget - planned, remaining is budget - actual, in the group's currency."""
    r = report(
        rec("b1", "budget", planned="1000", actual="300", currency="EUR"),
        rec("a", title="A", planned_cost="700", actual_cost="250"),
    )
    assert r.budget.exists
    assert (r.budget.planned, r.budget.actual) == (Decimal(1000), Decimal(300))
    assert (r.budget.variance, r.budget.remaining) == (Decimal(300), Decimal(750))
    assert r.budget.note is None


def test_no_budget_is_said_and_gives_no_variance() -> None:
    """Without a Budget record the report says so instead of comparing against 0."""
    r = report(rec("a", title="A", planned_cost="700"))
    assert not r.budget.exists
    assert r.budget.variance is None
    assert r.budget.note is not None
    assert "no budget" in r.budget.note


def test_budget_in_another_currency_is_flagged_not_subtracted() -> None:
    """A budget in USD is never compared with costs in EUR."""
    r = report(
        rec("b1", "budget", planned="1000", currency="USD"),
        rec("a", title="A", planned_cost="700"),
    )
    assert r.budget.variance is None
    assert "budget_currency" in rules(r)


def test_several_budgets_are_flagged() -> None:
    """Two budget records in one group are a problem; the report uses the first by uid."""
    r = report(rec("b2", "budget", planned="2"), rec("b1", "budget", planned="1"))
    assert r.budget.uid == "b1"
    assert "several_budgets" in rules(r)


def test_deleted_records_are_left_out() -> None:
    """Records being deleted count nowhere: not as tasks, milestones, costs or parents."""
    gone = [
        rec("m2", "milestone", title="Cancelled", due="2027-01-01"),
        rec("x", title="Dropped", planned_cost="999", due="2020-01-01", assignee=None),
        rec("p", title="Old phase", planned_cost="5000"),
    ]
    for state in gone:
        state.deleted = True
    r = report(
        rec("m", "milestone", title="Launch", due="2027-04-30"),
        rec("a", title="A", milestone="m", parent="p", planned_cost="100"),
        *gone,
    )
    assert [m.title for m in r.milestones] == ["Launch"]
    assert r.budget.total.planned == Decimal(100)
    assert (r.tasks, r.leaf_tasks) == (1, 1)
    assert not milestone(r, "Launch").at_risk


# --- milestones ----------------------------------------------------------------------------------


def test_progress_is_weighted_by_hours_when_every_task_has_them() -> None:
    """40h at 50% and 60h at 0% make 20%, not the mean 25%."""
    r = report(
        rec("m", "milestone", title="M", due="2027-04-30"),
        rec("a", title="A", milestone="m", percent_complete=50, estimate_hours=40),
        rec("b", title="B", milestone="m", percent_complete=0, estimate_hours=60),
    )
    assert (milestone(r, "M").progress, milestone(r, "M").progress_basis) == (20.0, "hours")


def test_progress_is_a_mean_when_some_task_lacks_hours() -> None:
    """A done task without a percentage counts as 100, an in-progress one as 0."""
    r = report(
        rec("m", "milestone", title="M", due="2027-04-30"),
        rec("a", title="A", milestone="m", status="done", estimate_hours=10),
        rec("b", title="B", milestone="m", status="in_progress"),
        rec("c", title="C", milestone="m", status="todo", percent_complete=20),
    )
    assert (milestone(r, "M").progress, milestone(r, "M").progress_basis) == (40.0, "tasks")


def test_progress_is_unknown_when_no_tool_says_it() -> None:
    """Tasks with neither status nor percentage give no progress rather than 0%."""
    state = group(rec("m", "milestone", title="M", due="2027-04-30"))
    state.records["a"] = RecordState("a", "task", {"title": "A", "milestone": Ref(uid="m")})
    r = build_report(
        state, group="g", currency=None, today=TODAY, people={}, members={"plan": "plan"}
    )
    assert milestone(r, "M").progress is None
    assert milestone(r, "M").tasks == 1


def test_at_risk_reasons() -> None:
    """Late, beyond-the-milestone and unassigned open tasks put a milestone at risk."""
    r = report(
        rec("m", "milestone", title="M", due="2027-03-20", status="todo"),
        rec("late", title="Late", milestone="m", due="2027-03-05", assignee="a@x.example"),
        rec("after", title="After", milestone="m", due="2027-03-25", assignee="a@x.example"),
        rec("nobody", title="Nobody", milestone="m", due="2027-03-15", assignee=None),
        rec("done", title="Done late", milestone="m", due="2027-03-01", status="done"),
    )
    m = milestone(r, "M")
    assert m.at_risk
    by_code = {risk.code: [t.title for t in risk.tasks] for risk in m.risks}
    assert by_code == {
        "late_task": ["Late"],
        "task_after_milestone": ["After"],
        "unassigned": ["Nobody"],
    }
    assert (m.tasks, m.open_tasks) == (4, 3)


def test_absent_assignee_is_not_unassigned() -> None:
    """A task whose assignee no tool holds is not reported as unassigned."""
    r = report(
        rec("m", "milestone", title="M", due="2027-04-30"),
        rec("a", title="A", milestone="m", due="2027-04-01"),
    )
    assert not milestone(r, "M").at_risk


def test_overdue_milestone_is_at_risk_and_done_one_never() -> None:
    """A milestone past due and not done is at risk; a done one is not, whatever its tasks."""
    r = report(
        rec("m1", "milestone", title="Overdue", due="2027-03-01", status="todo"),
        rec("m2", "milestone", title="Shipped", due="2027-03-01", status="done"),
        rec("a", title="A", milestone="m2", due="2027-02-01", assignee=None),
    )
    assert [risk.code for risk in milestone(r, "Overdue").risks] == ["overdue"]
    shipped = milestone(r, "Shipped")
    assert shipped.done
    assert not shipped.at_risk


def test_milestones_are_ordered_by_due_date_undated_last() -> None:
    """The timeline order: by due date, milestones without one at the end."""
    r = report(
        rec("m1", "milestone", title="Later", due="2027-06-01"),
        rec("m2", "milestone", title="Undated"),
        rec("m3", "milestone", title="Sooner", due="2027-04-01"),
    )
    assert [m.title for m in r.milestones] == ["Sooner", "Later", "Undated"]


# --- consistency ---------------------------------------------------------------------------------


def test_task_due_after_its_milestone_is_a_problem() -> None:
    """Whichever tool set the dates, a task due after its milestone is reported, done or not."""
    r = report(
        rec("m", "milestone", title="Launch", due="2027-03-20"),
        rec("a", title="Copy", milestone="m", due="2027-03-22", status="done"),
    )
    (problem,) = r.problems
    assert problem.rule == "task_after_milestone"
    assert "'Copy' is due 2027-03-22" in problem.message
    assert [i.uid for i in problem.records] == ["a", "m"]


def test_child_outside_parent_dates_is_a_problem() -> None:
    """A subtask starting before or ending after its parent is reported with both spans."""
    r = report(
        rec("p", title="Phase", start="2027-03-01", due="2027-03-10"),
        rec("a", title="Early", parent="p", start="2027-02-27", due="2027-03-05"),
        rec("b", title="Inside", parent="p", start="2027-03-02", due="2027-03-10"),
        rec("c", title="Late", parent="p", due="2027-03-12"),
    )
    messages = [p.message for p in r.problems if p.rule == "child_outside_parent"]
    assert messages == [
        "'Early' (start 2027-02-27) lies outside 'Phase' (2027-03-01 to 2027-03-10)",
        "'Late' (due 2027-03-12) lies outside 'Phase' (2027-03-01 to 2027-03-10)",
    ]


def test_done_task_with_open_subtasks_is_a_problem() -> None:
    """A task marked done while a subtask is still open is reported with that subtask."""
    r = report(
        rec("p", title="Phase", status="done"),
        rec("a", title="Open one", parent="p", status="in_progress"),
        rec("b", title="Closed one", parent="p", status="done"),
    )
    (problem,) = r.problems
    assert problem.rule == "done_with_open_children"
    assert [i.title for i in problem.records] == ["Phase", "Open one"]


def test_a_lagging_shadow_is_not_a_problem() -> None:
    """A member's shadow that differs from base is a sync in progress, not an inconsistency."""
    task = rec("a", title="A", due="2027-03-01", status="done")
    task.links["plan"].shadow["due"] = dt.date(2027, 9, 9)
    task.links["plan"].shadow["status"] = "todo"
    assert report(task).problems == ()


def test_person_mapped_in_one_tool_only() -> None:
    """Someone in people: for Jira but not for Trello is reported against Trello only."""
    r = report(
        people={"Ana@acme.example": {"jira": "5b10"}},
        members={"j": "jira", "t": "trello", "p": "plan"},
    )
    (problem,) = r.problems
    assert problem.rule == "person_not_mapped"
    assert problem.severity == "error"
    assert "ana@acme.example is mapped in jira but not mapped in trello" in problem.message


def test_unmapped_assignee_is_reported_per_connection() -> None:
    """An assignee missing from people: is a warning for Jira/Asana, an error for Trello."""
    r = report(
        rec("a", title="A", assignee="bob@acme.example"),
        people={"bob@acme.example": {"plan": "Bob"}},
        members={"j": "jira", "s": "asana", "t": "trello", "p": "plan"},
    )
    found = {(p.severity, p.message.split(" (people:)")[0]) for p in r.problems}
    assert found == {
        ("warning", "bob@acme.example is mapped in plan but not mapped in jira"),
        ("warning", "bob@acme.example is mapped in plan but not mapped in asana"),
        ("error", "bob@acme.example is mapped in plan but not mapped in trello"),
    }
    assert all("assigned 1 task: A" in p.message for p in r.problems)


def test_people_are_not_checked_where_email_is_enough() -> None:
    """MS Project and memory members match people by email: no mapping is needed there."""
    r = report(
        rec("a", title="A", assignee="bob@acme.example"),
        people={"ana@acme.example": {"plan": "Ana"}},
        members={"p": "plan", "m": "files"},
    )
    assert r.problems == ()


def test_single_connection_group_does_not_flag_people_for_other_groups() -> None:
    """A person mapped in this group's only connection exists in every tool of the group."""
    r = report(
        people={"ana@acme.example": {"jira": "1"}, "eve@acme.example": {"trello": "e"}},
        members={"j": "jira"},
    )
    assert r.problems == ()


# --- renderings ----------------------------------------------------------------------------------


def sample() -> Report:
    return report(
        rec("m", "milestone", title="Launch <script>alert(1)</script>", due="2027-03-20"),
        rec("a", title="[red]Copy[/red] & <b>bold</b>", milestone="m", due="2027-03-01"),
        rec("b1", "budget", planned="1000.5", currency="EUR"),
        rec("t", title="Costed", planned_cost="12.5", actual_cost="3"),
    )


def test_json_is_plain_and_exact() -> None:
    """to_json gives JSON types only: amounts as exact strings and dates in ISO form."""
    data = to_json(sample())
    assert json.loads(json.dumps(data)) == data
    assert data["today"] == "2027-03-10"
    assert data["budget"]["planned"] == "1000.5"
    assert data["budget"]["variance"] == "988"
    assert data["budget"]["total"]["actual"] == "3"
    launch = data["milestones"][0]
    assert launch["due"] == "2027-03-20"
    assert launch["at_risk"] is True
    assert launch["risks"][0]["tasks"][0] == {
        "uid": "a",
        "kind": "task",
        "title": "[red]Copy[/red] & <b>bold</b>",
    }
    assert set(data) == {
        "group",
        "today",
        "currency",
        "milestones",
        "budget",
        "problems",
        "conflicts",
        "tasks",
        "leaf_tasks",
    }


def test_terminal_rendering_shows_titles_verbatim() -> None:
    """Rich never reads a title as markup: what a user typed is what is printed."""
    console = Console(record=True, width=220)
    render_terminal(sample(), console)
    text = console.export_text()
    assert "[red]Copy[/red]" in text
    assert "AT RISK" in text
    assert "1,000.50 EUR planned" in text


def test_html_escapes_user_text() -> None:
    """Titles are escaped everywhere in the page, so a title cannot inject markup."""
    page = render_html(sample())
    assert "<script" not in page
    assert "<b>bold" not in page
    assert "Launch &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_html_is_self_contained() -> None:
    """The page fetches nothing: no links, sources or URLs; its charts are inline SVG."""
    page = render_html(sample())
    for external in ("http:", "https:", "<link", "src=", "url(", "@import"):
        assert external not in page
    assert page.count("<svg") == 2


# --- the command ---------------------------------------------------------------------------------

PLAN = {
    "format": "syncd-memory/1",
    "records": {
        "M1": {"kind": "milestone", "fields": {"title": "Beta", "due": "2020-01-31"}},
        "M2": {"kind": "milestone", "fields": {"title": "Launch", "due": "2099-06-30"}},
        "S1": {
            "kind": "task",
            "fields": {"title": "Build", "milestone": "M1", "planned_cost": "9000"},
        },
        "T1": {
            "kind": "task",
            "fields": {
                "title": "Backend",
                "parent": "S1",
                "due": "2020-01-20",
                "planned_cost": "5000",
                "actual_cost": "5500",
                "assignee": "ana@acme.example",
            },
        },
        "T2": {
            "kind": "task",
            "fields": {"title": "Frontend", "parent": "S1", "due": "2020-01-25"},
        },
        "T3": {
            "kind": "task",
            "fields": {
                "title": "Announce",
                "milestone": "M2",
                "due": "2099-06-01",
                "assignee": "ana@acme.example",
            },
        },
        "B1": {"kind": "budget", "fields": {"planned": "20000", "currency": "EUR"}},
    },
}
CONFIG = """\
state: sqlite:///{dir}/state.db
connections:
  files: {{type: memory}}
people:
  ana@acme.example: {{files: ana}}
groups:
  web:
    currency: EUR
    timezone: Europe/Madrid
    members:
      - {{connection: files, name: plan, path: {dir}/plan.json}}
      - connection: files
        name: board
        path: {dir}/board.json
        supports:
          task: [title, status, due, milestone, assignee, parent]
          milestone: [title, due, status]
"""


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    """A config whose two memory members were synced once; returns the config's path."""
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    config = tmp_path / "syncd.yaml"
    config.write_text(CONFIG.format(dir=tmp_path))
    code, out, _ = cli("sync", "--config", str(config))
    assert code == 0, out
    return config


def test_cli_report_json_from_a_synced_store(synced: Path) -> None:
    """`report --json` reads the synced store: milestones, leaf-only costs and the budget."""
    code, out, _ = cli("report", "--config", str(synced), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["group"] == "web"
    beta, launch = data["milestones"]
    assert (beta["title"], beta["at_risk"], launch["at_risk"]) == ("Beta", True, False)
    assert {r["code"] for r in beta["risks"]} == {"overdue", "late_task", "unassigned"}
    assert data["budget"]["total"]["planned"] == "5000"  # Build's 9000 is a roll-up
    assert data["budget"]["total"]["without_planned"] == 2
    assert data["budget"]["variance"] == "15000"


def test_cli_report_tables_and_html(synced: Path) -> None:
    """Without --json the report prints tables; --html writes one page as well."""
    page = synced.parent / "report.html"
    code, out, _ = cli("report", "web", "--config", str(synced), "--html", str(page))
    assert code == 0
    assert "Milestones" in out
    assert "AT RISK" in out
    assert f"wrote {page}" in out
    assert "Project report: web" in page.read_text(encoding="utf-8")


def test_cli_report_needs_a_group_name_when_there_are_several(synced: Path) -> None:
    """With several groups and none named, `report` exits 2 and lists them."""
    text = synced.read_text()
    body = text[text.index("  web:") :]
    synced.write_text(text + body.replace("  web:", "  app:", 1))
    code, _, err = cli("report", "--config", str(synced))
    assert code == 2
    assert "groups: web, app" in err
    code, _, err = cli("report", "nope", "--config", str(synced))
    assert code == 2
    assert "unknown group 'nope'" in err
