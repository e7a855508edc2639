"""Pydantic's validation errors, said plainly and placed by key path.

``Input should be a valid number, unable to parse string as a number`` becomes
``expected a number, got 'abc'``; an unknown key gets a did-you-mean. Values are echoed as the
file wrote them (``${VAR}``, not what the environment holds), and never for secret keys.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from syncd.configfile import Issue, Loc, secret_key

_MAX_SHOWN = 60
_VARIABLE = re.compile(r"(?<!\$)\$\{")
_EXPECTED = {
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "mapping_type": "a mapping (key: value)",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "string_type": "a string",
    "string_sub_type": "a string",
    "string_unicode": "a string",
    "int_type": "a number",
    "int_parsing": "a number",
    "float_type": "a number",
    "float_parsing": "a number",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}
_BOUNDS = {
    "greater_than": ("gt", "must be more than"),
    "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"),
    "less_than_equal": ("le", "must be at most"),
}


def is_secret(loc: Loc, root: object = None) -> bool:
    """Whether a key path holds a secret: named like one, or typed ``SecretStr`` below ``root``."""
    if secret_key(loc):
        return True
    return root is not None and _unwrap(type_at(root, loc)) is SecretStr


def shown(value: Any, loc: Loc, texts: Mapping[Loc, str], *, secret: bool = False) -> str | None:
    """How a value is echoed in a message; None when it must not be (a secret's value)."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if secret:
        return None
    text = texts.get(loc)
    if text is not None and isinstance(value, str) and text != value:
        origin = " (from the environment)" if _VARIABLE.search(text) else ""
        return f"{_clip(text)!r}{origin}"
    if isinstance(value, str):
        return repr(_clip(value))
    return _clip(text if text is not None else str(value))


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def suggest(word: str, choices: list[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close to ``word``, else ``(known: ...)``."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(choices)})" if choices else ""


def issues_from(
    exc: ValidationError,
    *,
    root: object,
    data: Any,
    prefix: Loc = (),
    texts: Mapping[Loc, str] | None = None,
) -> list[Issue]:
    """One issue per distinct key path from a pydantic error, in plain language.

    Args:
        exc: what pydantic raised.
        root: the type that was validated (for did-you-mean and secret detection).
        data: the input that was validated (to drop pydantic's union tags from paths).
        prefix: the key path of ``data`` in the file.
        texts: the file's text of each scalar, by key path.
    """
    by_loc: dict[Loc, list[str]] = {}
    for error in exc.errors(include_url=False):
        loc, message = _translate(error, root, data, texts or {}, prefix)
        if message not in by_loc.setdefault((*prefix, *loc), []):
            by_loc[(*prefix, *loc)].append(message)
    return [Issue(" or ".join(messages), loc) for loc, messages in by_loc.items()]


def _translate(
    error: ErrorDetails, root: object, data: Any, texts: Mapping[Loc, str], prefix: Loc
) -> tuple[Loc, str]:
    kind = error["type"]
    loc = _data_loc(error["loc"], data, keep_last=kind in ("missing", "extra_forbidden"))
    if kind == "missing":
        return loc[:-1], f"missing required key {loc[-1]!r}"
    if kind == "extra_forbidden":
        return loc, f"unknown key {loc[-1]!r}" + suggest(str(loc[-1]), _fields_at(root, loc[:-1]))
    secret = is_secret((*prefix, *loc)) or is_secret(loc, root)
    return loc, _message(error, shown(error.get("input"), (*prefix, *loc), texts, secret=secret))


def _message(error: ErrorDetails, got: str | None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    tail = f", got {got}" if got else ""
    if kind in _EXPECTED:
        hint = " (put it in quotes)" if kind == "string_type" and _scalar(error) else ""
        return f"expected {_EXPECTED[kind]}{tail}{hint}"
    if kind in _BOUNDS:
        name, text = _BOUNDS[kind]
        return f"{text} {_number(ctx.get(name))}{tail}"
    if kind in ("literal_error", "enum"):
        return f"expected {ctx.get('expected')}{tail}"
    if kind == "too_short":
        least = ctx.get("min_length")
        return "must not be empty" if least == 1 else f"needs at least {least} items"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} items"
    if kind == "syncd_value":
        return f"{error['msg']}{tail}"
    if kind == "syncd_plain":
        return str(error["msg"])
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return _plain(str(error["msg"])) + tail


def _number(value: object) -> str:
    """``1`` for ``1.0``: bounds read as the user would write them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _scalar(error: ErrorDetails) -> bool:
    value = error.get("input")
    return isinstance(value, int | float)  # bool too: YAML reads an unquoted yes or no as one


def _plain(message: str) -> str:
    """Pydantic's own wording for the rare cases above does not cover."""
    message = message.replace("Input should be", "expected").replace("Input ", "value ")
    return message[:1].lower() + message[1:]


def _data_loc(raw: tuple[int | str, ...], data: Any, *, keep_last: bool) -> Loc:
    """Pydantic's error path reduced to keys that exist in the data.

    Pydantic inserts union tags (``connections.x.memory.path``) and ``[key]`` markers; walking the
    data drops them. With ``keep_last`` the last part is kept: it names a missing or unknown key.
    """
    loc: list[str | int] = []
    node = data
    for index, part in enumerate(raw):
        if _has(node, part):
            node = node[part]
        elif not (keep_last and index == len(raw) - 1):
            continue
        loc.append(part)
    return tuple(loc)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


# --- the type at a key path, for did-you-mean and secrets -----------------------------------------


def type_at(root: object, loc: Loc) -> object:
    """The declared type at ``loc`` below ``root`` (None where it cannot be told)."""
    current: object = root
    for part in loc:
        current = _child(_unwrap(current), part)
        if current is None:
            return None
    return current


def _fields_at(root: object, loc: Loc) -> list[str]:
    model = _unwrap(type_at(root, loc))
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(tp: object) -> object:
    """Drop ``Annotated`` and ``None`` from a type; a union of several types stays a union."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        arms = [arm for arm in get_args(tp) if arm is not type(None)]
        if len(arms) == 1:
            return _unwrap(arms[0])
    return tp


def _child(tp: object, part: str | int) -> object:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(part))
        return field.annotation if field else None
    origin, args = get_origin(tp), get_args(tp)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (list, tuple, set, frozenset) and args:
        return args[0]
    return None
