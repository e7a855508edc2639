"""`JiraSimulator`: the simulated site, its configuration, and the helpers that seed it.

Issues, versions and links are put in through the vendor API (``POST /issue`` ...) as a real
client would; what that API cannot create here (users, projects, workflows, fields, link
types) is seeded with the ``add_*`` methods.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

from adapters.jira.simulator import defaults
from adapters.jira.simulator.limits import RateLimit, RateLimiter
from adapters.jira.simulator.model import (
    ALL_PERMISSIONS,
    Category,
    Credential,
    FieldDef,
    Flavor,
    IssueType,
    LinkType,
    Project,
    Resolution,
    State,
    Status,
    User,
    Workflow,
)
from adapters.jira.simulator.search import PageTokens, SearchIndex
from adapters.jira.simulator.store import Store
from adapters.jira.simulator.webhooks import Webhook, WebhookSender
from adapters.simulation import Clock, FaultMiddleware, FaultSet, SimulatorBase, system_clock

DAY = 86400.0


class JiraSimulator(SimulatorBase):
    """A local Jira Cloud (REST v3) or Data Center (REST v2), served by ``.app`` (ASGI).

    Args:
        flavor: ``"cloud"`` or ``"dc"``.
        clock: returns now (aware); a `ManualClock` makes timestamps deterministic.
        time_zone: the site's default time zone, in which timestamps are written.
        search_lag: seconds during which Cloud's search still sees an issue's previous version.
        max_page: Cloud search page cap when fields are asked (Jira: 100).
        light_max_page: Cloud search page cap for id/key/updated-only pages (Jira: 5000).
        dc_max_results: Data Center search page cap (Jira: 1000).
        token_ttl: seconds a Cloud ``nextPageToken`` stays valid (Jira: 7 days).
        rate_limit: a budget per credential (and per issue write); None for no limit.
        latency: seconds added to every vendor API call.
        webhooks: where to send ``jira:*`` events.
        webhook_transport: an httpx transport for the deliveries (tests); None for the network.
        state: a saved state to start from instead of a fresh site.
    """

    state: State

    def __init__(
        self,
        flavor: Flavor = "cloud",
        *,
        clock: Clock | None = None,
        time_zone: str = "UTC",
        search_lag: float = 0.0,
        max_page: int = 100,
        light_max_page: int = 5000,
        dc_max_results: int = 1000,
        token_ttl: float = 7 * DAY,
        rate_limit: RateLimit | None = None,
        latency: float = 0.0,
        webhooks: Sequence[Webhook] = (),
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        state: State | None = None,
    ) -> None:
        from adapters.jira.simulator.app import build_app

        self.flavor: Flavor = flavor
        self.state = state if state is not None else _fresh_state(flavor)
        self.store = Store(self.state, clock or system_clock)
        self.index = SearchIndex(self.store, search_lag)
        self.time_zone = time_zone
        self.max_page = max_page
        self.light_max_page = light_max_page
        self.light_fields = frozenset({"id", "key", "updated", "created"})
        self.dc_max_results = dc_max_results
        self.token_ttl = token_ttl
        self.page_tokens = PageTokens()
        self.rate_limiter = RateLimiter(rate_limit) if rate_limit else None
        self.latency = latency
        self.faults = FaultSet()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.webhooks = WebhookSender(webhooks, webhook_transport)
        self.lock = threading.RLock()
        self.app: ASGIApp = FaultMiddleware(self, build_app(self))

    @property
    def api(self) -> str:
        """The REST prefix: ``/rest/api/3`` (Cloud) or ``/rest/api/2`` (Data Center)."""
        return "/rest/api/3" if self.flavor == "cloud" else "/rest/api/2"

    @property
    def search_lag(self) -> float:
        return self.index.lag

    @search_lag.setter
    def search_lag(self, seconds: float) -> None:
        self.index.lag = seconds

    @property
    def rate_limit(self) -> RateLimit | None:
        return self.rate_limiter.limit if self.rate_limiter else None

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        self.rate_limiter = RateLimiter(limit) if limit else None

    # --- users ----------------------------------------------------------------------------------

    def add_user(
        self,
        email: str,
        display_name: str | None = None,
        *,
        name: str | None = None,
        token: str | None = None,
        password: str | None = None,
        bearer: str | None = None,
        time_zone: str = "UTC",
        active: bool = True,
        email_visible: bool = True,
        admin: bool = False,
        permissions: Iterable[str] | None = None,
    ) -> User:
        """Add a user and their credentials.

        Args:
            email: the email (Cloud basic-auth login).
            display_name: defaults to the email's local part.
            name: the Data Center username (login); defaults to the email's local part.
            token: Cloud: an API token (basic auth with the email); DC: a personal access token
                (bearer).
            password: basic auth with ``name`` (Data Center).
            bearer: an OAuth 2.0 access token (bearer) on either flavor.
            time_zone: the user's IANA time zone (JQL dates are read in it).
            email_visible: Cloud hides the email of users whose profile hides it.
            admin: a Jira administrator (may archive issues).
            permissions: project permissions held in every project (default: all).
        """
        local = email.split("@", 1)[0]
        with self.lock:
            user = User(
                account_id=hashlib.sha1(email.lower().encode()).hexdigest()[:24],  # noqa: S324 - an id, not a secret
                name=name or local,
                key=f"JIRAUSER{self.store.next_id('user')}",
                email=email,
                display_name=display_name or local,
                time_zone=time_zone,
                active=active,
                email_visible=email_visible,
                admin=admin,
                permissions=list(ALL_PERMISSIONS if permissions is None else permissions),
            )
            self.state.users[user.account_id] = user
            self._add_credentials(user, token, password, bearer)
        return user

    def _add_credentials(
        self, user: User, token: str | None, password: str | None, bearer: str | None
    ) -> None:
        creds = self.state.credentials
        if token and self.flavor == "cloud":
            creds.append(Credential(login=user.email, secret=token, account_id=user.account_id))
        elif token:
            creds.append(Credential(login=None, secret=token, account_id=user.account_id))
        if password:
            creds.append(Credential(login=user.name, secret=password, account_id=user.account_id))
        if bearer:
            creds.append(Credential(login=None, secret=bearer, account_id=user.account_id))

    def set_permissions(
        self, user: User, permissions: Iterable[str], project: str | None = None
    ) -> None:
        """Replace a user's project permissions, everywhere or in one project (by key)."""
        with self.lock:
            stored = self.state.users[user.account_id]
            if project is None:
                stored.permissions = list(permissions)
            else:
                stored.project_permissions[project.upper()] = list(permissions)

    # --- configuration ----------------------------------------------------------------------------

    def add_project(
        self,
        key: str,
        name: str | None = None,
        *,
        lead: User | None = None,
        issue_types: Iterable[str] | None = None,
        workflow: Workflow | None = None,
        description: str = "",
    ) -> Project:
        """Add a project with the named issue types (default: all) and a workflow (default:
        `defaults.default_workflow`); its lead defaults to the first user.

        Raises:
            ValueError: no lead given and no user yet.
        """
        if lead is None and not self.state.users:
            raise ValueError("add a user before a project: a project needs a lead")
        with self.lock:
            types = self.state.issue_types.values()
            wanted = None if issue_types is None else {n.casefold() for n in issue_types}
            project = Project(
                id=self.store.next_id("project"),
                key=key.upper(),
                name=name or key.title(),
                description=description,
                lead=(lead or next(iter(self.state.users.values()))).account_id,
                issue_type_ids=[
                    t.id for t in types if wanted is None or t.name.casefold() in wanted
                ],
                workflow=workflow or defaults.default_workflow(),
            )
            self.state.projects[project.id] = project
        return project

    def add_issue_type(
        self,
        name: str,
        *,
        subtask: bool = False,
        hierarchy_level: int = 0,
        projects: Iterable[Project] = (),
    ) -> IssueType:
        """Add an issue type (e.g. ``Milestone``), optionally to some projects."""
        with self.lock:
            issue_type = IssueType(
                id=str(self.store.next_id("issuetype", 10100)),
                name=name,
                subtask=subtask,
                hierarchy_level=-1 if subtask else hierarchy_level,
            )
            self.state.issue_types[issue_type.id] = issue_type
            for project in projects:
                self.state.projects[project.id].issue_type_ids.append(issue_type.id)
        return issue_type

    def add_status(self, name: str, category: Category) -> Status:
        """Add a status (use it in a `Workflow` given to `add_project`)."""
        with self.lock:
            status = Status(
                id=str(self.store.next_id("status", 10100)), name=name, category=category
            )
            self.state.statuses[status.id] = status
        return status

    def add_custom_field(
        self, name: str, kind: str = "string", *, field_id: str | None = None
    ) -> FieldDef:
        """Add a custom field of ``kind`` date, datetime, number or string."""
        with self.lock:
            found = field_id or f"customfield_{self.store.next_id('customfield', 10100)}"
            definition = defaults.custom_field(found, name, kind)
            self.state.fields[definition.id] = definition
        return definition

    def add_link_type(self, name: str, inward: str, outward: str) -> LinkType:
        with self.lock:
            link_type = LinkType(
                id=str(self.store.next_id("linktype", 10100)),
                name=name,
                inward=inward,
                outward=outward,
            )
            self.state.link_types[link_type.id] = link_type
        return link_type

    def add_resolution(self, name: str, description: str = "") -> Resolution:
        with self.lock:
            resolution = Resolution(
                id=str(self.store.next_id("resolution", 10100)), name=name, description=description
            )
            self.state.resolutions[resolution.id] = resolution
        return resolution

    # --- faults and control -----------------------------------------------------------------------

    def _forget(self) -> None:
        """Page tokens and rate-limit budgets (see `SimulatorBase.reset`)."""
        self.page_tokens = PageTokens()
        if self.rate_limiter:
            self.rate_limiter.reset()

    # --- state ------------------------------------------------------------------------------------

    def restore(self, saved: dict[str, Any]) -> None:
        """Go back to a state `dump` returned: the data, its search index and page tokens
        (tests start many runs from the same site). Options, faults and counts stay."""
        with self.lock:
            self.state = State.model_validate(saved)
            self.store = Store(self.state, self.store.clock)
            self.index = SearchIndex(self.store, self.index.lag)
            self.page_tokens = PageTokens()

    @classmethod
    def load(cls, path: Path | str, **options: Any) -> JiraSimulator:
        """A simulator resuming from a state file written by `save`."""
        state = State.model_validate_json(Path(path).read_text(encoding="utf-8"))
        return cls(state.flavor, state=state, **options)


def _fresh_state(flavor: Flavor) -> State:
    state = State(flavor=flavor)
    defaults.seed(state)
    return state
