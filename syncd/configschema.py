"""The JSON Schema of the config file, generated from the models of the installed adapters.

``config/syncd.schema.json`` is this module's output (``python -m syncd.config schema``); editors
use it to complete and check ``syncd.yaml``. Connections are a union discriminated on ``type``;
members are a union of the adapters' member models (a member names its connection, not its
type, so no discriminator can tell them apart).
"""

from __future__ import annotations

import functools
import json
import operator
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

import adapters
from adapters.base import Plugin
from syncd.configmodel import Config, Group

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_COMMAND = "python -m syncd.config schema > config/syncd.schema.json"


def schema_model(plugins: list[Plugin]) -> type[BaseModel]:
    """The root config model with the given plugins' connection and member models inside."""
    member: Any = _union([p.member for p in plugins])
    members: Any = list[member]
    group = create_model("Group", __base__=Group, members=(members, Group.model_fields["members"]))
    connection: Any = _union([p.connection for p in plugins])
    if len(plugins) > 1:
        connection = Annotated[connection, Field(discriminator="type")]
    connections: Any = dict[str, connection]
    groups: Any = dict[str, group]
    return create_model(
        "Config",
        __base__=Config,
        connections=(connections, Config.model_fields["connections"]),
        groups=(groups, Config.model_fields["groups"]),
    )


def _union(models: list[type[BaseModel]]) -> Any:
    return functools.reduce(operator.or_, models) if models else BaseModel


def json_schema(plugins: list[Plugin] | None = None) -> dict[str, Any]:
    """The config file's JSON Schema (with every installed adapter unless ``plugins`` is given)."""
    model = schema_model(adapters.plugins() if plugins is None else plugins)
    schema = model.model_json_schema()
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "syncd configuration"}


def schema_text(plugins: list[Plugin] | None = None) -> str:
    """`json_schema` as the text committed in ``config/syncd.schema.json``."""
    return json.dumps(json_schema(plugins), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path) -> None:
    """Write the JSON Schema to ``path``."""
    path.write_text(schema_text(), encoding="utf-8")
