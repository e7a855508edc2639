"""What must hold once the faults stop and a last sync ran, and the figures of a run.

- every member holds the group's value of every field it reads and writes (bar the values it
  refused, which the store records);
- no record exists twice in any member, and every record a member lists is linked;
- every record no person deleted is still in every member;
- every person's edit survives: as the group's value, in the conflict log, or overwritten by a
  later edit of a person;
- the state store passes its integrity check (``syncd status --verify``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from typer.testing import CliRunner

from syncd.cli import app
from syncd.config import Config
from syncd.model import map_refs
from syncd.runner import make_adapters
from syncd.store import Store
from tests.faults.world import GROUP, World


@dataclass(frozen=True)
class Edit:
    """A person's change: in ``member``, the task ``title``'s ``field`` set to ``value`` (from
    another value), the ``seq``-th edit of the scenario, between syncs ``step`` and the next."""

    seq: int
    step: int
    member: str
    title: str
    field: str
    value: Any

    def overwritten_by(self, other: Edit) -> bool:
        """Whether ``other`` replaced this edit as a person would: the same person later, or
        anyone after a sync ran (edits of different people between two syncs are concurrent:
        one wins, the other is in the conflict log)."""
        if (other.title, other.field) != (self.title, self.field) or other.seq <= self.seq:
            return False
        return other.member == self.member or other.step > self.step


@dataclass
class Figures:
    """What a run of scenarios did and found."""

    scenarios: int = 0
    steps: int = 0
    syncs: int = 0
    killed: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    records: int = 0
    fields: int = 0
    edits: int = 0
    lost: int = 0
    duplicated: int = 0
    inconsistent: int = 0
    lost_edits: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name in ("scenarios", "steps", "syncs", "killed", "records", "fields", "edits"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("lost", "duplicated", "inconsistent", "lost_edits"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.faults.update(other.faults)
        self.problems.extend(other.problems)

    def lines(self) -> list[str]:
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items()))
        steps = f", steps {self.steps}" if self.steps else ""
        lines = [
            f"scenarios {self.scenarios}{steps}, syncs {self.syncs} "
            f"(killed with SIGKILL: {self.killed})",
        ]
        if faults:
            lines.append(f"faults injected ({sum(self.faults.values())}): {faults}")
        checked = f"records checked {self.records}"
        if self.fields:
            checked += f" ({self.fields} field values)"
        if self.edits:
            checked += f", person edits checked {self.edits}"
        lines.append(checked)
        lines.append(
            f"lost {self.lost}, duplicated {self.duplicated}, inconsistent {self.inconsistent}, "
            f"edits lost {self.lost_edits}"
        )
        return lines


def secrets_of(config: Config) -> set[str]:
    """Every credential of every connection (its pydantic SecretStr fields)."""
    found = set()
    for connection in config.connections.values():
        for value in connection.__dict__.values():
            if isinstance(value, SecretStr) and value.get_secret_value():
                found.add(value.get_secret_value())
    return found


def _json_form(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def check(world: World, live: Iterable[str], deleted: Iterable[str], edits: list[Edit]) -> Figures:
    """Settle the group (faults cleared), then check everything; the figures and problems."""
    found = Figures()
    settled = world.settle()
    if settled.status != "ok":
        found.problems.append(f"the settling sync ended {settled.status}: {settled.summary()}")
    observed = world.observe()
    with Store.open(world.state_url) as store:
        state = store.load_group(GROUP)
        refused = store.refusals(GROUP)
        conflicts = store.conflicts(GROUP, open_only=False)
        problems = store.verify()
    found.problems.extend(f"store: {p}" for p in problems)
    verified = CliRunner().invoke(
        app, ["-c", str(world.directory / "syncd.yaml"), "status", "--verify"]
    )
    if verified.exit_code != 0:
        found.problems.append(f"syncd status --verify exited {verified.exit_code}")

    adapters = {m: a.capabilities for m, a in make_adapters(world.config, GROUP).items()}
    titles_by_uid = {uid: rec.base.get("title") for uid, rec in state.records.items()}
    for member, obs in observed.items():
        if not obs.complete or obs.errors:
            found.problems.append(f"{member}: listing complete={obs.complete}, {obs.errors}")
        counts = Counter((r.kind, r.values.get("title")) for r in obs.records)
        for (kind, title), n in counts.items():
            if n > 1:
                found.duplicated += n - 1
                found.problems.append(f"{member}: {kind} {title!r} exists {n} times")
        linked = state.linked(member)
        by_ext = {r.external_id: r for r in obs.records}
        for ext in set(by_ext) - set(linked):
            found.duplicated += 1
            found.problems.append(f"{member}: {by_ext[ext].values.get('title')!r} is not linked")
        present = {r.values.get("title") for r in obs.records}
        for title in live:
            if title not in present:
                found.lost += 1
                found.problems.append(f"{member}: {title!r}, which no person deleted, is gone")
        caps = adapters[member]
        for ext, uid in linked.items():
            rec = state.records[uid]
            held = by_ext.get(ext)
            if held is None:
                if titles_by_uid.get(uid) not in set(deleted) and not rec.deleted:
                    found.lost += 1
                    found.problems.append(f"{member}: linked {titles_by_uid.get(uid)!r} is gone")
                continue
            found.records += 1
            values = map_refs(held.kind, held.values, linked)
            for name in caps.reads(held.kind) & caps.writes(held.kind):
                if (uid, member, name) in refused or name not in rec.base:
                    continue
                found.fields += 1
                if values.get(name) != rec.base.get(name):
                    found.inconsistent += 1
                    found.problems.append(
                        f"{member}: {rec.base.get('title')!r}.{name} is "
                        f"{values.get(name)!r}, the group's is {rec.base.get(name)!r}"
                    )

    uid_of = {rec.base.get("title"): uid for uid, rec in state.records.items() if not rec.deleted}
    gone = set(deleted)
    for edit in edits:
        found.edits += 1
        if edit.title in gone:
            continue
        later = any(edit.overwritten_by(e) for e in edits)
        uid = uid_of.get(edit.title)
        if uid is None:
            found.lost_edits += 1
            found.problems.append(f"{edit}: the record is gone")
            continue
        if later or state.records[uid].base.get(edit.field) == edit.value:
            continue
        logged = any(
            c.conflict.uid == uid
            and c.conflict.field == edit.field
            and _json_form(edit.value) in c.conflict.values.values()
            for c in conflicts
        )
        if not logged:
            found.lost_edits += 1
            found.problems.append(
                f"{edit}: the group holds {state.records[uid].base.get(edit.field)!r}, and the "
                "conflict log does not have the edit's value"
            )
    return found
