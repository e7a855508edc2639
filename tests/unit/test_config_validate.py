"""Validating the config: plain messages placed by file, line and key path; secrets kept out."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import SecretStr

import adapters
from adapters.base import Adapter, AdapterContext, ConnectionSettings, MemberSettings, Plugin
from adapters.memory.config import MemoryConnection, MemoryMember
from syncd.config import (
    Config,
    format_duration,
    load_config,
    member_settings,
    parse_config,
    parse_duration,
    secrets_of,
)
from syncd.errors import ConfigError

TOKEN = "tok-9f8e7d6c5b4a"
HOOK = "hook-0a1b2c3d4e5f"


class VaultConnection(ConnectionSettings):
    """A connection with secrets, as the vendor adapters' are."""

    type: Literal["vault"] = "vault"
    base_url: str = "https://vault.example"
    token: SecretStr
    webhook_secret: SecretStr | None = None


class VaultMember(MemberSettings):
    """A member with a required scope key."""

    project: str


def _factory(connection: Any, member: Any, context: AdapterContext) -> Adapter:
    raise NotImplementedError


@pytest.fixture(autouse=True)
def vault() -> Iterator[None]:
    """A second adapter, 'vault', for the duration of each test."""
    adapters.register(Plugin("vault", VaultConnection, VaultMember, _factory))
    yield
    adapters.unregister("vault")


Problems = Callable[..., list[str]]


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Config]:
    """Write text to ./syncd.yaml in a fresh directory and load it."""
    monkeypatch.chdir(tmp_path)

    def run(text: str, env: Mapping[str, str] | None = None) -> Config:
        Path("syncd.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        return load_config(Path("syncd.yaml"), env=env or {})

    return run


@pytest.fixture
def problems(load: Callable[..., Config]) -> Problems:
    """The ConfigError lines loading the text gives."""

    def run(text: str, env: Mapping[str, str] | None = None) -> list[str]:
        with pytest.raises(ConfigError) as caught:
            load(text, env)
        return caught.value.problems

    return run


GOOD = textwrap.dedent("""\
    state: postgresql://syncd:pg-pass-77@db.example/syncd
    service:
      interval: 30s
      public_url: https://syncd.example.com
    connections:
      acme-jira: {type: vault, token: "${JIRA_TOKEN}", webhook_secret: "${HOOK}"}
      acme-asana: {type: memory}
    people:
      Ana@Acme.Example: {acme-jira: "5b10ac8d", acme-asana: ana}
    groups:
      web:
        currency: eur
        timezone: Europe/Madrid
        members:
          - connection: acme-jira
            project: WEB
          - connection: acme-asana
            path: web.json
          - connection: acme-asana
            name: archive
        authority:
          due: [acme-jira, archive]
          planned: [acme-asana]
    """)
GOOD_ENV = {"JIRA_TOKEN": TOKEN, "HOOK": HOOK}


def test_good_config_loads_with_adapter_models(load: Callable[..., Config]) -> None:
    """Connections and members become their adapter's models, with values normalised."""
    config = load(GOOD, GOOD_ENV)
    assert isinstance(config.connections["acme-jira"], VaultConnection)
    assert isinstance(config.connections["acme-asana"], MemoryConnection)
    web = config.groups["web"]
    assert [type(m) for m in web.members] == [VaultMember, MemoryMember, MemoryMember]
    assert web.member_names == ["acme-jira", "acme-asana", "archive"]
    assert web.currency == "EUR"
    assert web.tz.key == "Europe/Madrid"
    assert list(config.people) == ["ana@acme.example"]
    assert config.service.interval == dt.timedelta(seconds=30)
    assert config.service.full_resync == dt.timedelta(hours=1)


def test_defaults_follow_the_design(load: Callable[..., Config]) -> None:
    """Unset keys take DESIGN §6's defaults."""
    config = load(
        "groups: {g: {currency: USD, members: [{connection: m}]}}\n"
        "connections: {m: {type: memory}}\n"
    )
    group = config.groups["g"]
    assert config.state is None
    assert (config.service.host, config.service.port) == ("127.0.0.1", 8787)
    assert config.service.interval == dt.timedelta(seconds=60)
    assert config.service.public_url is None
    assert (group.conflicts, group.deletes, group.match_existing) == (
        "authority",
        "archive",
        "title",
    )
    assert (group.max_delete_ratio, group.timezone, group.authority) == (0.2, "UTC", {})


def test_member_lookups(load: Callable[..., Config]) -> None:
    """Config.member, member_settings and people_of find what the engine needs."""
    config = load(GOOD, GOOD_ENV)
    assert config.member("web", "archive").name == "archive"
    pairs = member_settings(config, "web")
    assert [(m.member_name, c.type) for m, c in pairs] == [
        ("acme-jira", "vault"),
        ("acme-asana", "memory"),
        ("archive", "memory"),
    ]
    assert config.people_of("acme-asana") == {"ana@acme.example": "ana"}


def test_unknown_group_and_member(load: Callable[..., Config]) -> None:
    """Looking up a missing group or member is a ConfigError listing what exists."""
    config = load(GOOD, GOOD_ENV)
    with pytest.raises(ConfigError, match=r"unknown group 'mobile' \(known: web\)"):
        config.member("mobile", "x")
    with pytest.raises(ConfigError, match=r"unknown member 'x' \(members: acme-jira, "):
        config.member("web", "x")


# --- the messages ---------------------------------------------------------------------------------


BASE = textwrap.dedent("""\
    connections:
      acme-jira: {type: vault, token: t0k3n-value}
      acme-asana: {type: memory}
    groups:
      web:
        currency: EUR
        members:
          - connection: acme-jira
            project: WEB
    """)


def test_unknown_connection_in_a_member(problems: Problems) -> None:
    """A member naming a connection that does not exist is reported with the known ones."""
    text = BASE + "      - connection: jria\n"
    assert problems(text) == [
        "syncd.yaml:10: groups.web.members[1].connection: "
        "unknown connection 'jria' (known: acme-jira, acme-asana)"
    ]


def test_unknown_key_suggests_the_close_one(problems: Problems) -> None:
    """A misspelt key gets a did-you-mean."""
    assert problems(BASE.replace("connections:", "conections:")) == [
        "syncd.yaml:1: conections: unknown key 'conections' (did you mean 'connections'?)",
        "syncd.yaml:8: groups.web.members[0].connection: unknown connection 'acme-jira' "
        "(known: none)",
    ]


def test_unknown_key_lists_the_known_ones(problems: Problems) -> None:
    """An unknown key with no close match lists the keys that exist there."""
    assert problems(BASE + "    colour: red\n") == [
        "syncd.yaml:10: groups.web.colour: unknown key 'colour' (known: currency, conflicts, "
        "deletes, match_existing, max_delete_ratio, timezone, members, authority)"
    ]


def test_unknown_member_key_is_checked_by_the_adapter(problems: Problems) -> None:
    """A member's keys are checked against its own adapter's model."""
    assert problems(BASE + "        projct: X\n") == [
        "syncd.yaml:10: groups.web.members[0].projct: unknown key 'projct' "
        "(did you mean 'project'?)"
    ]


def test_missing_required_key(problems: Problems) -> None:
    """A member lacking its adapter's required scope key is told which."""
    assert problems(BASE.replace("        project: WEB\n", "")) == [
        "syncd.yaml:8: groups.web.members[0]: missing required key 'project'"
    ]


def test_expected_a_number(problems: Problems) -> None:
    """A word where a number belongs says so, echoing the word."""
    assert problems(BASE + "    max_delete_ratio: abc\n") == [
        "syncd.yaml:10: groups.web.max_delete_ratio: expected a number, got 'abc'"
    ]


def test_number_out_of_range(problems: Problems) -> None:
    """A number beyond a bound names the bound."""
    assert problems(BASE + "    max_delete_ratio: 1.5\n") == [
        "syncd.yaml:10: groups.web.max_delete_ratio: must be at most 1, got 1.5"
    ]


def test_nested_adapter_settings_are_checked(problems: Problems) -> None:
    """Settings nested in a member (memory's faults) are validated with their path."""
    text = BASE + "      - {connection: acme-asana, faults: {fail_write: -1}}\n"
    assert problems(text) == [
        "syncd.yaml:10: groups.web.members[1].faults.fail_write: must be at least 0, got -1"
    ]


def test_choice_lists_the_choices(problems: Problems) -> None:
    """A value outside a fixed set lists the allowed ones."""
    assert problems(BASE + "    deletes: purge\n") == [
        "syncd.yaml:10: groups.web.deletes: expected 'archive', 'delete' or 'ignore', got 'purge'"
    ]


def test_currency(problems: Problems) -> None:
    """A currency must be three letters."""
    assert problems(BASE.replace("EUR", "EURO")) == [
        "syncd.yaml:6: groups.web.currency: expected a 3-letter currency code, got 'EURO'"
    ]


def test_timezone(problems: Problems) -> None:
    """A time zone must be an IANA name."""
    assert problems(BASE + "    timezone: Mars/Olympus\n") == [
        "syncd.yaml:10: groups.web.timezone: expected an IANA time zone like Europe/Madrid, "
        "got 'Mars/Olympus'"
    ]


def test_missing_group_keys(problems: Problems) -> None:
    """A group needs a currency and at least one member."""
    assert problems(BASE + "  app: {members: []}\n") == [
        "syncd.yaml:10: groups.app: missing required key 'currency'",
        "syncd.yaml:10: groups.app.members: must not be empty",
    ]


def test_wrong_section_type(problems: Problems) -> None:
    """A section of the wrong shape says what was expected and what it got."""
    assert problems("connections: [a, b]\nservice: fast\n") == [
        "syncd.yaml:1: connections: expected a mapping (key: value), got a list",
        "syncd.yaml:2: service: expected a mapping (key: value), got 'fast'",
    ]


def test_empty_value_says_nothing(problems: Problems) -> None:
    """A key with no value is "got nothing", not None."""
    assert problems(BASE + "    timezone:\n") == [
        "syncd.yaml:10: groups.web.timezone: expected a string, got nothing"
    ]


def test_number_where_text_belongs_suggests_quotes(problems: Problems) -> None:
    """An id written as a bare number is told to be quoted."""
    assert problems(BASE.replace("project: WEB", "project: 1203456789")) == [
        "syncd.yaml:9: groups.web.members[0].project: expected a string, got 1203456789 "
        "(put it in quotes)"
    ]


def test_unknown_adapter_type(problems: Problems) -> None:
    """A connection type no adapter provides lists the installed ones."""
    known = ", ".join(adapters.available())
    assert problems(BASE.replace("{type: memory}", "{type: basecamp}")) == [
        f"syncd.yaml:3: connections.acme-asana.type: unknown adapter type 'basecamp' "
        f"(known: {known})"
    ]


def test_missing_adapter_type(problems: Problems) -> None:
    """A connection without a type is told to add one."""
    assert problems(BASE.replace("{type: memory}", "{}")) == [
        "syncd.yaml:3: connections.acme-asana: missing required key 'type'"
    ]


def test_members_of_a_broken_connection_are_not_double_reported(problems: Problems) -> None:
    """Members of an invalid connection are not checked again (one cause, one message)."""
    text = BASE.replace("type: vault, ", "type: vlt, ").replace("project: WEB", "bogus: 1")
    (message,) = problems(text)
    assert message.startswith("syncd.yaml:2: connections.acme-jira.type: unknown adapter type")


def test_bad_names(problems: Problems) -> None:
    """Connection, group and member names are restricted to a safe alphabet."""
    text = BASE.replace("acme-asana:", "acme asana:").replace("  web:", "  w/b:")
    assert problems(text + "        name: my member\n") == [
        'syncd.yaml:3: connections["acme asana"]: a connection name may hold only letters, '
        "digits, '-', '_' and '.' (and start with a letter or digit)",
        "syncd.yaml:5: groups[\"w/b\"]: a group name may hold only letters, digits, '-', '_' "
        "and '.' (and start with a letter or digit)",
        'syncd.yaml:10: groups["w/b"].members[0].name: a member name may hold only letters, '
        "digits, '-', '_' and '.' (and start with a letter or digit)",
    ]


def test_durations() -> None:
    """Durations accept 30s, 5m, 1h, 1h30m, 2d and plain seconds, and print back short."""
    cases = {"30s": 30, "5m": 300, "1h": 3600, "1h30m": 5400, "2d": 172800, 90: 90, "45": 45}
    for written, seconds in cases.items():
        assert parse_duration(written) == dt.timedelta(seconds=seconds)
    assert format_duration(dt.timedelta(seconds=5400)) == "1h30m"


def test_bad_durations(problems: Problems) -> None:
    """A duration that does not parse, or is zero, is reported."""
    text = "service:\n  interval: soon\n  full_resync: 0s\n"
    assert problems(text) == [
        "syncd.yaml:2: service.interval: expected a duration like 30s, 5m, 1h or 1h30m, got 'soon'",
        "syncd.yaml:3: service.full_resync: must be longer than 0s",
    ]


def test_listen_and_public_url(problems: Problems) -> None:
    """listen must be host:port and public_url an http(s) URL."""
    text = "service:\n  listen: localhost\n  public_url: ftp://x\n"
    assert problems(text) == [
        "syncd.yaml:2: service.listen: expected host:port, like 127.0.0.1:8787, got 'localhost'",
        "syncd.yaml:3: service.public_url: expected an http(s):// URL, got 'ftp://x'",
    ]


def test_listen_ipv6(load: Callable[..., Config]) -> None:
    """An IPv6 listen address is written in brackets."""
    service = load("service: {listen: '[::1]:9000'}\n").service
    assert (service.host, service.port) == ("::1", 9000)


# --- members, authority, people -------------------------------------------------------------------


def test_two_members_on_one_connection_need_names(problems: Problems) -> None:
    """Two members named alike in a group are an error at the second."""
    text = BASE + "      - connection: acme-jira\n        project: APP\n"
    assert problems(text) == [
        "syncd.yaml:10: groups.web.members[1]: duplicate member name 'acme-jira' "
        "(members[0] has it too); two members on one connection need names"
    ]


def test_named_members_on_one_connection(load: Callable[..., Config]) -> None:
    """Members with their own names may share a connection."""
    text = BASE + "      - {connection: acme-jira, project: APP, name: app}\n"
    assert load(text).groups["web"].member_names == ["acme-jira", "app"]


def test_authority_names_fields_and_members(problems: Problems) -> None:
    """authority must name canonical fields, and members of the group once each."""
    text = BASE + textwrap.indent(
        "authority:\n  stauts: [acme-jira]\n  due: [plan, acme-jira, acme-jira]\n", "    "
    )
    assert problems(text) == [
        "syncd.yaml:11: groups.web.authority.stauts: unknown field 'stauts' "
        "(did you mean 'status'?)",
        "syncd.yaml:12: groups.web.authority.due[0]: unknown member 'plan' (members: acme-jira)",
        "syncd.yaml:12: groups.web.authority.due[2]: member 'acme-jira' is listed twice",
    ]


def test_authority_accepts_fields_of_every_kind(load: Callable[..., Config]) -> None:
    """Fields of tasks, milestones and budgets may all be given an authority."""
    text = BASE + "    authority: {planned: [acme-jira], percent_complete: [acme-jira]}\n"
    assert set(load(text).groups["web"].authority) == {"planned", "percent_complete"}


def test_people(problems: Problems) -> None:
    """People keys are emails, unique ignoring case, naming known connections."""
    text = BASE + textwrap.dedent("""\
        people:
          ana@acme.example: {acme-jira: a1, jira: a2}
          ANA@acme.example: {}
          bob: {}
        """)
    assert problems(text) == [
        "syncd.yaml:11: people[\"ana@acme.example\"].jira: unknown connection 'jira' "
        "(known: acme-jira, acme-asana)",
        "syncd.yaml:12: people[\"ANA@acme.example\"]: 'ANA@acme.example' is the same email as "
        "'ana@acme.example' (case is ignored)",
        "syncd.yaml:13: people.bob: expected an email address as the key",
    ]


def test_every_problem_is_reported_sorted_by_line(problems: Problems) -> None:
    """All problems come at once, in line order, whichever check found them."""
    text = BASE + "      - connection: jria\n" + "    deletes: purge\n"
    found = problems("service: {interval: x}\n" + text)
    assert [line.split(":")[1] for line in found] == ["1", "11", "12"]


def test_parse_config_without_a_file() -> None:
    """Data validated directly gets key paths without file and line."""
    with pytest.raises(ConfigError) as caught:
        parse_config({"groups": {"g": {"currency": "EUR", "members": [{"connection": "x"}]}}})
    assert caught.value.problems == [
        "groups.g.members[0].connection: unknown connection 'x' (known: none)"
    ]


# --- secrets --------------------------------------------------------------------------------------


def test_secrets_are_secret_str(load: Callable[..., Config]) -> None:
    """Secret fields hold SecretStr, which hides the value in repr and dumps."""
    config = load(GOOD, GOOD_ENV)
    connection = config.connections["acme-jira"]
    assert isinstance(connection, VaultConnection)
    assert isinstance(connection.token, SecretStr)
    assert TOKEN not in repr(config)
    assert TOKEN not in config.model_dump_json()


def test_secrets_of_lists_every_secret(load: Callable[..., Config]) -> None:
    """secrets_of finds SecretStr values and the state URL's password, longest first."""
    assert secrets_of(load(GOOD, GOOD_ENV)) == [HOOK, TOKEN, "pg-pass-77"]


def test_wrong_typed_secret_is_not_echoed(problems: Problems) -> None:
    """A secret of the wrong type is reported without its value."""
    text = BASE.replace("token: t0k3n-value", "token: 84736251")
    assert problems(text) == [
        "syncd.yaml:2: connections.acme-jira.token: expected a string (put it in quotes)"
    ]


def test_secret_in_a_misspelt_key_is_not_echoed(problems: Problems) -> None:
    """An unknown key holding a secret names the key only."""
    text = BASE.replace("token: t0k3n-value", "token: t0k3n-value, webhook_secet: wh-5ecret")
    (message,) = problems(text)
    assert "wh-5ecret" not in message
    assert message == (
        "syncd.yaml:2: connections.acme-jira.webhook_secet: unknown key 'webhook_secet' "
        "(did you mean 'webhook_secret'?)"
    )


def test_no_message_holds_a_secret(problems: Problems) -> None:
    """With secrets set and many errors around them, no message contains a secret."""
    broken = GOOD.replace("interval: 30s", "interval: x").replace("project: WEB", "projct: 1")
    broken = broken.replace(
        "currency: eur", "currency: ${HOOK}\n    max_delete_ratio: ${JIRA_TOKEN}"
    )
    found = "\n".join(problems(broken, GOOD_ENV))
    assert found.count("\n") >= 3
    for secret in (TOKEN, HOOK, "pg-pass-77"):
        assert secret not in found


def test_state_password_found_even_in_a_malformed_url() -> None:
    """The state URL's password is a secret even when the URL does not parse."""
    config = parse_config({"state": "postgresql://syncd:pw-5678@[db/syncd"})
    assert secrets_of(config) == ["pw-5678"]
