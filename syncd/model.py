"""The canonical project model: what every adapter translates to and from.

Records are frozen pydantic models whose values are normalised so that equality means "the same
to a user": titles are stripped, descriptions use ``\\n`` newlines without trailing spaces,
emails are lower-case, costs are ``Decimal`` in canonical form, and dates are dates, never
instants.

A record is usually *partial*: a field a system cannot represent is absent (not in
``model_fields_set``), never ``None``. The engine works on plain dicts of field -> value
(``values_of``), which are cheap to compare and hash; the models validate and normalise them at
the adapter boundary (``normalise``).

Field metadata (``FIELDS``) is the one place that says which fields each kind has and which of
them reference other records; the planner and the store are driven by it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

Kind: TypeAlias = Literal["task", "milestone", "budget"]
KINDS: tuple[Kind, ...] = ("milestone", "task", "budget")  # also the order records are created in

TaskStatus: TypeAlias = Literal["todo", "in_progress", "done"]
MilestoneStatus: TypeAlias = Literal["todo", "done"]

_SPACES = re.compile(r"\s+")


class Ref(BaseModel):
    """A link to another record of the same group, by canonical uid.

    Inside an adapter (and in what it returns), ``uid`` holds the *system's* external id of the
    referenced record; the engine translates it through the links table in both directions.
    """

    model_config = ConfigDict(frozen=True)

    uid: str = Field(min_length=1)

    # Plain equality and hashing by uid: refs are compared millions of times when planning.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and self.uid == other.uid

    def __hash__(self) -> int:
        return hash(("ref", self.uid))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Ref):
            return NotImplemented
        return self.uid < other.uid


def _coerce_ref(value: Any) -> Any:
    return Ref(uid=value) if isinstance(value, str) else value


def _coerce_refs(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(_coerce_ref(v) for v in value)
    return value


RefField = Annotated[Ref | None, BeforeValidator(_coerce_ref)]
RefSet = Annotated[frozenset[Ref], BeforeValidator(_coerce_refs)]


def normalise_title(value: str) -> str:
    """A title as users see it: surrounding white space removed."""
    return value.strip()


def normalise_text(value: str) -> str:
    """Markdown text: ``\\n`` newlines, no trailing spaces on any line, no trailing blank lines."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n")


def match_key(title: str) -> str:
    """The key used to match pre-existing records across systems: case- and space-insensitive."""
    return _SPACES.sub(" ", title).strip().casefold()


def normalise_decimal(value: Decimal) -> Decimal:
    """The canonical form of an amount: no trailing zeros, never an exponent."""
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    value = value.normalize()
    if value.as_tuple().exponent > 0:  # type: ignore[operator]  # int for finite values
        value = value.quantize(Decimal(1))
    return value + Decimal(0)  # turns -0 into 0


def _to_decimal(value: Any) -> Any:
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str | int):
        try:
            value = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    if isinstance(value, Decimal):
        return normalise_decimal(value)
    return value


def _to_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise ValueError("a date is expected, not an instant: convert it in the system's time zone")
    return value


Amount = Annotated[Decimal, BeforeValidator(_to_decimal)]
Day = Annotated[dt.date, BeforeValidator(_to_date)]


class Record(BaseModel):
    """The fields every kind shares: a frozen, partial, normalised set of values."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    @field_validator("title", check_fields=False)
    @classmethod
    def _title(cls, value: str) -> str:
        return normalise_title(value)

    @field_validator("description", check_fields=False)
    @classmethod
    def _description(cls, value: str) -> str:
        return normalise_text(value)

    def values(self) -> dict[str, Any]:
        """The fields this record carries, as a plain dict (absent fields are left out)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class Task(Record):
    """A unit of work."""

    title: str = ""
    description: str = ""
    status: TaskStatus = "todo"
    assignee: str | None = None
    start: Day | None = None
    due: Day | None = None
    percent_complete: int = Field(default=0, ge=0, le=100)
    estimate_hours: float | None = Field(default=None, ge=0)
    planned_cost: Amount | None = None
    actual_cost: Amount | None = None
    labels: frozenset[str] = frozenset()
    parent: RefField = None
    milestone: RefField = None
    depends_on: RefSet = frozenset()

    @field_validator("assignee")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if "@" not in value:
            raise ValueError(f"assignee must be an email address, got {value!r}")
        return value

    @field_validator("estimate_hours")
    @classmethod
    def _hours(cls, value: float | None) -> float | None:
        # A second's precision: every system we know stores estimates in seconds or coarser.
        return None if value is None else round(float(value), 6)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        if isinstance(value, list | tuple | set | frozenset):
            return frozenset(s for s in (str(v).strip() for v in value) if s)
        return value


class Milestone(Record):
    """A dated checkpoint that tasks lead to."""

    title: str = ""
    description: str = ""
    due: Day | None = None
    status: MilestoneStatus = "todo"


class Budget(Record):
    """The project's money: one per group and project."""

    planned: Amount | None = None
    actual: Amount | None = None
    currency: str | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else value.strip().upper()


MODELS: dict[Kind, type[Record]] = {"task": Task, "milestone": Milestone, "budget": Budget}


class ValueType(Enum):
    """How the engine and the store treat a field's value."""

    SCALAR = "scalar"  # str, int, float, None
    DATE = "date"
    DECIMAL = "decimal"
    STRSET = "strset"  # frozenset[str]
    REF = "ref"  # Ref | None
    REFSET = "refset"  # frozenset[Ref]

    @property
    def is_reference(self) -> bool:
        return self in (ValueType.REF, ValueType.REFSET)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What the engine needs to know about one field of one kind."""

    name: str
    type: ValueType
    default: Any


def _value_type(annotation: Any) -> ValueType:
    text = str(annotation)
    if "Ref" in text:
        return ValueType.REFSET if "frozenset" in text else ValueType.REF
    if "frozenset" in text:
        return ValueType.STRSET
    if "Decimal" in text:
        return ValueType.DECIMAL
    if "date" in text:
        return ValueType.DATE
    return ValueType.SCALAR


def _specs(model: type[Record]) -> dict[str, FieldSpec]:
    return {
        name: FieldSpec(name, _value_type(info.annotation), info.default)
        for name, info in model.model_fields.items()
    }


FIELDS: dict[Kind, dict[str, FieldSpec]] = {kind: _specs(m) for kind, m in MODELS.items()}
"""For each kind, its synced fields. The one source of truth for the engine and the store."""

REFERENCE_FIELDS: dict[Kind, tuple[str, ...]] = {
    kind: tuple(name for name, spec in specs.items() if spec.type.is_reference)
    for kind, specs in FIELDS.items()
}

Values: TypeAlias = dict[str, Any]
"""A record's normalised field values, as the engine handles them (absent fields left out)."""


def normalise(kind: Kind, values: Mapping[str, Any]) -> Values:
    """Validate and normalise raw values of one kind; absent fields stay absent.

    Raises:
        pydantic.ValidationError: a value that the model refuses.
    """
    return MODELS[kind].model_validate(dict(values)).values()


def title_of(values: Mapping[str, Any]) -> str | None:
    """The record's title, where its kind has one."""
    title = values.get("title")
    return title if isinstance(title, str) else None


# --- JSON form, for the state store, plan files and history -------------------------------------


def encode_value(spec: FieldSpec, value: Any) -> Any:
    """One field's value as JSON (dates ISO, amounts as strings, sets as sorted lists)."""
    if value is None:
        return None
    match spec.type:
        case ValueType.DATE:
            return value.isoformat()
        case ValueType.DECIMAL:
            return format(value, "f")
        case ValueType.STRSET:
            return sorted(value)
        case ValueType.REF:
            return value.uid
        case ValueType.REFSET:
            return sorted(ref.uid for ref in value)
        case _:
            return value


def decode_value(spec: FieldSpec, raw: Any) -> Any:
    """The inverse of ``encode_value``."""
    if raw is None:
        return None
    match spec.type:
        case ValueType.DATE:
            return dt.date.fromisoformat(raw)
        case ValueType.DECIMAL:
            return Decimal(raw)
        case ValueType.STRSET:
            return frozenset(raw)
        case ValueType.REF:
            return Ref(uid=raw)
        case ValueType.REFSET:
            return frozenset(Ref(uid=uid) for uid in raw)
        case _:
            return raw


def encode(kind: Kind, values: Mapping[str, Any]) -> dict[str, Any]:
    """A record's values as a JSON-ready dict (unknown fields are dropped)."""
    specs = FIELDS[kind]
    return {name: encode_value(specs[name], v) for name, v in values.items() if name in specs}


def decode(kind: Kind, raw: Mapping[str, Any]) -> Values:
    """The inverse of ``encode``: JSON back to engine values (unknown fields are dropped)."""
    specs = FIELDS[kind]
    return {name: decode_value(specs[name], v) for name, v in raw.items() if name in specs}


# --- references ---------------------------------------------------------------------------------


def references(kind: Kind, values: Mapping[str, Any]) -> set[str]:
    """The uids (or external ids) that a record's reference fields point to."""
    refs: set[str] = set()
    for name in REFERENCE_FIELDS[kind]:
        value = values.get(name)
        if isinstance(value, Ref):
            refs.add(value.uid)
        elif isinstance(value, frozenset):
            refs.update(ref.uid for ref in value)
    return refs


@functools.lru_cache(maxsize=1 << 18)
def ref_to(uid: str) -> Ref:
    """A (shared, immutable) reference to ``uid``: planning makes the same ones many times."""
    return Ref(uid=uid)


def map_refs(kind: Kind, values: Mapping[str, Any], mapping: Mapping[str, str]) -> Values:
    """Values with every reference translated through ``mapping`` (uid <-> external id).

    A reference field with any target missing from ``mapping`` is left out whole: it points
    outside the group (or to a record not created yet), so it is neither read as cleared nor
    written partially. The result may be ``values`` itself when it holds no reference: treat
    both as read-only.
    """
    out: Values | None = None
    for name in REFERENCE_FIELDS[kind]:
        value = values.get(name)
        if not value:
            continue
        if out is None:
            out = dict(values)
        if isinstance(value, Ref):
            target = mapping.get(value.uid)
            if target is None:
                del out[name]
            else:
                out[name] = ref_to(target)
            continue
        targets = [mapping.get(ref.uid) for ref in value]
        if None in targets:
            del out[name]
        else:
            out[name] = frozenset(ref_to(t) for t in targets if t is not None)
    return out if out is not None else values  # type: ignore[return-value]


def drop_refs(kind: Kind, values: Values, dead: set[str] | frozenset[str]) -> Values:
    """Values with references to ``dead`` uids cleared: None for one, removed from a set.

    The result may be ``values`` itself when nothing pointed to a dead record.
    """
    out: Values | None = None
    for name in REFERENCE_FIELDS[kind]:
        value = values.get(name)
        if not value:
            continue
        if isinstance(value, Ref):
            if value.uid in dead:
                out = dict(values) if out is None else out
                out[name] = None
        elif any(ref.uid in dead for ref in value):
            out = dict(values) if out is None else out
            out[name] = frozenset(ref for ref in value if ref.uid not in dead)
    return values if out is None else out
