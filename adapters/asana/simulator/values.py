"""Values as Asana writes and reads them: custom field values, dates, names.

Custom field values are set with ``custom_fields: {field_gid: value}`` on a task: a number for
a number field, an enum option's gid for an enum field, a string for a text field, null to
clear. https://developers.asana.com/docs/custom-fields-guide
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from adapters.asana.simulator.errors import bad_request
from adapters.asana.simulator.model import CustomField, EnumOption

# Asana caps object names; the exact limit is not documented (1024 is what the app accepts).
NAME_MAX = 1024


def option_json(option: EnumOption) -> dict[str, Any]:
    return {
        "gid": option.gid,
        "resource_type": "enum_option",
        "name": option.name,
        "enabled": option.enabled,
        "color": option.color,
    }


def custom_value(field: CustomField, raw: Any) -> dict[str, Any]:
    """A task's value of ``field`` as ``custom_fields[]`` shows it (``raw`` None: unset)."""
    found: dict[str, Any] = {
        "gid": field.gid,
        "resource_type": "custom_field",
        "name": field.name,
        "type": field.kind,
        "resource_subtype": field.kind,
        "enabled": True,
    }
    if field.kind == "number":
        found["number_value"] = raw
        found["precision"] = field.precision
        found["display_value"] = None if raw is None else _number_text(raw, field.precision)
    elif field.kind == "enum":
        option = next((o for o in field.enum_options if o.gid == raw), None)
        found["enum_value"] = option_json(option) if option else None
        found["enum_options"] = [option_json(o) for o in field.enum_options]
        found["display_value"] = option.name if option else None
    else:
        found["text_value"] = raw
        found["display_value"] = raw
    return found


def _number_text(value: float, precision: int) -> str:
    return f"{value:.{precision}f}"


def parse_custom_value(field: CustomField, value: Any) -> Any:
    """The stored value of a write, or Asana's 400."""
    if value is None:
        return None
    if field.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(f"custom_fields: Number value expected for {field.gid}")
        return value
    if field.kind == "enum":
        if not any(o.gid == value and o.enabled for o in field.enum_options):
            raise bad_request(f"custom_fields: enum option not found: {value}")
        return value
    if not isinstance(value, str):
        raise bad_request(f"custom_fields: Text value expected for {field.gid}")
    return value


def parse_date(field: str, value: Any) -> date | None:
    """A ``YYYY-MM-DD`` date (or null), else Asana's 400."""
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)) if len(str(value)) == 10 else _bad_date(field, value)
    except ValueError:
        return _bad_date(field, value)


def parse_datetime(field: str, value: Any) -> datetime | None:
    """An ISO 8601 date-time with a zone (or null), else Asana's 400."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise bad_request(f"{field}: Not a valid date-time: {value}")
    return moment


def _bad_date(field: str, value: Any) -> date:
    raise bad_request(f"{field}: Not a valid date: {value}")


def check_name(value: Any, field: str = "name") -> str:
    if not isinstance(value, str):
        raise bad_request(f"{field}: Not a string: {value!r}")
    if len(value) > NAME_MAX:
        raise bad_request(f"{field}: Value is too long (max {NAME_MAX} characters)")
    return value
