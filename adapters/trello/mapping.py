"""Trello cards <-> canonical values: pure functions, no I/O.

Trello quirks handled here:

- ``desc`` is Trello's own Markdown, kept byte for byte (only normalised as every description).
- Status is the card's list (``status_map``: list names); a card in an unmapped list is done when
  ``dueComplete``, else todo.
- ``start`` and ``due`` are instants: read as dates in the member's time zone, written at a fixed
  local time of day, so a date survives the round trip in any zone.
- Custom field numbers travel as strings: ``{"value": {"number": "12500"}}``.
  https://developer.atlassian.com/cloud/trello/guides/rest-api/getting-started-with-custom-fields/
- Members: Trello hides most emails, so people are found through the config's ``people`` map;
  the first mapped member of a card is its assignee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from syncd.errors import PayloadError
from syncd.model import Kind, Ref, TaskStatus, Values, normalise, normalise_text

NUMBER_FIELDS = ("planned_cost", "actual_cost", "estimate_hours")
CARD_FIELDS = (
    "name,desc,closed,idList,idMembers,idLabels,due,dueComplete,start,dateLastActivity,shortUrl"
)


@dataclass(frozen=True)
class Site:
    """What the mapping knows of one board."""

    lists: Mapping[str, str]  # list id -> name
    labels: Mapping[str, str]  # label id -> name
    milestone_label: str | None  # the id of the label marking milestones
    status_map: Mapping[str, TaskStatus] = field(default_factory=dict)  # casefolded list name ->
    custom: Mapping[str, str] = field(default_factory=dict)  # canonical -> custom field id
    milestone_field: str | None = None  # text custom field id naming a task's milestone
    milestones: Mapping[str, str] = field(default_factory=dict)  # casefolded name -> card id
    emails: Mapping[str, str] = field(default_factory=dict)  # member id -> email
    timezone: dt.tzinfo = dt.UTC
    time_of_day: dt.time = dt.time(17, 0)


@dataclass(frozen=True)
class CardRead:
    """One card in canonical form."""

    kind: Kind
    id: str
    values: Values
    modified_at: dt.datetime | None
    url: str | None
    members: tuple[str, ...]


def read_card(site: Site, card: Mapping[str, Any]) -> CardRead:
    """Map a card (with `CARD_FIELDS` and its custom field items) to canonical values.

    Raises:
        PayloadError: no id, or a field of the wrong type.
    """
    raw_id = card.get("id")
    card_id = raw_id if isinstance(raw_id, str) else ""  # str() of a list would make one up
    if not card_id:
        raise PayloadError("card without id")
    try:
        label_ids = [str(i) for i in _array(card, "idLabels")]
        kind: Kind = "milestone" if site.milestone_label in label_ids else "task"
        values = normalise(kind, _values(site, kind, card, label_ids))
        members = tuple(str(m) for m in _array(card, "idMembers"))  # a milestone's too
    except (TypeError, ValueError, KeyError, AttributeError, InvalidOperation) as exc:
        raise PayloadError(f"card {card_id}: {exc}", external_id=card_id) from exc
    return CardRead(
        kind,
        card_id,
        values,
        parse_instant(card.get("dateLastActivity")),
        card.get("shortUrl"),
        members,
    )


def _values(site: Site, kind: Kind, card: Mapping[str, Any], labels: list[str]) -> Values:
    status = read_status(site, card)
    values: Values = {
        "title": _text(card, "name").strip(),
        "description": normalise_text(_text(card, "desc", optional=True)),
        "due": to_day(site, card.get("due")),
    }
    if kind == "milestone":
        values["status"] = "done" if status == "done" else "todo"
        return values
    values["status"] = status
    values["start"] = to_day(site, card.get("start"))
    values["labels"] = frozenset(
        site.labels[i] for i in labels if i in site.labels and i != site.milestone_label
    )
    assignee = _assignee(site, card)
    if assignee is not _UNKNOWN:
        values["assignee"] = assignee
    items = custom_items(card)
    for name, field_id in site.custom.items():
        if name in NUMBER_FIELDS:
            values[name] = _number(name, items.get(field_id))
    if site.milestone_field is not None:
        named = str(items.get(site.milestone_field) or "").strip().casefold()
        if not named:
            values["milestone"] = None
        elif named in site.milestones:
            values["milestone"] = Ref(uid=site.milestones[named])
        # else: a name no milestone card carries (a typo, or a card not read yet) says nothing
        # about the task's milestone; reading it as None would clear it in every other tool.
    return values


_UNKNOWN = object()


def _text(card: Mapping[str, Any], name: str, *, optional: bool = False) -> str:
    """A text field. Every card has a ``name``; an ``optional`` one (``desc``) may be null, for
    "". A missing name or a value that is not text is malformed: ``str()`` would make up a
    title (``""``, ``"['a']"``) that the other tools would then be given."""
    raw = card.get(name)
    if raw is None and optional:
        return ""
    if not isinstance(raw, str):
        raise ValueError(f"{name} is {type(raw).__name__}, not text")
    return raw


def _array(card: Mapping[str, Any], name: str) -> list[Any]:
    """A list of ids (null: none); a string is not read letter by letter."""
    raw = card.get(name)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError(f"{name} is {type(raw).__name__}, not a list")
    return raw


def _assignee(site: Site, card: Mapping[str, Any]) -> Any:
    """The first member with a known email; None without members; unknown (left out) when
    the card's members are all people the config does not know."""
    members = [str(m) for m in _array(card, "idMembers")]
    for member in members:
        if member in site.emails:
            return site.emails[member]
    return None if not members else _UNKNOWN


def read_status(site: Site, card: Mapping[str, Any]) -> TaskStatus:
    """The status of the card's list, else done when dueComplete, else todo."""
    name = site.lists.get(str(card.get("idList")), "")
    mapped = site.status_map.get(name.casefold())
    if mapped is not None:
        return mapped
    return "done" if card.get("dueComplete") else "todo"


def custom_items(card: Mapping[str, Any]) -> dict[str, Any]:
    """custom field id -> its value (number as text, or text)."""
    found: dict[str, Any] = {}
    for item in card.get("customFieldItems") or []:
        value = item.get("value") or {}
        raw = value.get("number", value.get("text")) if isinstance(value, dict) else None
        found[str(item.get("idCustomField"))] = raw
    return found


def _number(name: str, raw: Any) -> Any:
    if raw in (None, ""):
        return None
    if name == "estimate_hours":
        return float(raw)
    return Decimal(str(raw))


def to_day(site: Site, raw: Any) -> dt.date | None:
    """A Trello instant as the date it falls on in the member's time zone.

    Raises:
        ValueError: a value that is not an instant (read as "no date", it would clear it).
    """
    if raw is None or raw == "":
        return None
    moment = parse_instant(raw)
    if moment is None:
        raise ValueError(f"not a time: {raw!r}")
    return moment.astimezone(site.timezone).date()


def to_instant(site: Site, day: dt.date | None) -> str | None:
    """A date as the instant Trello stores: the member's time of day, in its zone, in UTC."""
    if day is None:
        return None
    local = dt.datetime.combine(day, site.time_of_day, tzinfo=site.timezone)
    return local.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_instant(raw: Any) -> dt.datetime | None:
    """Trello's ``2026-01-31T17:00:00.000Z``."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def card_body(site: Site, changes: Values) -> dict[str, Any]:
    """The plain card fields of a create or update (lists, labels and members: the adapter)."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "title":
            out["name"] = value
        elif name == "description":
            out["desc"] = value
        elif name == "due":
            out["due"] = to_instant(site, value)
        elif name == "start":
            out["start"] = to_instant(site, value)
        elif name == "status":
            out["dueComplete"] = value == "done"
    return out


def number_item(name: str, value: Any) -> dict[str, Any]:
    """A custom field item's body: numbers as text, "" to clear."""
    if value is None:
        return {"value": ""}
    text = format(value, "f") if isinstance(value, Decimal) else repr(float(value))
    return {"value": {"number": text}}
