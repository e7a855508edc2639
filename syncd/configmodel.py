"""The config file's models (DESIGN §6): the root `Config`, `Service` and `Group`.

These hold a config once it is valid; `syncd.configcheck` does the validating (with each
adapter's own models for connections and members) and `syncd.config` the loading.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, TypeAlias
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    SerializeAsAny,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from adapters.base import ConnectionSettings, MemberSettings
from syncd.actions import ConflictPolicy, DeletePolicy
from syncd.errors import ConfigError

MatchExisting: TypeAlias = Literal["title", "none"]

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", re.ASCII)
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_CURRENCY = re.compile(r"[A-Z]{3}")
_LISTEN = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(?P<port>\d{1,5})")


def parse_duration(value: object) -> dt.timedelta:
    """A duration from ``30s``, ``5m``, ``1h``, ``1h30m``, ``2d`` or plain seconds.

    Raises:
        PydanticCustomError: the value is none of these (a validation error in a model).
    """
    if isinstance(value, dt.timedelta):
        return value
    try:
        return _duration(value)
    except PydanticCustomError:
        raise
    except (OverflowError, ValueError):  # ValueError: int() refuses thousands of digits
        raise PydanticCustomError("syncd_plain", "a duration this long is not useful") from None


def _duration(value: object) -> dt.timedelta:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return dt.timedelta(seconds=value)
    if isinstance(value, str):
        text = value.replace(" ", "").lower()
        if text.isascii() and text.isdigit():
            return dt.timedelta(seconds=int(text))
        match = _DURATION.fullmatch(text)
        if text and match:
            amounts = [int(part or 0) for part in match.groups()]
            return dt.timedelta(
                seconds=sum(n * s for n, (_, s) in zip(amounts, _UNITS, strict=True))
            )
    raise PydanticCustomError("syncd_value", "expected a duration like 30s, 5m, 1h or 1h30m")


def format_duration(value: dt.timedelta) -> str:
    """The shortest config spelling of a duration (``90`` seconds -> ``1m30s``)."""
    left = int(value.total_seconds())
    parts = []
    for unit, seconds in _UNITS:
        amount, left = divmod(left, seconds)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


Duration: TypeAlias = Annotated[
    dt.timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"},
                {"type": "integer", "minimum": 0},
            ],
            "description": "A duration: 30s, 5m, 1h, 1h30m, 2d, or plain seconds.",
        }
    ),
]


def _optional_text(value: object) -> object:
    """An empty string counts as unset, so ``${VAR:-}`` can leave an optional key out."""
    return None if value == "" else value


class Service(BaseModel):
    """How ``syncd run`` behaves (``service:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: Duration = Field(
        default="60s", validate_default=True, description="Poll period per group."
    )
    full_resync: Duration = Field(
        default="1h",
        validate_default=True,
        description="Period of complete reads, which notice deletions and drift.",
    )
    listen: str = Field(
        default="127.0.0.1:8787",
        description="host:port of the webhook receiver, /healthz, /readyz and /metrics.",
    )
    public_url: Annotated[str | None, BeforeValidator(_optional_text)] = Field(
        default=None, description="The URL vendors call back for webhooks (none: polling only)."
    )

    @field_validator("interval", "full_resync")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise PydanticCustomError("syncd_plain", "must be longer than 0s")
        return value

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        match = _LISTEN.fullmatch(value)
        if not match or not 0 < int(match["port"]) < 65536:
            raise PydanticCustomError("syncd_value", "expected host:port, like 127.0.0.1:8787")
        return value

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise PydanticCustomError("syncd_value", "expected an http(s):// URL")
        return value

    @property
    def host(self) -> str:
        """The address part of ``listen`` (brackets of an IPv6 address removed)."""
        return self.listen.rpartition(":")[0].strip("[]") or "0.0.0.0"  # noqa: S104 - ":8787" means every interface

    @property
    def port(self) -> int:
        """The port part of ``listen``."""
        return int(self.listen.rpartition(":")[2])


class Group(BaseModel):
    """A set of members kept consistent as one whole (``groups.<name>``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field(description="ISO 4217 code of the group's costs and budgets: EUR.")
    conflicts: ConflictPolicy = Field(
        default="authority",
        description="authority (then last_writer_wins) | last_writer_wins.",
    )
    deletes: DeletePolicy = Field(
        default="archive", description="What a deletion in one member does to the others."
    )
    match_existing: MatchExisting = Field(
        default="title", description="On the first sync, pair existing records by title."
    )
    max_delete_ratio: float = Field(
        default=0.2, ge=0, le=1, description="Refuse a sync that would delete more than this."
    )
    timezone: str = Field(
        default="UTC", description="IANA time zone in which instants become dates."
    )
    members: list[SerializeAsAny[MemberSettings]] = Field(
        min_length=1, description="The systems' scopes, each validated by its adapter."
    )
    authority: dict[str, list[str]] = Field(
        default_factory=dict, description="Field -> member names, in order of precedence."
    )

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not _CURRENCY.fullmatch(value.upper()):
                raise PydanticCustomError("syncd_value", "expected a 3-letter currency code")
            return value.upper()
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise PydanticCustomError(
                "syncd_value", "expected an IANA time zone like Europe/Madrid"
            ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The group's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def member_names(self) -> list[str]:
        """The members' names, in config order."""
        return [member.member_name for member in self.members]

    def member(self, name: str) -> MemberSettings:
        """The member called ``name``.

        Raises:
            ConfigError: the group has no such member.
        """
        for member in self.members:
            if member.member_name == name:
                return member
        known = ", ".join(self.member_names)
        raise ConfigError([f"unknown member {name!r} (members: {known})"])


class Config(BaseModel):
    """The root of the config file. Validate it with `syncd.config.load_config`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: Annotated[str | None, BeforeValidator(_optional_text)] = Field(
        default=None,
        description="State store URL: sqlite:///path or postgresql://...; "
        "none means ~/.local/state/syncd/state.db.",
    )
    service: Service = Field(default_factory=Service, description="The background service.")
    connections: dict[str, SerializeAsAny[ConnectionSettings]] = Field(
        default_factory=dict, description="One per account: name -> its adapter's settings."
    )
    people: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="email -> {connection name -> that system's user id}."
    )
    groups: dict[str, Group] = Field(
        default_factory=dict, description="name -> a set of members kept consistent."
    )

    @field_validator("people")
    @classmethod
    def _lower_emails(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        return {email.lower(): ids for email, ids in value.items()}

    def group(self, name: str) -> Group:
        """The group called ``name``.

        Raises:
            ConfigError: there is no such group (the message lists the known ones).
        """
        if name not in self.groups:
            known = ", ".join(self.groups) or "none"
            raise ConfigError([f"unknown group {name!r} (known: {known})"])
        return self.groups[name]

    def member(self, group: str, name: str) -> MemberSettings:
        """The member ``name`` of group ``group``.

        Raises:
            ConfigError: no such group or member.
        """
        return self.group(group).member(name)

    def people_of(self, connection: str) -> dict[str, str]:
        """email -> user id on one connection, for the people that have one there."""
        return {email: ids[connection] for email, ids in self.people.items() if connection in ids}


def member_settings(config: Config, group: str) -> list[tuple[MemberSettings, ConnectionSettings]]:
    """Each member of a group with its connection's settings, in config order.

    Raises:
        ConfigError: there is no such group.
    """
    return [(m, config.connections[m.connection]) for m in config.group(group).members]


def secrets_of(config: Config) -> list[str]:
    """Every secret value in a config (``SecretStr`` fields, passwords in ``state``).

    Longest first, so a redactor replacing them in order never leaves part of one behind.
    """
    found = {*_secret_values(config), _url_password(config.state or "")}
    found.discard("")
    return sorted(found, key=lambda s: (-len(s), s))


def _url_password(url: str) -> str:
    """The password in ``scheme://user:password@host/...``, even in a URL urlsplit refuses."""
    _, sep, rest = url.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0] if sep else ""
    return authority.rpartition("@")[0].partition(":")[2]


def _secret_values(value: object) -> list[str]:
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, BaseModel):
        return [
            s for name in type(value).model_fields for s in _secret_values(getattr(value, name))
        ]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _secret_values(item)]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for item in value for s in _secret_values(item)]
    return []
