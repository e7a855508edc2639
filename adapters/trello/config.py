"""Settings of the Trello adapter: one connection per API key and token, one member per board.

Trello authenticates with an app's API key and a user's token. syncd sends both in the
``Authorization: OAuth oauth_consumer_key="…", oauth_token="…"`` header, never in URLs, so they
cannot leak into logs or proxies. https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from adapters.base import ConnectionSettings, MemberSettings
from syncd.http.client import timeout_setting

TRELLO_API = "https://api.trello.com/1"


class TrelloConnection(ConnectionSettings):
    """One Trello user's token under one app's API key."""

    type: Literal["trello"] = "trello"
    base_url: str = Field(default=TRELLO_API, description="The API root (Trello's by default).")
    key: SecretStr = Field(description="The app's API key.")
    token: SecretStr = Field(description="The user's token.")
    secret: SecretStr | None = Field(
        default=None, description="The app's secret: webhook deliveries are signed with it."
    )
    timeout: float = timeout_setting()
    token_pace: int = Field(
        default=90,
        ge=1,
        description="Requests per 10 s syncd sends with this token (Trello allows 100).",
    )
    key_pace: int = Field(
        default=270,
        ge=1,
        description="Requests per 10 s syncd sends with this key (Trello allows 300).",
    )
    webhook_url: str | None = Field(
        default=None, description="The callback URL given to Trello (part of the signature)."
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {value!r}")
        return value.strip().rstrip("/")


class TrelloMember(MemberSettings):
    """One Trello board (optionally narrowed to lists) in a group."""

    board: str = Field(description="The board's id or short link.", min_length=1)
    lists: list[str] = Field(
        default_factory=list, description="Only cards in these lists (names); all if empty."
    )
    milestone_label: str = Field(
        default="Milestone", description="Cards carrying this label are milestones."
    )
    milestone_field: str | None = Field(
        default=None,
        description="A text custom field naming a task's milestone (by its card's name); "
        "without it, a task's milestone is not synced to Trello.",
    )
    timezone: str | None = Field(
        default=None, description="Time zone of start and due dates (default: the group's)."
    )
    due_time: str = Field(
        default="17:00", description="Local time of day written with a date (HH:MM)."
    )

    @field_validator("due_time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("due_time must be HH:MM (24-hour)")
        return value

    @property
    def time_of_day(self) -> dt.time:
        """`due_time` as a time."""
        hours, minutes = self.due_time.split(":")
        return dt.time(int(hours), int(minutes))
