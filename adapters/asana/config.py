"""Settings of the Asana adapter: one connection per token, one member per project.

Asana authenticates with a personal access token or an OAuth 2.0 access token, both sent as
``Authorization: Bearer``. https://developers.asana.com/docs/authentication
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from adapters.base import ConnectionSettings, MemberSettings
from syncd.http.client import timeout_setting

ASANA_API = "https://app.asana.com/api/1.0"


class AsanaConnection(ConnectionSettings):
    """One Asana account (a token)."""

    type: Literal["asana"] = "asana"
    base_url: str = Field(default=ASANA_API, description="The API root (Asana's by default).")
    token: SecretStr = Field(description="A personal access token or an OAuth access token.")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="The X-Hook-Secret Asana sent when the webhook was made; deliveries must "
        "be signed with it.",
    )
    timeout: float = timeout_setting()
    requests_per_minute: int = Field(
        default=150,
        ge=1,
        description="Our ceiling (Asana: 150/min on free workspaces, 1500/min on paid ones).",
    )
    reads_in_flight: int = Field(
        default=50, ge=1, le=50, description="Concurrent GETs (Asana allows 50 per user)."
    )
    writes_in_flight: int = Field(
        default=15, ge=1, le=15, description="Concurrent writes (Asana allows 15 per user)."
    )
    oauth_app: bool = Field(
        default=False,
        description="The token is an OAuth app's: syncd's uid is kept in each task's "
        "`external` data (personal tokens cannot).",
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {value!r}")
        return value.strip().rstrip("/")


class AsanaMember(MemberSettings):
    """One Asana project (optionally narrowed to sections) in a group."""

    project: str = Field(description="The project's gid.", pattern=r"^\d+$")
    sections: list[str] = Field(
        default_factory=list, description="Only tasks in these sections (names); all if empty."
    )
