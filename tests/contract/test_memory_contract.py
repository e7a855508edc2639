"""The memory adapter under the shared adapter contract: in a dict, and in a JSON file."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from adapters.base import Adapter, AdapterContext
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from tests.contract.adapter_suite import AdapterContract


class TestMemoryInDict(AdapterContract):
    """Records kept in a dict."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        member = MemoryMember(connection="mem")
        async with MemoryAdapter(
            MemoryConnection(), member, AdapterContext("mem"), MemoryBackend()
        ) as adapter:
            yield adapter


class TestMemoryInFile(AdapterContract):
    """Records kept in a JSON file, re-read on every open."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        with tempfile.TemporaryDirectory() as tmp:
            member = MemoryMember(connection="mem", path=Path(tmp) / "records.json")
            async with MemoryAdapter(MemoryConnection(), member, AdapterContext("mem")) as first:
                yield first


class TestNarrowMemory(AdapterContract):
    """A memory member that stands for a less capable system without markers."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        member = MemoryMember(
            connection="mem",
            markers=False,
            supports={"task": ["title", "status", "due", "labels"], "milestone": ["title"]},
        )
        async with MemoryAdapter(
            MemoryConnection(), member, AdapterContext("mem"), MemoryBackend()
        ) as adapter:
            yield adapter
