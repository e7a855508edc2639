"""Reading parameters as Trello does: query strings and JSON alike, each refusal a 400
``invalid value for <name>``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from adapters.trello.simulator.errors import invalid_value
from adapters.trello.simulator.store import is_id

MAX_TEXT = 16384
MAX_LIMIT = 1000
POS_STEP = 16384.0


def as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise invalid_value(name)


def as_text(value: Any, name: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise invalid_value(name)
    text = str(value)
    if len(text) > MAX_TEXT:
        raise invalid_value(name)
    return text


def as_ids(value: Any, name: str) -> list[str]:
    """A list of ids: a JSON array, or a comma-separated string (the query form)."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    ids = [str(item).strip() for item in items]
    if not all(is_id(i) for i in ids):
        raise invalid_value(name)
    return list(dict.fromkeys(ids))


def as_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not is_id(value):
        raise invalid_value(name)
    return value


def as_instant(value: Any, name: str) -> datetime | None:
    """An ISO date or date-time (a date is its midnight UTC; no zone is UTC); ``""`` or null
    clears it."""
    if value is None or value in ("", "null"):
        return None
    if not isinstance(value, str):
        raise invalid_value(name)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time(), UTC)
        except ValueError:
            raise invalid_value(name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    utc = parsed.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def as_pos(value: Any, name: str, taken: list[float]) -> float:
    """``top``, ``bottom`` or a positive number, among the positions already ``taken``."""
    if value in (None, "bottom"):
        return max(taken, default=0.0) + POS_STEP
    if value == "top":
        return min(taken, default=POS_STEP * 2) / 2
    try:
        pos = float(value)
    except (TypeError, ValueError):
        raise invalid_value(name) from None
    if pos <= 0 or pos != pos:
        raise invalid_value(name)
    return pos


def as_limit(value: Any, default: int, name: str = "limit") -> int:
    if value is None:
        return default
    try:
        limit = int(str(value))
    except ValueError:
        raise invalid_value(name) from None
    if not 0 <= limit <= MAX_LIMIT:
        raise invalid_value(name)
    return limit


def field_list(value: Any, known: list[str], name: str = "fields") -> list[str] | None:
    """The ``fields`` asked for (None: all); ``all`` means all, an unknown one is refused.
    ``id`` is always known (every object has one; ``fields=id`` asks for nothing else)."""
    if value is None or value == "all":
        return None
    asked = [part.strip() for part in str(value).split(",") if part.strip()]
    if any(part not in known and part != "id" for part in asked):
        raise invalid_value(name)
    return asked
