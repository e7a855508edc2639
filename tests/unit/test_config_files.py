"""The files under config/: the example, the generated JSON Schema, and the starter."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

import adapters
from adapters.base import MemberSettings
from adapters.memory.config import Faults, MemoryConnection, MemoryMember
from syncd.config import (
    SCHEMA_COMMAND,
    Config,
    Group,
    Service,
    load_config,
    load_config_text,
    main,
    schema_text,
    starter_config,
)

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
EXAMPLE = CONFIG_DIR / "syncd.example.yaml"
SCHEMA = CONFIG_DIR / "syncd.schema.json"


def test_example_loads() -> None:
    """config/syncd.example.yaml is a valid config as shipped."""
    config = load_config(EXAMPLE, env={})
    assert config.groups["website"].member_names == ["board", "plan", "scratch"]


@pytest.mark.parametrize(
    "model", [Config, Service, Group, MemberSettings, MemoryConnection, MemoryMember, Faults]
)
def test_example_documents_every_key(model: type[BaseModel]) -> None:
    """Every key of the root, group, member and memory models appears in the example."""
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [name for name in model.model_fields if not re.search(rf"\b{name}\b", text)]
    assert missing == []


def test_schema_is_up_to_date() -> None:
    """The committed JSON Schema matches the models of the installed adapters."""
    committed = SCHEMA.read_text(encoding="utf-8") if SCHEMA.exists() else ""
    assert committed == schema_text(adapters.plugins()), (
        f"config/syncd.schema.json is stale; run: {SCHEMA_COMMAND}"
    )


def test_schema_describes_the_shape() -> None:
    """The schema has the DESIGN §6 top-level keys and forbids unknown ones."""
    schema = json.loads(schema_text())
    assert list(schema["properties"]) == ["state", "service", "connections", "people", "groups"]
    assert schema["additionalProperties"] is False
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_starter_loads_with_its_variables_set(tmp_path: Path) -> None:
    """The text syncd init writes is a valid config once its variables are set."""
    env = {"SYNCD_DATA": str(tmp_path), "SYNCD_STATE": f"sqlite:///{tmp_path}/s.db"}
    config = load_config_text(starter_config(), display="syncd.yaml", env=env)
    assert config.state == f"sqlite:///{tmp_path}/s.db"
    assert len(config.groups["demo"].members) == 2


def test_starter_loads_without_variables() -> None:
    """The starter's variables all have defaults, so it loads in an empty environment."""
    assert load_config_text(starter_config(), env={}).state is None


def test_main_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """python -m syncd.config schema prints the JSON Schema."""
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == schema_text()


def test_main_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command prints the usage and exits 2."""
    assert main(["nonsense"]) == 2
    assert "usage: python -m syncd.config schema|starter" in capsys.readouterr().err
