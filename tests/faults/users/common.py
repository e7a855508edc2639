"""What the people of every tool share: what a person sees, and finding a task by title."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

STATUSES = ("todo", "in_progress", "done")
TIMEOUT = 30.0
Json = dict[str, Any]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Seen:
    """One task as a person sees it in their tool."""

    title: str
    due: dt.date | None
    status: str | None  # canonical, through the member's config (None: not mapped)


class User(Protocol):
    """A person working in one tool: what they see, and the edits they make."""

    member: str  # the member name ("plan", "jira", "asana", "trello")
    statuses: tuple[str, ...]  # the canonical statuses a person can set in this tool

    async def tasks(self) -> list[Seen]: ...
    async def create(self, title: str, due: dt.date | None = None) -> None: ...
    async def set_due(self, title: str, due: dt.date) -> None: ...
    async def set_status(self, title: str, status: str) -> None: ...
    async def delete(self, title: str) -> None: ...


def only_one(found: Sequence[_T], title: str, where: str) -> _T:
    if not found:
        raise LookupError(f"no task titled {title!r} in {where}")
    if len(found) > 1:
        raise LookupError(f"{len(found)} tasks titled {title!r} in {where}: which one?")
    return found[0]


def in_order(statuses: Iterable[str]) -> tuple[str, ...]:
    present = set(statuses)
    return tuple(s for s in STATUSES if s in present)


def casefolded(status_map: Mapping[str, str]) -> dict[str, str]:
    return {name.casefold(): status for name, status in status_map.items()}


def day_of(raw: str | None) -> dt.date | None:
    return dt.date.fromisoformat(raw[:10]) if raw else None


def instant_of(raw: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
