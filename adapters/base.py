"""The adapter contract: what the engine asks of every system, and what it promises back.

Glossary
--------
group
    A set of members kept consistent as one N-way whole (``groups:`` in the config).
member
    One system's scope inside a group: a connection (an account) plus a scope (a Jira project,
    an Asana project, a Trello board, an MSPDI file). Named by its connection unless it sets
    ``name:``.
record
    One task, milestone or budget, in canonical form (``syncd.model``). Canonically it has a
    ``uid``; inside a system it has an ``external_id``.
link
    The pairing of a canonical uid with one member's external id (at most one per member).
base
    The group's agreed value of a record's fields after the last sync. Each link also keeps the
    member's last-synced values (its *shadow*): a member "changed" a field when what it holds
    now differs from its shadow.
observation
    What one ``fetch`` saw: records, a cursor for next time, and whether the listing was
    ``complete`` (only a complete listing may turn a missing record into a deletion).
marker
    The canonical uid as a system keeps it on its record (a Jira entity property, an MSPDI
    extended attribute), so a record created just before a crash is adopted, not duplicated.

Values handed to and returned by an adapter are canonical (``syncd.model``) except for
references: inside an adapter a ``Ref`` holds the *system's* external id of the record it points
to; the engine translates references through the links in both directions. A field the system
cannot represent is absent from what it returns, never ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, Self, TypeAlias, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from syncd.errors import RecordError
from syncd.http import HttpClient
from syncd.model import FIELDS, Kind, TaskStatus, Values

DeleteMode: TypeAlias = Literal["archive", "delete"]


# --- configuration bases: each adapter's config.py subclasses these -------------------------------


class ConnectionSettings(BaseModel):
    """One account on one system (``connections:``). Subclasses add ``type: Literal[...]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str


class MemberSettings(BaseModel):
    """One member of a group (``groups.<g>.members[i]``). Subclasses add the scope keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connection: str = Field(description="The connection (account) this member uses.")
    name: str | None = Field(
        default=None, description="The member's name; defaults to the connection's."
    )
    status_map: dict[str, TaskStatus] = Field(
        default_factory=dict, description="The system's status names -> todo/in_progress/done."
    )
    fields: dict[str, str] = Field(
        default_factory=dict, description="Canonical field -> the system's custom field."
    )
    concurrency: int = Field(
        default=4, ge=1, le=64, description="Requests in flight at once for this member."
    )

    @property
    def member_name(self) -> str:
        return self.name or self.connection


@dataclass(frozen=True)
class AdapterContext:
    """What an adapter learns from the rest of the config."""

    member: str
    people: Mapping[str, str] = field(default_factory=dict)  # email -> this connection's user id
    currency: str | None = None
    timezone: dt.tzinfo = dt.UTC


# --- what adapters say about themselves and what they saw -------------------------------------


@dataclass(frozen=True)
class KindCapability:
    """Which canonical fields of one kind a system can read and write."""

    read: frozenset[str]
    write: frozenset[str]

    @classmethod
    def all_fields(cls, kind: Kind) -> KindCapability:
        names = frozenset(FIELDS[kind])
        return cls(read=names, write=names)


@dataclass(frozen=True)
class Capabilities:
    """What a member can hold. The engine never asks for a field outside these."""

    kinds: Mapping[Kind, KindCapability]
    markers: bool = False  # the system keeps our uid on its records (see glossary: marker)
    delete_modes: frozenset[DeleteMode] = frozenset({"archive", "delete"})

    def reads(self, kind: Kind) -> frozenset[str]:
        cap = self.kinds.get(kind)
        return cap.read if cap else frozenset()

    def writes(self, kind: Kind) -> frozenset[str]:
        cap = self.kinds.get(kind)
        return cap.write if cap else frozenset()


@dataclass(frozen=True, slots=True)
class Observed:
    """One record as a system holds it, in canonical form (references by external id).

    ``unwritten`` is set only on what a write returns: the fields the system refused while
    taking the rest of the write (a Jira status no transition reaches, an assignee with no
    account there), each with the reason. The engine reports them as failures and retries
    them next run; it never takes the value the system kept for the system's own edit.
    """

    kind: Kind
    external_id: str
    values: Values
    modified_at: dt.datetime | None = None
    url: str | None = None
    marker: str | None = None
    unwritten: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Observation:
    """The result of one ``fetch``.

    ``complete`` is True only for a full, successful listing of the member's scope. ``errors``
    are records that failed to parse: they are neither synced nor taken as deleted.
    """

    records: list[Observed]
    cursor: str | None
    complete: bool
    errors: Sequence[RecordError] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """Something ``check`` found, with how to fix it."""

    message: str
    fix: str = ""


@dataclass
class CheckResult:
    """The outcome of ``check``: ok when nothing would stop a sync."""

    problems: list[Problem] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class WebhookRequest:
    """A vendor's delivery, as the web layer hands it to an adapter."""

    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateItem:
    """One record to create in a batch."""

    kind: Kind
    uid: str
    values: Values


@dataclass(frozen=True)
class UpdateItem:
    """One record to update in a batch."""

    kind: Kind
    external_id: str
    changes: Values


@runtime_checkable
class Adapter(Protocol):
    """One member's connection to its system. Used as ``async with adapter: ...``."""

    name: str
    capabilities: Capabilities

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def check(self) -> CheckResult:
        """Verify credentials, that the scope is reachable and writable, and every mapping.

        Returns:
            The problems found (each with its fix) and facts worth showing (user, time zone).
        """
        ...

    async def fetch(self, cursor: str | None) -> Observation:
        """List the records in scope changed since ``cursor`` (all of them when None).

        Raises:
            MemberError: the listing could not be made; nothing is concluded from it.
        """
        ...

    async def create(self, kind: Kind, values: Values, *, uid: str) -> Observed:
        """Create a record; keep ``uid`` as its marker where the system can.

        Returns:
            The record as the system stored it.

        Raises:
            RecordError: this record could not be created.
            MemberError: the system is unusable; the engine stops writing to it this run.
        """
        ...

    async def update(self, kind: Kind, external_id: str, changes: Values) -> Observed:
        """Change some fields of a record.

        Returns:
            The whole record as the system stored it after the change.

        Raises:
            RecordNotFound: the record is gone.
            RecordError: this record could not be updated.
        """
        ...

    async def delete(self, kind: Kind, external_id: str, mode: DeleteMode) -> None:
        """Archive or delete a record; deleting one that is already gone is not an error."""
        ...

    def admits(self, kind: Kind, values: Values) -> bool:
        """Whether a record of the group belongs in this member's scope and filters."""
        ...

    def webhook(self, request: WebhookRequest) -> list[str] | None:
        """Verify a delivery's signature; the external ids it concerns (None: not ours/bad)."""
        ...


class HttpMember:
    """What the vendor adapters share: one `syncd.http.HttpClient` (``self.http``), closed when
    the adapter's ``async with`` ends, and the count of its calls."""

    http: HttpClient

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.http.aclose()

    @property
    def calls(self) -> int:
        """HTTP calls made so far (for benchmarks and tests)."""
        return self.http.calls.total


@dataclass(frozen=True)
class WebhookInfo:
    """One webhook registration at a vendor."""

    id: str
    url: str  # where the vendor delivers
    scope: str  # what it watches: a board id, a project gid, a JQL filter
    active: bool = True


@runtime_checkable
class WebhookAdmin(Protocol):
    """An adapter that can manage its vendor's webhook registrations (``syncd webhooks``)."""

    async def list_webhooks(self) -> list[WebhookInfo]:
        """The webhooks watching this member's scope, made with its credentials."""
        ...

    async def register_webhook(self, url: str) -> WebhookInfo:
        """Have the vendor deliver this member's changes to ``url``; an existing registration
        of the same URL and scope is returned as it is (registering twice is harmless)."""
        ...

    async def remove_webhook(self, webhook_id: str) -> None:
        """Remove a registration; one already gone is not an error."""
        ...


@runtime_checkable
class DatedWebhooks(Protocol):
    """An adapter that can tell when its vendor made a delivery's event, so that the listener
    refuses an old delivery sent again (a replay); without it, deliveries are only deduplicated.
    """

    def webhook_time(self, request: WebhookRequest) -> dt.datetime | None:
        """When the vendor made the event of a delivery that ``webhook`` verified.

        Args:
            request: the delivery, already verified by ``webhook``.

        Returns:
            The time written in the signed body (aware; the same on the vendor's retries), or
            None when the delivery carries none.
        """
        ...


@runtime_checkable
class BulkCreate(Protocol):
    """An adapter that can create several records in one call (Jira bulk, Asana batch)."""

    async def create_many(self, items: Sequence[CreateItem]) -> list[Observed | RecordError]:
        """Create the items; one result per item, in order: the record, or why it failed."""
        ...


@runtime_checkable
class BulkUpdate(Protocol):
    """An adapter that can update several records in one call."""

    async def update_many(self, items: Sequence[UpdateItem]) -> list[Observed | RecordError]:
        """Update the items; one result per item, in order: the record, or why it failed."""
        ...


def only(results: Sequence[Observed | RecordError]) -> Observed:
    """The one result of a one-item ``create_many``/``update_many``: the record, or its error
    raised (adapters whose single writes are batches of one use it)."""
    (result,) = results
    if isinstance(result, RecordError):
        raise result
    return result


AdapterFactory: TypeAlias = Callable[[Any, Any, AdapterContext], Adapter]


@dataclass(frozen=True)
class DemoPerson:
    """One of the demo's cast: a person who has an account in every tool."""

    name: str
    email: str


@dataclass(frozen=True)
class DemoSetup:
    """What ``syncd demo`` asks of each tool's stand-in: where to keep files, who works there,
    and the day the demo runs (the plan is dated around it)."""

    directory: Path
    people: tuple[DemoPerson, ...]
    today: dt.date
    timezone: str
    existing: tuple[str, ...] = ()  # titles of tasks the team already has in the tool


@runtime_checkable
class DemoSite(Protocol):
    """A tool's local stand-in, running and seeded for ``syncd demo``.

    ``connection`` and ``member`` are the keys of its config entries; ``people`` maps the cast's
    emails to the tool's user ids (what the config's ``people:`` needs).
    """

    name: str  # what the tool is called, e.g. "Jira Cloud"
    location: str  # where the user finds it: a URL or a file
    connection: dict[str, Any]
    member: dict[str, Any]
    people: dict[str, str]

    async def edit(self, title: str, changes: Mapping[str, Any]) -> list[str]:
        """Change the record called ``title`` as a person would, in the tool itself (its REST
        API or its file, never through the adapter), setting canonical ``changes``.

        Returns:
            What was done, in the tool's own words, one line per change.
        """
        ...


DemoFactory: TypeAlias = Callable[[DemoSetup], AbstractAsyncContextManager[DemoSite]]


@dataclass(frozen=True)
class Plugin:
    """What an adapter package registers under the ``syncd.adapters`` entry-point group.

    ``connection`` and ``member`` are its config models; ``factory`` builds the adapter from a
    validated connection, a validated member and the context (it imports heavy modules lazily).
    ``demo``, when given, starts the tool's stand-in for ``syncd demo`` (also lazily).
    """

    name: str
    connection: type[ConnectionSettings]
    member: type[MemberSettings]
    factory: AdapterFactory
    description: str = ""
    demo: DemoFactory | None = None
