"""A card's custom field items: ``PUT /cards/{idCard}/customField/{idCustomField}/item``.

The value is keyed by the field's type and is always a string, numbers included:
``{"value": {"number": "12500"}}``, ``{"value": {"checked": "true"}}``, ``{"value":
{"date": "2018-03-13T16:00:00.000Z"}}``, ``{"value": {"text": "..."}}``; a list field takes
``{"idValue": "<option id>"}``; ``{"value": ""}`` (or ``{"idValue": ""}``) clears it.
https://developer.atlassian.com/cloud/trello/guides/rest-api/getting-started-with-custom-fields/
"""

from __future__ import annotations

from typing import Any

from adapters.trello.simulator import render
from adapters.trello.simulator.call import Call, Endpoint, Reply
from adapters.trello.simulator.errors import CARD_NOT_FOUND, TrelloError, invalid_value
from adapters.trello.simulator.model import Card, CustomField, FieldValue
from adapters.trello.simulator.store import ref_of_card, timestamp
from adapters.trello.simulator.values import as_instant

INVALID_ITEM = "Invalid custom field item value."
_KEYS = {"number": "number", "text": "text", "date": "date", "checkbox": "checked"}


def set_item(call: Call) -> Reply:
    store = call.sim.store
    card = store.card(call.param("idCard"), call.member, CARD_NOT_FOUND)
    field = store.custom_field(call.param("idCustomField"))
    if field.board != card.board:
        raise invalid_value("idCustomField")
    before = card.custom.get(field.id)
    item = _read(call, field, before.id if before else store.next_id())
    if item is None:
        card.custom.pop(field.id, None)
    else:
        card.custom[field.id] = item
    card.last_activity = store.now()
    shown = item or FieldValue(id=before.id if before else "", value=None)
    body = render.field_item(card.id, field.id, shown)
    _record(call, card, field, body, before)
    return Reply(200, body)


def _read(call: Call, field: CustomField, item_id: str) -> FieldValue | None:
    """The new item (None: cleared), from the body's ``value`` or ``idValue``."""
    if field.type == "list":
        chosen = call.arg("idValue")
        if chosen in ("", None) and call.arg("value") in ("", None):
            return None
        if chosen not in {o.id for o in field.options}:
            raise invalid_value("idValue")
        return FieldValue(id=item_id, id_value=chosen)
    value = call.arg("value")
    if value == "":
        return None
    key = _KEYS[field.type]
    if not isinstance(value, dict) or set(value) != {key}:
        raise TrelloError(400, INVALID_ITEM)
    return FieldValue(id=item_id, value={key: _checked(field, value[key])})


def _checked(field: CustomField, raw: Any) -> str:
    """The value as the string Trello stores; a JSON number is refused (numbers are strings)."""
    if field.type == "checkbox" and isinstance(raw, bool):
        return "true" if raw else "false"
    if not isinstance(raw, str):
        raise TrelloError(400, INVALID_ITEM)
    if field.type == "number":
        try:
            float(raw)
        except ValueError:
            raise TrelloError(400, INVALID_ITEM) from None
    elif field.type == "checkbox" and raw not in ("true", "false"):
        raise TrelloError(400, INVALID_ITEM)
    elif field.type == "date":
        moment = as_instant(raw, "value")
        return timestamp(moment) if moment else raw
    return raw


def _record(
    call: Call, card: Card, field: CustomField, item: dict[str, Any], before: FieldValue | None
) -> None:
    old = None if before is None else (before.id_value or before.value)
    data = {
        "card": ref_of_card(card),
        "customField": {"id": field.id, "name": field.name, "type": field.type},
        "customFieldItem": item,
        "old": {"idValue" if field.type == "list" else "value": old},
    }
    call.sim.store.record("updateCustomFieldItem", call.member, data, card=card)


def card_items(call: Call) -> Reply:
    card = call.sim.store.card(call.param("id"), call.member)
    items = [render.field_item(card.id, f, item) for f, item in card.custom.items()]
    return Reply(200, items)


ENDPOINTS = (
    Endpoint("PUT", "/cards/{idCard}/customField/{idCustomField}/item", set_item),
    Endpoint("GET", "/cards/{id}/customFieldItems", card_items),
)
