"""Runs a Plan through the adapters, journaling every write.

Each member is written independently and concurrently (at most ``concurrency`` requests in
flight per member): creates first, in the plan's order and in waves so that a record is created
after the records it references; then updates; then deletes. Every write is journaled as an
intent before it is sent and completed after, in the same transaction that stores its link and
shadow, so a crash at any point leaves either a pending intent (adopted on the next run) or a
finished write.

A record that fails is recorded and skipped; its base and shadow stay as they were, so the next
run plans it again. A member that fails (``MemberError``) gets no more writes this run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import structlog

from adapters.base import (
    Adapter,
    BulkCreate,
    BulkUpdate,
    CreateItem,
    DeleteMode,
    Observed,
    UpdateItem,
)
from syncd.errors import (
    AdapterError,
    LinkTaken,
    MemberError,
    OutcomeUnknown,
    RecordError,
    Replan,
    SyncdError,
)
from syncd.model import FIELDS, Kind, Values, encode, encode_value, map_refs, references
from syncd.plan import Action, Create, Delete, Plan, Update, fingerprint
from syncd.state import Change, IntentAction, IntentStatus, RecordState, Refusal

log = structlog.get_logger("syncd.apply")
_A = TypeVar("_A", Create, Update)
BATCH = 50  # records per bulk call (Jira bulk create takes 50; Asana batches take 10 actions)


class Journal(Protocol):
    """The part of the state store that apply needs."""

    def add_intent(
        self,
        group: str,
        run_id: int,
        member: str,
        uid: str,
        kind: Kind,
        action: IntentAction,
        payload: dict[str, Any],
    ) -> int: ...

    def complete_intent(
        self,
        intent_id: int,
        *,
        group: str,
        uid: str,
        member: str,
        external_id: str | None,
        shadow: Values | None,
        kind: Kind,
    ) -> None: ...

    def set_intent_status(
        self, intent_id: int, status: IntentStatus, error: str | None = None
    ) -> None: ...


@dataclass(frozen=True)
class Failure:
    """One write that did not happen, and why."""

    member: str
    uid: str
    action: str
    error: str
    error_class: str


@dataclass
class ApplyResult:
    """What apply did, per member."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unlinked: set[tuple[str, str]] = field(default_factory=set)  # (uid, member) deleted there
    # Values members refused, and refusals a write cleared, by (uid, member, field).
    refused: dict[tuple[str, str, str], Refusal] = field(default_factory=dict)
    cleared: set[tuple[str, str, str]] = field(default_factory=set)
    replan: set[str] = field(default_factory=set)  # members whose data changed under the run

    @property
    def writes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.deleted.values())


class _MemberDown(Exception):
    """Raised inside a member's writes to stop them after a MemberError."""


@dataclass
class _Context:
    group: str
    run_id: int
    journal: Journal
    records: Mapping[str, RecordState]  # the state after the plan's observations were accounted
    links: dict[str, dict[str, str]]  # member -> uid -> external id (grows as creates succeed)
    back: dict[str, dict[str, str]]  # member -> external id -> uid (the same links, reversed)
    result: ApplyResult
    settled: set[tuple[str, str, str]] = field(default_factory=set)  # (member, uid, verb) done


async def apply(
    plan: Plan,
    adapters: Mapping[str, Adapter],
    journal: Journal,
    *,
    run_id: int,
    records: Mapping[str, RecordState],
    concurrency: Mapping[str, int] | None = None,
) -> ApplyResult:
    """Write a plan to its members.

    Args:
        plan: what to write.
        adapters: open adapters by member name.
        journal: the state store.
        run_id: the run the writes belong to.
        records: every record's state after the plan's observations (store and plan.records).
        concurrency: requests in flight per member (default 4).

    Returns:
        Counts, failures and the written changes.
    """
    links: dict[str, dict[str, str]] = {name: {} for name in adapters}
    for rec in records.values():
        for name, link in rec.links.items():
            if name in links and not link.tombstone:
                links[name][rec.uid] = link.external_id
    back = {name: {ext: uid for uid, ext in known.items()} for name, known in links.items()}
    ctx = _Context(plan.group, run_id, journal, records, links, back, ApplyResult())
    by_member: dict[str, list[Action]] = {name: [] for name in adapters}
    for action in plan.actions:
        if action.member in by_member:
            by_member[action.member].append(action)
    limits = concurrency or {}
    await asyncio.gather(
        *(
            _apply_member(ctx, adapters[name], actions, limits.get(name, 4))
            for name, actions in by_member.items()
            if actions
        )
    )
    return ctx.result


async def _apply_member(ctx: _Context, adapter: Adapter, actions: list[Action], limit: int) -> None:
    creates = [a for a in actions if isinstance(a, Create)]
    updates = [a for a in actions if isinstance(a, Update)]
    deletes = [a for a in actions if isinstance(a, Delete)]
    gate = _Gate(asyncio.Semaphore(limit))
    try:
        for wave in _waves(creates):
            await _run_creates(ctx, adapter, wave, gate)
        await _run_updates(ctx, adapter, updates, gate)
        await _gather(gate, [partial(_delete, ctx, adapter, d) for d in deletes])
    except _MemberDown:
        for action in actions:
            if _key(action) not in ctx.settled:
                _fail(ctx, action, MemberError("member unavailable", member=action.member))


@dataclass
class _Gate:
    """Bounds a member's writes in flight, and stops them once the member is down."""

    slots: asyncio.Semaphore
    down: bool = False

    def check(self) -> None:
        if self.down:
            raise _MemberDown


async def _gather(gate: _Gate, jobs: Sequence[Callable[[], Awaitable[None]]]) -> None:
    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with gate.slots:
            # Yield between writes: adapters on files or memory never wait on the network, and
            # the service's listener (probes, webhooks) and other groups must not stall.
            await asyncio.sleep(0)
            if gate.down:
                return  # settled as failed by the caller
            try:
                await job()
            except _MemberDown:
                gate.down = True
                raise

    outcomes = await asyncio.gather(*(run(job) for job in jobs), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


def _key(action: Action) -> tuple[str, str, str]:
    return (action.member, action.uid, _verb(action))


def _waves(creates: list[Create]) -> list[list[Create]]:
    """Split the ordered creates where one references a record created in the same wave."""
    waves: list[list[Create]] = []
    current: list[Create] = []
    in_wave: set[str] = set()
    for create in creates:
        if references(create.kind, create.values) & in_wave:
            waves.append(current)
            current, in_wave = [], set()
        current.append(create)
        in_wave.add(create.uid)
    if current:
        waves.append(current)
    return waves


# --- creates ------------------------------------------------------------------------------------


async def _run_creates(ctx: _Context, adapter: Adapter, wave: list[Create], gate: _Gate) -> None:
    if isinstance(adapter, BulkCreate) and len(wave) > 1:
        for start in range(0, len(wave), BATCH):
            gate.check()
            await _create_batch(ctx, adapter, wave[start : start + BATCH])
        return
    await _gather(gate, [partial(_create, ctx, adapter, c) for c in wave])


async def _create(ctx: _Context, adapter: Adapter, action: Create) -> None:
    values = _outbound(ctx, action.member, action.kind, action.values)
    intent = _intend(ctx, action, "create", encode(action.kind, values))
    try:
        observed = await adapter.create(action.kind, values, uid=action.uid)
    except AdapterError as exc:
        _failed_write(ctx, action, intent, exc)
        return
    _created(ctx, action, intent, values, observed)


async def _create_batch(ctx: _Context, adapter: BulkCreate, batch: list[Create]) -> None:
    sent = [_outbound(ctx, c.member, c.kind, c.values) for c in batch]
    items = [CreateItem(c.kind, c.uid, v) for c, v in zip(batch, sent, strict=True)]
    await _send_batch(ctx, "create", batch, sent, partial(adapter.create_many, items), _created)


async def _send_batch(
    ctx: _Context,
    verb: IntentAction,
    actions: Sequence[_A],
    sent: Sequence[Values],
    call: Callable[[], Awaitable[list[Observed | RecordError]]],
    done: Callable[[_Context, _A, int, Values, Observed], None],
) -> None:
    """Journal a batch, send it in one call, and settle each item by its own outcome."""
    intents = [_intend(ctx, a, verb, encode(a.kind, v)) for a, v in zip(actions, sent, strict=True)]
    try:
        results = await call()
    except AdapterError as exc:
        for action, intent in zip(actions, intents, strict=True):
            _failed_write(ctx, action, intent, exc, stop=False)
        if isinstance(exc, MemberError):
            raise _MemberDown from exc
        return
    for action, intent, values, outcome in zip(actions, intents, sent, results, strict=True):
        if isinstance(outcome, RecordError):
            _failed_write(ctx, action, intent, outcome)
        else:
            done(ctx, action, intent, values, outcome)


def _created(ctx: _Context, action: Create, intent: int, sent: Values, observed: Observed) -> None:
    member = action.member
    shadow = _inbound(ctx, member, observed)
    written = _canonical_sent(action.values, _written(sent, observed))
    _keep_sent_where_altered(shadow, written, action.uid, member)
    try:
        ctx.journal.complete_intent(
            intent,
            group=ctx.group,
            uid=action.uid,
            member=member,
            external_id=observed.external_id,
            shadow=shadow,
            kind=action.kind,
        )
    except LinkTaken as exc:
        # The system gave the new record the id of one still linked to another record (a
        # plan's task UID, freed by a deletion syncd has not seen yet, taken again). This
        # record fails, not the run; its intent stays pending, so the next run reads the
        # member completely, sees the deletion, and adopts the record by its marker.
        _fail(ctx, action, RecordError(str(exc), member=member, external_id=observed.external_id))
        return
    ctx.links[member][action.uid] = observed.external_id
    ctx.back[member][observed.external_id] = action.uid
    _report_unwritten(ctx, action, observed, written)
    ctx.result.created[member] += 1
    ctx.settled.add(_key(action))
    title = action.values.get("title")
    ctx.result.changes.append(
        Change(action.uid, member, "@record", None, title or observed.external_id, "written")
    )
    log.info(
        "sync.action.applied",
        member=member,
        action="create",
        uid=action.uid,
        external_id=observed.external_id,
    )


# --- updates ------------------------------------------------------------------------------------


async def _run_updates(ctx: _Context, adapter: Adapter, updates: list[Update], gate: _Gate) -> None:
    if isinstance(adapter, BulkUpdate) and len(updates) > 1:
        for start in range(0, len(updates), BATCH):
            gate.check()
            await _update_batch(ctx, adapter, updates[start : start + BATCH])
        return
    await _gather(gate, [partial(_update, ctx, adapter, u) for u in updates])


async def _update(ctx: _Context, adapter: Adapter, action: Update) -> None:
    changes = _outbound(ctx, action.member, action.kind, action.changes)
    if not changes:
        ctx.settled.add(_key(action))
        return  # every change pointed to a record that could not be created: next run
    intent = _intend(ctx, action, "update", encode(action.kind, changes))
    try:
        observed = await adapter.update(action.kind, action.external_id, changes)
    except AdapterError as exc:
        _failed_write(ctx, action, intent, exc)
        return
    _updated(ctx, action, intent, changes, observed)


async def _update_batch(ctx: _Context, adapter: BulkUpdate, batch: list[Update]) -> None:
    todo: list[Update] = []
    sent: list[Values] = []
    for update in batch:
        changes = _outbound(ctx, update.member, update.kind, update.changes)
        if changes:
            todo.append(update)
            sent.append(changes)
        else:
            ctx.settled.add(_key(update))  # nothing sendable yet: next run
    items = [UpdateItem(u.kind, u.external_id, c) for u, c in zip(todo, sent, strict=True)]
    await _send_batch(ctx, "update", todo, sent, partial(adapter.update_many, items), _updated)


def _updated(ctx: _Context, action: Update, intent: int, sent: Values, observed: Observed) -> None:
    member = action.member
    returned = _inbound(ctx, member, observed)
    # Only the written fields take the returned values: a field someone else changed meanwhile
    # must still differ from the shadow next run, or their edit would be taken for our echo.
    shadow = dict(ctx.records[action.uid].links[member].shadow)
    for name in sent:
        if name in returned:
            shadow[name] = returned[name]
    written = _canonical_sent(action.changes, _written(sent, observed))
    ignored = _not_taken(returned, written, action.before)
    for name in ignored:
        del written[name]
    _keep_sent_where_altered(shadow, written, action.uid, member)
    _report_unwritten(ctx, action, observed, written)
    ctx.journal.complete_intent(
        intent,
        group=ctx.group,
        uid=action.uid,
        member=member,
        external_id=action.external_id,
        shadow=shadow,
        kind=action.kind,
    )
    if ignored:
        fields = ", ".join(sorted(ignored))
        _fail(
            ctx,
            action,
            RecordError(
                f"the write was answered as done, but {fields} still "
                "held the previous value; it is sent again next run"
            ),
        )
    ctx.result.updated[member] += 1
    ctx.settled.add(_key(action))
    specs = FIELDS[action.kind]
    for name, value in written.items():
        before = encode_value(specs[name], action.before.get(name))
        after = encode_value(specs[name], shadow.get(name, value))
        ctx.result.changes.append(Change(action.uid, member, name, before, after, "written"))
    log.info(
        "sync.action.applied", member=member, action="update", uid=action.uid, fields=sorted(sent)
    )


# --- deletes ------------------------------------------------------------------------------------


async def _delete(ctx: _Context, adapter: Adapter, action: Delete) -> None:
    intent = _intend(ctx, action, "delete", {"mode": action.mode})
    try:
        await adapter.delete(action.kind, action.external_id, action.mode)
    except AdapterError as exc:
        _failed_write(ctx, action, intent, exc)
        return
    ctx.journal.complete_intent(
        intent,
        group=ctx.group,
        uid=action.uid,
        member=action.member,
        external_id=None,
        shadow=None,
        kind=action.kind,
    )
    ctx.links[action.member].pop(action.uid, None)
    ctx.back[action.member].pop(action.external_id, None)
    ctx.result.deleted[action.member] += 1
    ctx.settled.add(_key(action))
    ctx.result.unlinked.add((action.uid, action.member))
    verb: DeleteMode = action.mode
    ctx.result.changes.append(
        Change(action.uid, action.member, "@record", "present", verb, "written")
    )
    log.info(
        "sync.action.applied",
        member=action.member,
        action=verb,
        uid=action.uid,
        external_id=action.external_id,
    )


# --- shared steps -------------------------------------------------------------------------------


def _verb(action: Action) -> str:
    return {Create: "create", Update: "update", Delete: "delete"}[type(action)]


def _intend(ctx: _Context, action: Action, verb: IntentAction, payload: dict[str, Any]) -> int:
    return ctx.journal.add_intent(
        ctx.group, ctx.run_id, action.member, action.uid, action.kind, verb, payload
    )


def _failed_write(
    ctx: _Context, action: Action, intent: int, exc: AdapterError, *, stop: bool = True
) -> None:
    if isinstance(exc, OutcomeUnknown) and isinstance(action, Create):
        # The record may exist now. Its intent stays pending: the next run reads the member
        # completely and adopts it (marker, else kind and title) before creating it again.
        # Marked failed, a Trello card (no markers) that did land would be read as a new
        # record and copied back everywhere, and created once more.
        log.warning("sync.create.unsure", member=action.member, uid=action.uid, error=str(exc))
    else:
        ctx.journal.set_intent_status(intent, "failed", str(exc))
    _fail(ctx, action, exc)
    if stop and isinstance(exc, MemberError):
        raise _MemberDown from exc


def _fail(ctx: _Context, action: Action, exc: SyncdError) -> None:
    ctx.settled.add(_key(action))
    if isinstance(exc, Replan):
        ctx.result.replan.add(action.member)
    ctx.result.failures.append(
        Failure(action.member, action.uid, _verb(action), str(exc), type(exc).__name__)
    )
    log.warning(
        "sync.action.failed",
        member=action.member,
        action=_verb(action),
        uid=action.uid,
        error=str(exc),
        error_class=type(exc).__name__,
    )


def _outbound(ctx: _Context, member: str, kind: Kind, values: Values) -> Values:
    """Values with references as the member's external ids; unresolvable ones left out."""
    return map_refs(kind, values, ctx.links[member])


def _inbound(ctx: _Context, member: str, observed: Observed) -> Values:
    """A returned record's values with references as uids; unresolvable ones left out."""
    return map_refs(observed.kind, observed.values, ctx.back[member])


def _canonical_sent(planned: Values, sent: Values) -> Values:
    """The planned (canonical) values of the fields that were actually sent."""
    return {name: planned[name] for name in sent}


def _written(sent: Values, observed: Observed) -> Values:
    """The sent fields the system took (it may refuse some and keep the rest of a write)."""
    if not observed.unwritten:
        return sent
    return {name: value for name, value in sent.items() if name not in observed.unwritten}


def _report_unwritten(
    ctx: _Context, action: Create | Update, observed: Observed, written: Values
) -> None:
    """Remember the values a system refused to hold. The shadow keeps what it holds, so the
    refusal is never taken for its own edit (nothing is cleared elsewhere); the planner does
    not send the same value there again until a full read of it (``plan._refused``), so a
    value a tool cannot represent does not fail every run. A field written clears its
    earlier refusal."""
    planned = action.values if isinstance(action, Create) else action.changes
    for name in written:
        ctx.result.cleared.add((action.uid, action.member, name))
    for name, why in sorted(observed.unwritten.items()):
        value = fingerprint(action.kind, name, planned.get(name))
        ctx.result.refused[(action.uid, action.member, name)] = Refusal(value, why)
        log.warning(
            "sync.write.refused",
            member=action.member,
            action=_verb(action),
            uid=action.uid,
            field=name,
            reason=why,
        )


def _not_taken(returned: Values, written: Values, before: Values) -> set[str]:
    """The written fields the system still holds at the value it had before the write.

    The write was answered as done (a proxy garbled the answer, a vendor dropped a field
    without saying so), but it did not happen. The shadow keeps what the member really holds,
    so the next run plans the write again, instead of remembering a value it never took.
    """
    return {
        name
        for name, value in written.items()
        if name in returned
        and name in before
        and returned[name] != value
        and returned[name] == before[name]
    }


def _keep_sent_where_altered(shadow: Values, sent: Values, uid: str, member: str) -> None:
    """Where the system stored something else than we sent, remember what we sent.

    The next read then shows the member "changed" the field to what it really holds, and the
    group adopts that value, instead of rewriting ours forever.
    """
    for name, value in sent.items():
        if name in shadow and shadow[name] != value:
            log.info("sync.write.altered", uid=uid, member=member, field=name)
            shadow[name] = value
