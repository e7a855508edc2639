"""What the CLI prints: rich tables for people, plain data for ``--json``."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from syncd.engine import RunReport

if TYPE_CHECKING:
    from syncd.config import Config
    from syncd.store import Store


def show_value(value: Any, width: int = 40) -> str:
    """A stored (JSON) value for a table cell: lists joined, None as ∅, long text cut."""
    text = (
        "∅"
        if value is None
        else ", ".join(map(str, value))
        if isinstance(value, list)
        else str(value)
    )
    text = text.replace("\n", "⏎")
    return text if len(text) <= width else text[: width - 1] + "…"


@contextlib.contextmanager
def progress(console: Console, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar over groups on a terminal; silent elsewhere."""
    if not console.is_terminal or total < 1:
        yield lambda _name: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task("syncing", total=total)
        yield lambda name: bar.update(task, advance=1, description=f"synced {name}")


async def print_check(console: Console, config: Config, groups: Sequence[str]) -> int:
    """Open every member of the groups, run its check, print capabilities and problems."""
    from syncd.runner import make_adapters

    problems = 0
    for group in groups:
        for name, adapter in make_adapters(config, group).items():
            try:
                async with adapter:
                    result = await adapter.check()
            except Exception as exc:  # noqa: BLE001  # any failure is a problem to show, not a crash
                console.print(f"[red]✗[/] {group}/{name}: cannot connect: {escape(str(exc))}")
                problems += 1
                continue
            mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
            facts = ", ".join(f"{k}={v}" for k, v in sorted(result.info.items()))
            console.print(f"{mark} {group}/{name}" + (f" ({facts})" if facts else ""))
            for kind, cap in sorted(adapter.capabilities.kinds.items()):
                fields = sorted(cap.read | cap.write)
                marks = [f + ("" if f in cap.write else " (read-only)") for f in fields]
                console.print(f"    {kind}: {', '.join(marks)}", highlight=False)
            for problem in result.problems:
                problems += 1
                console.print(f"    [red]problem:[/] {escape(problem.message)}", highlight=False)
                if problem.fix:
                    console.print(f"    [yellow]fix:[/] {escape(problem.fix)}", highlight=False)
    return problems


def print_plan(console: Console, doc: dict[str, Any]) -> None:
    """A plan as a table of actions per member and field, then conflicts and notices."""
    actions = doc["actions"]
    console.print(
        f"[bold]group {doc['group']}[/]: {len(actions)} writes, {len(doc['conflicts'])} conflicts"
    )
    if actions:
        table = Table("member", "action", "record", "field", "now", "new")
        for action in actions:
            fields = action["fields"] or {"": {"from": "", "to": ""}}
            for i, (name, change) in enumerate(sorted(fields.items())):
                first = i == 0
                table.add_row(
                    action["member"] if first else "",
                    action["action"] if first else "",
                    f"{action['kind']} {show_value(action['title'], 30)}" if first else "",
                    name,
                    show_value(change["from"]),
                    show_value(change["to"]),
                )
        console.print(table)
    _print_conflict_table(console, doc["conflicts"])
    for notice in doc["notices"]:
        console.print(
            f"[yellow]notice[/] {notice['code']}: {escape(notice['message'])}", highlight=False
        )
    for member, error in doc["member_errors"].items():
        console.print(f"[red]{member} could not be read[/]: {escape(str(error))}", highlight=False)


def _print_conflict_table(console: Console, conflicts: list[dict[str, Any]]) -> None:
    if not conflicts:
        return
    table = Table("record", "field", "values", "winner", "by")
    for c in conflicts:
        values = "; ".join(f"{m}: {show_value(v, 25)}" for m, v in sorted(c["values"].items()))
        table.add_row(c["uid"][:12], c["field"], values, c["winner"], c["policy"])
    console.print(table)


def print_reports(console: Console, reports: Sequence[RunReport]) -> None:
    """One row per group and member: created, updated, deleted, failed."""
    table = Table("group", "run", "member", "created", "updated", "deleted", "failed", "status")
    for report in reports:
        result = report.result
        members = sorted(
            set(result.created)
            | set(result.updated)
            | set(result.deleted)
            | {f.member for f in result.failures}
            | set(report.member_errors)
        )
        failed: dict[str, int] = {}
        for failure in result.failures:
            failed[failure.member] = failed.get(failure.member, 0) + 1
        if not members:
            table.add_row(report.group, str(report.run_id), "-", "0", "0", "0", "0", report.status)
        for m in members:
            state = "unreadable" if m in report.member_errors else report.status
            table.add_row(
                report.group,
                str(report.run_id),
                m,
                str(result.created[m]),
                str(result.updated[m]),
                str(result.deleted[m]),
                str(failed.get(m, 0)),
                state,
            )
    console.print(table)
    for report in reports:
        for c in report.plan.conflicts:
            console.print(
                f"conflict {c.uid[:12]}.{c.field}: {c.winner} won ({c.policy}) over "
                f"{', '.join(sorted(set(c.values) - {c.winner}))}",
                highlight=False,
            )
        for notice in report.plan.notices:
            console.print(f"[yellow]notice[/] {notice.message}", highlight=False)
        for failure in report.result.failures:
            console.print(
                f"[red]failed[/] {failure.member} {failure.action} {failure.uid[:12]}: "
                f"{failure.error}",
                highlight=False,
            )
        for (member, name, reason), count in sorted(refusal_counts(report).items()):
            records = "1 record" if count == 1 else f"{count} records"
            console.print(
                f"[yellow]refused[/] {member} {name} ({records}): {escape(reason)}; not sent again "
                "until a full read of it",
                highlight=False,
            )
        for member, error in report.member_errors.items():
            console.print(
                f"[red]{member} could not be read[/]: {escape(str(error))}", highlight=False
            )


def refusal_counts(report: RunReport) -> Counter[tuple[str, str, str]]:
    """(member, field, reason) -> how many records of the run: what each tool cannot hold."""
    return Counter((m, name, r.reason) for (_, m, name), r in report.result.refused.items())


def group_status(config: Config, store: Store, group: str) -> dict[str, Any]:
    """A group's state for ``status``."""
    counts = store.counts(group)
    runs = store.runs(group, limit=1)
    last = runs[0] if runs else None
    return {
        "group": group,
        "members": [m.member_name for m in config.groups[group].members],
        "counts": counts,
        "last_run": None
        if last is None
        else {
            "id": last.id,
            "status": last.status,
            "started_at": last.started_at,
            "finished_at": last.finished_at,
            "failures": last.summary.get("failures", 0),
        },
        "open_conflicts": len(store.conflicts(group, open_only=True)),
        "quarantined": [f"{uid}.{field}" for uid, field in store.quarantined(group)],
        "refused": [
            {"uid": uid, "member": member, "field": name, "reason": refusal.reason}
            for (uid, member, name), refusal in sorted(store.refusals(group).items())
        ],
    }


def print_status(console: Console, rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        last = row["last_run"]
        when = (
            "never"
            if last is None
            else f"run {last['id']} {last['status']} at {last['started_at']:%Y-%m-%d %H:%M}"
        )
        console.print(
            f"[bold]{row['group']}[/]: last {when}; {row['open_conflicts']} open conflicts",
            highlight=False,
        )
        counts = row["counts"]
        links = counts.get("links", {})
        for member in row["members"]:
            console.print(f"    {member}: {links.get(member, 0)} linked records", highlight=False)
        console.print(
            f"    records: {counts.get('records', 0)}, pending writes: "
            f"{counts.get('pending_intents', 0)}",
            highlight=False,
        )
        if last is not None and last["failures"]:
            console.print(f"    [red]{last['failures']} failed writes in the last run[/]")
        for q in row["quarantined"]:
            console.print(
                f"    [yellow]quarantined[/] {q}: flipping back and forth; no writes",
                highlight=False,
            )
        refused = Counter((r["member"], r["field"], r["reason"]) for r in row["refused"])
        for (member, name, reason), count in sorted(refused.items()):
            records = "1 record" if count == 1 else f"{count} records"
            console.print(
                f"    [yellow]{member} cannot hold[/] {name} ({records}): {escape(reason)}",
                highlight=False,
            )


def conflict_rows(store: Store, group: str, *, open_only: bool) -> list[dict[str, Any]]:
    return [
        {
            "id": info.id,
            "group": info.group,
            "run": info.run_id,
            "at": info.at,
            "resolved": info.resolved,
            "uid": info.conflict.uid,
            "kind": info.conflict.kind,
            "field": info.conflict.field,
            "values": info.conflict.values,
            "base": info.conflict.base,
            "winner": info.conflict.winner,
            "policy": info.conflict.policy,
        }
        for info in store.conflicts(group, open_only=open_only)
    ]


def print_conflicts(console: Console, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        console.print("no conflicts")
        return
    table = Table("id", "group", "at", "record", "field", "values", "winner", "by")
    for r in rows:
        values = "; ".join(f"{m}: {show_value(v, 25)}" for m, v in sorted(r["values"].items()))
        table.add_row(
            str(r["id"]),
            r["group"],
            f"{r['at']:%Y-%m-%d %H:%M}",
            r["uid"][:12],
            r["field"],
            values,
            r["winner"],
            r["policy"],
        )
    console.print(table)


def history_rows(
    store: Store, groups: Sequence[str], *, run_id: int | None, limit: int
) -> list[dict[str, Any]]:
    runs = (
        [store.run(run_id)]
        if run_id is not None
        else [r for g in groups for r in store.runs(g, limit=limit)]
    )
    rows = []
    for info in runs:
        if info is None or info.group not in groups:
            continue
        changes = store.changes_of(info.id)
        rows.append(
            {
                "id": info.id,
                "group": info.group,
                "status": info.status,
                "started_at": info.started_at,
                "finished_at": info.finished_at,
                "summary": info.summary,
                "changes": [
                    {
                        "uid": c.uid,
                        "member": c.member,
                        "field": c.field,
                        "before": c.before,
                        "after": c.after,
                        "origin": c.origin,
                    }
                    for c in changes
                ],
            }
        )
    return rows


def print_history(console: Console, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        console.print("no runs yet")
        return
    for row in rows:
        console.print(
            f"[bold]run {row['id']}[/] {row['group']} {row['status']} at "
            f"{row['started_at']:%Y-%m-%d %H:%M:%S}: {len(row['changes'])} changes",
            highlight=False,
        )
        if row["changes"]:
            table = Table("record", "member", "field", "before", "after", "how")
            for c in row["changes"]:
                table.add_row(
                    c["uid"][:12],
                    c["member"],
                    c["field"],
                    show_value(c["before"]),
                    show_value(c["after"]),
                    c["origin"],
                )
            console.print(table)
