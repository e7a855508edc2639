"""Hostile config files through the real command line (issue: "fuzz the loader").

Each case starts from the shipped example (``config/syncd.example.yaml``, comments and all, plus
a Jira connection holding secrets) and breaks it the way a hurried or hostile edit would: YAML
syntax broken at a random line, a value of the wrong type, an unknown key at any depth, an unset
``${VAR}``, huge values, alias bombs, bytes that are not text, a directory. ``syncd -c FILE
check`` must answer each with exit code 2 and one plain line per problem naming the file, the
line and the key path: no traceback, no Python exception name, no secret, and no expansion (it
answers in well under a second).

`tests/unit/test_config_load.py` pins the exact wording of each message and
`tests/unit/test_config_fuzz.py` feeds the loader random text; this file goes through the CLI
with mutations of a real config and checks what a person reading the error needs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from syncd.cli import app
from syncd.config import load_config_text

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "syncd.example.yaml"
SECRET = "tok-Hx7Q2mZr9LwP4sVb"  # the base's Jira token: never in an error
WEBHOOK_SECRET = "whs-Kd83NfQ0aLe5TgUy"
UNSET = "SYNCD_HOSTILE_UNSET"  # an environment variable no test sets
FAST = 3.0  # seconds: generous for a slow CI machine, far below any expansion
HOSTILE = settings(  # about 1 s per test: the whole file runs in well under 20 s
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# What a traceback or an unexplained exception would leave in the output.
LEAKS = re.compile(
    r"Traceback|\b\w+(Error|Exception)\b|pydantic|File \"|line \d+, in|set_int_max_str_digits"
)
JIRA = f"""\
  acme-jira:
    type: jira
    base_url: https://acme.atlassian.net
    email: pm@acme.example
    token: "{SECRET}"
    webhook_secret: {WEBHOOK_SECRET}
"""


def base_text() -> str:
    """The example config with a Jira connection holding two secrets (never contacted)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    anchor = "  scratch: {type: memory}\n"
    assert anchor in text
    return text.replace(anchor, anchor + JIRA)


BASE = base_text()
LINES = BASE.splitlines(keepends=True)


# --- where things stand in the base text ----------------------------------------------------------

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Spot:
    """A value in the base text: its key path, the line of its key (or list item), its node."""

    loc: Loc
    line: int
    node: Node


def _walk(node: Node, loc: Loc, line: int) -> Iterator[Spot]:
    yield Spot(loc, line, node)
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield from _walk(value, (*loc, str(key.value)), key.start_mark.line + 1)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*loc, index), item.start_mark.line + 1)


ROOT = yaml.compose(BASE, Loader=yaml.SafeLoader)
assert ROOT is not None
SPOTS = [s for s in _walk(ROOT, (), 1) if s.loc]
SCALARS = [s for s in SPOTS if isinstance(s.node, ScalarNode)]
MAPPINGS = [s for s in [Spot((), 1, ROOT), *SPOTS] if isinstance(s.node, MappingNode)]
SECRET_LOCS = {
    ("connections", "acme-jira", "token"),
    ("connections", "acme-jira", "webhook_secret"),
}


def _end(node: Node) -> int:
    """Where a value's own text ends (a block collection ends with its last value)."""
    if not isinstance(node, CollectionNode) or node.flow_style or not node.value:
        return int(node.end_mark.index)
    last = node.value[-1]
    return _end(last[1] if isinstance(node, MappingNode) else last)


def replaced(spot: Spot, text: str) -> str:
    """The base with ``spot``'s value replaced by ``text`` (comments and layout kept)."""
    return BASE[: spot.node.start_mark.index] + text + BASE[_end(spot.node) :]


def dotted(loc: Loc) -> str:
    """A key path as syncd prints it: ``groups.website.members[0].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


# --- running the CLI ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    code: int
    output: str
    seconds: float

    @property
    def problems(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()]


def check(path: Path) -> Answer:
    """``syncd -c PATH check`` in this process; any exception but the exit is a failure."""
    started = time.perf_counter()
    # SYNCD_DATA: were a mutation valid after all, check's memory files stay in the tmp dir.
    env = {UNSET: None, "SYNCD_DATA": str(path.parent)}
    result = CliRunner().invoke(app, ["-c", str(path), "check"], env=env)
    seconds = time.perf_counter() - started
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("the CLI raised instead of reporting") from result.exception
    return Answer(result.exit_code, result.stdout + result.stderr, seconds)


def refused(path: Path, data: str | bytes) -> Answer:
    """Write ``data`` to ``path``, run check, and assert the common promises of a refusal."""
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    answer = check(path)
    assert answer.code == 2, answer.output
    assert answer.problems, "a refusal says why"
    assert all(line.startswith(str(path)) for line in answer.problems), answer.output
    assert not LEAKS.search(answer.output), answer.output
    assert SECRET not in answer.output
    assert WEBHOOK_SECRET not in answer.output
    assert answer.seconds < FAST, f"{answer.seconds:.1f} s"
    return answer


def placed(answer: Answer, path: Path, line: int, loc: Loc) -> str:
    """The problem at ``path:line`` about ``loc``; fails, listing them all, when there is none."""
    pattern = re.compile(rf"{re.escape(str(path))}:{line}(:\d+)?: {re.escape(dotted(loc))}: ")
    found = [p for p in answer.problems if pattern.match(p)]
    assert found, f"nothing at line {line} about {dotted(loc)}:\n{answer.output}"
    return found[0]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "syncd.yaml"


def test_the_base_is_a_valid_config() -> None:
    """The config every case starts from loads, so each refusal is the mutation's doing."""
    loaded = load_config_text(BASE, env={})
    assert loaded.connections["acme-jira"].type == "jira"
    assert len(SCALARS) > 40
    assert len(MAPPINGS) > 15


# --- (b) a value of the wrong type ----------------------------------------------------------------


def _wrong(spot: Spot) -> list[str]:
    """Values of another type than the one at ``spot`` (each invalid wherever it stands)."""
    if isinstance(spot.node, ScalarNode):
        wrong = ["[1, [2]]", "{oops: 1}"]
        if spot.node.tag.endswith((":int", ":float", ":bool")):
            wrong.append("not-a-number")
        return wrong
    return ["12345", "true", "{oops: 1}" if isinstance(spot.node, SequenceNode) else "[1, 2]"]


@HOSTILE
@given(spot=st.sampled_from(SPOTS), pick=st.integers(0, 2))
def test_a_value_of_the_wrong_type_is_placed_by_line_and_key(
    config: Path, spot: Spot, pick: int
) -> None:
    """Any value replaced by one of another type is refused at its line and key path."""
    options = _wrong(spot)
    answer = refused(config, replaced(spot, options[pick % len(options)]))
    placed(answer, config, spot.line, spot.loc)


@pytest.mark.parametrize("line", [100, 1234])
def test_line_numbers_that_look_like_emoji_codes_are_printed_as_numbers(
    config: Path, line: int
) -> None:
    """An error at line 100 reads "syncd.yaml:100:", not the 💯 that ":100:" means to rich."""
    spot = next(s for s in SCALARS if s.loc == ("groups", "website", "currency"))
    padding = "#\n" * (line - spot.line)
    answer = refused(config, padding + replaced(spot, "[EUR]"))
    placed(answer, config, line, spot.loc)


# --- (c) an unknown key at any depth --------------------------------------------------------------


def _inserted(spot: Spot, key: str) -> tuple[str, int]:
    """The base with ``key: 1`` first in the mapping at ``spot``, and the line it is on."""
    node = spot.node
    start = node.start_mark.index
    if isinstance(node, CollectionNode) and node.flow_style:
        return BASE[: start + 1] + f"{key}: 1, " + BASE[start + 1 :], node.start_mark.line + 1
    indent = " " * node.start_mark.column
    return BASE[:start] + f"{key}: 1\n{indent}" + BASE[start:], node.start_mark.line + 1


@HOSTILE
@given(
    spot=st.sampled_from(MAPPINGS),
    key=st.from_regex(r"zz[a-z_]{1,10}", fullmatch=True),
)
def test_an_unknown_key_at_any_depth_is_placed_by_line_and_key(
    config: Path, spot: Spot, key: str
) -> None:
    """A key inserted into any mapping is refused at its own line and full key path."""
    text, line = _inserted(spot, key)
    answer = refused(config, text)
    placed(answer, config, line, (*spot.loc, key))


# --- (d) an unset ${VAR} --------------------------------------------------------------------------


@HOSTILE
@given(spot=st.sampled_from([s for s in SCALARS if s.loc not in SECRET_LOCS]))
def test_an_unset_variable_anywhere_is_named_at_its_line_and_key(config: Path, spot: Spot) -> None:
    """Any value written as an unset ${VAR} is refused naming the variable, line and key."""
    answer = refused(config, replaced(spot, "${" + UNSET + "}"))
    problem = placed(answer, config, spot.line, spot.loc)
    assert problem.endswith(f"environment variable {UNSET} is not set")


# --- (a) YAML broken at a random line -------------------------------------------------------------

CONTENT = [n for n, line in enumerate(LINES) if line.strip() and not line.lstrip().startswith("#")]
KEY_LINE = re.compile(r"^(\s*)([A-Za-z_][\w.@-]*):(\s|$)")
KEY_LINES = [n for n in CONTENT if KEY_LINE.match(LINES[n])]


def _indent(n: int) -> int:
    return len(LINES[n]) - len(LINES[n].lstrip(" "))


# Lines right below a sibling key: indenting one of them can only be an error (indenting the
# only key of a mapping, or a first line, still reads as the same config).
SIBLINGS = [
    n
    for before, n in pairwise(CONTENT)
    if _indent(before) == _indent(n) and KEY_LINE.match(LINES[before]) and KEY_LINE.match(LINES[n])
]


def _break(kind: str, n: int) -> str:
    """The base with line ``n`` (0-based) broken as ``kind`` says."""
    line = LINES[n]
    body = line.lstrip(" ")
    indent = line[: len(line) - len(body)]
    head, colon, tail = line.partition(": ")
    broken = {
        "tab": "\t" + body if not indent else indent[:-1] + "\t" + body,
        "unclosed_quote": head + colon + '"' + tail if colon else indent + '"' + body,
        "unclosed_bracket": head + colon + "[" + tail if colon else indent + "[" + body,
        "unclosed_brace": head + colon + "{" + tail if colon else indent + "{" + body,
        "indent": " " + line,
        "document": "---\n" + line,
        "directive": "%YAML 1.1\n" + line,
        "stray_bracket": head + colon + "] " + tail if colon else indent + "] " + body,
    }[kind]
    return "".join([*LINES[:n], broken, *LINES[n + 1 :]])


LINE_NUMBER = re.compile(r"^[^:]+:(?P<line>\d+)(:\d+)?: ")


BREAKS = {
    "tab": CONTENT,
    "unclosed_quote": CONTENT,
    "unclosed_bracket": CONTENT,
    "unclosed_brace": CONTENT,
    "stray_bracket": CONTENT,
    "directive": CONTENT,
    "document": CONTENT[1:],  # "---" before the first line merely starts the document
    "indent": SIBLINGS,
}
breaks = st.sampled_from(sorted(BREAKS)).flatmap(
    lambda kind: st.tuples(st.just(kind), st.sampled_from(BREAKS[kind]))
)


@HOSTILE
@given(case=breaks)
def test_yaml_broken_at_any_line_is_refused_with_a_line(
    config: Path, case: tuple[str, int]
) -> None:
    """Tabs, unclosed quotes and brackets, stray indentation or documents at any line: each
    is refused with a line number within the file."""
    kind, n = case
    text = _break(kind, n)
    answer = refused(config, text)
    lines = [int(m["line"]) for p in answer.problems if (m := LINE_NUMBER.match(p))]
    assert lines, answer.output
    assert all(1 <= line <= text.count("\n") + 1 for line in lines)


@HOSTILE
@given(n=st.sampled_from(KEY_LINES))
def test_a_key_written_twice_is_named_at_the_second(config: Path, n: int) -> None:
    """A key line repeated right below itself is a duplicate key at the copy's line."""
    key = KEY_LINE.match(LINES[n])
    assert key is not None
    spot = next(s for s in SPOTS if s.line == n + 1 and s.loc[-1] == key[2])
    text = "".join([*LINES[: n + 1], LINES[n], *LINES[n + 1 :]])
    problem = placed(refused(config, text), config, n + 2, spot.loc)
    assert problem.endswith(f"duplicate key {key[2]!r} (first at line {n + 1})")


# --- alias bombs ----------------------------------------------------------------------------------


def _laughs(levels: int = 12, width: int = 10) -> str:
    lines = ["lol0: &lol0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _merge_laughs(levels: int = 12) -> str:
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for i in range(1, levels):
        lines.append(f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 10) + "]}")
    return "\n".join(lines) + "\n"


def _quadratic(reference: str) -> str:
    """One 100 kB string used 20,000 times (2 GB if each use were a copy)."""
    big = "x" * 100_000 + reference
    return f'big: &big "{big}"\nuses: [' + ", ".join(["*big"] * 20_000) + "]\n"


BOMBS = {
    "billion_laughs": _laughs(),
    "merge_key_laughs": _merge_laughs(),
    "self_referencing_list": "a: &a [*a, *a]\n",
    "self_referencing_mapping": "a: &a {x: *a, y: *a}\n",
    "self_merging_mapping": "a: &a {<<: *a}\n",
    "quadratic_string": _quadratic(""),
    "quadratic_string_with_variable": _quadratic("${HOME}"),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
@pytest.mark.parametrize("where", ["top", "bottom"])
def test_alias_bombs_are_refused_without_expanding(config: Path, bomb: str, where: str) -> None:
    """An alias bomb placed above or below a valid config is refused quickly, with a line."""
    text = BOMBS[bomb] + BASE if where == "top" else BASE + BOMBS[bomb]
    answer = refused(config, text)
    assert any(LINE_NUMBER.match(p) for p in answer.problems), answer.output


def test_many_references_to_a_big_variable_are_refused_quickly(config: Path) -> None:
    """Thousands of ${BIG} of a 100 kB variable do not build gigabytes of config."""
    env_value = "y" * 100_000
    text = BASE + "uses: [" + ", ".join(["${HOSTILE_BIG}"] * 20_000) + "]\n"
    config.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["-c", str(config), "check"], env={"HOSTILE_BIG": env_value})
    assert time.perf_counter() - started < FAST
    assert result.exit_code == 2
    assert env_value[:50] not in result.stderr
    assert re.search(rf"{re.escape(str(config))}:\d+: uses", result.stderr), result.stderr


# --- (e) huge values ------------------------------------------------------------------------------

MEMBER = ("groups", "website", "members", 0)
HUGE = {
    "int_1e30_concurrency": (
        "concurrency: 4",
        "concurrency: 1" + "0" * 30,
        (*MEMBER, "concurrency"),
    ),
    "int_1e30_ratio": (
        "max_delete_ratio: 0.2",
        "max_delete_ratio: 1" + "0" * 30,
        ("groups", "website", "max_delete_ratio"),
    ),
    "int_1e30_interval": ("interval: 60s", "interval: 1" + "0" * 30, ("service", "interval")),
    "duration_1e30_seconds": (
        "interval: 60s",
        "interval: 1" + "0" * 30 + "s",
        ("service", "interval"),
    ),
    "duration_1e30_days": (
        "full_resync: 1h",
        "full_resync: 1" + "0" * 30 + "d",
        ("service", "full_resync"),
    ),
    "int_10000_digits": (
        "concurrency: 4",
        "concurrency: " + "9" * 10_000,
        (*MEMBER, "concurrency"),
    ),
    "quoted_10000_digits": (
        "concurrency: 4",
        'concurrency: "' + "9" * 10_000 + '"',
        (*MEMBER, "concurrency"),
    ),
    "duration_10000_digits": (
        "interval: 60s",
        "interval: " + "9" * 10_000 + "s",
        ("service", "interval"),
    ),
    "float_overflow": (
        "max_delete_ratio: 0.2",
        "max_delete_ratio: 1e999",
        ("groups", "website", "max_delete_ratio"),
    ),
    "nan": (
        "max_delete_ratio: 0.2",
        "max_delete_ratio: .nan",
        ("groups", "website", "max_delete_ratio"),
    ),
    "infinite_concurrency": ("concurrency: 4", "concurrency: .inf", (*MEMBER, "concurrency")),
    "string_1mb": (
        "currency: EUR",
        "currency: " + "E" * 1_000_000,
        ("groups", "website", "currency"),
    ),
    "string_1mb_in_a_list": (
        "start: [plan]",
        "start: [plan, " + "p" * 1_000_000 + "]",
        ("groups", "website", "authority", "start", 1),
    ),
    "key_1mb": (
        "currency: EUR",
        "currency: EUR\n    ? " + "k" * 1_000_000 + "\n    : 1",
        ("groups", "website", "k" * 1_000_000),
    ),
    # PyYAML takes no key longer than 1024 characters: a syntax error, placed by line only.
    "key_100k": ("currency: EUR", "currency: EUR\n    " + "k" * 100_000 + ": 1", None),
}


@pytest.mark.parametrize("case", sorted(HUGE))
def test_huge_values_are_refused_at_their_line_and_key(config: Path, case: str) -> None:
    """Absurdly large numbers, durations and strings are refused in plain words, at their key."""
    old, new, loc = HUGE[case]
    assert old in BASE
    answer = refused(config, BASE.replace(old, new, 1))
    line = BASE[: BASE.index(old)].count("\n") + 1
    if loc is None:
        assert re.match(rf"{re.escape(str(config))}:{line + 1}:\d+: ", answer.problems[0])
    elif len(str(loc[-1])) > 100:  # a huge key: its path is shown clipped
        where = f"{config}:{line + 1}: {dotted(loc[:-1])}.kkkkkkkkkk"
        assert any(p.startswith(where) for p in answer.problems), answer.output[:500]
    else:
        placed(answer, config, line, loc)
    assert all(len(p) < 400 for p in answer.problems), answer.output[:1000]


def test_a_10_mb_string_is_refused_before_parsing(config: Path) -> None:
    """A file over the size limit (a 10 MB value) is refused as a whole, quickly."""
    answer = refused(config, BASE.replace("currency: EUR", "currency: " + "E" * 10_000_000))
    assert answer.problems == [f"{config}: larger than 5 MB; this is not a config file"]


@pytest.mark.parametrize(
    "nesting",
    [
        "status_map: " + "[" * 10_000 + "]" * 10_000,
        "status_map: " + "{a: " * 10_000 + "1" + "}" * 10_000,
        "status_map: " + "[{a: " * 5_000 + "1" + "}]" * 5_000,
        "status_map:\n" + "".join(" " * (8 + i) + "- \n" for i in range(0, 300)),
    ],
    ids=["lists", "mappings", "mixed", "block"],
)
def test_deep_nesting_is_refused_at_its_line(config: Path, nesting: str) -> None:
    """10,000 levels of nesting are refused quickly, naming the line where they start."""
    old = 'status_map: {"Backlog": todo, "Doing": in_progress, "Done": done}'
    assert old in BASE
    answer = refused(config, BASE.replace(old, nesting, 1))
    first = BASE[: BASE.index(old)].count("\n") + 1
    (problem,) = answer.problems
    found = LINE_NUMBER.match(problem)
    assert found, problem
    assert first <= int(found["line"]) <= first + nesting.count("\n"), problem
    assert problem.endswith("nested more than 64 levels deep")


# --- (f) what is not a config file ----------------------------------------------------------------

NOT_TEXT = {
    "empty": (b"", "the file is empty"),
    "bom_only": (b"\xef\xbb\xbf", "the file is empty"),
    "whitespace_only": (b"\n\n   \n", "the file is empty"),
    "binary_garbage": (bytes(range(256)) * 8, "not a text file"),
    "elf_header": (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "not a text file"),
    "invalid_utf8": (BASE.encode()[:300] + b"\xff\xfe\xc3\x28" + BASE.encode()[300:], "UTF-8"),
    "latin1": (BASE.replace("Europe/Madrid", "Europe/Málaga").encode("latin-1"), "UTF-8"),
    "utf16": (BASE.encode("utf-16"), "UTF-16"),
    "utf16_be_no_bom": (BASE.encode("utf-16-be"), "not a text file"),
    "gzip": (b"\x1f\x8b\x08\x00" + bytes(range(1, 200)), "not a text file"),
    "gzip_without_nul": (b"\x1f\x8b\x08\x08" + bytes(range(1, 200)), "UTF-8"),
    "control_characters": (BASE.replace("website:", "web\x1b[31msite:").encode(), "character"),
    "json_array": (b'["connections", {"a": 1}]', "expected a mapping"),
    "scalar": (b"just some words", "expected a mapping"),
}


@pytest.mark.parametrize("case", sorted(NOT_TEXT))
def test_bytes_that_are_no_config_are_refused_plainly(config: Path, case: str) -> None:
    """Empty files, binaries, other encodings and non-mappings are refused in one plain line."""
    data, says = NOT_TEXT[case]
    answer = refused(config, data)
    assert says in answer.output


def test_a_bom_before_a_valid_config_is_accepted(config: Path) -> None:
    """A UTF-8 byte-order mark (Windows editors) is no error: only the config's own errors are
    reported, at their true line."""
    text = BASE.replace("currency: EUR", "currency: 12")
    answer = refused(config, b"\xef\xbb\xbf" + text.encode())
    line = BASE[: BASE.index("currency: EUR")].count("\n") + 1
    placed(answer, config, line, ("groups", "website", "currency"))


def test_a_directory_is_refused(tmp_path: Path) -> None:
    """A directory given as the config file is named and refused."""
    answer = check(tmp_path)
    assert answer.code == 2
    assert answer.problems == [f"{tmp_path}: is a directory, not a config file"]


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    """A config path that does not exist is named and refused."""
    answer = check(tmp_path / "nope.yaml")
    assert answer.code == 2
    assert answer.problems == [f"{tmp_path / 'nope.yaml'}: no such file"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_read_only_up_to_the_limit() -> None:
    """/dev/zero as the config is refused after 5 MB, not read for ever."""
    answer = check(Path("/dev/zero"))
    assert answer.code == 2
    assert answer.problems == ["/dev/zero: larger than 5 MB; this is not a config file"]
    assert answer.seconds < FAST


def test_python_tags_are_refused_and_never_run(config: Path, tmp_path: Path) -> None:
    """A YAML tag that would run code elsewhere is an error at its key; nothing runs."""
    marker = tmp_path / "pwned"
    tag = f'!!python/object/apply:os.system ["touch {marker}"]'
    answer = refused(config, BASE.replace("currency: EUR", f"currency: {tag}"))
    line = BASE[: BASE.index("currency: EUR")].count("\n") + 1
    placed(answer, config, line, ("groups", "website", "currency"))
    assert not marker.exists()


# --- secrets --------------------------------------------------------------------------------------

JIRA_SPOTS = [
    s
    for s in SPOTS
    if s.loc[:2] == ("connections", "acme-jira") and len(s.loc) == 3 and s.loc not in SECRET_LOCS
]


@HOSTILE
@given(spot=st.sampled_from(JIRA_SPOTS), pick=st.integers(0, 2))
def test_a_wrong_neighbour_of_a_secret_never_shows_it(config: Path, spot: Spot, pick: int) -> None:
    """When a key next to the token is wrong, the error never shows the token."""
    options = _wrong(spot)
    answer = refused(config, replaced(spot, options[pick % len(options)]))
    placed(answer, config, spot.line, spot.loc)  # refused() asserts the secrets are absent


SECRET_SHAPES = [
    "[{s}]",
    "{{value: {s}}}",
    "- {s}",
    "{s}: x",
    "!custom {s}",
    "!!int {s}",
    "!!float {s}",
    "!!timestamp {s}",
    "!!binary {s}",
    "*{s}",
    "&{s} [x]",
    '"{s}',
    "[{s}",
    "'{s}'': x",
    "${{{s}",
]
secrets = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{15,30}", fullmatch=True)


@HOSTILE
@given(secret=secrets | st.from_regex(r"[1-9][0-9]{15,25}", fullmatch=True), pick=st.integers())
def test_a_secret_of_the_wrong_shape_is_never_shown(config: Path, secret: str, pick: int) -> None:
    """A token written as a list, a mapping, a tag, an alias, a number or broken YAML is
    refused without the error showing it."""
    shape = SECRET_SHAPES[pick % len(SECRET_SHAPES)]
    written = shape.format(s=secret)
    if written.startswith("- "):
        written = "\n      " + written
    text = BASE.replace(f'token: "{SECRET}"', f"token: {written}", 1)
    answer = refused(config, text)
    assert secret not in answer.output
    assert secret[:12] not in answer.output


# --- the real entry point -------------------------------------------------------------------------


def _syncd() -> list[str]:
    script = Path(sys.executable).with_name("syncd")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from syncd.cli import main; main()"]


@pytest.mark.parametrize("case", ["billion_laughs", "unset_variable"])
def test_the_installed_command_exits_2_without_a_traceback(tmp_path: Path, case: str) -> None:
    """The ``syncd`` console script itself exits 2 and prints no traceback."""
    path = tmp_path / "syncd.yaml"
    if case == "unset_variable":
        path.write_text(BASE.replace("currency: EUR", "currency: ${" + UNSET + "}"))
    else:
        path.write_text(_laughs() + BASE)
    env = {k: v for k, v in os.environ.items() if k != UNSET}
    done = subprocess.run(  # noqa: S603 - our own console script, arguments we built
        [*_syncd(), "-c", str(path), "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert str(path) in done.stderr
    assert not LEAKS.search(done.stderr + done.stdout), done.stderr
