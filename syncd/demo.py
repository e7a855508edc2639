"""``syncd demo``: the whole product, on this machine, in half a minute.

Starts the local stand-ins of Jira, Asana and Trello on free ports of 127.0.0.1 and writes a
sample Microsoft Project plan into a folder (each adapter's ``Plugin.demo``), writes the
config of one group of all four, and runs the real ``syncd sync`` path on it:

1. the first sync matches what the teams already had by title and creates the rest;
2. four people edit their own tool, through its REST API or its file: an engineer moves an
   issue through Jira's workflow, the business team moves a due date in Asana, marketing moves
   and relabels a Trello card, the project manager raises a cost in the plan; and the project
   manager and the business team both move one due date, differently (the conflict);
3. the second sync carries each edit everywhere, resolves the conflict by the config's
   authority (the plan owns dates) and records the losing value; a third sync writes nothing;
4. the project report closes the demo.

The engine reaches the stand-ins only through the adapter registry, like the adapters
themselves (DESIGN §1).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from adapters import plugin
from adapters.base import DemoPerson, DemoSetup, DemoSite
from syncd.clioutput import refusal_counts, show_value
from syncd.config import Config, load_config
from syncd.engine import RunReport
from syncd.report import plural, report_for
from syncd.reportterm import render_terminal
from syncd.runner import sync
from syncd.store import Store

GROUP = "website"
TIMEZONE = "Europe/Madrid"

CAST = (
    DemoPerson("Ana Lima", "ana@acme.example"),
    DemoPerson("Ben Okafor", "ben@acme.example"),
    DemoPerson("Chloé Martin", "chloe@acme.example"),
    DemoPerson("Dev Patel", "dev@acme.example"),
    DemoPerson("Eva Novak", "eva@acme.example"),
    DemoPerson("Femi Adeyemi", "femi@acme.example"),
)

# member name -> adapter; the plan comes first: it is where the project starts.
MEMBERS = {"plan": "msproject", "jira": "jira", "asana": "asana", "trello": "trello"}

# What each team already tracks before syncd arrives: tasks of the plan (matched by title, not
# duplicated) and one of their own (copied to the others).
EXISTING = {
    "jira": ("Component library", "Search integration", "Upgrade the staging database"),
    "trello": ("Launch communication", "Press kit"),
}

# The plan owns the schedule and the money; Jira owns the workflow. Other fields: the last
# writer wins.
AUTHORITY = {
    "start": ["plan"],
    "due": ["plan"],
    "planned_cost": ["plan"],
    "actual_cost": ["plan"],
    "estimate_hours": ["plan"],
    "status": ["jira"],
}


@dataclass(frozen=True)
class Edit:
    """One person's change in their own tool."""

    member: str
    who: str
    title: str
    changes: Mapping[str, Any]


def edits(synced: Mapping[str, Mapping[str, Any]]) -> list[Edit]:
    """The second act, from the records as the first sync left them (title -> values). Dates
    and costs are the plan's own, moved a little, so that the story reads the same whatever
    day the demo runs (the plan is dated around it)."""

    def later(title: str, days: int) -> dt.date:
        day: dt.date = synced[title]["due"]
        while days:
            day += dt.timedelta(days=1)
            days -= day.weekday() < 5
        return day

    pm, content = "Ana (project manager, Project)", "Eva (content team, Asana)"
    return [
        Edit("jira", "Dev (engineer, Jira)", "Front-end scaffold", {"status": "done"}),
        Edit("asana", content, "Search integration", {"due": later("Search integration", 3)}),
        Edit(
            "trello",
            "Femi (marketing, Trello)",
            "Cookie consent",
            {"status": "in_progress", "labels": frozenset({"legal"})},
        ),
        # The CDN contract costs more than planned.
        Edit(
            "plan",
            pm,
            "Hosting and CDN set-up",
            {"planned_cost": synced["Hosting and CDN set-up"]["planned_cost"] + 1500},
        ),
        # The conflict: both move the same due date, differently; the plan owns dates.
        Edit(
            "plan",
            pm,
            "Content migration: products",
            {"due": later("Content migration: products", 2)},
        ),
        Edit(
            "asana",
            content,
            "Content migration: products",
            {"due": later("Content migration: products", 5)},
        ),
    ]


class Demo:
    """One run of the demo: its folder, its stand-ins, its config and its store."""

    def __init__(self, console: Console, directory: Path) -> None:
        self.out = console
        self.directory = directory
        self.today = dt.date.today()
        self.sites: dict[str, DemoSite] = {}
        self.config_path = directory / "syncd.yaml"

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for member, adapter in MEMBERS.items():
                factory = plugin(adapter).demo
                if factory is None:
                    raise RuntimeError(f"the {adapter} adapter has no demo stand-in")
                existing = EXISTING.get(member, ())
                setup = DemoSetup(self.directory, CAST, self.today, TIMEZONE, existing)
                self.sites[member] = await stack.enter_async_context(factory(setup))
            yield

    def write_config(self) -> Config:
        document = config_document(self.sites, f"sqlite:///{self.directory / 'state.db'}")
        header = (
            "# Written by `syncd demo`: one group of four members, on local stand-ins of Jira,\n"
            "# Asana and Trello and a plan file. The credentials are the stand-ins' published\n"
            "# demo ones; keep real secrets in the environment (${VAR}), never in this file.\n"
        )
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        self.config_path.write_text(header + text, encoding="utf-8")
        return load_config(self.config_path)


def config_document(
    sites: Mapping[str, DemoSite], state: str, group: str = GROUP, **settings: Any
) -> dict[str, Any]:
    """The config of one group of ``sites`` (member name -> site), its people mapped across
    the tools, with the demo's authority; ``settings`` add to or override the group's."""
    people: dict[str, dict[str, str]] = defaultdict(dict)
    for member, site in sites.items():
        for email, user in site.people.items():
            people[email][member] = user
    return {
        "state": state,
        "connections": {m: site.connection for m, site in sites.items()},
        "people": dict(people),
        "groups": {
            group: {
                "currency": "EUR",
                "timezone": TIMEZONE,
                "conflicts": "authority",
                "members": [{"connection": m, **site.member} for m, site in sites.items()],
                "authority": {
                    field: owners
                    for field, who in AUTHORITY.items()
                    if (owners := [m for m in who if m in sites])
                },
                **settings,
            }
        },
    }


async def run_demo(console: Console, directory: Path | None = None, *, keep: bool = False) -> int:
    """Run the demo; 0 when every sync succeeded. ``keep`` leaves the stand-ins running (until
    Ctrl-C) and the folder in place, so the user can go on with ``syncd -c ... sync``."""
    made = directory is None
    folder = Path(tempfile.mkdtemp(prefix="syncd-demo-")) if directory is None else directory
    folder.mkdir(parents=True, exist_ok=True)
    demo = Demo(console, folder)
    began = time.monotonic()
    try:
        async with demo.running():
            status = await _story(demo)
            console.print(f"\n[bold]Done in {time.monotonic() - began:.1f} s.[/]")
            _where(demo, keep)
            if keep:
                await _serve_until_interrupted(console)
        return status
    finally:
        if made and not keep:
            shutil.rmtree(folder, ignore_errors=True)


async def _story(demo: Demo) -> int:
    out = demo.out
    out.rule("[bold]syncd demo[/]: a website relaunch planned in Project, worked on in three tools")
    for member, site in demo.sites.items():
        out.print(f"  [cyan]{member:<7}[/] {site.name:<18} {site.location}", highlight=False)
    config = demo.write_config()
    failed = 0
    with Store.open(str(config.state)) as store:
        out.rule("1. First sync: match what each tool already has, create the rest")
        first = await sync(config, store, GROUP)
        failed += first.status != "ok"
        _print_first(out, store, first)
        synced = {
            r.base["title"]: r.base
            for r in store.load_group(GROUP).records.values()
            if "title" in r.base
        }

        out.rule("2. Four people edit their own tool")
        for edit in edits(synced):
            done = await demo.sites[edit.member].edit(edit.title, edit.changes)
            for line in done:
                out.print(f"  [magenta]{edit.who}[/]: {line}", highlight=False)

        out.rule("3. Second sync: every edit travels, the conflict is resolved")
        second = await sync(config, store, GROUP)
        failed += second.status != "ok"
        _print_moves(out, store, second)
        _print_conflicts(out, store, second)
        third = await sync(config, store, GROUP)
        failed += third.status != "ok"
        echoes = [c for c in store.changes_of(third.run_id or 0) if c.origin == "written"]
        out.print(
            "  A third sync read every tool again and wrote "
            + (f"{plural(len(echoes), 'change')}." if echoes else "nothing: no echo."),
            highlight=False,
        )

        out.rule("4. The project report (`syncd report`)")
        render_terminal(report_for(config, store, GROUP, today=demo.today), out)
    return 1 if failed else 0


def _print_first(out: Console, store: Store, report: RunReport) -> None:
    summary = report.summary()
    table = Table("member", "created", "updated", "values refused")
    refused = refusal_counts(report)
    for member in MEMBERS:
        table.add_row(
            member,
            str(summary["created"].get(member, 0)),
            str(summary["updated"].get(member, 0)),
            str(sum(n for (m, _, _), n in refused.items() if m == member)),
        )
    out.print(table)
    # A record the first sync had to create in the plan was a team's own; the others matched.
    made_in_plan = {
        c.after
        for c in store.changes_of(report.run_id or 0)
        if c.member == "plan" and c.field == "@record" and c.origin == "written"
    }
    for member, titles in EXISTING.items():
        matched = [t for t in titles if t not in made_in_plan]
        own = [t for t in titles if t in made_in_plan]
        line = f"  {member} already had {len(titles)}: {_titles(matched)} matched the plan's "
        line += "tasks by title (linked, not duplicated)"
        if own:
            line += f"; {_titles(own)}, its own, was copied to the other tools"
        out.print(line + ".", highlight=False)
    _print_problems(out, report)


def _titles(titles: Sequence[str]) -> str:
    return ", ".join(repr(t) for t in titles) or "nothing"


def _print_moves(out: Console, store: Store, report: RunReport) -> None:
    if report.run_id is None:
        return
    titles = {
        uid: r.base.get("title", uid[:8]) for uid, r in store.load_group(GROUP).records.items()
    }
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    wrote: dict[tuple[str, str], list[str]] = defaultdict(list)
    after: dict[tuple[str, str], Any] = {}
    for change in store.changes_of(report.run_id):
        key = (change.uid, change.field)
        if change.origin == "observed":
            seen[key].append(change.member)
        else:
            wrote[key].append(change.member)
            after[key] = change.after
    table = Table("record", "field", "changed in", "new value", "written to")
    for key in sorted(wrote, key=lambda k: (str(titles.get(k[0])), k[1])):
        table.add_row(
            str(titles.get(key[0])),
            key[1],
            ", ".join(sorted(set(seen.get(key, [])))) or "-",
            show_value(after[key]),
            ", ".join(sorted(set(wrote[key]))),
        )
    out.print(table)
    _print_problems(out, report)


def _print_conflicts(out: Console, store: Store, report: RunReport) -> None:
    state = store.load_group(GROUP)
    for conflict in report.plan.conflicts:
        title = state.records[conflict.uid].base.get("title", conflict.uid[:8])
        losers = {m: v for m, v in conflict.values.items() if m != conflict.winner}
        why = conflict.policy
        if conflict.policy == "authority" and conflict.field in AUTHORITY:
            owners = ", then ".join(AUTHORITY[conflict.field])
            why += f": the config gives {conflict.field} to {owners}"
        out.print(
            f"  [yellow]Conflict[/] on {title!r} {conflict.field}: "
            + ", ".join(f"{m} said {show_value(v)}" for m, v in conflict.values.items())
            + f". [bold]{conflict.winner}[/] wins ({why}); "
            + ", ".join(f"{m}'s {show_value(v)}" for m, v in losers.items())
            + " is kept in the conflict log (`syncd conflicts`).",
            highlight=False,
        )


def _print_problems(out: Console, report: RunReport) -> None:
    for (member, name, reason), count in sorted(refusal_counts(report).items()):
        out.print(
            f"  [yellow]{member} cannot hold[/] {name}: {reason} ({plural(count, 'record')}; "
            "remembered, not sent again until a full read)",
            highlight=False,
        )
    for failure in report.result.failures:
        out.print(
            f"  [red]failed[/] {failure.member} {failure.action}: {failure.error}",
            highlight=False,
        )
    for member, error in report.member_errors.items():
        out.print(f"  [red]{member} could not be read[/]: {error}", highlight=False)
    for notice in report.plan.notices:
        out.print(f"  [yellow]notice[/] {notice.message}", highlight=False)


def _where(demo: Demo, keep: bool) -> None:
    out = demo.out
    if keep:
        out.print(f"\nThe demo's files are in [bold]{demo.directory}[/]:")
        out.print(f"  config  {demo.config_path}")
        out.print(f"  plan    {demo.sites['plan'].location}")
        out.print(f"  state   {demo.directory / 'state.db'}")
        out.print(
            "The stand-ins keep running until Ctrl-C. In another terminal, try:\n"
            f"  syncd -c {demo.config_path} status\n"
            f"  syncd -c {demo.config_path} conflicts\n"
            f"  syncd -c {demo.config_path} report --html report.html\n"
            f"  syncd -c {demo.config_path} sync    (after editing the plan or a tool)",
            highlight=False,
        )
    else:
        out.print(
            "Run [bold]syncd demo --keep[/] to keep the tools, the plan and the config, and go "
            "on playing."
        )


async def _serve_until_interrupted(console: Console) -> None:
    try:
        await asyncio.Event().wait()
    except (asyncio.CancelledError, KeyboardInterrupt):
        console.print("\nStopped.")
