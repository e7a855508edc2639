"""What the adapter learns from a Jira site before it reads or writes: the project, its issue
types, the user's time zone, the custom fields named in the config, and the people.

All of it costs a few calls (``/myself``, ``/project/{key}``, ``/field`` when a field is named
by name), made once per adapter and cached for the process, so that a no-op incremental sync
costs one search.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.jira.client import JiraClient
from adapters.jira.config import JiraMember
from syncd.errors import MemberError

_FIELD_ID = re.compile(r"^customfield_\d+$")
_CACHE_SECONDS = 3600.0
_CACHE: dict[tuple[str, ...], tuple[float, Any]] = {}
# A task of syncd's canonical model that Jira represents with a custom field.
CUSTOM_CANONICAL = ("start", "planned_cost", "actual_cost")


@dataclass
class Project:
    """One Jira project as the adapter uses it."""

    id: str
    key: str
    issue_types: list[dict[str, Any]]
    timezone: dt.tzinfo | None  # None: unknown, and JQL dates need a wide margin
    custom: dict[str, str]  # canonical field -> Jira field id
    user: dict[str, Any] = field(default_factory=dict)  # who syncd acts as

    def issue_type(self, name: str) -> dict[str, Any] | None:
        """The project's issue type of this name (case-insensitive)."""
        wanted = name.casefold()
        return next(
            (t for t in self.issue_types if str(t.get("name", "")).casefold() == wanted), None
        )

    def subtask_type(self, preferred: str | None) -> dict[str, Any] | None:
        """The configured sub-task type, or the project's first sub-task type."""
        if preferred:
            return self.issue_type(preferred)
        return next((t for t in self.issue_types if t.get("subtask")), None)


async def load_project(client: JiraClient, member: JiraMember, cache_key: str) -> Project:
    """Read (or take from the process cache) what the adapter needs of the member's project.

    Raises:
        MemberError: the project is not visible, or a mapped custom field does not exist.
    """
    key = (cache_key, member.project, *(f"{k}={v}" for k, v in sorted(member.fields.items())))
    hit = _CACHE.get(key)
    if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
        project: Project = hit[1]
        return project
    myself = await client.get("/myself")
    found = await client.get(f"/project/{member.project}")
    if not isinstance(found, dict) or not found.get("id"):
        raise MemberError(f"project {member.project}: malformed project")
    fields = await resolve_fields(client, member.fields)
    missing = sorted(name for name, value in fields.items() if value is None)
    if missing:
        named = ", ".join(f"{n} -> {member.fields[n]!r}" for n in missing)
        raise MemberError(f"custom fields not found on the site: {named} (see syncd check)")
    project = Project(
        id=str(found["id"]),
        key=str(found.get("key") or member.project),
        issue_types=[t for t in found.get("issueTypes") or [] if isinstance(t, dict)],
        timezone=user_timezone(myself),
        custom={name: value for name, value in fields.items() if value is not None},
        user=myself if isinstance(myself, dict) else {},
    )
    _CACHE[key] = (time.monotonic(), project)
    return project


async def resolve_fields(client: JiraClient, wanted: Mapping[str, str]) -> dict[str, str | None]:
    """The Jira field id of each configured custom field (given by id or by name).

    Only canonical fields Jira keeps in custom fields count (start and the costs); a field
    named by id is taken as is, without a call, unless another one needs the field list.
    """
    relevant = {n: v for n, v in wanted.items() if n in CUSTOM_CANONICAL}
    if all(_FIELD_ID.match(v) for v in relevant.values()):
        return dict(relevant)
    listing = await client.get("/field")
    fields = [f for f in listing or [] if isinstance(f, dict)]
    ids = {str(f.get("id")) for f in fields}
    by_name: dict[str, str] = {}
    for f in fields:
        by_name.setdefault(str(f.get("name", "")).casefold(), str(f.get("id")))
    resolved: dict[str, str | None] = {}
    for name, value in relevant.items():
        resolved[name] = value if value in ids else by_name.get(value.casefold())
    return resolved


def user_timezone(myself: Any) -> dt.tzinfo | None:
    """The searching user's time zone, in which Jira reads JQL dates; None when unknown.

    A cursor written in UTC would silently skip issues for users west of UTC.
    https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated
    """
    name = myself.get("timeZone") if isinstance(myself, dict) else None
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def forget_sites() -> None:
    """Drop the process cache (tests call this between cases)."""
    _CACHE.clear()
