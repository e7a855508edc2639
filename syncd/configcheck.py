"""Validating config data: every problem found, each placed by key path.

Connections and members are validated by their adapter's own models, found through the registry
from the connection's ``type`` (members in a second pass, once their connection's type is
known). Then come the rules that span keys: member names unique in a group, ``authority`` naming
canonical fields and the group's members, ``people`` naming connections. Last, the root model
(`syncd.configmodel.Config`) checks the rest with the adapter pieces already validated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

import adapters
from adapters.base import ConnectionSettings, MemberSettings, Plugin
from syncd.configfile import Issue, Loc
from syncd.configmessages import issues_from, shown, suggest
from syncd.configmodel import Config
from syncd.model import FIELDS

CANONICAL_FIELDS = sorted({name for specs in FIELDS.values() for name in specs})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_NAME_RULE = "may hold only letters, digits, '-', '_' and '.' (and start with a letter or digit)"


class _Checker:
    """Collects the issues of one config; ``texts`` are the file's scalars as written."""

    def __init__(self, texts: Mapping[Loc, str]) -> None:
        self.texts = texts
        self.issues: list[Issue] = []

    def add(self, loc: Loc, message: str) -> None:
        self.issues.append(Issue(message, loc))

    def validate(self, model: type[BaseModel], raw: Any, loc: Loc) -> BaseModel | None:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            found = issues_from(exc, root=model, data=raw, prefix=loc, texts=self.texts)
            self.issues += found
            return None

    def mapping(self, raw: Any, loc: Loc) -> bool:
        """Whether ``raw`` is a mapping; an issue if it is not."""
        if isinstance(raw, dict):
            return True
        self.add(loc, f"expected a mapping (key: value), got {shown(raw, loc, self.texts)}")
        return False

    def name(self, name: object, loc: Loc, what: str) -> None:
        if isinstance(name, str) and not _NAME.fullmatch(name):
            self.add(loc, f"a {what} name {_NAME_RULE}")


def check(data: Any, texts: Mapping[Loc, str] | None = None) -> tuple[Config | None, list[Issue]]:
    """Validate config data.

    Args:
        data: the parsed file (after ``${VAR}`` expansion).
        texts: the file's text of each scalar by key path, to echo values as written.

    Returns:
        The config (None when there are issues) and every issue found.
    """
    checker = _Checker(texts or {})
    if not isinstance(data, dict):
        got = shown(data, (), checker.texts)
        checker.add((), f"expected a mapping of settings (key: value) at the top, got {got}")
        return None, checker.issues
    connections = _connections(checker, data.get("connections"))
    groups = _groups(checker, data.get("groups"), connections)
    _people(checker, data.get("people"), list(connections))
    root = dict(data)
    if isinstance(data.get("connections"), dict):
        root["connections"] = {name: c or _placeholder() for name, c in connections.items()}
    if groups is not None:
        root["groups"] = groups
    config = checker.validate(Config, root, ())
    if checker.issues:
        return None, checker.issues
    assert isinstance(config, Config)  # validate returned the model it was given
    return config, []


def _placeholder() -> ConnectionSettings:
    """Stands in for a connection already found invalid, so it is not reported twice."""
    return ConnectionSettings.model_construct(type="invalid")


# --- connections ----------------------------------------------------------------------------------


def _connections(checker: _Checker, raw: Any) -> dict[str, ConnectionSettings | None]:
    """Each connection validated by its adapter's model (None where invalid)."""
    if not isinstance(raw, dict):
        return {}
    out: dict[str, ConnectionSettings | None] = {}
    for name, settings in raw.items():
        loc: Loc = ("connections", name)
        checker.name(name, loc, "connection")
        found = _plugin(checker, settings, loc) if checker.mapping(settings, loc) else None
        model = checker.validate(found.connection, settings, loc) if found else None
        out[str(name)] = model if isinstance(model, ConnectionSettings) else None
    return out


def _plugin(checker: _Checker, settings: dict[str, Any], loc: Loc) -> Plugin | None:
    """The plugin a connection's ``type`` names (None, and an issue, if it names none)."""
    if "type" not in settings:
        checker.add(loc, "missing required key 'type'")
        return None
    kind = settings["type"]
    known = adapters.available()
    if not isinstance(kind, str) or kind not in known:
        got = shown(kind, (*loc, "type"), checker.texts)
        checker.add((*loc, "type"), f"unknown adapter type {got} (known: {', '.join(known)})")
        return None
    try:
        return adapters.plugin(kind)
    except adapters.AdapterLoadError as exc:
        checker.add((*loc, "type"), str(exc))
        return None


# --- groups and members ---------------------------------------------------------------------------


def _groups(
    checker: _Checker, raw: Any, connections: Mapping[str, ConnectionSettings | None]
) -> dict[str, Any] | None:
    """The groups with their members validated (the rest is left to the root model)."""
    if not isinstance(raw, dict):
        return None
    out: dict[str, Any] = {}
    for name, group in raw.items():
        checker.name(name, ("groups", name), "group")
        out[name] = group
        if isinstance(group, dict) and isinstance(group.get("members"), list):
            loc: Loc = ("groups", name)
            members = _members(checker, group["members"], loc, connections)
            out[name] = {**group, "members": members}
            _authority(checker, group.get("authority"), loc, _names(group["members"]))
    return out


def _members(
    checker: _Checker,
    raw: list[Any],
    group: Loc,
    connections: Mapping[str, ConnectionSettings | None],
) -> list[MemberSettings]:
    members: list[MemberSettings] = []
    for index, settings in enumerate(raw):
        loc: Loc = (*group, "members", index)
        member = None
        if checker.mapping(settings, loc):
            member = _member(checker, settings, loc, connections)
        members.append(member or MemberSettings.model_construct(connection="invalid"))
    _unique_names(checker, raw, group)
    return members


def _member(
    checker: _Checker,
    settings: dict[str, Any],
    loc: Loc,
    connections: Mapping[str, ConnectionSettings | None],
) -> MemberSettings | None:
    """One member, validated by its connection's adapter (None if it or its connection fails)."""
    name = settings.get("connection")
    if "connection" not in settings:
        checker.add(loc, "missing required key 'connection'")
        return None
    if not isinstance(name, str) or name not in connections:
        got = shown(name, (*loc, "connection"), checker.texts)
        known = ", ".join(connections) or "none"
        checker.add((*loc, "connection"), f"unknown connection {got} (known: {known})")
        return None
    checker.name(settings.get("name"), (*loc, "name"), "member")
    connection = connections[name]
    if connection is None:
        return None  # its connection is invalid, and reported
    model = checker.validate(adapters.plugin(connection.type).member, settings, loc)
    return model if isinstance(model, MemberSettings) else None


def _names(raw: list[Any]) -> list[str | None]:
    """Each member's name as written: ``name``, else its connection (None if neither)."""
    names: list[str | None] = []
    for settings in raw:
        name = None
        if isinstance(settings, dict):
            name = settings.get("name") or settings.get("connection")
        names.append(name if isinstance(name, str) else None)
    return names


def _unique_names(checker: _Checker, raw: list[Any], group: Loc) -> None:
    first: dict[str, int] = {}
    for index, name in enumerate(_names(raw)):
        if name is None:
            continue
        if name in first:
            message = (
                f"duplicate member name {name!r} (members[{first[name]}] has it too); "
                "two members on one connection need names"
            )
            checker.add((*group, "members", index), message)
        first.setdefault(name, index)


def _authority(checker: _Checker, raw: Any, group: Loc, names: list[str | None]) -> None:
    """``authority`` names canonical fields, and members of the group, once each."""
    if not isinstance(raw, dict):
        return  # the root model reports a wrong type
    members = list(dict.fromkeys(name for name in names if name is not None))
    for field, order in raw.items():
        loc: Loc = (*group, "authority", field)
        if field not in CANONICAL_FIELDS:
            checker.add(loc, f"unknown field {field!r}" + suggest(str(field), CANONICAL_FIELDS))
        if isinstance(order, list):
            _authority_order(checker, order, loc, members)


def _authority_order(checker: _Checker, order: list[Any], loc: Loc, members: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(order):
        if not isinstance(name, str):
            continue  # the root model reports a wrong type
        if name not in members:
            known = ", ".join(members)
            checker.add((*loc, index), f"unknown member {name!r} (members: {known})")
        elif name in seen:
            checker.add((*loc, index), f"member {name!r} is listed twice")
        seen.add(name)


# --- people ---------------------------------------------------------------------------------------


def _people(checker: _Checker, raw: Any, connections: list[str]) -> None:
    """Emails are unique (ignoring case) and name known connections."""
    if not isinstance(raw, dict):
        return  # the root model reports a wrong type
    first: dict[str, str] = {}
    for email, ids in raw.items():
        loc: Loc = ("people", email)
        if not isinstance(email, str) or "@" not in email:
            checker.add(loc, "expected an email address as the key")
        elif email.lower() in first:
            checker.add(
                loc, f"{email!r} is the same email as {first[email.lower()]!r} (case is ignored)"
            )
        else:
            first[email.lower()] = email
        for name in ids if isinstance(ids, dict) else ():
            if name not in connections:
                known = ", ".join(connections) or "none"
                checker.add((*loc, name), f"unknown connection {name!r} (known: {known})")
