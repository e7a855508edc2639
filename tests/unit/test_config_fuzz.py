"""Whatever it is fed, the config loader answers with a config or a ConfigError, never a crash."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.config import load_config_text, parse_config
from syncd.errors import ConfigError

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENV = {"SET": "value", "EMPTY": "", "NUM": "5"}

KEYS = [
    "state", "service", "interval", "full_resync", "listen", "public_url", "connections",
    "type", "memory", "people", "groups", "currency", "conflicts", "deletes", "match_existing",
    "max_delete_ratio", "timezone", "members", "connection", "name", "authority", "status_map",
    "fields", "concurrency", "path", "store", "supports", "markers", "faults", "token", "due",
    "a", "b", "ana@x.example",
]  # fmt: skip
TOKENS = [
    "\n", "  ", "- ", ": ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: ", "!!int ", "!tag ",
    "---\n", "'", '"', "#", "${SET}", "${NOPE}", "${EMPTY:-d}", "$${", "${", "?", "|\n", ">\n",
    "~", "null", "yes", "1h30m", "2024-02-30", "\t", "\x00", "\x07", "é", "\ufeff", *KEYS,
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["60s", "EUR", "memory", "UTC", "${SET}", "${NOPE}", "todo", "a", "b"]),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=8,
)


def _problems(text: str) -> list[str] | None:
    """The problems loading ``text`` gives, None when it loads."""
    try:
        load_config_text(text, display="fuzz.yaml", env=ENV)
    except ConfigError as exc:
        return exc.problems
    return None


def _load(text: str) -> None:
    problems = _problems(text)
    assert problems is None or (problems and all(isinstance(p, str) and p for p in problems))


@FUZZ
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=40).map("".join))
def test_yaml_ish_text_never_crashes(text: str) -> None:
    """Random YAML-like text loads or raises ConfigError, nothing else."""
    _load(text)


@FUZZ
@given(st.dictionaries(keys, structures, max_size=4))
def test_random_structures_as_yaml_never_crash(data: dict[str, Any]) -> None:
    """Random mappings written as YAML load or raise ConfigError, nothing else."""
    _load(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(st.dictionaries(st.one_of(keys, st.integers()), structures, max_size=4))
def test_random_structures_as_data_never_crash(data: dict[Any, Any]) -> None:
    """Random data handed to parse_config validates or raises ConfigError, nothing else."""
    problems: list[str] | None = None
    try:
        parse_config(data)
    except ConfigError as exc:
        problems = exc.problems
    assert problems is None or problems


member = st.fixed_dictionaries(
    {"connection": st.sampled_from(["m", "n", "x", 3])},
    optional={"name": scalars, "path": scalars, "faults": scalars, "status_map": scalars},
)
shaped = st.fixed_dictionaries(
    {
        "connections": st.dictionaries(
            st.sampled_from(["m", "n", "bad name"]),
            st.fixed_dictionaries({"type": st.sampled_from(["memory", "nope", 1])}),
        ),
    },
    optional={
        "service": st.dictionaries(st.sampled_from(KEYS[1:6]), scalars),
        "people": st.dictionaries(keys, st.dictionaries(keys, scalars, max_size=3), max_size=3),
        "groups": st.dictionaries(
            st.sampled_from(["g", "h"]),
            st.fixed_dictionaries(
                {"currency": scalars, "members": st.lists(member, max_size=3)},
                optional={
                    "authority": st.dictionaries(keys, st.lists(keys, max_size=3), max_size=3),
                    "timezone": scalars,
                },
            ),
        ),
    },
)


@FUZZ
@given(shaped)
def test_config_shaped_data_never_crashes(data: dict[str, Any]) -> None:
    """Data shaped like a config, with random holes and values, never crashes the checks."""
    _load(yaml.safe_dump(data, allow_unicode=True))
