"""Members, boards and what a board holds: lists, labels, custom fields, members, cards.

https://developer.atlassian.com/cloud/trello/rest/api-group-boards/
"""

from __future__ import annotations

from adapters.trello.simulator import render
from adapters.trello.simulator.call import Call, Endpoint, Reply
from adapters.trello.simulator.cards import card_body
from adapters.trello.simulator.errors import invalid_value
from adapters.trello.simulator.model import Label, TrelloList
from adapters.trello.simulator.paging import asks_for_a_page, newest_first
from adapters.trello.simulator.store import ref_of_list
from adapters.trello.simulator.values import as_bool, as_id, as_pos, as_text

# /boards/{id}/cards/{filter} and /boards/{id}/lists?filter=: what each filter keeps.
_CLOSED = {"open": (False,), "visible": (False,), "closed": (True,), "all": (False, True)}


def get_member(call: Call) -> Reply:
    found = call.sim.store.member(call.param("id"), call.member)
    return Reply(200, render.member(found, me=found.id == call.member.id))


def member_boards(call: Call) -> Reply:
    """``GET /members/{id}/boards``: the boards the member belongs to that the caller may see,
    shaped by ``fields``; ``filter`` all (the default), open or closed.
    https://developer.atlassian.com/cloud/trello/rest/api-group-members/#api-members-id-boards-get
    """
    store = call.sim.store
    found = store.member(call.param("id"), call.member)
    keep = _closed_filter(call.arg("filter") or "all")
    boards = [
        b
        for b in store.state.boards.values()
        if found.id in b.members and call.member.id in b.members and b.closed in keep
    ]
    boards.sort(key=lambda b: b.id)
    return Reply(200, [render.board(store, b, call.arg("fields")) for b in boards])


def get_board(call: Call) -> Reply:
    """``GET /boards/{id}``, with the nested resources a client asks for in the same call
    (``lists=open|closed|all``, ``labels=all``, ``customFields=true``).
    https://developer.atlassian.com/cloud/trello/guides/rest-api/nested-resources/
    """
    store = call.sim.store
    found = store.board(call.param("id"), call.member)
    body = render.board(store, found, call.arg("fields"))
    lists = call.arg("lists")
    if lists in ("open", "closed", "all"):
        keep = _closed_filter(lists)
        body["lists"] = [
            render.trello_list(x) for x in store.board_lists(found) if x.closed in keep
        ]
    if call.arg("labels") == "all":
        body["labels"] = [render.label(store, x) for x in store.board_labels(found)]
    if call.arg("customFields") == "true":
        body["customFields"] = [render.custom_field(f) for f in store.board_fields(found)]
    return Reply(200, body)


def board_lists(call: Call) -> Reply:
    store = call.sim.store
    found = store.board(call.param("id"), call.member)
    keep = _closed_filter(call.arg("filter") or "open")
    lists = [x for x in store.board_lists(found) if x.closed in keep]
    return Reply(200, [render.trello_list(x) for x in lists])


def board_labels(call: Call) -> Reply:
    store = call.sim.store
    found = store.board(call.param("id"), call.member)
    return Reply(200, [render.label(store, x) for x in store.board_labels(found)])


def board_custom_fields(call: Call) -> Reply:
    store = call.sim.store
    found = store.board(call.param("id"), call.member)
    return Reply(200, [render.custom_field(f) for f in store.board_fields(found)])


def board_members(call: Call) -> Reply:
    store = call.sim.store
    found = store.board(call.param("id"), call.member)
    members = [store.state.members[m] for m in found.members if m in store.state.members]
    return Reply(200, [render.board_member(m) for m in members])


def board_cards(call: Call) -> Reply:
    """The board's cards in list and position order, or, when paged, newest first."""
    store = call.sim.store
    found = store.board(call.param("id"), call.member)
    keep = _closed_filter(call.params.get("filter") or call.arg("filter") or "visible")
    cards = [c for c in store.board_cards(found) if c.closed in keep]
    if asks_for_a_page(call):
        cards = newest_first(cards, call, ident=lambda c: c.id, default_limit=1000)
    else:
        order = {x.id: i for i, x in enumerate(store.board_lists(found))}
        cards.sort(key=lambda c: (order.get(c.id_list, 0), c.pos, c.id))
    return Reply(200, [card_body(call, c) for c in cards])


def _closed_filter(name: object) -> tuple[bool, ...]:
    keep = _CLOSED.get(str(name))
    if keep is None:
        raise invalid_value("filter")
    return keep


# --- lists and labels ---------------------------------------------------------------------------


def create_list(call: Call) -> Reply:
    store = call.sim.store
    board = store.board(as_id(call.arg("idBoard"), "idBoard"), call.member)
    name = as_text(call.arg("name") or "", "name")
    if not name.strip():
        raise invalid_value("name")
    taken = [x.pos for x in store.board_lists(board)]
    created = TrelloList(
        id=store.next_id(),
        name=name,
        board=board.id,
        pos=as_pos(call.arg("pos"), "pos", taken),
    )
    store.state.lists[created.id] = created
    store.record("createList", call.member, {"list": ref_of_list(created)}, board=board)
    return Reply(200, render.trello_list(created))


def get_list(call: Call) -> Reply:
    return Reply(200, render.trello_list(call.sim.store.trello_list(call.param("id"), call.member)))


def update_list(call: Call) -> Reply:
    store = call.sim.store
    found = store.trello_list(call.param("id"), call.member)
    old: dict[str, object] = {}
    if call.arg("name") is not None:
        old["name"], found.name = found.name, as_text(call.arg("name"), "name")
    if call.arg("closed") is not None:
        old["closed"], found.closed = found.closed, as_bool(call.arg("closed"), "closed")
    if call.arg("pos") is not None:
        taken = [x.pos for x in store.state.lists.values() if x.board == found.board]
        old["pos"], found.pos = found.pos, as_pos(call.arg("pos"), "pos", taken)
    board = store.state.boards[found.board]
    for name, before in old.items():
        data = {"list": {**ref_of_list(found), name: getattr(found, name)}, "old": {name: before}}
        store.record("updateList", call.member, data, board=board)
    return Reply(200, render.trello_list(found))


def create_label(call: Call) -> Reply:
    store = call.sim.store
    board = store.board(as_id(call.arg("idBoard"), "idBoard"), call.member)
    color = call.arg("color")
    if color in ("", "null"):
        color = None
    if color is not None and color not in render.COLORS:
        raise invalid_value("color")
    name = as_text(call.arg("name") or "", "name")
    created = Label(id=store.next_id(), name=name, color=color, board=board.id)
    store.state.labels[created.id] = created
    return Reply(200, render.label(store, created))


_NESTED = {
    "lists": board_lists,
    "labels": board_labels,
    "customFields": board_custom_fields,
    "members": board_members,
    "cards": board_cards,
}

ENDPOINTS = (
    Endpoint("GET", "/members/{id}", get_member),
    Endpoint("GET", "/members/{id}/boards", member_boards),
    Endpoint("GET", "/boards/{id}", get_board),
    Endpoint("GET", "/boards/{id}/lists", board_lists),
    Endpoint("GET", "/boards/{id}/labels", board_labels),
    Endpoint("GET", "/boards/{id}/customFields", board_custom_fields),
    Endpoint("GET", "/boards/{id}/members", board_members),
    Endpoint("GET", "/boards/{id}/cards", board_cards),
    Endpoint("GET", "/boards/{id}/cards/{filter}", board_cards),
    Endpoint("POST", "/lists", create_list),
    Endpoint("GET", "/lists/{id}", get_list),
    Endpoint("PUT", "/lists/{id}", update_list),
    Endpoint("POST", "/labels", create_label),
)
