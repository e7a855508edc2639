"""The reference adapter: records in a dict or a JSON file, no network.

It follows the same contract and preconditions as the vendor adapters and is their template.
"""

from __future__ import annotations

from typing import Any

from adapters.base import Adapter, AdapterContext, Plugin
from adapters.memory.config import MemoryConnection, MemoryMember


def _factory(connection: Any, member: Any, context: AdapterContext) -> Adapter:
    from adapters.memory.adapter import MemoryAdapter

    return MemoryAdapter(connection, member, context)


plugin = Plugin(
    name="memory",
    connection=MemoryConnection,
    member=MemoryMember,
    factory=_factory,
    description="Records in memory or in a JSON file (tests, demos, hand-made data).",
)
