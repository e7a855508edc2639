"""Trello's paging: ``limit`` (at most 1000), ``before``/``since`` bounds (an object id or a
date), ``page``; newest first. Ids grow with time, so a page's last id is the next ``before``.

    GET /1/boards/{id}/actions?limit=2          -> [{"id": "65ba...0007"}, {"id": "65ba...0006"}]
    GET /1/boards/{id}/actions?limit=2&before=65ba...0006 -> the two before that one

https://developer.atlassian.com/cloud/trello/guides/rest-api/api-introduction/#paging
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from adapters.trello.simulator.call import Call
from adapters.trello.simulator.errors import invalid_value
from adapters.trello.simulator.store import id_time, is_id
from adapters.trello.simulator.values import as_instant, as_limit

_T = TypeVar("_T")
Bound = str | datetime | None


def asks_for_a_page(call: Call) -> bool:
    return any(call.arg(name) is not None for name in ("limit", "before", "since", "page"))


def newest_first(
    items: Iterable[_T],
    call: Call,
    *,
    ident: Callable[[_T], str],
    moment: Callable[[_T], datetime] | None = None,
    default_limit: int = 50,
) -> list[_T]:
    """The page of ``items`` the call asks for, sorted by id, newest first.

    ``moment`` gives an item's date (date bounds compare with it; by default, the id's).
    """
    when = moment or (lambda item: id_time(ident(item)))
    since, before = _bound(call.arg("since"), "since"), _bound(call.arg("before"), "before")
    chosen = [
        item
        for item in items
        if _after(ident(item), when(item), since) and _before(ident(item), when(item), before)
    ]
    chosen.sort(key=ident, reverse=True)
    limit = as_limit(call.arg("limit"), default_limit)
    page = as_limit(call.arg("page"), 0, "page")
    return chosen[page * limit : (page + 1) * limit]


def _bound(value: Any, name: str) -> Bound:
    if value is None or value in ("", "lastView"):
        return None
    if isinstance(value, str) and is_id(value):
        return value.lower()
    moment = as_instant(value, name)
    if moment is None:
        raise invalid_value(name)
    return moment


def _after(ident: str, moment: datetime, bound: Bound) -> bool:
    """Whether an item comes after ``bound`` (always, when there is none)."""
    if bound is None:
        return True
    if isinstance(bound, str):
        return ident > bound
    return moment > bound


def _before(ident: str, moment: datetime, bound: Bound) -> bool:
    """Whether an item comes before ``bound`` (always, when there is none)."""
    if bound is None:
        return True
    if isinstance(bound, str):
        return ident < bound
    return moment < bound
