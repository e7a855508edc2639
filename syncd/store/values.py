"""Record values <-> stored JSON text, in bulk.

The results are exactly those of ``syncd.model.encode``/``decode`` followed by ``dump_json``
(a test checks every ``ValueType``), but loading a large group decodes half a million value
dicts, so the per-field dispatch is resolved once per kind here instead of once per value, and
each ``Ref`` is built once per load and shared (Refs are frozen).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from syncd.model import FIELDS, Kind, Ref, Values, ValueType, decode_value, encode_value
from syncd.store.codec import dump_json

Convert = Callable[[Any], Any]

_DECODER = json.JSONDecoder()


def _same(value: Any) -> Any:
    return value


_ENCODE: dict[ValueType, Convert] = {
    ValueType.SCALAR: _same,
    ValueType.DATE: dt.date.isoformat,
    ValueType.DECIMAL: lambda amount: format(amount, "f"),
    ValueType.STRSET: sorted,
    ValueType.REF: lambda ref: ref.uid,
    ValueType.REFSET: lambda refs: sorted(ref.uid for ref in refs),
}
_DECODE: dict[ValueType, Convert] = {
    ValueType.SCALAR: _same,
    ValueType.DATE: dt.date.fromisoformat,
    ValueType.DECIMAL: Decimal,
    ValueType.STRSET: frozenset,
}
_ENCODERS: dict[str, dict[str, Convert]] = {
    kind: {
        name: _ENCODE.get(spec.type) or partial(encode_value, spec) for name, spec in specs.items()
    }
    for kind, specs in FIELDS.items()
}


def dump_values(kind: Kind, values: Mapping[str, Any]) -> str:
    """A record's values as stored JSON text (fields unknown to the kind are dropped)."""
    encoders = _ENCODERS[kind]
    return dump_json(
        {
            name: None if value is None else encoders[name](value)
            for name, value in values.items()
            if name in encoders
        }
    )


class ValueDumper:
    """``dump_values`` for one bulk write: equal value dicts of one kind are encoded once.

    Shadows often equal their record's base, so this saves most of the encoding of a large
    commit. Values that cannot be hashed are simply encoded each time.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, frozenset[tuple[str, Any]]], str] = {}

    def dump(self, kind: Kind, values: Mapping[str, Any]) -> str:
        """A record's values as stored JSON text (fields unknown to the kind are dropped)."""
        try:
            key = (kind, frozenset(values.items()))
            text = self._seen.get(key)
        except TypeError:  # an unhashable value: not canonical, but still encodable
            return dump_values(kind, values)
        if text is None:
            text = self._seen[key] = dump_values(kind, values)
        return text


class ValueLoader:
    """Decodes stored values; one per load, so that equal Refs are one object.

    Equal texts of one kind (a shadow that matches its base, say) are decoded once: each call
    still returns its own dict, holding the same immutable values.
    """

    def __init__(self) -> None:
        self._refs: dict[str, Ref] = {}
        self._seen: dict[tuple[str, str], Values] = {}
        self._decoders: dict[str, dict[str, Convert]] = {}
        for kind, specs in FIELDS.items():
            self._decoders[kind] = {
                name: self._decoder(spec.type) or partial(decode_value, spec)
                for name, spec in specs.items()
            }

    def _decoder(self, value_type: ValueType) -> Convert | None:
        if value_type is ValueType.REF:
            return self._ref
        if value_type is ValueType.REFSET:
            return lambda uids: frozenset(map(self._ref, uids))
        return _DECODE.get(value_type)

    def _ref(self, uid: str) -> Ref:
        ref = self._refs.get(uid)
        if ref is None:
            ref = self._refs[uid] = Ref(uid=uid)
        return ref

    def load(self, kind: str, text: str) -> Values:
        """Stored JSON text back to values of one kind (unknown fields are dropped).

        Raises:
            ValueError: an unknown kind, text that is not a JSON object, or a bad value.
        """
        seen = self._seen.get((kind, text))
        if seen is None:
            seen = self._seen[kind, text] = self._decode(kind, text)
        return dict(seen)

    def _decode(self, kind: str, text: str) -> Values:
        decoders = self._decoders.get(kind)
        if decoders is None:
            raise ValueError(f"unknown record kind {kind!r}")
        raw = _DECODER.decode(text)
        if not isinstance(raw, dict):
            raise ValueError(f"expected a JSON object, got {type(raw).__name__}")
        try:
            return {
                name: None if value is None else decoders[name](value)
                for name, value in raw.items()
                if name in decoders
            }
        except (TypeError, AttributeError, ArithmeticError) as err:
            raise ValueError(f"a value does not decode: {err!r}") from err
