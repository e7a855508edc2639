"""Helpers to run real syncs over memory members in tests (no config file needed)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.base import AdapterContext
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.model import FIELDS, Values, map_refs
from syncd.plan import Policy
from syncd.store import Store


@dataclass
class Rig:
    """A group of memory members, their backends and a state store, ready to sync."""

    store: Store
    names: list[str]
    backends: dict[str, MemoryBackend]
    settings: dict[str, MemoryMember]
    policy: Policy = field(default_factory=lambda: Policy(max_delete_ratio=1.0))
    group: str = "g"
    # Deterministic uids keep the order of writes (and so of injected faults) reproducible.
    uids: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def make(cls, store: Store, members: Sequence[dict[str, Any]] | int = 2, **policy: Any) -> Rig:
        """A rig with these member settings (or that many plain members)."""
        specs = [{} for _ in range(members)] if isinstance(members, int) else list(members)
        names = [spec.pop("name", f"m{i}") for i, spec in enumerate(specs)]
        settings = {n: MemoryMember(connection=n, **s) for n, s in zip(names, specs, strict=True)}
        backends = {n: MemoryBackend() for n in names}
        merged = {"max_delete_ratio": 1.0, **policy}
        return cls(store, names, backends, settings, Policy(**merged))

    def adapters(self) -> dict[str, MemoryAdapter]:
        return {
            n: MemoryAdapter(
                MemoryConnection(), self.settings[n], AdapterContext(member=n), self.backends[n]
            )
            for n in self.names
        }

    async def _sync(self, options: SyncOptions) -> RunReport:
        adapters = self.adapters()
        async with contextlib.AsyncExitStack() as stack:
            for adapter in adapters.values():
                await stack.enter_async_context(adapter)
            return await sync_group(self.store, self.group, adapters, self.policy, options)

    def sync(self, **options: Any) -> RunReport:
        """Run one sync to its end (or until a simulated crash propagates)."""
        options.setdefault("new_uid", lambda: f"u{next(self.uids):06d}")
        return asyncio.run(self._sync(SyncOptions(**options)))

    def live(self, name: str) -> dict[str, Values]:
        """A member's live records: external id -> values."""
        return {
            ext: dict(rec.fields)
            for ext, rec in self.backends[name].records.items()
            if not rec.archived
        }

    def divergences(self) -> list[str]:
        """Every way the members and the store disagree (empty when converged)."""
        state = self.store.load_group(self.group)
        problems: list[str] = []
        for name in self.names:
            linked = state.linked(name)
            back = dict(linked)
            live = self.live(name)
            for ext in live:
                if ext not in linked:
                    problems.append(f"{name}: {ext} is not linked")
            adapter = self.adapters()[name]
            for rec in state.records.values():
                link = rec.links.get(name)
                if rec.deleted:
                    if link is not None and link.external_id in live:
                        problems.append(f"{name}: deleted {rec.uid} still live")
                    continue
                if link is None:
                    if rec.kind in adapter.capabilities.kinds:
                        problems.append(f"{name}: {rec.kind} {rec.uid} missing")
                    continue
                if link.tombstone:
                    continue
                if link.external_id not in live:
                    problems.append(f"{name}: {rec.uid} linked to gone {link.external_id}")
                    continue
                readable = adapter.capabilities.reads(rec.kind)
                held = {k: v for k, v in live[link.external_id].items() if k in readable}
                specs = FIELDS[rec.kind]
                held = {k: held.get(k, specs[k].default) for k in readable}
                held = map_refs(rec.kind, held, back)
                for key, value in held.items():
                    if key in rec.base and rec.base[key] != value:
                        problems.append(
                            f"{name}: {rec.uid}.{key} = {value!r}, group has {rec.base[key]!r}"
                        )
        return problems


def open_store(path: Path) -> Store:
    """A fresh SQLite state store in ``path``."""
    return Store.open(f"sqlite:///{path / 'state.db'}")
