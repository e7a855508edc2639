"""`AsanaSimulator`: the simulated Asana, its configuration, and the helpers that seed it.

Tasks, sections, tags and webhooks go in through the vendor API (``POST /tasks`` ...) as a real
client would; what that API cannot create here (workspaces, users and their tokens, projects,
custom fields) is seeded with the ``add_*`` methods.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

from adapters.asana.simulator.batch import Router
from adapters.asana.simulator.changes import task_event
from adapters.asana.simulator.events import SyncTokens
from adapters.asana.simulator.limits import RateLimit, RateLimiter
from adapters.asana.simulator.model import (
    CustomField,
    CustomFieldSetting,
    EnumOption,
    FieldKind,
    Project,
    Section,
    State,
    User,
    Workspace,
)
from adapters.asana.simulator.paging import Offsets
from adapters.asana.simulator.render import Renderer
from adapters.asana.simulator.store import Store
from adapters.asana.simulator.webhooks import WebhookSender
from adapters.simulation import Clock, FaultMiddleware, FaultSet, SimulatorBase, system_clock

HOUR = 3600.0
DEFAULT_SECTION = "Untitled section"


class AsanaSimulator(SimulatorBase):
    """A local Asana (REST API 1.0 under ``/api/1.0``), served by ``.app`` (ASGI).

    Args:
        premium: whether new workspaces are on a paid plan (custom fields, dependencies).
        clock: returns now (aware); a `ManualClock` makes timestamps deterministic.
        sync_ttl: seconds an Events API sync token lives (Asana: 24 hours).
        offset_ttl: seconds a pagination offset lives (Asana: "some time"; here one hour).
        rate_limit: per-token budgets; None (default) for no limit.
        latency: seconds added to every vendor API call.
        webhook_transport: an httpx transport for handshakes and deliveries (tests); None for
            the network.
        state: a saved state to start from.
    """

    state: State

    def __init__(
        self,
        *,
        premium: bool = True,
        clock: Clock | None = None,
        sync_ttl: float = 24 * HOUR,
        offset_ttl: float = HOUR,
        rate_limit: RateLimit | None = None,
        latency: float = 0.0,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        state: State | None = None,
    ) -> None:
        from adapters.asana.simulator.app import ENDPOINTS, build_app

        self.premium = premium
        self.state = state if state is not None else State()
        self.store = Store(self.state, clock or system_clock)
        self.render = Renderer(self.store)
        self.sync_ttl = sync_ttl
        self.offset_ttl = offset_ttl
        self.sync_tokens = SyncTokens()
        self.offsets = Offsets()
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.latency = latency
        self.faults = FaultSet()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.webhooks = WebhookSender(self, webhook_transport)
        self.lock = threading.RLock()
        self.router = Router(ENDPOINTS)
        self.app: ASGIApp = FaultMiddleware(self, build_app(self))

    @property
    def rate_limit(self) -> RateLimit | None:
        return self.limiter.limit if self.limiter else None

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        self.limiter = RateLimiter(limit) if limit else None

    # --- seeding --------------------------------------------------------------------------------

    def add_workspace(
        self,
        name: str = "Example Workspace",
        *,
        premium: bool | None = None,
        organization: bool = True,
    ) -> Workspace:
        """Add a workspace (an organization by default); ``premium`` defaults to the simulator's."""
        with self.lock:
            workspace = Workspace(
                gid=self.store.next_gid(),
                name=name,
                is_organization=organization,
                premium=self.premium if premium is None else premium,
            )
            self.state.workspaces[workspace.gid] = workspace
        return workspace

    def add_user(
        self,
        name: str,
        email: str,
        *,
        workspaces: Iterable[Workspace] | None = None,
        token: str | None = None,
    ) -> User:
        """Add a user, member of ``workspaces`` (default: all), with an optional token."""
        with self.lock:
            spaces = self.state.workspaces.values() if workspaces is None else workspaces
            user = User(
                gid=self.store.next_gid(),
                name=name,
                email=email,
                workspaces=[w.gid for w in spaces],
            )
            self.state.users[user.gid] = user
            if token is not None:
                self.state.tokens[token] = user.gid
        return user

    def add_token(self, user: User, token: str) -> None:
        """Give ``user`` a personal access token (``Authorization: Bearer <token>``)."""
        with self.lock:
            self.state.tokens[token] = user.gid

    def add_project(
        self, name: str, workspace: Workspace, *, sections: Sequence[str] = ()
    ) -> Project:
        """Add a project with its sections (a new Asana project has one, "Untitled section")."""
        with self.lock:
            now = self.store.now()
            project = Project(
                gid=self.store.next_gid(),
                name=name,
                workspace=workspace.gid,
                created_at=now,
                modified_at=now,
            )
            for section_name in sections or [DEFAULT_SECTION]:
                section = Section(
                    gid=self.store.next_gid(),
                    name=section_name,
                    project=project.gid,
                    created_at=now,
                )
                self.state.sections[section.gid] = section
                project.sections.append(section.gid)
            self.state.projects[project.gid] = project
        return project

    def add_custom_field(
        self,
        workspace: Workspace,
        name: str,
        kind: FieldKind,
        *,
        options: Sequence[str] = (),
        precision: int = 0,
        projects: Iterable[Project] = (),
    ) -> CustomField:
        """Add a custom field (``number``, ``enum`` with ``options``, or ``text``), attached to
        ``projects``."""
        with self.lock:
            field = CustomField(
                gid=self.store.next_gid(),
                name=name,
                workspace=workspace.gid,
                kind=kind,
                precision=precision,
                enum_options=[EnumOption(gid=self.store.next_gid(), name=o) for o in options],
            )
            self.state.custom_fields[field.gid] = field
        for project in projects:
            self.attach(project, field)
        return field

    def attach(self, project: Project, field: CustomField, *, important: bool = False) -> None:
        """Add a custom field to a project (its custom field settings)."""
        with self.lock:
            stored = self.state.projects[project.gid]
            setting = CustomFieldSetting(
                gid=self.store.next_gid(),
                project=stored.gid,
                custom_field=field.gid,
                is_important=important,
            )
            stored.custom_field_settings.append(setting)

    def undelete(self, task_gid: str, user: User | None = None) -> None:
        """Restore a task from the trash (Asana's app can; its API cannot): ``undeleted``."""
        with self.lock:
            task = self.state.tasks[task_gid]
            task.deleted = False
            task.modified_at = self.store.now()
            task_event(self.store, task, "undeleted", user)

    # --- faults and control -----------------------------------------------------------------------

    def _forget(self) -> None:
        """Page and sync tokens, and rate-limit budgets (see `SimulatorBase.reset`)."""
        self.offsets = Offsets()
        self.sync_tokens = SyncTokens()
        if self.limiter:
            self.limiter.reset()

    # --- state ------------------------------------------------------------------------------------

    def restore(self, saved: dict[str, Any]) -> None:
        """Go back to a state `dump` returned: the data, and forget sync tokens and offsets
        (tests start many runs from the same site). Options, faults and counts stay."""
        with self.lock:
            self.state = State.model_validate(saved)
            self.store = Store(self.state, self.store.clock)
            self.render = Renderer(self.store)
            self.sync_tokens = SyncTokens()
            self.offsets = Offsets()

    @classmethod
    def load(cls, path: Path | str, **options: Any) -> AsanaSimulator:
        """A simulator resuming from a state file written by `save`."""
        state = State.model_validate_json(Path(path).read_text(encoding="utf-8"))
        return cls(state=state, **options)
