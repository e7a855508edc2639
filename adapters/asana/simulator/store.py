"""The state's lookups (each raising Asana's 404), ids, time, and the event log.

Every change a handler makes is recorded as an Asana event in ``state.events`` with the
resources whose streams see it: a task's changes "bubble up" to its parent tasks and to the
projects of the task and of its ancestors (https://developers.asana.com/reference/events).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from adapters.asana.simulator.errors import AsanaError, not_found
from adapters.asana.simulator.model import (
    CustomField,
    Event,
    Project,
    Section,
    State,
    Tag,
    Task,
    User,
    Workspace,
)
from adapters.simulation import Clock, system_clock

_T = TypeVar("_T")


def timestamp(moment: datetime) -> str:
    """Asana's timestamps: UTC, milliseconds, ``Z`` (``2012-02-22T02:06:58.147Z``)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Store:
    """The site's data. Not thread-safe by itself: the simulator serialises access."""

    def __init__(self, state: State, clock: Clock = system_clock) -> None:
        self.state = state
        self.clock = clock

    def now(self) -> datetime:
        """The clock's time, to the millisecond as Asana stores it."""
        now = self.clock().astimezone(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def next_gid(self) -> str:
        """The next gid: increasing 16-digit numeric strings, one sequence for every kind."""
        value = self.state.next_gid
        self.state.next_gid = value + 1
        return str(value)

    # --- lookups (404 for what does not exist or is in the trash) ---------------------------------

    def workspace(self, gid: str) -> Workspace:
        return _found(self.state.workspaces.get(gid), "workspace", gid)

    def user(self, gid: str, me: User | None = None) -> User:
        if gid == "me" and me is not None:
            return me
        found = self.state.users.get(gid) or next(
            (u for u in self.state.users.values() if u.email.casefold() == gid.casefold()), None
        )
        return _found(found, "user", gid)

    def project(self, gid: str) -> Project:
        return _found(self.state.projects.get(gid), "project", gid)

    def section(self, gid: str) -> Section:
        return _found(self.state.sections.get(gid), "section", gid)

    def tag(self, gid: str) -> Tag:
        return _found(self.state.tags.get(gid), "tag", gid)

    def custom_field(self, gid: str) -> CustomField:
        return _found(self.state.custom_fields.get(gid), "custom_field", gid)

    def task(self, gid: str) -> Task:
        task = self.state.tasks.get(gid)
        return _found(task if task is not None and not task.deleted else None, "task", gid)

    def live_tasks(self) -> Iterator[Task]:
        return (t for t in self.state.tasks.values() if not t.deleted)

    def subtasks(self, task: Task) -> list[Task]:
        return [t for t in self.live_tasks() if t.parent == task.gid]

    def ancestors(self, task: Task) -> list[Task]:
        """The parent, its parent, ... (the chain Asana forbids from looping)."""
        chain: list[Task] = []
        parent = task.parent
        while parent is not None and parent in self.state.tasks:
            found = self.state.tasks[parent]
            chain.append(found)
            parent = found.parent
        return chain

    def check_member(self, user: User, workspace: str) -> None:
        """Asana answers 403 to a user outside the object's workspace."""
        if workspace not in user.workspaces:
            raise AsanaError(403, "Forbidden")

    # --- events -------------------------------------------------------------------------------

    def task_scopes(self, task: Task) -> list[str]:
        """The resources whose event streams see a change of ``task``."""
        chain = [task, *self.ancestors(task)]
        scopes = [t.gid for t in chain]
        scopes += [p for t in chain for p in t.projects()]
        return list(dict.fromkeys(scopes))

    def record(
        self,
        scopes: list[str],
        action: str,
        resource: dict[str, Any],
        user: User | None,
        *,
        parent: dict[str, Any] | None = None,
        change: dict[str, Any] | None = None,
    ) -> Event:
        """Append an event (Asana's shape: https://developers.asana.com/reference/events)."""
        body: dict[str, Any] = {
            "user": None if user is None else {"gid": user.gid, "resource_type": "user"},
            "created_at": timestamp(self.now()),
            "action": action,
            "resource": resource,
            "parent": parent,
        }
        if change is not None:
            body["change"] = change
        event = Event(seq=len(self.state.events) + 1, scopes=scopes, body=body)
        self.state.events.append(event)
        return event


def _found(record: _T | None, kind: str, gid: str) -> _T:
    if record is None:
        raise not_found(kind, gid)
    return record
