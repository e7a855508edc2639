"""Finding and reading the config file: look-up order, file problems, YAML, ${VAR}."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from syncd.config import Config, config_paths, find_config, load_config, load_config_text
from syncd.errors import ConfigError

MINIMAL = "connections: {a: {type: memory}}\n"

Load = Callable[..., Config]
Problems = Callable[..., list[str]]


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Load:
    """Write text to ./syncd.yaml in a fresh directory and load it."""
    monkeypatch.chdir(tmp_path)

    def run(text: str, env: Mapping[str, str] | None = None) -> Config:
        Path("syncd.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        return load_config(Path("syncd.yaml"), env=env or {})

    return run


@pytest.fixture
def problems(load: Load) -> Problems:
    """The ConfigError lines loading the text gives."""

    def run(text: str, env: Mapping[str, str] | None = None) -> list[str]:
        with pytest.raises(ConfigError) as caught:
            load(text, env)
        return caught.value.problems

    return run


# --- look-up order --------------------------------------------------------------------------------


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A working directory and a home directory, each with a config file, and one elsewhere."""
    work, home = tmp_path / "work", tmp_path / "home"
    (home / ".config" / "syncd").mkdir(parents=True)
    work.mkdir()
    monkeypatch.chdir(work)
    files = {
        "explicit": tmp_path / "explicit.yaml",
        "env": tmp_path / "env.yaml",
        "local": work / "syncd.yaml",
        "user": home / ".config" / "syncd" / "syncd.yaml",
    }
    for path in files.values():
        path.write_text(MINIMAL, encoding="utf-8")
    return {**files, "home": home}


def test_explicit_path_comes_first(places: dict[str, Path]) -> None:
    """A path given explicitly wins over $SYNCD_CONFIG and the default places."""
    env = {"SYNCD_CONFIG": str(places["env"]), "HOME": str(places["home"])}
    assert find_config(places["explicit"], env=env) == places["explicit"]


def test_syncd_config_comes_second(places: dict[str, Path]) -> None:
    """$SYNCD_CONFIG wins over ./syncd.yaml and the user's file."""
    env = {"SYNCD_CONFIG": str(places["env"]), "HOME": str(places["home"])}
    assert find_config(env=env) == places["env"]


def test_local_file_comes_third(places: dict[str, Path]) -> None:
    """./syncd.yaml wins over the user's file, and is shown relative as given."""
    assert find_config(env={"HOME": str(places["home"])}) == Path("syncd.yaml")


def test_user_file_comes_last(places: dict[str, Path]) -> None:
    """~/.config/syncd/syncd.yaml is used when nothing else exists."""
    places["local"].unlink()
    assert find_config(env={"HOME": str(places["home"])}) == places["user"]


def test_xdg_config_home_replaces_dot_config(tmp_path: Path) -> None:
    """$XDG_CONFIG_HOME moves the user's file."""
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    assert config_paths(env)[-1] == tmp_path / "xdg" / "syncd" / "syncd.yaml"


def test_nothing_found_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no file anywhere, the error lists the places and suggests syncd init."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        find_config(env={"HOME": "/nonexistent"})
    assert caught.value.problems == [
        "no config file found (looked in: syncd.yaml, "
        "/nonexistent/.config/syncd/syncd.yaml); run `syncd init` to write a starter"
    ]


def test_missing_explicit_path_is_an_error(places: dict[str, Path]) -> None:
    """A named file that does not exist is an error, not a fall-back to other places."""
    with pytest.raises(ConfigError) as caught:
        find_config("nope.yaml", env={})
    assert caught.value.problems == ["nope.yaml: no such file"]


def test_missing_syncd_config_file_is_an_error(places: dict[str, Path]) -> None:
    """$SYNCD_CONFIG naming a missing file is an error that says where the name came from."""
    with pytest.raises(ConfigError) as caught:
        find_config(env={"SYNCD_CONFIG": "gone.yaml"})
    assert caught.value.problems == ["gone.yaml: no such file (from $SYNCD_CONFIG)"]


def test_load_config_uses_the_look_up(places: dict[str, Path]) -> None:
    """load_config without a path reads the file the look-up finds."""
    places["env"].write_text("connections: {from-env: {type: memory}}\n", encoding="utf-8")
    config = load_config(env={"SYNCD_CONFIG": str(places["env"])})
    assert list(config.connections) == ["from-env"]


# --- files that cannot be configs -----------------------------------------------------------------


def test_empty_file(problems: Problems) -> None:
    """An empty file is an error that points to syncd init."""
    assert problems("") == ["syncd.yaml: the file is empty; `syncd init` writes a starter"]


def test_comments_only_is_empty(problems: Problems) -> None:
    """A file of comments only counts as empty."""
    assert problems("# nothing\n\n") == [
        "syncd.yaml: the file is empty; `syncd init` writes a starter"
    ]


def test_top_level_list(problems: Problems) -> None:
    """A top level that is not a mapping is an error at line 1."""
    assert problems("- a\n- b\n") == [
        "syncd.yaml:1: expected a mapping of settings (key: value) at the top, got a list"
    ]


def test_top_level_scalar(problems: Problems) -> None:
    """A bare word at the top is not a config."""
    assert problems("hello\n") == [
        "syncd.yaml:1: expected a mapping of settings (key: value) at the top, got 'hello'"
    ]


def test_binary_garbage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with NUL bytes is refused as not text."""
    monkeypatch.chdir(tmp_path)
    Path("syncd.yaml").write_bytes(b"\x7fELF\x00\x01\x02")
    with pytest.raises(ConfigError) as caught:
        load_config("syncd.yaml", env={})
    assert caught.value.problems == ["syncd.yaml: not a text file (it holds NUL bytes)"]


def test_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes that are not UTF-8 are refused with their line."""
    monkeypatch.chdir(tmp_path)
    Path("syncd.yaml").write_bytes(b"state: x\nname: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config("syncd.yaml", env={})
    assert caught.value.problems == ["syncd.yaml:2: not UTF-8 text (byte 18)"]


def test_control_character(problems: Problems) -> None:
    """A control character YAML refuses is reported with line and column."""
    assert problems("state: a\x07b\n") == [
        "syncd.yaml:1:9: unacceptable character #x0007: special characters are not allowed"
    ]


def test_huge_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over 5 MB is refused without being parsed."""
    monkeypatch.chdir(tmp_path)
    Path("syncd.yaml").write_bytes(b"# " + b"x" * (5 * 1024 * 1024))
    with pytest.raises(ConfigError) as caught:
        load_config("syncd.yaml", env={})
    assert caught.value.problems == ["syncd.yaml: larger than 5 MB; this is not a config file"]


def test_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory given as the config is refused plainly."""
    monkeypatch.chdir(tmp_path)
    Path("conf").mkdir()
    with pytest.raises(ConfigError) as caught:
        load_config("conf", env={})
    assert caught.value.problems == ["conf: is a directory, not a config file"]


def test_utf8_bom_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A UTF-8 byte-order mark (as some Windows editors write) is ignored."""
    monkeypatch.chdir(tmp_path)
    Path("syncd.yaml").write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert list(load_config("syncd.yaml", env={}).connections) == ["a"]


# --- YAML -----------------------------------------------------------------------------------------


def test_syntax_error_has_line_and_column(problems: Problems) -> None:
    """Malformed YAML is one line with file:line:column and the YAML problem."""
    assert problems("service:\n  interval: [1, 2\n  listen: x\n") == [
        "syncd.yaml:3:9: expected ',' or ']', but got ':' (while parsing a flow sequence at line 2)"
    ]


def test_syntax_error_never_shows_the_line_text(problems: Problems) -> None:
    """A YAML error does not quote the offending line, which may hold a secret."""
    (message,) = problems("connections:\n  a: {type: memory, token: s3cr3t-value: x}\n")
    assert "s3cr3t" not in message
    assert message.startswith("syncd.yaml:2:")


def test_unquoted_reference_in_flow_mapping_is_accepted(problems: Problems) -> None:
    """${VAR} unquoted inside { }, as DESIGN's own example writes it, parses and expands."""
    text = "connections:\n  a: {type: memory, token: ${T}}\n"
    assert problems(text, {"T": "x"}) == [
        "syncd.yaml:2: connections.a.token: unknown key 'token' (known: type)"
    ]
    config = load_config_text(
        "connections:\n  a: {type: memory}\ngroups:\n  g: {currency: EUR, members: "
        "[{connection: a, store: ${S:-one}}]}\n",
        env={},
    )
    assert config.groups["g"].members[0].store == "one"  # type: ignore[attr-defined]


def test_two_documents(problems: Problems) -> None:
    """Two YAML documents in one file are refused."""
    assert problems("a: 1\n---\nb: 2\n") == [
        "syncd.yaml:2:1: expected a single document in the stream, but found another document"
    ]


def test_duplicate_key_is_reported_at_the_second(problems: Problems) -> None:
    """A key given twice in one mapping is an error at the second occurrence."""
    text = """\
        connections:
          a: {type: memory}
        service:
          interval: 30s
          listen: 127.0.0.1:1
          interval: 5m
        """
    assert problems(text) == [
        "syncd.yaml:6: service.interval: duplicate key 'interval' (first at line 4)"
    ]


def test_duplicate_key_in_flow_mapping(problems: Problems) -> None:
    """Duplicate keys in { } mappings are caught too."""
    assert problems("connections: {a: {type: memory}, a: {type: memory}}\n") == [
        "syncd.yaml:1: connections.a: duplicate key 'a' (first at line 1)"
    ]


def test_same_key_in_different_mappings_is_fine(load: Load) -> None:
    """Keys repeat freely across mappings."""
    config = load("connections: {a: {type: memory}, b: {type: memory}}\n")
    assert list(config.connections) == ["a", "b"]


def test_non_text_key(problems: Problems) -> None:
    """A list used as a key is refused."""
    assert problems("? [a, b]\n: 1\n") == [
        "syncd.yaml:1: a key must be plain text, not a list or mapping"
    ]


def test_unknown_tag(problems: Problems) -> None:
    """A YAML tag syncd does not know is an error at its key, not a traceback."""
    assert problems("state: !python/object x\n") == [
        "syncd.yaml:1: state: cannot read this value: could not determine a constructor "
        "for the tag '!python/object'; quote values that start with '!'"
    ]


def test_unquoted_secret_read_as_alias_is_not_echoed(problems: Problems) -> None:
    """A secret starting with '*' parses as an alias; the error hides its name."""
    assert problems("connections:\n  a: {type: memory, token: *hunter22}\n") == [
        "syncd.yaml:2:28: found undefined alias (quote values that start with '*' or '&')"
    ]


def test_unquoted_secret_read_as_tag_is_not_echoed(problems: Problems) -> None:
    """A secret starting with '!' parses as a tag; the error at a secret key hides it."""
    assert problems("connections:\n  a:\n    type: memory\n    password: !Xy9s3cret\n") == [
        "syncd.yaml:4: connections.a.password: cannot read this value; "
        "quote values that start with '!'"
    ]


def test_impossible_date(problems: Problems) -> None:
    """A date-looking value YAML cannot build is an error at its key."""
    assert problems("state: 2024-02-30\n") == [
        "syncd.yaml:1: state: cannot read this value: day is out of range for month"
    ]


def test_alias_bomb(problems: Problems) -> None:
    """Aliases that expand to a huge structure are refused quickly."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    (message,) = problems("\n".join(lines) + "\n")
    assert message.endswith(": more than 100000 values (aliases expanding?)")


def test_deep_nesting(problems: Problems) -> None:
    """Absurdly deep nesting is refused, not a RecursionError."""
    (message,) = problems("a: " + "[" * 3000 + "]" * 3000 + "\n")
    assert message.startswith("syncd.yaml")
    assert "nested" in message


def test_merge_keys(load: Load) -> None:
    """YAML merge keys share settings between mappings; explicit keys win."""
    text = """\
        connections: {a: {type: memory}}
        groups:
          one: &defaults
            currency: EUR
            deletes: ignore
            members: [{connection: a}]
          two:
            <<: *defaults
            deletes: delete
        """
    config = load(text)
    assert config.groups["two"].currency == "EUR"
    assert config.groups["two"].deletes == "delete"


def test_lines_of_list_items_and_keys(problems: Problems) -> None:
    """Errors in list items name the item's index and its own line."""
    text = """\
        connections: {a: {type: memory}}
        groups:
          g:
            currency: EUR
            members:
              - connection: a
                name: one
              -
                connection: a
                concurrency: many
        """
    assert problems(text) == [
        "syncd.yaml:10: groups.g.members[1].concurrency: expected a number, got 'many'"
    ]


# --- ${VAR} ---------------------------------------------------------------------------------------


def test_variable_is_replaced(load: Load) -> None:
    """${VAR} takes the environment's value."""
    config = load("state: ${DB}\n", {"DB": "sqlite:///x.db"})
    assert config.state == "sqlite:///x.db"


def test_variable_inside_a_longer_string(load: Load) -> None:
    """References are expanded inside longer strings, several per string."""
    config = load("state: sqlite:///${DIR}/${NAME}.db\n", {"DIR": "/srv", "NAME": "s"})
    assert config.state == "sqlite:////srv/s.db"


def test_default_when_unset(load: Load) -> None:
    """${VAR:-default} uses the default when the variable is unset."""
    assert load("state: ${DB:-sqlite:///d.db}\n").state == "sqlite:///d.db"


def test_default_when_empty(load: Load) -> None:
    """${VAR:-default} uses the default when the variable is empty, as a shell does."""
    assert load("state: ${DB:-sqlite:///d.db}\n", {"DB": ""}).state == "sqlite:///d.db"


def test_value_beats_default(load: Load) -> None:
    """A set variable wins over the default."""
    assert load("state: ${DB:-sqlite:///d.db}\n", {"DB": "sqlite:///e.db"}).state == (
        "sqlite:///e.db"
    )


def test_empty_default_leaves_an_optional_key_unset(load: Load) -> None:
    """${VAR:-} on an optional key means "not set"."""
    assert load("service: {public_url: '${URL:-}'}\n").service.public_url is None


def test_interpolated_values_are_validated(load: Load) -> None:
    """Expanded strings are converted like written ones (a duration here)."""
    config = load("service:\n  interval: ${EVERY}\n", {"EVERY": "5m"})
    assert config.service.interval.total_seconds() == 300


def test_missing_variable_is_an_error_at_its_line(problems: Problems) -> None:
    """An unset variable without a default is an error at its key's line."""
    text = """\
        connections:
          acme:
            type: memory
        service:
          listen: ${LISTEN}
        """
    assert problems(text) == [
        "syncd.yaml:5: service.listen: environment variable LISTEN is not set"
    ]


def test_escape_gives_a_literal(load: Load) -> None:
    """$${ stands for a literal ${."""
    assert load("state: sqlite:///a$${b}.db\n").state == "sqlite:///a${b}.db"


def test_unclosed_reference(problems: Problems) -> None:
    """A ${ without its } is an error that mentions the escape."""
    assert problems("state: '${DB'\n") == [
        "syncd.yaml:1: state: unclosed '${' (write '$${' for a literal '${')"
    ]


def test_bad_variable_name(problems: Problems) -> None:
    """A reference that is not a variable name is an error."""
    assert problems("state: '${A B}'\n") == [
        "syncd.yaml:1: state: '${...}' needs a variable name made of letters, digits and '_'"
    ]


def test_keys_are_not_interpolated(load: Load) -> None:
    """Only values are expanded; a key stays as written."""
    config = load("people: {'a${X}@b.example': {}}\n", {"X": "y"})
    assert list(config.people) == ["a${x}@b.example"]


def test_interpolated_value_is_not_echoed(problems: Problems) -> None:
    """A bad value from the environment is shown as its ${VAR}, not its content."""
    assert problems("service:\n  interval: ${EVERY}\n", {"EVERY": "s3cret"}) == [
        "syncd.yaml:2: service.interval: expected a duration like 30s, 5m, 1h or 1h30m, "
        "got '${EVERY}' (from the environment)"
    ]
