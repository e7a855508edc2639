"""Where the memory adapter keeps its records: a dict, optionally mirrored to a JSON file.

The JSON file format (``format: syncd-memory/1``), meant to be seeded or inspected by hand::

    {
      "format": "syncd-memory/1",
      "clock": 3,
      "records": {
        "M1": {"kind": "milestone", "fields": {"title": "Go-live", "due": "2026-03-31"}},
        "T1": {
          "kind": "task",
          "fields": {"title": "Write the plan", "status": "in_progress", "due": "2026-02-01",
                     "milestone": "M1", "labels": ["pm"], "planned_cost": "1200.50"},
          "modified": 3,
          "modified_at": "2026-01-10T09:30:00+00:00",
          "marker": "5b1f0c2e9a7d4c3b8e6f1a2b3c4d5e6f",
          "archived": false
        }
      }
    }

* ``records`` maps each record's external id to the record. ``kind`` is ``task``,
  ``milestone`` or ``budget``; ``fields`` holds canonical values in their JSON form (dates
  ``YYYY-MM-DD``, amounts as strings, sets as lists) and references by the other record's
  external id in the same file.
* ``clock`` counts writes; ``modified`` is the clock value of a record's last change (what the
  incremental cursor compares), ``modified_at`` its time. Both are optional when seeding: a
  seeded record without them counts as changed at clock 0.
* ``marker`` is the canonical uid syncd keeps on the record; ``archived`` hides it from listings.
* ``digest`` is a checksum of ``fields`` as last written: edit a record's fields by hand and it
  counts as changed on the next read (no need to touch ``clock`` or ``modified``).

A record that does not parse is reported as a per-record error by ``fetch``; the file is
written atomically (temporary file, then rename) so a crash never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from syncd.errors import MemberError, PayloadError, RecordError, SimulatedCrash
from syncd.model import FIELDS, KINDS, Kind, Values, decode, drop_refs, encode, normalise

FORMAT = "syncd-memory/1"
_PREFIX: dict[Kind, str] = {"task": "T", "milestone": "M", "budget": "B"}


@dataclass(slots=True)
class StoredRecord:
    """One record as the memory system holds it (references by external id)."""

    kind: Kind
    fields: Values
    modified: int = 0
    modified_at: dt.datetime | None = None
    marker: str | None = None
    archived: bool = False


@dataclass
class FaultPlan:
    """Failures to inject, set by tests (or by a member's ``faults`` settings).

    Rates are chances per call; ``crash_*`` count writes and raise ``SimulatedCrash``, standing
    for a process killed just before or just after the write reaches the system.
    """

    fail_fetch: float = 0
    incomplete_fetch: float = 0
    fail_write: float = 0
    fail_ids: set[str] = field(default_factory=set)  # external ids (or uids) whose writes fail
    title_limit: int | None = None  # stores titles cut to this length, as some systems do
    # The next this-many updates are answered as done but not made (a proxy that garbled the
    # system's answer into a success, a system that silently drops a write).
    lost_updates: int = 0
    # The next this-many creates are made, but their answer is lost (a timeout, a dropped
    # connection): the caller gets OutcomeUnknown.
    unsure_creates: int = 0
    # Ids the next creates take, whatever record holds them (a plan's task UID freed by a
    # deletion and taken again).
    reuse_ids: list[str] = field(default_factory=list)
    crash_before_write: int | None = None
    crash_after_write: int | None = None
    writes: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311  # fault dice

    def roll(self, chance: float) -> bool:
        return chance > 0 and self.rng.random() < chance


class MemoryBackend:
    """The records of one memory member, with the system's own rules about them."""

    def __init__(self, path: Path | None = None, clock: Callable[[], dt.datetime] | None = None):
        self.path = path
        self.records: dict[str, StoredRecord] = {}
        self.clock = 0
        self.faults = FaultPlan()
        self.broken: dict[str, str] = {}  # external id -> why it does not parse (from the file)
        self._now = clock or (lambda: dt.datetime.now(dt.UTC))
        self._next_id = 0

    # -- persistence ------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the JSON file, if there is one; a missing file is an empty system.

        Raises:
            MemberError: the file is not a memory store (the whole member is unusable).
        """
        if self.path is None or not self.path.exists():
            return
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MemberError(f"{self.path}: not a readable memory store ({exc})") from exc
        if not isinstance(doc, dict) or doc.get("format", FORMAT) != FORMAT:
            raise MemberError(f"{self.path}: not a memory store (expected format {FORMAT})")
        self.clock = int(doc.get("clock", 0))
        self.records, self.broken = {}, {}
        for ext, raw in (doc.get("records") or {}).items():
            try:
                rec, edited = _parse_record(raw)
            except (ValueError, TypeError, KeyError, ValidationError) as exc:
                self.broken[str(ext)] = f"{type(exc).__name__}: {exc}".splitlines()[0]
                continue
            self.records[str(ext)] = rec
            if edited:
                self.touch(rec)  # edited by hand since we wrote it: a change like any other
        self._next_id = max((_number(ext) for ext in self.records), default=0)

    def save(self) -> None:
        """Write the JSON file atomically (no-op without a path)."""
        if self.path is None:
            return
        doc = {
            "format": FORMAT,
            "clock": self.clock,
            "records": {ext: _dump_record(rec) for ext, rec in sorted(self.records.items())},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".syncd-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(tmp, self.path)

    # -- the system's operations -----------------------------------------------------------------

    def new_id(self, kind: Kind) -> str:
        self._next_id += 1
        return f"{_PREFIX[kind]}{self._next_id}"

    def touch(self, rec: StoredRecord) -> None:
        self.clock += 1
        rec.modified = self.clock
        rec.modified_at = self._now()

    def put(self, kind: Kind, values: Values, *, marker: str | None = None) -> str:
        """Create a record as a user of the system would; returns its external id."""
        values = self._stored(kind, values)
        self._check_refs(kind, values)
        ext = self.faults.reuse_ids.pop(0) if self.faults.reuse_ids else self.new_id(kind)
        rec = StoredRecord(kind, dict(values), marker=marker)
        self.touch(rec)
        self.records[ext] = rec
        return ext

    def change(self, ext: str, values: Values) -> StoredRecord:
        """Change fields of a live record as a user would.

        Raises:
            KeyError: no live record has this id.
        """
        rec = self.live(ext)
        values = self._stored(rec.kind, values)
        self._check_refs(rec.kind, values)
        rec.fields.update(values)
        self.touch(rec)
        return rec

    def live(self, ext: str) -> StoredRecord:
        rec = self.records.get(ext)
        if rec is None or rec.archived:
            raise KeyError(ext)
        return rec

    def remove(self, ext: str, *, archive: bool = False) -> None:
        """Delete (or archive) a record; unknown ids are ignored, as deleting twice is fine."""
        rec = self.records.get(ext)
        if rec is None:
            return
        if archive:
            rec.archived = True
            self.touch(rec)
            return
        del self.records[ext]
        self.clock += 1
        # As Jira, Asana and Project do, deleting a record drops the references to it.
        for other in self.records.values():
            cleared = drop_refs(other.kind, other.fields, frozenset({ext}))
            if cleared is not other.fields:
                other.fields = cleared
                self.touch(other)

    def _stored(self, kind: Kind, values: Values) -> Values:
        values = normalise(kind, values)
        limit = self.faults.title_limit
        if limit is not None and isinstance(values.get("title"), str):
            values["title"] = normalise(kind, {"title": values["title"][:limit]})["title"]
        return values

    def _check_refs(self, kind: Kind, values: Values) -> None:
        # The system refuses references to records it does not have, as Jira and Asana do.
        for name, value in values.items():
            spec = FIELDS[kind].get(name)
            if spec is None or not spec.type.is_reference or value is None:
                continue
            refs = value if isinstance(value, frozenset) else {value}
            for ref in refs:
                if ref.uid not in self.records or self.records[ref.uid].archived:
                    raise PayloadError(f"{name} points to {ref.uid}, which does not exist")

    # -- faults ------------------------------------------------------------------------------------

    def before_write(self, key: str) -> None:
        """Count a write and inject whatever faults are due before it reaches the system."""
        f = self.faults
        f.writes += 1
        if f.crash_before_write is not None and f.writes >= f.crash_before_write:
            f.crash_before_write = None
            raise SimulatedCrash(f"crash before write {f.writes}")
        if key in f.fail_ids or f.roll(f.fail_write):
            raise InjectedFailure(f"injected failure writing {key}")

    def after_write(self) -> None:
        f = self.faults
        if f.crash_after_write is not None and f.writes >= f.crash_after_write:
            f.crash_after_write = None
            self.save()
            raise SimulatedCrash(f"crash after write {f.writes}")


class InjectedFailure(RecordError):
    """A write failure injected by a test: the record fails, the run goes on."""


def _number(ext: str) -> int:
    digits = ext.lstrip("TMB")
    return int(digits) if digits.isdigit() else 0


def _digest(kind: Kind, fields: Values) -> str:
    text = json.dumps(encode(kind, fields), sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _parse_record(raw: Any) -> tuple[StoredRecord, bool]:
    """A record from the file, and whether a person edited its fields since it was written."""
    if not isinstance(raw, dict):
        raise TypeError("a record must be an object")
    kind = raw["kind"]
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    fields = normalise(kind, decode(kind, raw.get("fields") or {}))
    stamp = raw.get("modified_at")
    rec = StoredRecord(
        kind=kind,
        fields=fields,
        modified=int(raw.get("modified", 0)),
        modified_at=dt.datetime.fromisoformat(stamp) if stamp else None,
        marker=raw.get("marker"),
        archived=bool(raw.get("archived", False)),
    )
    written = raw.get("digest")
    return rec, written is not None and written != _digest(kind, fields)


def _dump_record(rec: StoredRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": rec.kind,
        "fields": encode(rec.kind, rec.fields),
        "modified": rec.modified,
        "digest": _digest(rec.kind, rec.fields),
    }
    if rec.modified_at is not None:
        out["modified_at"] = rec.modified_at.isoformat()
    if rec.marker is not None:
        out["marker"] = rec.marker
    if rec.archived:
        out["archived"] = True
    return out
