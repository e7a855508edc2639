"""One sync of one group: read every member, plan, remember, write, record the run.

The order is what makes a crash at any point safe:

1. the run is recorded as ``running`` (a later run marks it ``crashed`` if it never ends);
2. every member is read (concurrently); a member that fails is left out of this run whole;
3. the pure planner decides;
4. the observations are accounted for in ONE transaction: new records, links, the group's base,
   each member's shadow, cursors, conflicts and observed changes;
5. the writes go out, each journaled before it is sent and completed after;
6. records deleted everywhere are forgotten, and the run is closed with its summary.

A crash after (4) replays nothing twice: members already written read back as holding the base.
A crash between an intent and its completion leaves a pending intent that the next run settles
by adopting the record (marker, else kind and title) before it would create it again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from adapters.base import Adapter, Observation
from syncd.apply import ApplyResult, Journal, apply
from syncd.errors import SimulatedCrash
from syncd.plan import MemberView, Plan, Policy, plan
from syncd.state import (
    Change,
    Conflict,
    CursorState,
    FieldTrail,
    GroupState,
    RecordState,
    Refusal,
    RunStatus,
)

log = structlog.get_logger("syncd.engine")


class StateStore(Journal, Protocol):
    """The state store as the engine uses it."""

    def load_group(self, group: str) -> GroupState: ...

    def begin_run(self, group: str) -> tuple[int, int]: ...

    def finish_run(self, run_id: int, status: RunStatus, summary: Mapping[str, Any]) -> None: ...

    def commit_observed(
        self,
        group: str,
        records: list[RecordState],
        cursors: Mapping[str, CursorState],
        changes: list[Change] = ...,
        conflicts: list[Conflict] = ...,
        trails: Mapping[tuple[str, str], FieldTrail] = ...,
        run_id: int | None = None,
    ) -> None: ...

    def record_changes(self, group: str, run_id: int, changes: list[Change]) -> None: ...

    def forget_records(self, group: str, uids: Iterable[str]) -> int: ...

    def save_refusals(
        self,
        group: str,
        refused: Mapping[tuple[str, str, str], Refusal],
        cleared: Iterable[tuple[str, str, str]] = ...,
    ) -> None: ...


@dataclass
class RunReport:
    """What one sync of a group saw and did."""

    group: str
    plan: Plan
    run_id: int | None = None
    result: ApplyResult = field(default_factory=ApplyResult)
    member_errors: dict[str, str] = field(default_factory=dict)
    read_errors: dict[str, list[str]] = field(default_factory=dict)  # member -> records

    @property
    def status(self) -> RunStatus:
        """``ok``, or ``partial`` when a member or a record failed."""
        failed = self.member_errors or self.result.failures or self.read_errors
        return "partial" if failed else "ok"

    def summary(self) -> dict[str, Any]:
        """The run's figures, as stored with the run and shown by the CLI."""
        result = self.result
        return {
            "created": dict(result.created),
            "updated": dict(result.updated),
            "deleted": dict(result.deleted),
            "failures": len(result.failures),
            "refused": dict(Counter(member for _, member, _ in result.refused)),
            "conflicts": len(self.plan.conflicts),
            "linked": self.plan.links_made,
            "member_errors": self.member_errors,
            "read_errors": {m: len(e) for m, e in self.read_errors.items()},
            "notices": [n.message for n in self.plan.notices],
        }


REPLANS = 2  # times a group is read and planned again in one sync after a Replan


@dataclass(frozen=True)
class SyncOptions:
    """How to run one sync."""

    full: bool = False  # read every member completely (detects deletions)
    dry_run: bool = False  # plan only: nothing is written anywhere, the store included
    full_resync: dt.timedelta | None = None  # read completely when the last full read is older
    new_uid: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))


async def sync_group(
    store: StateStore,
    group: str,
    adapters: Mapping[str, Adapter],
    policy: Policy,
    options: SyncOptions | None = None,
    *,
    concurrency: Mapping[str, int] | None = None,
) -> RunReport:
    """Sync one group once. The adapters must already be open (``async with``).

    Args:
        store: the state store.
        group: the group's name.
        adapters: every member's adapter, in the config's member order.
        policy: the group's rules.
        options: full read, dry run, clock and uid makers.
        concurrency: requests in flight per member.

    Returns:
        The plan and what applying it did (of the last run, when a member's data changed
        under a run and the group was read and planned again: see ``Replan``).
    """
    options = options or SyncOptions()
    report = await _sync_once(store, group, adapters, policy, options, concurrency)
    for attempt in range(1, REPLANS + 1):
        if options.dry_run or not report.result.replan:
            break
        log.info("sync.replan", members=sorted(report.result.replan), attempt=attempt)
        report = await _sync_once(store, group, adapters, policy, options, concurrency)
    return report


async def _sync_once(
    store: StateStore,
    group: str,
    adapters: Mapping[str, Adapter],
    policy: Policy,
    options: SyncOptions,
    concurrency: Mapping[str, int] | None,
) -> RunReport:
    """One run: read every member, plan, apply, record."""
    state = store.load_group(group)
    structlog.contextvars.bind_contextvars(group=group)
    run_id = None if options.dry_run else store.begin_run(group)[0]
    if run_id is not None:
        structlog.contextvars.bind_contextvars(run_id=run_id)
    try:
        views, errors = await _observe(state, adapters, options)
        report = RunReport(group, plan(state, views.values(), policy, options.new_uid), run_id)
        report.member_errors = errors
        report.read_errors = _read_errors(views)
        for notice in report.plan.notices:
            log.warning("sync.notice", code=notice.code, message=notice.message)
        if run_id is None:
            return report
        _remember(store, state, report.plan, views, options, run_id)
        records = {**state.records, **report.plan.records}
        report.result = await apply(
            report.plan, adapters, store, run_id=run_id, records=records, concurrency=concurrency
        )
        store.record_changes(group, run_id, report.result.changes)
        if report.result.refused or report.result.cleared:
            store.save_refusals(group, report.result.refused, report.result.cleared)
        store.forget_records(group, _gone_everywhere(report.plan, report.result, adapters))
        store.finish_run(run_id, report.status, report.summary())
        log.info("sync.run.finished", status=report.status, writes=report.result.writes)
        return report
    except SimulatedCrash:
        raise  # stands for a killed process: nothing more may happen
    except Exception:
        if run_id is not None:
            store.finish_run(run_id, "failed", {})
        raise
    finally:
        structlog.contextvars.unbind_contextvars("group", "run_id")


async def _observe(
    state: GroupState, adapters: Mapping[str, Adapter], options: SyncOptions
) -> tuple[dict[str, MemberView], dict[str, str]]:
    """Read every member at once; a member that fails is left out of this run."""
    names = list(adapters)
    cursors = {name: _cursor_for(state, name, options) for name in names}
    outcomes = await asyncio.gather(
        *(adapters[name].fetch(cursors[name]) for name in names), return_exceptions=True
    )
    views: dict[str, MemberView] = {}
    errors: dict[str, str] = {}
    for name, outcome in zip(names, outcomes, strict=True):
        if isinstance(outcome, SimulatedCrash):
            raise outcome
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, Exception):
                raise outcome
            errors[name] = f"{type(outcome).__name__}: {outcome}"
            log.warning("sync.member.unreadable", member=name, error=errors[name])
            observation: Observation | None = None
        else:
            observation = outcome
        adapter = adapters[name]
        views[name] = MemberView(
            name=name,
            capabilities=adapter.capabilities,
            observation=observation,
            first_sync=_first_sync(state.cursors.get(name)),
            admits=adapter.admits,
        )
    return views, errors


def _first_sync(saved: CursorState | None) -> bool:
    """Whether the member was never read successfully (its records may match existing ones)."""
    return saved is None or (saved.cursor is None and saved.last_full_sync is None)


def _cursor_for(state: GroupState, member: str, options: SyncOptions) -> str | None:
    """The member's cursor, or None when this read must be complete."""
    saved = state.cursors.get(member)
    if options.full or saved is None or saved.cursor is None:
        return None
    if any(i.member == member and i.action == "create" for i in state.pending):
        return None  # settling a create that may have landed needs a complete listing
    if options.full_resync is not None:
        last = saved.last_full_sync
        if last is None or options.now() - last >= options.full_resync:
            return None
    return saved.cursor


def _read_errors(views: Mapping[str, MemberView]) -> dict[str, list[str]]:
    return {
        name: [f"{e.external_id}: {e}" for e in view.observation.errors]
        for name, view in views.items()
        if view.observation is not None and view.observation.errors
    }


def _remember(
    store: StateStore,
    state: GroupState,
    the_plan: Plan,
    views: Mapping[str, MemberView],
    options: SyncOptions,
    run_id: int,
) -> None:
    """Account for what was read, in one transaction, before anything is written."""
    cursors: dict[str, CursorState] = {}
    now = options.now()
    for name, view in views.items():
        obs = view.observation
        if obs is None:
            continue
        old = state.cursors.get(name, CursorState())
        # A listing with records that failed to parse keeps its old cursor, so they are read
        # again next time instead of being skipped for good.
        cursor = old.cursor if obs.errors else obs.cursor
        full = now if obs.complete else old.last_full_sync
        cursors[name] = CursorState(cursor, full)
    store.commit_observed(
        state.group,
        list(the_plan.records.values()),
        cursors,
        the_plan.changes,
        the_plan.conflicts,
        the_plan.trails,
        run_id=run_id,
    )
    for intent_id, status in the_plan.settled.items():
        store.set_intent_status(intent_id, status)


def _gone_everywhere(
    the_plan: Plan, result: ApplyResult, adapters: Mapping[str, Adapter]
) -> list[str]:
    """Deleted records that no configured member holds any more."""
    gone = []
    for uid, rec in the_plan.records.items():
        if not rec.deleted:
            continue
        left = [
            m
            for m, link in rec.links.items()
            if not link.tombstone and m in adapters and (uid, m) not in result.unlinked
        ]
        if not left:
            gone.append(uid)
    return gone
