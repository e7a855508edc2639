"""Settings of the memory adapter: no network, records in a dict or a JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.base import ConnectionSettings, MemberSettings
from syncd.model import Kind


class MemoryConnection(ConnectionSettings):
    """A memory "account": nothing to authenticate."""

    type: Literal["memory"] = "memory"


class Faults(BaseModel):
    """Failures to inject, for tests and demos (all off by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(default=0, description="Seed of the fault dice, so runs can be replayed.")
    fail_fetch: float = Field(default=0, ge=0, le=1, description="Chance a fetch fails whole.")
    incomplete_fetch: float = Field(
        default=0, ge=0, le=1, description="Chance a full listing silently drops records."
    )
    fail_write: float = Field(default=0, ge=0, le=1, description="Chance a write fails.")


class MemoryMember(MemberSettings):
    """One memory member: a named in-process store, or a JSON file a person can edit."""

    path: Path | None = Field(
        default=None, description="JSON file holding the records (created when missing)."
    )
    store: str | None = Field(
        default=None, description="Name of an in-process store (defaults to the member name)."
    )
    supports: dict[Kind, list[str]] | None = Field(
        default=None,
        description="Limit the fields each kind can hold, to stand for a less capable system.",
    )
    markers: bool = Field(default=True, description="Keep syncd's uid on each record.")
    faults: Faults = Field(default_factory=Faults)
