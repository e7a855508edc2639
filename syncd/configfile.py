"""Reading a config file: bytes -> text -> YAML nodes -> plain data that remembers its lines.

The YAML is composed into a node tree and turned into data here, so that every key and list
item keeps its line (`Source.lines`, by key path) and its text as written (`Source.texts`).
Keys are always text, a key repeated in one mapping is an error (YAML would silently keep the
last), merge keys (``<<: *defaults``) work, and ``${VAR}`` references are expanded afterwards
(`interpolate`), so errors about them still point at their line.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from syncd.errors import ConfigError

Loc: TypeAlias = tuple[str | int, ...]
"""A key path: mapping keys and list indexes from the top of the file."""

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 100_000  # far more than any real config; stops "billion laughs" alias bombs
MAX_DEPTH = 64
# The text of every key and value, each use of an alias counted again, and what ${VAR}s add:
# a file of MAX_BYTES holds no more, so only aliases or variables repeating big strings reach it.
MAX_CHARS = MAX_BYTES

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_REF = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)(?P<end>\})?")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_QUOTED = re.compile(r"\s*'[^']*'")
_SHOWN = 60  # characters of a key or quoted value shown in a message
# A quoted key or value in a message ('...' or "..."), longer than _SHOWN: shown by its start.
_LONG_QUOTED = re.compile(rf"""(['"])([^'"\n]{{{_SHOWN - 4}}})[^'"\n]{{4,}}\1""")
_SECRET_NAMES = frozenset(
    {"token", "key", "secret", "password", "passwd", "webhook_secret", "api_key", "apikey"}
)
_SECRET_SUFFIXES = ("_token", "_secret", "_key", "_password")


@dataclass(frozen=True)
class Issue:
    """One problem with a config, placed by key path (and line, where the YAML knows it)."""

    message: str
    loc: Loc | None = None  # None: about the file as a whole
    line: int | None = None  # given directly for YAML syntax errors; else looked up by loc
    column: int | None = None
    masks: bool = False  # the value at loc is unusable: other complaints about it are noise


@dataclass
class Source:
    """Where a config came from, and the line and written text of each of its values."""

    display: str | None
    lines: dict[Loc, int] = field(default_factory=dict)
    texts: dict[Loc, str] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None

    def format(self, issue: Issue) -> str:
        """One line: ``file:line: key.path: message`` (parts unknown are left out)."""
        line = issue.line or (self.line_of(issue.loc) if issue.loc is not None else None)
        place = self.display or ""
        if self.display and line:
            place += f":{line}" + (f":{issue.column}" if issue.column else "")
        parts = [p for p in (place, format_loc(issue.loc or ())) if p]
        return ": ".join([*parts, _LONG_QUOTED.sub(r"\1\2...\1", issue.message)])

    def error(self, issues: list[Issue]) -> ConfigError:
        """A ConfigError with one line per issue, sorted by line."""
        indexed = sorted(enumerate(issues), key=lambda it: (self._sort_line(it[1]), it[0]))
        return ConfigError([self.format(issue) for _, issue in indexed])

    def _sort_line(self, issue: Issue) -> int:
        return issue.line or (self.line_of(issue.loc) if issue.loc is not None else 0) or 0


def format_loc(loc: Loc) -> str:
    """``groups.web.members[1].connection``; keys that are not plain words are quoted."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        # A key of megabytes (YAML's "? key" has no length limit) is shown by its start.
        shown = part if len(part) <= _SHOWN else part[: _SHOWN - 3] + "..."
        if _PLAIN_KEY.fullmatch(part):
            out += f".{shown}" if out else shown
        else:
            out += f'["{shown}"]'
    return out


def secret_key(loc: Loc) -> bool:
    """Whether a key path is named like a secret (``token``, ``webhook_secret``, ``api_key``)."""
    for part in loc:
        name = part.lower() if isinstance(part, str) else ""
        if name in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES):
            return True
    return False


# --- bytes -> text --------------------------------------------------------------------------------


def read_text(path: Path, display: str) -> str:
    """The file's text, refusing what cannot be a config file.

    Raises:
        ConfigError: missing, unreadable, a directory, larger than 5 MB, or not UTF-8 text.
    """
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([f"{display}: no such file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{display}: is a directory, not a config file"]) from None
    except OSError as exc:
        raise ConfigError([f"{display}: cannot read: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError([f"{display}: larger than 5 MB; this is not a config file"])
    return decode(raw, display)


def decode(raw: bytes, display: str) -> str:
    """UTF-8 text from bytes (a byte-order mark is dropped).

    Raises:
        ConfigError: the bytes are not text.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # What Notepad's "Unicode" writes: text, but not the UTF-8 that YAML tools expect.
        raise ConfigError([f"{display}: saved as UTF-16 (or UTF-32) text; save it as UTF-8"])
    if b"\x00" in raw:
        raise ConfigError([f"{display}: not a text file (it holds NUL bytes)"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([f"{display}:{line}: not UTF-8 text (byte {exc.start})"]) from None


# --- text -> data ---------------------------------------------------------------------------------


@dataclass
class Parsed:
    """A file's data, with where each value stands and the problems met on the way."""

    data: Any
    source: Source
    issues: list[Issue]


def parse_yaml(text: str, display: str | None) -> Parsed:
    """Plain data from YAML text, with every key's and list item's line.

    Raises:
        ConfigError: the text is not YAML, is empty, or is too big or deep to be a config.
    """
    source = Source(display)
    text, refs = _shield_refs(text)
    node = _compose(text, source)
    if node is None:
        raise source.error([Issue("the file is empty; `syncd init` writes a starter")])
    loader = yaml.SafeLoader("")
    walker = _Walker(loader, source)
    try:
        data = walker.value(node, (), 0)
    except _TooBig as exc:
        raise source.error([Issue(str(exc), line=exc.line)]) from None
    finally:
        loader.dispose()
    source.lines.setdefault((), node.start_mark.line + 1)
    source.texts = {loc: _unshield(text, refs) for loc, text in source.texts.items()}
    return Parsed(_unshield(data, refs), source, walker.issues)


# DESIGN's own example writes `{type: asana, token: ${ASANA_TOKEN}}`: in a YAML flow mapping the
# `}` of `${...}` would close the mapping. Each `${...}` is therefore swapped for a plain token
# before parsing (same line, so every error keeps its line) and put back afterwards.
_SHIELDABLE = re.compile(r"(?<!\$)\$\{[^}\n]*\}")
_SHIELD = "SYNCDREF{}X"
_SHIELDED = re.compile(r"SYNCDREF\d+X")


def _shield_refs(text: str) -> tuple[str, dict[str, str]]:
    refs: dict[str, str] = {}
    if "${" not in text:
        return text, refs

    def swap(match: re.Match[str]) -> str:
        token = _SHIELD.format(len(refs))
        refs[token] = match.group(0)
        return token

    return _SHIELDABLE.sub(swap, text), refs


def _unshield(data: Any, refs: Mapping[str, str]) -> Any:
    if not refs:
        return data
    if isinstance(data, dict):
        return {_unshield(k, refs): _unshield(v, refs) for k, v in data.items()}
    if isinstance(data, list):
        return [_unshield(v, refs) for v in data]
    if isinstance(data, str) and _SHIELD[:8] in data:
        # One pass, whatever the number of references (a loop over them all was quadratic).
        return _SHIELDED.sub(lambda m: refs.get(m.group(0), m.group(0)), data)
    return data


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than MAX_DEPTH while it composes.

    PyYAML composes recursively: 10,000 nested brackets would otherwise run Python out of
    stack (slowly, and with no line to report); this stops at the line where it gets too deep.
    """

    depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:  # the root is depth 1 here, 0 for the walker
                event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in stubs
                line = int(event.start_mark.line) + 1
                raise _TooBig(f"nested more than {MAX_DEPTH} levels deep", line)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _compose(text: str, source: Source) -> Node | None:
    loader: yaml.SafeLoader | None = None
    try:
        loader = _BoundedLoader(text)
        return loader.get_single_node()
    except _TooBig as exc:
        raise source.error([Issue(str(exc), line=exc.line)]) from None
    except yaml.MarkedYAMLError as exc:
        raise source.error([_syntax_issue(exc, text)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"unacceptable character #x{code:04x}: {exc.reason}"
        raise source.error([Issue(message, None, line, column)]) from None
    except yaml.YAMLError as exc:
        raise source.error([Issue(f"not valid YAML ({type(exc).__name__})")]) from None
    except RecursionError:
        raise source.error([Issue("nested too deeply to be a config file")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _syntax_issue(exc: yaml.MarkedYAMLError, text: str) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    message = _problem(exc.problem or "not valid YAML")
    if exc.context and "duplicate anchor" in exc.context:
        message = _problem("found a duplicate anchor")
    elif exc.context and exc.context.startswith("while") and exc.context_mark:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    elif exc.context:
        message = f"{exc.context}, {message}"
    if mark is None:
        return Issue(message)
    lines = text.splitlines()
    if mark.line < len(lines) and "${" in lines[mark.line]:
        message += "; inside { } or [ ], put ${VAR} in quotes"
    return Issue(message, None, mark.line + 1, mark.column + 1)


def _problem(problem: str) -> str:
    """PyYAML's problem text, without alias or anchor names: they may be an unquoted secret."""
    if "alias" in problem or "anchor" in problem:
        problem = _QUOTED.sub("", problem).strip()
        return f"{problem} (quote values that start with '*' or '&')"
    return problem


def _int_problem(text: str) -> str:
    digits = sum(c.isdigit() for c in text)
    return f"a number of {digits} digits is too large" if digits > 100 else "not a whole number"


class _TooBig(Exception):
    def __init__(self, message: str, line: int) -> None:
        self.line = line
        super().__init__(message)


class _Walker:
    """Turns a node tree into data, noting lines, texts and problems by key path."""

    def __init__(self, loader: yaml.SafeLoader, source: Source) -> None:
        self.loader = loader
        self.source = source
        self.issues: list[Issue] = []
        self.count = 0
        self.chars = 0

    def value(self, node: Node, loc: Loc, depth: int) -> Any:
        self._guard(node, depth)
        if isinstance(node, MappingNode):
            return self._mapping(node, loc, depth)
        if isinstance(node, SequenceNode):
            return self._sequence(node, loc, depth)
        return self._scalar(node, loc)

    def _guard(self, node: Node, depth: int) -> None:
        self.count += 1
        line = node.start_mark.line + 1
        if self.count > MAX_NODES:
            raise _TooBig(f"more than {MAX_NODES} values (aliases expanding?)", line)
        if depth > MAX_DEPTH:
            raise _TooBig(f"nested more than {MAX_DEPTH} levels deep", line)
        if isinstance(node, ScalarNode):
            self._spend(node)

    def _spend(self, node: Node) -> None:
        # An alias repeats its string at no cost in the file; every use costs here.
        self.chars += len(node.value)
        if self.chars > MAX_CHARS:
            line = node.start_mark.line + 1
            raise _TooBig(
                f"the values add up to more than {MAX_CHARS // 2**20} MB of text "
                "(an alias repeating a long value?)",
                line,
            )

    def _sequence(self, node: SequenceNode, loc: Loc, depth: int) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.source.lines[(*loc, index)] = item.start_mark.line + 1
            items.append(self.value(item, (*loc, index), depth + 1))
        return items

    def _scalar(self, node: Node, loc: Loc) -> Any:
        text = str(node.value)
        self.source.texts[loc] = text
        try:
            return self.loader.construct_object(node)
        except Exception as exc:  # noqa: BLE001 - PyYAML's constructors raise anything (IndexError on "!!int ''")
            problem = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
            if node.tag == _INT_TAG and not isinstance(exc, yaml.MarkedYAMLError):
                problem = _int_problem(text)  # Python's words ("set_int_max_str_digits()")
            message = "cannot read this value" + ("" if secret_key(loc) else f": {problem}")
            if not node.tag.startswith("tag:yaml.org,2002:"):
                message += "; quote values that start with '!'"
            self.issues.append(Issue(message, loc, masks=True))
            return text

    def _mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for merged in self._merges(node, loc, depth):
            result = merged | result  # earlier merge sources win, as YAML says
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self._key(key_node, loc, seen)
            if key is not None:
                seen[key] = key_node.start_mark.line + 1
                self.source.lines[(*loc, key)] = seen[key]
                result[key] = self.value(value_node, (*loc, key), depth + 1)
        return result

    def _key(self, node: Node, loc: Loc, seen: Mapping[str, int]) -> str | None:
        line = node.start_mark.line + 1
        if not isinstance(node, ScalarNode):
            self.issues.append(Issue("a key must be plain text, not a list or mapping", loc, line))
            return None
        self._spend(node)
        key = str(node.value)
        if key in seen:
            message = f"duplicate key {key!r} (first at line {seen[key]})"
            self.issues.append(Issue(message, (*loc, key), line))
            return None
        return key

    def _merges(self, node: MappingNode, loc: Loc, depth: int) -> Iterator[dict[str, Any]]:
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for merged in sources:
                if not isinstance(merged, MappingNode):
                    line = merged.start_mark.line + 1
                    self.issues.append(Issue("'<<' merges only mappings", loc, line))
                    continue
                self._guard(merged, depth + 1)
                yield self._mapping(merged, loc, depth + 1)


# --- ${VAR} ---------------------------------------------------------------------------------------


class _BadRef(Exception):
    pass


def interpolate(data: Any, env: Mapping[str, str], loc: Loc = ()) -> tuple[Any, list[Issue]]:
    """Expand ``${VAR}`` and ``${VAR:-default}`` in every string value (keys are left alone).

    ``$${`` stands for a literal ``${``. ``:-`` uses the default when the variable is unset or
    empty, as in a shell. A reference that cannot be expanded is an issue at its key path, and
    the value is left as written. What the variables add is bounded (MAX_CHARS): thousands of
    references to one long variable are refused, not expanded into gigabytes.
    """
    expander = _Expander(env)
    return expander.value(data, loc), expander.issues


class _Expander:
    """Expands the references of one config, keeping count of what they add."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.issues: list[Issue] = []
        self.room = MAX_CHARS  # characters the expansions may still add
        self.full = False

    def value(self, data: Any, loc: Loc) -> Any:
        if isinstance(data, dict):
            return {key: self.value(value, (*loc, key)) for key, value in data.items()}
        if isinstance(data, list):
            return [self.value(value, (*loc, index)) for index, value in enumerate(data)]
        if isinstance(data, str) and "${" in data and not self.full:
            try:
                return _REF.sub(self._replace, data)
            except _BadRef as exc:
                self.issues.append(Issue(str(exc), loc, masks=True))
        return data

    def _replace(self, match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        if match["end"] is None:
            raise _BadRef("unclosed '${' (write '$${' for a literal '${')")
        name, has_default, default = match["body"].partition(":-")
        if not _VAR_NAME.fullmatch(name):
            raise _BadRef("'${...}' needs a variable name made of letters, digits and '_'")
        value = self.env.get(name)
        if has_default and not value:
            value = default
        if value is None:
            raise _BadRef(f"environment variable {name} is not set")
        self.room -= len(value)
        if self.room < 0:
            self.full = True  # reported once; the values after this one stay as written
            raise _BadRef(
                f"the ${{VAR}} values add up to more than {MAX_CHARS // 2**20} MB; "
                "this is not a config"
            )
        return value
