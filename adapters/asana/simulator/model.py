"""The simulated Asana's state: plain pydantic records, saved and loaded as JSON.

Records refer to each other by gid. A task's place in projects is its ``memberships``; a
deleted task stays (``deleted``) as Asana keeps it in the trash.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

FieldKind = Literal["number", "enum", "text"]
Subtype = Literal["default_task", "milestone"]


class Workspace(BaseModel):
    gid: str
    name: str
    is_organization: bool = False
    premium: bool = True
    email_domains: list[str] = Field(default_factory=list)


class User(BaseModel):
    gid: str
    name: str
    email: str
    workspaces: list[str] = Field(default_factory=list)


class Section(BaseModel):
    gid: str
    name: str
    project: str
    created_at: datetime


class CustomFieldSetting(BaseModel):
    gid: str
    project: str
    custom_field: str
    is_important: bool = False


class Project(BaseModel):
    gid: str
    name: str
    workspace: str
    sections: list[str] = Field(default_factory=list)
    custom_field_settings: list[CustomFieldSetting] = Field(default_factory=list)
    created_at: datetime
    modified_at: datetime
    archived: bool = False
    notes: str = ""


class EnumOption(BaseModel):
    gid: str
    name: str
    enabled: bool = True
    color: str = "none"


class CustomField(BaseModel):
    gid: str
    name: str
    workspace: str
    kind: FieldKind
    enum_options: list[EnumOption] = Field(default_factory=list)
    precision: int = 0


class Tag(BaseModel):
    gid: str
    name: str
    workspace: str
    color: str | None = None
    created_at: datetime


class Membership(BaseModel):
    project: str
    section: str


class Task(BaseModel):
    gid: str
    name: str = ""
    workspace: str
    resource_subtype: Literal["default_task", "milestone"] = "default_task"
    notes: str = ""
    html_notes: str = "<body></body>"
    completed: bool = False
    completed_at: datetime | None = None
    assignee: str | None = None
    start_on: date | None = None
    due_on: date | None = None
    due_at: datetime | None = None
    parent: str | None = None
    memberships: list[Membership] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    custom_values: dict[str, Any] = Field(default_factory=dict)
    dependencies: list[str] = Field(default_factory=list)
    external: dict[str, Any] | None = None
    created_by: str | None = None
    created_at: datetime
    modified_at: datetime
    deleted: bool = False

    def projects(self) -> list[str]:
        return [m.project for m in self.memberships]


class WebhookFilter(BaseModel):
    resource_type: str | None = None
    resource_subtype: str | None = None
    action: str | None = None
    fields: list[str] | None = None


class WebhookRecord(BaseModel):
    """A webhook; ``owner`` is the user whose token made it (only they list it; None in a
    state saved before owners were kept: everyone's)."""

    gid: str
    resource: str
    target: str
    secret: str
    owner: str | None = None
    filters: list[WebhookFilter] = Field(default_factory=list)
    created_at: datetime
    active: bool = True
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_failure_content: str = ""


class Event(BaseModel):
    """One change, with the resources whose event streams see it (``scopes``)."""

    seq: int
    scopes: list[str]
    body: dict[str, Any]


class State(BaseModel):
    """Everything the simulator knows; ``tokens`` maps a personal access token to a user gid."""

    next_gid: int = 1_200_000_000_000_001
    workspaces: dict[str, Workspace] = Field(default_factory=dict)
    users: dict[str, User] = Field(default_factory=dict)
    tokens: dict[str, str] = Field(default_factory=dict)
    projects: dict[str, Project] = Field(default_factory=dict)
    sections: dict[str, Section] = Field(default_factory=dict)
    custom_fields: dict[str, CustomField] = Field(default_factory=dict)
    tags: dict[str, Tag] = Field(default_factory=dict)
    tasks: dict[str, Task] = Field(default_factory=dict)
    webhooks: dict[str, WebhookRecord] = Field(default_factory=dict)
    events: list[Event] = Field(default_factory=list)
