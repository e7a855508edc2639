"""The simulated site's state: plain pydantic models, saved and loaded as one JSON document.

Ids are increasing integers as Jira's are (projects from 10000, issues from 10000, versions
from 10000, links from 10000); keys are ``PROJ-N``. Stored issues are never mutated in place: a
write replaces the issue with a changed copy, so the search index can keep the old one (Jira
Cloud's search is eventually consistent).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Flavor = Literal["cloud", "dc"]
Category = Literal["new", "indeterminate", "done"]
FieldKind = Literal["string", "text", "date", "datetime", "number", "system"]
ResolutionScreen = Literal["none", "optional", "required"]

# Jira's status categories: id, key, name, colour.
# https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-workflow-status-categories/
CATEGORIES: dict[Category, tuple[int, str, str]] = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}

# The project permissions the simulator knows: key -> (id, name, description).
PERMISSIONS: dict[str, tuple[str, str, str]] = {
    "BROWSE_PROJECTS": ("10", "Browse Projects", "Ability to browse projects and their issues."),
    "CREATE_ISSUES": ("11", "Create Issues", "Ability to create issues."),
    "EDIT_ISSUES": ("12", "Edit Issues", "Ability to edit issues."),
    "ASSIGN_ISSUES": ("13", "Assign Issues", "Ability to assign issues to other people."),
    "RESOLVE_ISSUES": ("14", "Resolve Issues", "Ability to resolve and reopen issues."),
    "DELETE_ISSUES": ("16", "Delete Issues", "Ability to delete issues."),
    "LINK_ISSUES": ("21", "Link Issues", "Ability to link issues together."),
    "ADMINISTER_PROJECTS": ("23", "Administer Projects", "Ability to administer a project."),
    "SCHEDULE_ISSUES": ("28", "Schedule Issues", "Ability to set or edit an issue's due date."),
    "TRANSITION_ISSUES": ("46", "Transition Issues", "Ability to transition issues."),
}
ALL_PERMISSIONS: tuple[str, ...] = tuple(PERMISSIONS)


class User(BaseModel):
    """An account: Cloud knows it by ``account_id``, Data Center by ``name`` (and ``key``)."""

    account_id: str
    name: str
    key: str
    email: str
    display_name: str
    time_zone: str = "UTC"
    locale: str = "en_US"
    active: bool = True
    email_visible: bool = True
    admin: bool = False
    permissions: list[str] = Field(default_factory=lambda: list(ALL_PERMISSIONS))
    project_permissions: dict[str, list[str]] = Field(default_factory=dict)


class Credential(BaseModel):
    """A secret that authenticates as a user: HTTP basic (``login`` set) or bearer."""

    login: str | None
    secret: str
    account_id: str


class Status(BaseModel):
    id: str
    name: str
    category: Category
    description: str = ""


class Transition(BaseModel):
    """A workflow transition; ``sources`` None makes it global (available from any status)."""

    id: str
    name: str
    to: str
    sources: list[str] | None = None
    resolution: ResolutionScreen = "none"
    default_resolution: str | None = None


class Workflow(BaseModel):
    initial: str
    transitions: list[Transition]


class IssueType(BaseModel):
    id: str
    name: str
    description: str = ""
    subtask: bool = False
    hierarchy_level: int = 0


class Project(BaseModel):
    id: int
    key: str
    name: str
    description: str = ""
    lead: str
    issue_type_ids: list[str]
    workflow: Workflow
    counter: int = 0


class FieldDef(BaseModel):
    """A field as ``GET /field`` lists it; ``kind`` says how values are checked and stored."""

    id: str
    name: str
    kind: FieldKind
    schema_type: str | None = None
    items: str | None = None
    custom_type: str | None = None
    navigable: bool = True
    orderable: bool = True
    searchable: bool = True
    editable: bool = True

    @property
    def custom(self) -> bool:
        return self.id.startswith("customfield_")


class Resolution(BaseModel):
    id: str
    name: str
    description: str = ""


class LinkType(BaseModel):
    id: str
    name: str
    inward: str
    outward: str


class Version(BaseModel):
    id: int
    project_id: int
    name: str
    description: str | None = None
    release_date: date | None = None
    start_date: date | None = None
    released: bool = False
    archived: bool = False


class Issue(BaseModel):
    """One issue. ``values`` holds the plain fields by id (summary, description, duedate,
    custom fields...) as Jira returns them; the rest are references by id."""

    id: int
    key: str
    project_id: int
    type_id: str
    status_id: str
    values: dict[str, Any] = Field(default_factory=dict)
    resolution_id: str | None = None
    resolution_date: datetime | None = None
    assignee: str | None = None
    reporter: str | None = None
    creator: str | None = None
    labels: list[str] = Field(default_factory=list)
    fix_version_ids: list[int] = Field(default_factory=list)
    parent_id: int | None = None
    original_estimate: int | None = None
    created: datetime
    updated: datetime
    status_changed: datetime
    properties: dict[str, Any] = Field(default_factory=dict)
    archived: bool = False


class Link(BaseModel):
    """``outward_id`` [type.outward] ``inward_id``: for Blocks, the outward issue blocks."""

    id: int
    type_id: str
    inward_id: int
    outward_id: int


class WebhookRegistration(BaseModel):
    """An admin webhook (``/rest/webhooks/1.0/webhook``). ``jql`` filters the issue events
    (empty: every issue); Jira keeps the ``secret`` to sign deliveries and never shows it."""

    id: int
    name: str
    url: str
    events: list[str] = Field(default_factory=list)
    jql: str = ""
    exclude_body: bool = False
    enabled: bool = True
    secret: str | None = None
    updated_by: str  # the account id of who created or last changed it
    updated: datetime


class State(BaseModel):
    """Everything the simulator holds, as saved with ``--state``."""

    flavor: Flavor = "cloud"
    users: dict[str, User] = Field(default_factory=dict)
    credentials: list[Credential] = Field(default_factory=list)
    statuses: dict[str, Status] = Field(default_factory=dict)
    resolutions: dict[str, Resolution] = Field(default_factory=dict)
    issue_types: dict[str, IssueType] = Field(default_factory=dict)
    fields: dict[str, FieldDef] = Field(default_factory=dict)
    link_types: dict[str, LinkType] = Field(default_factory=dict)
    projects: dict[int, Project] = Field(default_factory=dict)
    versions: dict[int, Version] = Field(default_factory=dict)
    issues: dict[int, Issue] = Field(default_factory=dict)
    links: dict[int, Link] = Field(default_factory=dict)
    webhooks: dict[int, WebhookRegistration] = Field(default_factory=dict)
    next_ids: dict[str, int] = Field(default_factory=dict)
