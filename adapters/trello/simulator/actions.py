"""A board's actions, newest first: ``GET /boards/{boardId}/actions`` with ``filter`` (types,
comma-separated), ``since``/``before`` (an action id or a date), ``limit`` (default 50, at most
1000) and ``page``. https://developer.atlassian.com/cloud/trello/guides/rest-api/action-types/
"""

from __future__ import annotations

from adapters.trello.simulator import render
from adapters.trello.simulator.call import Call, Endpoint, Reply
from adapters.trello.simulator.paging import newest_first


def board_actions(call: Call) -> Reply:
    store = call.sim.store
    board = store.board(call.param("boardId"), call.member)
    wanted = {t.strip() for t in str(call.arg("filter") or "all").split(",") if t.strip()}
    chosen = [
        a
        for a in store.state.actions
        if a.board == board.id and ("all" in wanted or a.type in wanted)
    ]
    page = newest_first(chosen, call, ident=lambda a: a.id, moment=lambda a: a.date)
    return Reply(200, [render.action(store, a) for a in page])


ENDPOINTS = (Endpoint("GET", "/boards/{boardId}/actions", board_actions),)
