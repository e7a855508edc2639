"""The memory adapter: the reference implementation of the adapter contract.

It behaves as the vendor adapters must: it returns only the fields it can represent (absent,
never ``None``, for the others), keeps syncd's uid as a marker, refuses references to records it
does not have, treats deleting a missing record as done, lists incrementally by cursor (the
write clock), and says ``complete`` only for a full listing. Faults can be injected through the
member's ``faults`` settings or a backend's ``faults`` plan.
"""

from __future__ import annotations

import random
from types import TracebackType
from typing import Self

from adapters.base import (
    AdapterContext,
    Capabilities,
    CheckResult,
    DeleteMode,
    KindCapability,
    Observation,
    Observed,
    Problem,
    WebhookRequest,
)
from adapters.memory.backend import MemoryBackend, StoredRecord
from adapters.memory.config import MemoryConnection, MemoryMember
from syncd.errors import (
    MemberError,
    OutcomeUnknown,
    PayloadError,
    RecordError,
    RecordNotFound,
    Unsupported,
)
from syncd.model import FIELDS, KINDS, Kind, Values

_SHARED: dict[str, MemoryBackend] = {}


def shared_backend(name: str) -> MemoryBackend:
    """The in-process store called ``name`` (made on first use), shared by every adapter on it."""
    return _SHARED.setdefault(name, MemoryBackend())


def forget_backends() -> None:
    """Drop every in-process store (tests call this between cases)."""
    _SHARED.clear()


class MemoryAdapter:
    """One memory member."""

    def __init__(
        self,
        connection: MemoryConnection,
        member: MemoryMember,
        context: AdapterContext,
        backend: MemoryBackend | None = None,
    ) -> None:
        self.name = context.member
        self.settings = member
        if backend is None:
            backend = (
                MemoryBackend(member.path)
                if member.path is not None
                else shared_backend(member.store or context.member)
            )
        self.backend = backend
        self.capabilities = _capabilities(member)
        faults = member.faults
        if faults.fail_fetch or faults.incomplete_fetch or faults.fail_write:
            plan = backend.faults
            plan.fail_fetch, plan.incomplete_fetch = faults.fail_fetch, faults.incomplete_fetch
            plan.fail_write, plan.rng = faults.fail_write, random.Random(faults.seed)  # noqa: S311  # fault dice, not crypto

    async def __aenter__(self) -> Self:
        self.backend.load()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.backend.save()

    async def check(self) -> CheckResult:
        """A memory member is always reachable; report a file that cannot be written."""
        result = CheckResult(info={"records": str(len(self.backend.records))})
        # The memory system stores canonical values: it has no statuses or custom fields of its
        # own, so a mapping for them would be silently ignored. Say so.
        for key in ("status_map", "fields"):
            if getattr(self.settings, key):
                result.problems.append(
                    Problem(
                        f"{key} has no effect on a memory member (it stores canonical values)",
                        fix=f"remove {key} from member {self.name}",
                    )
                )
        path = self.settings.path
        if path is not None:
            result.info["path"] = str(path)
            folder = path.parent if path.parent != path else path
            if not folder.exists():
                result.problems.append(
                    Problem(f"folder {folder} does not exist", fix=f"mkdir -p {folder}")
                )
        return result

    async def fetch(self, cursor: str | None) -> Observation:
        """List live records changed after ``cursor`` (a clock value), or all of them."""
        faults = self.backend.faults
        if faults.roll(faults.fail_fetch):
            raise MemberError("injected failure listing records", member=self.name)
        since = int(cursor) if cursor else -1
        records, errors = [], []
        complete = cursor is None
        for ext, rec in sorted(self.backend.records.items()):
            if rec.archived or rec.modified <= since:
                continue
            if complete and faults.roll(faults.incomplete_fetch):
                complete = False  # a listing that silently lost a page: it must not say complete
                continue
            records.append(self._observed(ext, rec))
        for ext, why in sorted(self.backend.broken.items()):
            errors.append(PayloadError(why, member=self.name, external_id=ext))
        return Observation(records, str(self.backend.clock), complete, errors)

    async def create(self, kind: Kind, values: Values, *, uid: str) -> Observed:
        """Create a record, keeping ``uid`` as its marker when the member keeps markers."""
        self._check_writable(kind, values)
        self.backend.before_write(uid)
        try:
            marker = uid if self.settings.markers else None
            ext = self.backend.put(kind, values, marker=marker)
        except PayloadError as exc:
            raise RecordError(str(exc), member=self.name) from exc
        self.backend.after_write()
        if self.backend.faults.unsure_creates > 0:
            self.backend.faults.unsure_creates -= 1
            raise OutcomeUnknown(f"{kind} {uid}: the answer was lost", member=self.name)
        return self._observed(ext, self.backend.records[ext])

    async def update(self, kind: Kind, external_id: str, changes: Values) -> Observed:
        """Change fields of a live record."""
        self._check_writable(kind, changes)
        self.backend.before_write(external_id)
        if self.backend.faults.lost_updates > 0:
            self.backend.faults.lost_updates -= 1
            return self._observed(external_id, self.backend.live(external_id))
        try:
            rec = self.backend.change(external_id, changes)
        except KeyError as exc:
            raise RecordNotFound(
                f"{kind} {external_id} does not exist", member=self.name, external_id=external_id
            ) from exc
        except PayloadError as exc:
            raise RecordError(str(exc), member=self.name, external_id=external_id) from exc
        self.backend.after_write()
        return self._observed(external_id, rec)

    async def delete(self, kind: Kind, external_id: str, mode: DeleteMode) -> None:
        """Archive or delete a record; one already gone is fine."""
        self.backend.before_write(external_id)
        self.backend.remove(external_id, archive=mode == "archive")
        self.backend.after_write()

    def admits(self, kind: Kind, values: Values) -> bool:
        """Every record of a kind the member supports belongs in its scope."""
        return kind in self.capabilities.kinds

    def webhook(self, request: WebhookRequest) -> list[str] | None:
        """The memory system sends no webhooks."""
        return None

    def _check_writable(self, kind: Kind, values: Values) -> None:
        writable = self.capabilities.writes(kind)
        extra = sorted(set(values) - writable)
        if extra:
            raise Unsupported(f"{self.name} cannot hold {kind} fields {extra}", member=self.name)

    def _observed(self, ext: str, rec: StoredRecord) -> Observed:
        readable = self.capabilities.reads(rec.kind)
        specs = FIELDS[rec.kind]
        values = {name: rec.fields.get(name, specs[name].default) for name in readable}
        return Observed(rec.kind, ext, values, rec.modified_at, f"memory:{ext}", rec.marker)


def _capabilities(member: MemoryMember) -> Capabilities:
    if member.supports is None:
        kinds = {kind: KindCapability.all_fields(kind) for kind in KINDS}
    else:
        kinds = {}
        for kind, names in member.supports.items():
            unknown = sorted(set(names) - set(FIELDS[kind]))
            if unknown:
                raise MemberError(f"{member.member_name}: unknown {kind} fields {unknown}")
            fields = frozenset(names)
            kinds[kind] = KindCapability(read=fields, write=fields)
    return Capabilities(kinds=kinds, markers=member.markers)
