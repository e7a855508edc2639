"""The Microsoft Project adapter: one MSPDI file (or one summary task's subtree) as a member.

The file is the project manager's system of record, so every write is a whole new version of
the file: parsed, changed in memory, checked to be unchanged on disk since it was read, written
atomically with the previous version kept as a backup. If the person saved the file meanwhile,
the write is refused (``FileChanged``, a ``Replan``): the engine reads the file again and
re-plans at once, so their work is never overwritten. A batch is one file write.

Incremental listing: the cursor keeps the file's hash and a short fingerprint per record; a
poll of an unchanged file costs one read and no parse.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from adapters.base import (
    AdapterContext,
    Capabilities,
    CheckResult,
    CreateItem,
    DeleteMode,
    KindCapability,
    Observation,
    Observed,
    Problem,
    UpdateItem,
    WebhookRequest,
    only,
)
from adapters.msproject import edits, mapping, xmldoc
from adapters.msproject.config import MSProjectConnection, MSProjectMember
from adapters.msproject.files import FileChanged, LocalPlanFile, PlanFile, Snapshot
from adapters.msproject.schedule import Schedule
from syncd.errors import (
    AdapterError,
    MemberError,
    PayloadError,
    RecordError,
    RecordNotFound,
    Unsupported,
)
from syncd.model import Kind, Values, encode

T = TypeVar("T", CreateItem, UpdateItem)

_BUDGET = KindCapability(
    read=frozenset({"planned", "actual", "currency"}), write=frozenset({"planned"})
)


def capabilities(read_only: bool) -> Capabilities:
    """What a plan file can hold (nothing is written to a read-only ``.mpp`` member)."""
    kinds: dict[Kind, KindCapability] = {
        "task": KindCapability(read=mapping.TASK_FIELDS, write=mapping.TASK_FIELDS),
        "milestone": KindCapability(read=mapping.MILESTONE_FIELDS, write=mapping.MILESTONE_FIELDS),
        "budget": _BUDGET,
    }
    if read_only:
        kinds = {k: KindCapability(read=c.read, write=frozenset()) for k, c in kinds.items()}
    return Capabilities(kinds=kinds, markers=not read_only)


class MSProjectAdapter:
    """One plan file in a group."""

    def __init__(
        self,
        connection: MSProjectConnection,
        member: MSProjectMember,
        context: AdapterContext,
        file: PlanFile | None = None,
        clock: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self.name = context.member
        self.settings = member
        self.context = context
        self.file: PlanFile = file or LocalPlanFile(
            member.path, backup_suffix=member.backup_suffix, max_bytes=member.max_bytes
        )
        self.clock = clock  # local wall time, for CreateDate (Project writes local times)
        self.capabilities = capabilities(member.read_only)
        self.writes = 0  # file versions written (for tests and benchmarks)
        self._snapshot: Snapshot | None = None
        self._site: mapping.Site | None = None
        self._highest_uid = 0  # the highest task UID the plan had, as far as we have read it
        where = Path(self.file.name)
        self._file_url = where.as_uri() if where.is_absolute() else self.file.name

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._site = None

    # -- reading --------------------------------------------------------------------------------

    async def check(self) -> CheckResult:
        """Report a file that cannot be read, parsed or written, and a currency mismatch."""
        result = CheckResult(info={"file": self.file.name})
        if self.settings.read_only:
            from adapters.msproject import mpp

            problem = mpp.java_problem()
            if problem:
                result.problems.append(Problem(problem, fix="save the plan as XML (MSPDI)"))
                return result
            result.info["mode"] = "read-only (binary project file, read through MPXJ)"
        try:
            site = await self._load(fresh=True)
        except AdapterError as exc:
            result.problems.append(Problem(str(exc), fix="check the member's path"))
            return result
        result.info["tasks"] = str(len(site.records()))
        currency = (site.schedule.header("CurrencyCode") or "").strip().upper()
        result.info["currency"] = currency or "(not set in the file)"
        if not site.costs:
            result.problems.append(
                Problem(
                    f"the plan's currency is {currency}, the group's is {self.context.currency}:"
                    " costs are not synced",
                    fix="set the group's currency to the plan's, or change the plan's currency",
                )
            )
        result.problems.extend(_unknown_people(site, self.name))
        if not self.settings.read_only:
            why = await asyncio.to_thread(self.file.writable_problem)
            if why:
                result.problems.append(Problem(why, fix="give syncd write access to the file"))
        return result

    async def fetch(self, cursor: str | None) -> Observation:
        """List the plan's records (those changed since ``cursor``, when given)."""
        previous = _decode_cursor(cursor)
        snapshot = await self._read()
        if previous and previous.get("version") == snapshot.version:
            return Observation([], cursor, complete=False)
        site = self._parse(snapshot)
        records: list[Observed] = []
        errors: list[RecordError] = []
        for uid, kind in site.records():
            try:
                records.append(self._observed(site, uid, kind))
            except PayloadError as exc:
                exc.member = self.name
                errors.append(exc)
        budget = self._budget(site)
        if budget is not None:
            records.append(budget)
        seen = {r.external_id: _fingerprint(r) for r in records}
        old = _seen(previous)
        self._highest_uid = max(self._highest_uid, _highest(seen), _highest(old or {}))
        # Only what changed since the cursor, unless a task is gone: the whole file is read
        # anyway, so its complete listing costs nothing and shows the deletion now (found by
        # the fault suite: an incremental read never vouched for an absence, so a task deleted
        # in Project stayed linked until the next full read, and its UID, reused by Project
        # or by a new task, was taken for the deleted task).
        vanished = old is not None and not set(old) <= set(seen)
        if old is not None and not vanished:
            records = [r for r in records if old.get(r.external_id) != seen[r.external_id]]
        new_cursor = json.dumps({"version": snapshot.version, "seen": seen}, sort_keys=True)
        return Observation(records, new_cursor, complete=old is None or vanished, errors=errors)

    def _observed(self, site: mapping.Site, uid: int, kind: Kind) -> Observed:
        values = mapping.read(site, uid, kind)
        element = site.schedule.nodes[uid].element
        return Observed(
            kind,
            str(uid),
            values,
            modified_at=self._saved_at(site),
            url=f"{self._file_url}#UID={uid}",
            marker=site.schedule.marker(element),
        )

    def _budget(self, site: mapping.Site) -> Observed | None:
        found = mapping.read_budget(site)
        if found is None:
            return None
        external_id, values = found
        return Observed("budget", external_id, values, modified_at=self._saved_at(site))

    def _saved_at(self, site: mapping.Site) -> dt.datetime | None:
        # LastSaved is Project's own save time, local and without a zone.
        raw = site.schedule.header("LastSaved")
        try:
            saved = dt.datetime.fromisoformat(raw.strip()) if raw else None
        except ValueError:
            return None
        if saved is None:
            return None
        return saved.replace(tzinfo=self.context.timezone).astimezone(dt.UTC)

    # -- writing --------------------------------------------------------------------------------

    async def create(self, kind: Kind, values: Values, *, uid: str) -> Observed:
        """Add a task or milestone (with ``uid`` kept in the uid field)."""
        return only(await self.create_many([CreateItem(kind, uid, values)]))

    async def create_many(self, items: Sequence[CreateItem]) -> list[Observed | RecordError]:
        """Add several records in one new version of the file."""
        self._writable()
        now = self.clock().replace(microsecond=0, tzinfo=None)

        def make(site: mapping.Site, item: CreateItem) -> tuple[int, dict[str, str]]:
            if item.kind == "budget":
                raise RecordError(
                    "the plan has no budget: add a budget cost resource in Project "
                    "(Resource Information: Budget) and assign it to the project summary task"
                )
            edits.check_refs(site, None, item.kind, item.values)
            uid, edit = edits.create(site, item.kind, item.values, item.uid, now)
            return uid, edit.unwritten

        return await self._edit(items, make)

    async def update(self, kind: Kind, external_id: str, changes: Values) -> Observed:
        """Change fields of a task, milestone or the budget."""
        return only(await self.update_many([UpdateItem(kind, external_id, changes)]))

    async def update_many(self, items: Sequence[UpdateItem]) -> list[Observed | RecordError]:
        """Change several records in one new version of the file."""
        self._writable()

        def change(site: mapping.Site, item: UpdateItem) -> tuple[int, dict[str, str]]:
            if item.kind == "budget":
                found = mapping.read_budget(site)
                if found is None or found[0] != item.external_id:
                    raise RecordNotFound(f"budget {item.external_id} is not in the plan")
                return -1, edits.write_budget(site, item.changes).unwritten
            uid = self._task_uid(site, item.kind, item.external_id)
            edits.check_refs(site, uid, item.kind, item.changes)
            return uid, edits.write(site, uid, item.kind, item.changes).unwritten

        return await self._edit(items, change)

    async def delete(self, kind: Kind, external_id: str, mode: DeleteMode) -> None:
        """Archive (``Active`` 0) or remove a task; one already gone is fine."""
        self._writable()
        site = await self._load()
        try:
            uid = self._task_uid(site, kind, external_id)
        except RecordNotFound:
            return
        if mode == "archive":
            node = site.schedule.nodes[uid]
            site.schedule.doc.set_text(node.element, "Active", "0", "Task")
            node.classify()
            site.schedule.generation += 1
        else:
            site.schedule.remove_task(uid)
        await self._save(site)

    def admits(self, kind: Kind, values: Values) -> bool:
        """Every task and milestone belongs in the plan (the budget only if it has one)."""
        return kind in ("task", "milestone")

    def webhook(self, request: WebhookRequest) -> list[str] | None:
        """A file sends no webhooks: the service polls it (one read of an unchanged file)."""
        return None

    # -- the file -------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.settings.read_only:
            raise Unsupported(
                f"{self.file.name} is a binary project file: syncd only reads it",
                member=self.name,
            )

    def _task_uid(self, site: mapping.Site, kind: Kind, external_id: str) -> int:
        records = dict(site.records())
        try:
            uid = int(external_id)
        except ValueError:
            uid = -1
        if records.get(uid) != kind:
            raise RecordNotFound(
                f"{kind} {external_id} is not in {self.file.name}", external_id=external_id
            )
        return uid

    async def _edit(
        self,
        items: Sequence[T],
        step: Callable[[mapping.Site, T], tuple[int, dict[str, str]]],
    ) -> list[Observed | RecordError]:
        """Apply ``step`` to each item on the current file, then write it once."""
        site = await self._load()
        start: bytes | None = None  # the document before the batch, made on first need
        done: list[tuple[int, Kind, dict[str, str]] | RecordError] = []
        kept: list[T] = []
        for item in items:
            try:
                if start is None and len(items) > 1:
                    start = site.schedule.doc.to_bytes()
                uid, unwritten = step(site, item)
                done.append((uid, item.kind, unwritten))
                kept.append(item)
            except RecordError as exc:
                exc.member = self.name
                done.append(exc)
                # Nothing of a failed item may reach the file: start again from the document
                # before the batch and redo the items that succeeded (they do the same again).
                site = self._restore(start if start is not None else self._snapshot_bytes())
                for again in kept:
                    step(site, again)
            except BaseException:
                self._site = None  # never write a half-made edit later: re-read instead
                raise
        await self._save(site)
        return [self._result(site, entry) for entry in done]

    def _result(
        self, site: mapping.Site, entry: tuple[int, Kind, dict[str, str]] | RecordError
    ) -> Observed | RecordError:
        if isinstance(entry, RecordError):
            return entry
        uid, kind, unwritten = entry
        if kind == "budget":
            budget = self._budget(site)
            assert budget is not None
            return Observed(
                "budget", budget.external_id, budget.values, budget.modified_at, unwritten=unwritten
            )
        observed = self._observed(site, uid, kind)
        return Observed(
            kind,
            observed.external_id,
            observed.values,
            observed.modified_at,
            observed.url,
            observed.marker,
            unwritten,
        )

    def _snapshot_bytes(self) -> bytes:
        assert self._snapshot is not None
        return self._snapshot.data

    async def _read(self) -> Snapshot:
        if self.settings.read_only:
            from adapters.msproject import mpp

            data = await asyncio.to_thread(mpp.read_as_mspdi, self.settings.path)
            return Snapshot.of(data)
        return await asyncio.to_thread(self.file.read)

    def _parse(self, snapshot: Snapshot) -> mapping.Site:
        """Read a version of the file; writes start from it."""
        self._snapshot = snapshot
        return self._restore(snapshot.data)

    def _restore(self, data: bytes) -> mapping.Site:
        """Parse ``data`` as the document edits go to (the file's version, or a batch's start)."""
        doc = xmldoc.parse(data, self.file.name, max_bytes=self.settings.max_bytes)
        schedule = Schedule(doc, self.settings.uid_field, retired=self._highest_uid)
        self._site = self._site_for(schedule)
        return self._site

    def _site_for(self, schedule: Schedule) -> mapping.Site:
        scope = None
        if self.settings.outline is not None:
            node = schedule.by_outline(self.settings.outline)
            if node is None:
                raise MemberError(
                    f"{self.file.name}: no task with outline number {self.settings.outline}",
                    member=self.name,
                )
            scope = node.uid
        currency = (schedule.header("CurrencyCode") or "").strip().upper()
        wanted = (self.context.currency or "").strip().upper()
        return mapping.Site(
            schedule,
            self.file.name,
            scope=scope,
            people=dict(self.context.people),
            costs=not (currency and wanted and currency != wanted),
        )

    async def _load(self, *, fresh: bool = False) -> mapping.Site:
        if self._site is None or fresh:
            return self._parse(await self._read())
        return self._site

    async def _save(self, site: mapping.Site) -> None:
        assert self._snapshot is not None
        data = site.schedule.doc.to_bytes()
        if data == self._snapshot.data:
            return
        try:
            self._snapshot = await asyncio.to_thread(
                self.file.write, data, expected=self._snapshot.version
            )
        except FileChanged as exc:
            self._site = None  # the person's version wins: the engine reads it and re-plans
            exc.member = self.name
            raise
        except OSError as exc:
            self._site = None
            raise MemberError(
                f"{self.file.name}: cannot write: {exc.strerror}", member=self.name
            ) from exc
        self.writes += 1


def _unknown_people(site: mapping.Site, member: str) -> list[Problem]:
    """People mapped to a resource name the plan does not have."""
    names = {(xmldoc.text(r, "Name") or "").strip() for r in site.schedule.resources.values()}
    return [
        Problem(
            f"people: {email} is mapped to {name!r}, which is not a resource of the plan",
            fix=f"use the resource's name as Project shows it, or add {name!r} to the plan "
            f"(a task assigned to {email} would otherwise get a new resource)",
        )
        for email, name in sorted(site.people.items())
        if name not in names
    ]


def _decode_cursor(cursor: str | None) -> dict[str, object] | None:
    if not cursor:
        return None
    try:
        decoded = json.loads(cursor)
    except ValueError:
        return None  # a cursor from another version: list everything
    return decoded if isinstance(decoded, dict) else None


def _seen(cursor: dict[str, object] | None) -> dict[str, str] | None:
    if cursor is None:
        return None
    seen = cursor.get("seen")
    return {str(k): str(v) for k, v in seen.items()} if isinstance(seen, dict) else {}


def _highest(ids: Mapping[str, object]) -> int:
    """The highest task UID among external ids (the budget's and others' are not numbers)."""
    return max((int(i) for i in ids if i.isdigit()), default=0)


def _fingerprint(record: Observed) -> str:
    payload = json.dumps(
        [record.kind, encode(record.kind, record.values), record.marker], sort_keys=True
    )
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()
