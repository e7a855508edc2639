"""Cards: create, read, update (archive with ``closed``), delete (permanent), and their labels
and members. Each change is recorded as the action Trello records for it.

https://developer.atlassian.com/cloud/trello/rest/api-group-cards/
"""

from __future__ import annotations

from typing import Any

from adapters.trello.simulator import render
from adapters.trello.simulator.call import Call, Endpoint, Reply
from adapters.trello.simulator.errors import CARD_NOT_FOUND, TrelloError, invalid_value
from adapters.trello.simulator.model import Board, Card
from adapters.trello.simulator.store import ref_of_card, ref_of_list, timestamp
from adapters.trello.simulator.values import (
    as_bool,
    as_id,
    as_ids,
    as_instant,
    as_pos,
    as_text,
    field_list,
)

# A card's writable attributes: Trello's parameter -> (the record's attribute, the reader).
_SCALARS: dict[str, tuple[str, Any]] = {
    "name": ("name", as_text),
    "desc": ("desc", as_text),
    "closed": ("closed", as_bool),
    "due": ("due", as_instant),
    "start": ("start", as_instant),
    "dueComplete": ("due_complete", as_bool),
}


def card_body(call: Call, card: Card) -> dict[str, Any]:
    """A card's JSON shaped by ``fields``, ``customFieldItems=true`` and ``members=true``."""
    body = render.card(call.sim.store, card, field_list(call.arg("fields"), render.CARD_FIELDS))
    flags = {name for name in ("customFieldItems", "members") if call.flag(name)}
    render.card_extras(call.sim.store, card, body, flags)
    return body


def _changes(call: Call, board: Board, card: Card | None) -> dict[str, Any]:
    """The parameters given, read and checked against ``board`` (attribute -> new value)."""
    store, changes = call.sim.store, {}
    for name, (attribute, read) in _SCALARS.items():
        if name in call.args:
            changes[attribute] = read(call.arg(name), name)
    if "idList" in call.args and card is not None:
        target = store.state.lists.get(as_id(call.arg("idList"), "idList"))
        if target is None or target.board != board.id:
            raise invalid_value("idList")
        changes["id_list"] = target.id
    if "idMembers" in call.args:
        changes["members"] = as_ids(call.arg("idMembers"), "idMembers")
        if not set(changes["members"]) <= set(board.members):
            raise invalid_value("idMembers")
    if "idLabels" in call.args:
        changes["labels"] = as_ids(call.arg("idLabels"), "idLabels")
        if not set(changes["labels"]) <= {x.id for x in store.board_labels(board)}:
            raise invalid_value("idLabels")
    if "pos" in call.args or card is None:
        in_list = changes.get("id_list") or (card.id_list if card else call.extras["list"])
        taken = [
            c.pos for c in store.state.cards.values() if c.id_list == in_list and c is not card
        ]
        changes["pos"] = as_pos(call.arg("pos"), "pos", taken)
    return changes


def create_card(call: Call) -> Reply:
    store = call.sim.store
    trello_list = store.state.lists.get(as_id(call.arg("idList"), "idList"))
    if trello_list is None:
        raise invalid_value("idList")
    board = store.board(trello_list.board, call.member)
    call.extras["list"] = trello_list.id
    changes = _changes(call, board, None)
    now = store.now()
    card = Card(
        id=store.next_id(),
        short_link="",
        id_short=board.next_id_short,
        id_list=trello_list.id,
        board=board.id,
        pos=changes.pop("pos"),
        last_activity=now,
    )
    card.short_link = store.short_link(card.id)
    for attribute in ("members", "labels"):
        setattr(card, attribute, changes.pop(attribute, []))
    for attribute, value in changes.items():
        setattr(card, attribute, value)
    board.next_id_short += 1
    board.last_activity = now
    store.state.cards[card.id] = card
    data = {"card": ref_of_card(card), "list": ref_of_list(trello_list)}
    store.record("createCard", call.member, data, card=card)
    return Reply(200, card_body(call, card))


def get_card(call: Call) -> Reply:
    return Reply(200, card_body(call, call.sim.store.card(call.param("id"), call.member)))


def update_card(call: Call) -> Reply:
    store = call.sim.store
    card = store.card(call.param("id"), call.member, CARD_NOT_FOUND)
    board = store.state.boards[card.board]
    changes = _changes(call, board, card)
    for attribute, value in changes.items():
        before = getattr(card, attribute)
        if before == value:
            continue
        setattr(card, attribute, value)
        _record_update(call, card, attribute, before)
    card.last_activity = board.last_activity = store.now()
    return Reply(200, card_body(call, card))


def _record_update(call: Call, card: Card, attribute: str, before: Any) -> None:
    store = call.sim.store
    if attribute in ("members", "labels"):
        for added in [x for x in getattr(card, attribute) if x not in before]:
            _record_link(call, card, attribute, added, "add")
        for removed in [x for x in before if x not in getattr(card, attribute)]:
            _record_link(call, card, attribute, removed, "remove")
        return
    name = _trello_name(attribute)
    new, old = _json(getattr(card, attribute)), _json(before)
    data: dict[str, Any] = {"card": {**ref_of_card(card), name: new}, "old": {name: old}}
    if attribute == "id_list":
        data["listBefore"] = ref_of_list(store.state.lists[before])
        data["listAfter"] = ref_of_list(store.state.lists[card.id_list])
    else:
        data["list"] = ref_of_list(store.state.lists[card.id_list])
    store.record("updateCard", call.member, data, card=card)


def _record_link(call: Call, card: Card, attribute: str, ident: str, verb: str) -> None:
    """``addMemberToCard``, ``removeLabelFromCard``... for one member or label."""
    store = call.sim.store
    data: dict[str, Any] = {"card": ref_of_card(card)}
    if attribute == "members":
        member = store.state.members[ident]
        data |= {"idMember": ident, "member": {"id": ident, "name": member.full_name}}
        kind = f"{verb}MemberToCard" if verb == "add" else "removeMemberFromCard"
    else:
        label = store.state.labels[ident]
        data |= {"label": {"id": ident, "name": label.name, "color": label.color}}
        data["text"] = label.name
        kind = f"{verb}LabelToCard" if verb == "add" else "removeLabelFromCard"
    store.record(kind, call.member, data, card=card)


def _trello_name(attribute: str) -> str:
    return {"due_complete": "dueComplete", "id_list": "idList"}.get(attribute, attribute)


def _json(value: Any) -> Any:
    return value if not hasattr(value, "astimezone") else timestamp(value)


def delete_card(call: Call) -> Reply:
    """Delete for good (archiving is ``closed: true``): the card is gone, ``deleteCard``."""
    store = call.sim.store
    card = store.card(call.param("id"), call.member, CARD_NOT_FOUND)
    ref = {"id": card.id, "idShort": card.id_short, "shortLink": card.short_link}
    data = {"card": ref, "list": ref_of_list(store.state.lists[card.id_list])}
    store.record("deleteCard", call.member, data, card=card)
    del store.state.cards[card.id]
    return Reply(200, {"limits": {}})


# --- labels and members of a card ---------------------------------------------------------------


def add_label(call: Call) -> Reply:
    store = call.sim.store
    card = store.card(call.param("id"), call.member, CARD_NOT_FOUND)
    label = store.state.labels.get(as_id(call.arg("value"), "value"))
    if label is None or label.board != card.board:
        raise invalid_value("value")
    if label.id in card.labels:
        raise TrelloError(400, "that label is already on the card")
    _link(call, card, "labels", [*card.labels, label.id])
    return Reply(200, list(card.labels))


def remove_label(call: Call) -> Reply:
    card = call.sim.store.card(call.param("id"), call.member, CARD_NOT_FOUND)
    label = call.param("idLabel")
    if label not in card.labels:
        raise invalid_value("idLabel")
    _link(call, card, "labels", [x for x in card.labels if x != label])
    return Reply(200, list(card.labels))


def add_member(call: Call) -> Reply:
    store = call.sim.store
    card = store.card(call.param("id"), call.member, CARD_NOT_FOUND)
    member = as_id(call.arg("value"), "value")
    if member not in store.state.boards[card.board].members:
        raise invalid_value("value")
    if member in card.members:
        raise TrelloError(400, "member is already on the card")
    _link(call, card, "members", [*card.members, member])
    return Reply(200, _members(call, card))


def remove_member(call: Call) -> Reply:
    card = call.sim.store.card(call.param("id"), call.member, CARD_NOT_FOUND)
    member = call.param("idMember")
    if member not in card.members:
        raise invalid_value("idMember")
    _link(call, card, "members", [x for x in card.members if x != member])
    return Reply(200, _members(call, card))


def _link(call: Call, card: Card, attribute: str, value: list[str]) -> None:
    before = getattr(card, attribute)
    setattr(card, attribute, value)
    _record_update(call, card, attribute, before)
    card.last_activity = call.sim.store.now()


def _members(call: Call, card: Card) -> list[dict[str, Any]]:
    members = call.sim.store.state.members
    return [render.board_member(members[m]) for m in card.members]


ENDPOINTS = (
    Endpoint("POST", "/cards", create_card),
    Endpoint("GET", "/cards/{id}", get_card),
    Endpoint("PUT", "/cards/{id}", update_card),
    Endpoint("DELETE", "/cards/{id}", delete_card),
    Endpoint("POST", "/cards/{id}/idLabels", add_label),
    Endpoint("DELETE", "/cards/{id}/idLabels/{idLabel}", remove_label),
    Endpoint("POST", "/cards/{id}/idMembers", add_member),
    Endpoint("DELETE", "/cards/{id}/idMembers/{idMember}", remove_member),
)
