"""The config file: finding it, reading it, and the root model (DESIGN §6).

``load_config()`` looks for the file (``--config``, ``$SYNCD_CONFIG``, ``./syncd.yaml``,
``~/.config/syncd/syncd.yaml``), reads its YAML keeping each key's line, expands ``${VAR}`` and
``${VAR:-default}``, and validates it; connections and members by their adapter's models from
the registry. Every problem is reported at once, one line each, as
``syncd.yaml:14: groups.web.members[1].connection: unknown connection 'jria' (known: ...)``.

The pieces live in ``configfile`` (YAML and ``${VAR}``), ``configmodel`` (the models),
``configcheck`` (validation), ``configmessages`` (error wording), ``configschema`` (JSON Schema)
and ``configstarter`` (what ``syncd init`` writes). ``python -m syncd.config schema`` prints the
JSON Schema; ``python -m syncd.config starter`` the starter file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from syncd.actions import ConflictPolicy, DeletePolicy
from syncd.configcheck import CANONICAL_FIELDS, check
from syncd.configfile import MAX_BYTES, Issue, Source, decode, interpolate, parse_yaml, read_text
from syncd.configmodel import (
    Config,
    Duration,
    Group,
    MatchExisting,
    Service,
    format_duration,
    member_settings,
    parse_duration,
    secrets_of,
)
from syncd.configschema import SCHEMA_COMMAND, json_schema, schema_text, write_schema
from syncd.configstarter import starter_config
from syncd.errors import ConfigError

__all__ = [
    "CANONICAL_FIELDS",
    "SCHEMA_COMMAND",
    "Config",
    "ConflictPolicy",
    "DeletePolicy",
    "Duration",
    "Group",
    "MatchExisting",
    "Service",
    "config_paths",
    "find_config",
    "format_duration",
    "json_schema",
    "load_config",
    "load_config_text",
    "main",
    "member_settings",
    "parse_config",
    "parse_duration",
    "schema_text",
    "secrets_of",
    "starter_config",
    "user_config_path",
    "write_schema",
]

LOCAL_CONFIG = Path("syncd.yaml")


def user_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """``$XDG_CONFIG_HOME/syncd/syncd.yaml``, by default ``~/.config/syncd/syncd.yaml``.

    None when no home directory can be told.
    """
    env = os.environ if env is None else env
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "syncd" / "syncd.yaml"
    try:
        home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    except RuntimeError:
        return None
    return home / ".config" / "syncd" / "syncd.yaml"


def config_paths(env: Mapping[str, str] | None = None) -> list[Path]:
    """The places looked in when no path is given, in order."""
    env = os.environ if env is None else env
    found = [Path(env["SYNCD_CONFIG"])] if env.get("SYNCD_CONFIG") else []
    user = user_config_path(env)
    return [*found, LOCAL_CONFIG, *([user] if user else [])]


def find_config(path: Path | str | None = None, *, env: Mapping[str, str] | None = None) -> Path:
    """The config file to read: ``path``, else ``$SYNCD_CONFIG``, ``./syncd.yaml``, the user's.

    Raises:
        ConfigError: ``path`` or ``$SYNCD_CONFIG`` names a missing file, or none is found.
    """
    env = os.environ if env is None else env
    if path is not None:
        return _existing(Path(path), "")
    if env.get("SYNCD_CONFIG"):
        return _existing(Path(env["SYNCD_CONFIG"]), " (from $SYNCD_CONFIG)")
    for candidate in config_paths(env):
        if candidate.exists():
            return candidate
    looked = ", ".join(str(p) for p in config_paths(env))
    raise ConfigError(
        [f"no config file found (looked in: {looked}); run `syncd init` to write a starter"]
    )


def _existing(path: Path, origin: str) -> Path:
    if not path.exists():
        raise ConfigError([f"{path}: no such file{origin}"])
    return path


def load_config(path: Path | str | None = None, *, env: Mapping[str, str] | None = None) -> Config:
    """Find, read, interpolate and validate the config file.

    Args:
        path: the file to read (``--config``); None looks it up (see `find_config`).
        env: the environment for ``$SYNCD_CONFIG``, the home directory and ``${VAR}``
            (default ``os.environ``).

    Raises:
        ConfigError: one line per problem, each with its file, line and key path.
    """
    found = find_config(path, env=env)
    return load_config_text(read_text(found, str(found)), display=str(found), env=env)


def load_config_text(
    text: str | bytes, *, display: str = "<config>", env: Mapping[str, str] | None = None
) -> Config:
    """Validate config text as if read from a file named ``display``.

    Raises:
        ConfigError: one line per problem (see `load_config`).
    """
    if isinstance(text, bytes):
        text = decode(text, display)
    if len(text) > MAX_BYTES:
        raise ConfigError([f"{display}: larger than 5 MB; this is not a config file"])
    parsed = parse_yaml(text, display)
    data, expansion = interpolate(parsed.data, os.environ if env is None else env)
    return _validated(data, parsed.source, [*parsed.issues, *expansion])


def parse_config(data: Mapping[str, Any]) -> Config:
    """Validate config data that is already parsed (no file, no ``${VAR}``).

    Raises:
        ConfigError: one line per problem, each with its key path.
    """
    return _validated(data, Source(None), [])


def _validated(data: Any, source: Source, earlier: list[Issue]) -> Config:
    config, issues = check(data, source.texts)
    blocked = {issue.loc for issue in earlier if issue.masks}
    issues = [*earlier, *(issue for issue in issues if issue.loc not in blocked)]
    if issues or config is None:
        raise source.error(issues)
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m syncd.config schema|starter``: print the JSON Schema or the starter file."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["schema"]:
        sys.stdout.write(schema_text())
        return 0
    if args == ["starter"]:
        sys.stdout.write(starter_config())
        return 0
    sys.stderr.write("usage: python -m syncd.config schema|starter\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
