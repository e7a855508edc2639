"""The JSON of every object as Trello answers it, and ``fields`` selection.

Links point at ``https://trello.com`` as Trello's do (``url``, ``shortUrl``); instants are
ISO 8601 in UTC with milliseconds and ``Z`` (`timestamp`).
"""

from __future__ import annotations

import re
from typing import Any

from adapters.trello.simulator.model import (
    Action,
    Board,
    Card,
    CustomField,
    FieldValue,
    Label,
    Member,
    TrelloList,
    Webhook,
)
from adapters.trello.simulator.store import Store, timestamp
from adapters.trello.simulator.values import field_list

SITE = "https://trello.com"
COLORS = ("green", "yellow", "orange", "red", "purple", "blue", "sky", "lime", "pink", "black")
CARD_FIELDS = [
    "badges", "checkItemStates", "closed", "dateLastActivity", "desc", "descData", "due",
    "dueComplete", "dueReminder", "email", "idBoard", "idChecklists",
    "idLabels", "idList", "idMembers", "idMembersVoted", "idShort", "isTemplate", "labels",
    "manualCoverAttachment", "name", "pos", "shortLink", "shortUrl", "start", "subscribed", "url",
]  # fmt: skip
BOARD_FIELDS = [
    "name", "desc", "closed", "idOrganization", "idMemberCreator", "pinned", "url", "shortUrl",
    "shortLink", "labelNames", "dateLastActivity", "memberships",
]  # fmt: skip
# What GET /boards/{id} answers without ``fields`` (the rest only when asked).
BOARD_DEFAULT = ["name", "desc", "closed", "idOrganization", "pinned", "url", "shortUrl"]


def select(full: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """``full`` cut down to ``id`` and the ``fields`` asked (None: everything)."""
    if fields is None:
        return full
    return {k: v for k, v in full.items() if k == "id" or k in fields}


def member(found: Member, *, me: bool = False) -> dict[str, Any]:
    """A member; the email only to the member themself (Trello hides it from others)."""
    body: dict[str, Any] = {
        "id": found.id,
        "activityBlocked": False,
        "confirmed": True,
        "fullName": found.full_name,
        "initials": "".join(w[0] for w in found.full_name.split()[:2]).upper(),
        "memberType": "normal",
        "url": f"{SITE}/{found.username}",
        "username": found.username,
        "idOrganizations": [],
        "nonPublic": {},
        "nonPublicAvailable": True,
    }
    if me and found.email:
        body["email"] = found.email
    return body


def board_member(found: Member) -> dict[str, Any]:
    return {"id": found.id, "fullName": found.full_name, "username": found.username}


def board(store: Store, found: Board, fields: Any) -> dict[str, Any]:
    names = dict.fromkeys(COLORS, "")
    for label in store.board_labels(found):
        if label.color in names and not names[label.color]:
            names[label.color] = label.name
    full: dict[str, Any] = {
        "id": found.id,
        "name": found.name,
        "desc": found.desc,
        "closed": found.closed,
        "idOrganization": found.organization,
        "idMemberCreator": found.creator or found.members[0],
        "pinned": False,
        "url": f"{SITE}/b/{found.short_link}/{_slug(found.name)}",
        "shortUrl": f"{SITE}/b/{found.short_link}",
        "shortLink": found.short_link,
        "labelNames": names,
        "dateLastActivity": timestamp(found.last_activity),
        "memberships": [
            {"id": f"{m[:16]}{found.id[16:]}", "idMember": m, "memberType": "normal"}
            for m in found.members
        ],
    }
    chosen = BOARD_DEFAULT if fields is None else field_list(fields, BOARD_FIELDS)
    return select(full, chosen)


def trello_list(found: TrelloList) -> dict[str, Any]:
    return {
        "id": found.id,
        "name": found.name,
        "closed": found.closed,
        "color": None,
        "idBoard": found.board,
        "pos": _number(found.pos),
        "subscribed": False,
    }


def label(store: Store, found: Label) -> dict[str, Any]:
    uses = sum(1 for c in store.state.cards.values() if found.id in c.labels)
    return {
        "id": found.id,
        "idBoard": found.board,
        "name": found.name,
        "color": found.color,
        "uses": uses,
    }


def custom_field(found: CustomField) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": found.id,
        "idModel": found.board,
        "modelType": "board",
        "fieldGroup": found.id[::-1],
        "display": {"cardFront": True},
        "name": found.name,
        "pos": _number(found.pos),
        "type": found.type,
        "isSuggestedField": False,
    }
    if found.type == "list":
        body["options"] = [
            {
                "id": o.id,
                "idCustomField": found.id,
                "value": {"text": o.text},
                "color": o.color,
                "pos": _number(o.pos),
            }
            for o in found.options
        ]
    return body


def field_item(card_id: str, field_id: str, item: FieldValue) -> dict[str, Any]:
    """A custom field item: ``value`` (``{"number": "12500"}``: numbers are strings) or, for
    a list field, ``idValue``."""
    body: dict[str, Any] = {"id": item.id}
    if item.id_value is not None:
        body["idValue"] = item.id_value
    else:
        body["value"] = item.value
    return {**body, "idCustomField": field_id, "idModel": card_id, "modelType": "card"}


def card(store: Store, found: Card, fields: list[str] | None = None) -> dict[str, Any]:
    labels = [store.state.labels[i] for i in found.labels if i in store.state.labels]
    due, start = _instant(found.due), _instant(found.start)
    full: dict[str, Any] = {
        "id": found.id,
        "badges": _badges(found, due, start),
        "checkItemStates": [],
        "closed": found.closed,
        "dateLastActivity": timestamp(found.last_activity),
        "desc": found.desc,
        "descData": {"emoji": {}},
        "due": due,
        "dueComplete": found.due_complete,
        "dueReminder": None,
        "email": None,
        "idBoard": found.board,
        "idChecklists": [],
        "idLabels": list(found.labels),
        "idList": found.id_list,
        "idMembers": list(found.members),
        "idMembersVoted": [],
        "idShort": found.id_short,
        "isTemplate": False,
        "labels": [label(store, x) for x in labels],
        "manualCoverAttachment": False,
        "name": found.name,
        "pos": _number(found.pos),
        "shortLink": found.short_link,
        "shortUrl": f"{SITE}/c/{found.short_link}",
        "start": start,
        "subscribed": False,
        "url": f"{SITE}/c/{found.short_link}/{found.id_short}-{_slug(found.name)}",
    }
    return select(full, fields)


def card_extras(store: Store, found: Card, body: dict[str, Any], flags: set[str]) -> None:
    """Add what ``customFieldItems=true`` and ``members=true`` ask for to a card's JSON."""
    if "customFieldItems" in flags:
        body["customFieldItems"] = [
            field_item(found.id, field_id, item) for field_id, item in found.custom.items()
        ]
    if "members" in flags:
        body["members"] = [
            board_member(store.state.members[m]) for m in found.members if m in store.state.members
        ]


def action(store: Store, found: Action) -> dict[str, Any]:
    creator = store.state.members.get(found.member_creator)
    return {
        "id": found.id,
        "idMemberCreator": found.member_creator,
        "data": found.data,
        "appCreator": None,
        "type": found.type,
        "date": timestamp(found.date),
        "limits": {},
        "memberCreator": None if creator is None else member(creator),
    }


def webhook(found: Webhook) -> dict[str, Any]:
    failed = found.first_consecutive_fail_date
    return {
        "id": found.id,
        "description": found.description,
        "idModel": found.id_model,
        "callbackURL": found.callback_url,
        "active": found.active,
        "consecutiveFailures": found.consecutive_failures,
        "firstConsecutiveFailDate": None if failed is None else timestamp(failed),
    }


def _badges(found: Card, due: str | None, start: str | None) -> dict[str, Any]:
    return {
        "attachmentsByType": {"trello": {"board": 0, "card": 0}},
        "location": False,
        "votes": 0,
        "viewingMemberVoted": False,
        "subscribed": False,
        "fogbugz": "",
        "checkItems": 0,
        "checkItemsChecked": 0,
        "comments": 0,
        "attachments": 0,
        "description": bool(found.desc),
        "due": due,
        "dueComplete": found.due_complete,
        "start": start,
    }


def _instant(value: Any) -> str | None:
    return None if value is None else timestamp(value)


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
