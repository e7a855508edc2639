"""The ``syncd`` command line (typer + rich).

Exit codes: 0 done, 1 some records failed (or a safety refusal), 2 bad config or usage.
Heavy modules are imported inside the commands so that ``syncd --help`` is instant.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from syncd.config import Config
    from syncd.store import Store

app = typer.Typer(
    name="syncd",
    help="Keep tasks, dates, milestones and costs consistent across Jira, Asana, Trello and "
    "Microsoft Project.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# emoji=False: rich would print "plan.xml:100:" as "plan.xml💯" (":100:" is an emoji code).
out = Console(soft_wrap=True, emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default: $SYNCD_CONFIG, ./syncd.yaml, ~/.config/syncd/syncd.yaml).",
        show_default=False,
    ),
]
LogLevelOpt = Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")]
LogJsonOpt = Annotated[
    bool | None,
    typer.Option(
        "--log-json/--log-text",
        help="JSON log lines (default: JSON unless a terminal).",
        show_default=False,
    ),
]
GroupsArg = Annotated[
    list[str] | None, typer.Argument(help="Groups (default: all).", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
FullOpt = Annotated[bool, typer.Option("--full", help="Read every member completely.")]
ForceDeleteOpt = Annotated[
    bool, typer.Option("--force-delete", help="Override the mass-delete breaker.")
]

_globals: dict[str, Any] = {"config": None, "log_level": "warning", "log_json": None}


@app.callback()
def _main(
    config: ConfigOpt = None, log_level: LogLevelOpt = "warning", log_json: LogJsonOpt = None
) -> None:
    """Options given before the command apply to it (they may also follow it)."""
    _globals.update(config=config, log_level=log_level, log_json=log_json)


# --- shared plumbing ----------------------------------------------------------------------------


@contextmanager
def _errors() -> Iterator[None]:
    """Turn syncd's errors into a clear message and the documented exit code."""
    from syncd.errors import ConfigError, SafetyRefusal, StoreError, SyncdError

    # emoji=False: rich would print "syncd.yaml:100: ..." as "syncd.yaml💯 ..." (":100:" is an
    # emoji code), losing the line number; these messages are plain text, printed as they are.
    try:
        yield
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False, highlight=False, emoji=False)
        raise typer.Exit(2) from None
    except StoreError as exc:
        err.print(f"state store: {exc}", markup=False, highlight=False, emoji=False)
        raise typer.Exit(2) from None
    except SafetyRefusal as exc:
        err.print(f"refused: {exc}", markup=False, highlight=False, emoji=False)
        raise typer.Exit(1) from None
    except SyncdError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, emoji=False)
        raise typer.Exit(1) from None


def _setup(config_path: Path | None, log_level: str | None, log_json: bool | None) -> Config:
    """Load the config and set up redacted logging; the first step of every command."""
    from syncd.config import load_config, secrets_of
    from syncd.logs import configure_logging
    from syncd.redact import default_redactor

    path = config_path or _globals["config"]
    level = log_level or _globals["log_level"]
    as_json = _globals["log_json"] if log_json is None else log_json
    redactor = default_redactor()
    try:
        configure_logging(level, as_json, redactor)
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    config = load_config(path)
    for secret in secrets_of(config):
        redactor.add(secret)
    return config


def _store(config: Config) -> Store:
    from syncd.store import Store, default_url

    return Store.open(config.state or default_url())


def _groups(config: Config, wanted: list[str] | None) -> list[str]:
    from syncd.errors import ConfigError

    names = list(wanted or config.groups)
    unknown = [g for g in names if g not in config.groups]
    if unknown:
        known = ", ".join(config.groups) or "none"
        raise ConfigError([f"unknown group {g!r} (known: {known})" for g in unknown])
    return names


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


# --- commands -----------------------------------------------------------------------------------


@app.command()
def init(
    path: Annotated[
        Path | None, typer.Argument(help="Where to write it (default: --config, ./syncd.yaml).")
    ] = None,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Write a commented starter config (never overwrites a file)."""
    from syncd.config import starter_config

    target = path or config or _globals["config"] or Path("syncd.yaml")
    if target.exists():
        err.print(f"{target} exists; not overwriting it (pick another path or remove it)")
        raise typer.Exit(2)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_config(), encoding="utf-8")
    out.print(f"wrote {target}: edit it, then run `syncd check --config {target}`")


@app.command()
def check(
    groups: GroupsArg = None,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Validate the config, open every connection and check every mapping against the system."""
    from syncd.clioutput import print_check

    with _errors():
        cfg = _setup(config, log_level, log_json)
        names = _groups(cfg, groups)
        out.print(f"config OK: {len(cfg.connections)} connections, {len(cfg.groups)} groups")
        problems = _run(print_check(out, cfg, names))
    if problems:
        raise typer.Exit(1)


@app.command()
def plan(
    groups: GroupsArg = None,
    as_json: JsonOpt = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Save the plan for `apply`.")
    ] = None,
    full: FullOpt = False,
    force_delete: ForceDeleteOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Show what `sync` would do, per member and field, without writing anything."""
    from syncd.clioutput import print_plan
    from syncd.runner import PLAN_FORMAT, plan_group

    with _errors():
        cfg = _setup(config, log_level, log_json)
        names = _groups(cfg, groups)
        with _store(cfg) as store:
            docs = [
                _run(plan_group(cfg, store, g, full=full, force_delete=force_delete)) for g in names
            ]
    bundle = {"format": PLAN_FORMAT, "plans": docs}
    if out_file is not None:
        out_file.write_text(json.dumps(bundle, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if as_json:
        _print_json(bundle)
    else:
        for doc in docs:
            print_plan(out, doc)
        if out_file is not None:
            out.print(f"saved to {out_file}; apply it with `syncd apply {out_file}`")


@app.command("apply")
def apply_cmd(
    plan_file: Annotated[Path, typer.Argument(help="A plan saved by `syncd plan --out`.")],
    force_delete: ForceDeleteOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Apply exactly a saved plan; refuse it if any affected record changed since."""
    from syncd.clioutput import print_reports
    from syncd.errors import StalePlan
    from syncd.runner import apply_saved

    with _errors():
        cfg = _setup(config, log_level, log_json)
        try:
            bundle = json.loads(plan_file.read_text(encoding="utf-8"))
            docs = bundle["plans"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StalePlan(f"{plan_file}: not a saved plan ({exc})") from None
        with _store(cfg) as store:
            reports = [_run(apply_saved(cfg, store, d, force_delete=force_delete)) for d in docs]
    print_reports(out, reports)
    if any(r.status != "ok" for r in reports):
        raise typer.Exit(1)


@app.command()
def sync(
    groups: GroupsArg = None,
    full: FullOpt = False,
    force_delete: ForceDeleteOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Sync once: read every member, reconcile, write, and print a summary."""
    from syncd.clioutput import print_reports, progress
    from syncd.runner import sync as sync_once

    with _errors():
        cfg = _setup(config, log_level, log_json)
        names = _groups(cfg, groups)
        reports = []
        with _store(cfg) as store, progress(out, len(names)) as step:
            for name in names:
                reports.append(
                    _run(sync_once(cfg, store, name, full=full, force_delete=force_delete))
                )
                step(name)
    if as_json:
        _print_json(
            [
                {"group": r.group, "run": r.run_id, "status": r.status, **r.summary()}
                for r in reports
            ]
        )
    else:
        print_reports(out, reports)
    if any(r.status != "ok" for r in reports):
        raise typer.Exit(1)


@app.command()
def run(
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Run as a service: reconcile every group each interval; serve /healthz, /readyz, /metrics.

    SIGTERM or SIGINT lets runs in flight finish (30 s at most) and exits 0; SIGHUP reloads the
    config (a bad one is refused and the old one keeps running).
    """
    from syncd.service import run as serve

    with _errors():
        cfg = _setup(config, log_level, log_json)
        code = serve(config or _globals["config"], cfg)
    raise typer.Exit(code)


webhooks_app = typer.Typer(
    help="Manage the vendors' webhook registrations for service.public_url.",
    no_args_is_help=True,
)
app.add_typer(webhooks_app, name="webhooks")


def _webhooks(
    action: str, groups: list[str] | None, as_json: bool, config: Path | None, log_level: str
) -> None:
    from syncd.webhookadmin import manage

    with _errors():
        cfg = _setup(config, log_level, None)
        rows = _run(manage(cfg, _groups(cfg, groups), action))  # type: ignore[arg-type]
    if as_json:
        _print_json([row.__dict__ for row in rows])
        return
    from rich.table import Table

    table = Table("group", "member", "webhook", "url", "scope", "")
    for row in rows:
        table.add_row(row.group, row.member, row.webhook, row.url, row.scope, row.note)
    out.print(table)


@webhooks_app.command("register")
def webhooks_register(
    groups: GroupsArg = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
) -> None:
    """Register <public_url>/webhooks/<connection> with each member's vendor (idempotent)."""
    _webhooks("register", groups, as_json, config, log_level)


@webhooks_app.command("list")
def webhooks_list(
    groups: GroupsArg = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
) -> None:
    """List the webhooks watching each member's scope, and which deliver to this service."""
    _webhooks("list", groups, as_json, config, log_level)


@webhooks_app.command("remove")
def webhooks_remove(
    groups: GroupsArg = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
) -> None:
    """Remove the registrations that deliver to this service's URL (no others)."""
    _webhooks("remove", groups, as_json, config, log_level)


@app.command()
def status(
    groups: GroupsArg = None,
    verify: Annotated[bool, typer.Option("--verify", help="Check the store's integrity.")] = False,
    release: Annotated[
        list[str] | None,
        typer.Option("--release", help="Lift a quarantine: RECORD_UID.FIELD (repeatable)."),
    ] = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Per group: members, linked records, last run, failures, open conflicts, quarantines."""
    from syncd.clioutput import group_status, print_status

    with _errors():
        cfg = _setup(config, log_level, log_json)
        names = _groups(cfg, groups)
        with _store(cfg) as store:
            for target in release or []:
                uid, _, field = target.rpartition(".")
                freed = [g for g in names if store.release_quarantine(g, uid, field)]
                out.print(
                    f"released {target} in {', '.join(freed)}"
                    if freed
                    else f"{target} is not quarantined"
                )
            rows = [group_status(cfg, store, g) for g in names]
            problems = store.verify() if verify else []
    if as_json:
        _print_json({"groups": rows, "problems": problems if verify else None})
    else:
        print_status(out, rows)
        if verify:
            for problem in problems:
                err.print(f"integrity: {problem}", markup=False)
            out.print("store integrity: " + ("OK" if not problems else f"{len(problems)} problems"))
    if problems:
        raise typer.Exit(1)


@app.command()
def conflicts(
    groups: GroupsArg = None,
    show_all: Annotated[bool, typer.Option("--all", help="Include resolved ones.")] = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """List conflicts: every value each member had, and which one won."""
    from syncd.clioutput import conflict_rows, print_conflicts

    with _errors():
        cfg = _setup(config, log_level, log_json)
        names = _groups(cfg, groups)
        with _store(cfg) as store:
            rows = [r for g in names for r in conflict_rows(store, g, open_only=not show_all)]
    if as_json:
        _print_json(rows)
    else:
        print_conflicts(out, rows)


@app.command()
def history(
    groups: GroupsArg = None,
    run: Annotated[int | None, typer.Option("--run", help="One run, with every change.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many runs.")] = 10,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Runs, newest first, with each change's before and after values."""
    from syncd.clioutput import history_rows, print_history

    with _errors():
        cfg = _setup(config, log_level, log_json)
        names = _groups(cfg, groups)
        with _store(cfg) as store:
            rows = history_rows(store, names, run_id=run, limit=limit)
    if as_json:
        _print_json(rows)
    else:
        print_history(out, rows)


@app.command()
def report(
    group: Annotated[
        str | None, typer.Argument(help="The group (default: the only one).", show_default=False)
    ] = None,
    as_json: JsonOpt = False,
    html_file: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML page to this file."),
    ] = None,
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Project health: milestones at risk, budget against costs, cross-tool problems.

    It reports what was last synced: it reads only the state store and calls no tool, so run
    `syncd sync` first for an up-to-date picture.
    """
    from syncd.report import report_for, to_json
    from syncd.reportterm import render_terminal

    with _errors():
        cfg = _setup(config, log_level, log_json)
        name = _report_group(cfg, group)
        with _store(cfg) as store:
            result = report_for(cfg, store, name)
    if html_file is not None:
        from syncd.reporthtml import render_html

        try:
            html_file.write_text(render_html(result), encoding="utf-8")
        except OSError as exc:
            err.print(f"cannot write {html_file}: {exc.strerror or exc}", markup=False)
            raise typer.Exit(2) from None
    if as_json:
        _print_json(to_json(result))
    else:
        render_terminal(result, out)
    if html_file is not None:
        (err if as_json else out).print(f"wrote {html_file}", markup=False, highlight=False)


def _report_group(config: Config, wanted: str | None) -> str:
    """The group to report on: the one named, else the config's only one."""
    from syncd.errors import ConfigError

    if wanted is not None:
        config.group(wanted)  # an unknown name is a ConfigError that lists the known ones
        return wanted
    if len(config.groups) != 1:
        known = ", ".join(config.groups) or "none"
        raise ConfigError([f"name the group to report on (groups: {known})"])
    return next(iter(config.groups))


@app.command()
def revert(
    run: Annotated[int, typer.Argument(help="The run whose changes to undo.")],
    config: ConfigOpt = None,
    log_level: LogLevelOpt = "",
    log_json: LogJsonOpt = None,
) -> None:
    """Write a run's before values back wherever its after values are still current."""
    from syncd.errors import SyncdError
    from syncd.revert import revert_run

    with _errors():
        cfg = _setup(config, log_level, log_json)
        with _store(cfg) as store:
            info = store.run(run)
            if info is None or info.group not in cfg.groups:
                raise SyncdError(f"no run {run} of a configured group (see `syncd history`)")
            report = _run(revert_run(cfg, store, info.group, run))
    out.print(
        f"run {run}: {report.reverted} records reverted, {report.skipped} changes skipped "
        "(changed again since, or gone)"
    )
    for failure in report.failures:
        err.print(f"failed: {failure}", markup=False)
    if report.failures:
        raise typer.Exit(1)


@app.command()
def demo(
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Keep the tools running (until Ctrl-C) and the files, to go on playing.",
        ),
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Where to put the plan, config and state (default: a new temporary folder).",
            show_default=False,
        ),
    ] = None,
    log_level: LogLevelOpt = "",
) -> None:
    """See syncd work: simulated Jira, Asana and Trello and a Project plan, synced, edited by
    four people (with one conflict), synced again, then the project report. Needs no account
    and no network: everything runs on 127.0.0.1."""
    from syncd.demo import run_demo
    from syncd.logs import configure_logging
    from syncd.redact import default_redactor

    # The demo tells what happens itself; log lines would only interleave with it.
    configure_logging(log_level or "error", False, default_redactor())
    with _errors():
        status = _run(run_demo(out, directory, keep=keep))
    if status:
        raise typer.Exit(status)


def main() -> None:
    """The console script's entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
