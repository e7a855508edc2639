"""Settings of the Jira adapter: one connection per site and account, one member per project.

Jira comes in two deployments with different REST APIs:

- **Cloud** (``https://<site>.atlassian.net``, or ``https://api.atlassian.com/ex/jira/<cloudid>``
  for OAuth 2.0 apps): REST v3, descriptions in Atlassian Document Format, users by accountId.
  Auth: ``email`` + API ``token`` (HTTP basic), or an OAuth 2.0 access token (bearer).
  https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
- **Data Center** (self-hosted): REST v2, descriptions in wiki markup, users by username.
  Auth: a personal access ``token`` (bearer), or ``username`` + ``password`` (basic).
  https://confluence.atlassian.com/enterprise/using-personal-access-tokens-1026032365.html
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.base import ConnectionSettings, MemberSettings
from syncd.http.client import timeout_setting

Deployment = Literal["cloud", "datacenter"]
_CLOUD_HOSTS = (".atlassian.net", ".jira.com", "api.atlassian.com")


class JiraConnection(ConnectionSettings):
    """One Jira site and the account syncd acts as."""

    type: Literal["jira"] = "jira"
    base_url: str = Field(description="The site, e.g. https://acme.atlassian.net.")
    deployment: Deployment | None = Field(
        default=None,
        description="cloud (REST v3) or datacenter (REST v2); guessed from base_url when unset.",
    )
    email: str | None = Field(
        default=None, description="Cloud: the account's email, used with an API token."
    )
    token: SecretStr | None = Field(
        default=None,
        description="Cloud: API token (with email) or OAuth 2.0 access token; "
        "Data Center: personal access token.",
    )
    username: str | None = Field(default=None, description="Data Center: basic-auth user name.")
    password: SecretStr | None = Field(
        default=None, description="Data Center: basic-auth password."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret of the site's webhook; deliveries must be signed with it."
    )
    timeout: float = timeout_setting()
    requests_per_second: float = Field(
        default=10.0,
        gt=0,
        description="Our own ceiling on requests per second for this account (Jira's limits are "
        "cost-based; 429s slow us further).",
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {value!r}")
        if parts.username or parts.password:
            raise ValueError("base_url must not hold credentials; use email/token")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _auth(self) -> JiraConnection:
        if self.password is not None and not self.username:
            raise ValueError("password needs username")
        if self.username and self.password is None and self.token is None:
            raise ValueError("username needs password (or use token alone for a PAT)")
        if self.token is None and self.password is None:
            raise ValueError("set token (with email on Cloud), or username and password")
        return self

    @property
    def flavor(self) -> Deployment:
        """The deployment, from the setting or, when unset, from the host name."""
        if self.deployment is not None:
            return self.deployment
        host = (urlsplit(self.base_url).hostname or "").lower()
        return "cloud" if host.endswith(_CLOUD_HOSTS) else "datacenter"


class JiraMember(MemberSettings):
    """One Jira project (optionally narrowed by JQL) in a group."""

    project: str = Field(description="The project key, e.g. WEB.", min_length=1)
    jql: str | None = Field(
        default=None, description='Extra JQL narrowing the scope, e.g. "type != Epic".'
    )
    milestones: str = Field(
        default="versions",
        description="versions (project versions; a task's fixVersion) or issue_type:<Name>.",
    )
    issue_type: str = Field(default="Task", description="Issue type of the tasks syncd creates.")
    subtask_type: str | None = Field(
        default=None,
        description="Issue type for tasks whose parent is a standard issue; default: the "
        "project's sub-task type.",
    )
    link_type: str = Field(
        default="Blocks", description="Issue link type holding depends_on (X is blocked by Y)."
    )
    done_resolution: str | None = Field(
        default=None,
        description="Resolution set on transitions to done when the screen asks for one "
        "(default: the transition's default, else 'Done').",
    )
    page_size: int = Field(
        default=5000,
        ge=1,
        le=5000,
        description="Issues asked per search page; Jira returns fewer when it must.",
    )

    @field_validator("project")
    @classmethod
    def _key(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("milestones")
    @classmethod
    def _milestones(cls, value: str) -> str:
        value = value.strip()
        if value == "versions":
            return value
        prefix, _, name = value.partition(":")
        if prefix != "issue_type" or not name.strip():
            raise ValueError("milestones must be 'versions' or 'issue_type:<Name>'")
        return f"issue_type:{name.strip()}"

    @property
    def milestone_issue_type(self) -> str | None:
        """The issue type holding milestones, or None when milestones are versions."""
        if self.milestones == "versions":
            return None
        return self.milestones.partition(":")[2]
