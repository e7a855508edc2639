"""The adapter registry: entry-point discovery, lazy import, programmatic registration."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from typing import Any, Literal

import pytest

import adapters
from adapters.base import Adapter, AdapterContext, ConnectionSettings, MemberSettings, Plugin
from syncd.errors import ConfigError


class FakeConnection(ConnectionSettings):
    type: Literal["fake"] = "fake"


class FakeMember(MemberSettings):
    """A member with only the common keys."""


def _factory(connection: Any, member: Any, context: AdapterContext) -> Adapter:
    raise NotImplementedError


FAKE = Plugin(name="fake", connection=FakeConnection, member=FakeMember, factory=_factory)


@pytest.fixture
def fake() -> Iterator[Plugin]:
    adapters.register(FAKE)
    yield FAKE
    adapters.unregister("fake")


def test_memory_is_discovered_from_entry_points() -> None:
    """The memory adapter is listed from the package metadata of this project."""
    assert "memory" in adapters.available()


def test_plugin_returns_the_entry_point_object() -> None:
    """plugin() imports the entry point and returns its Plugin."""
    from adapters.memory import plugin as memory_plugin

    assert adapters.plugin("memory") is memory_plugin


def test_importing_the_registry_imports_no_adapter() -> None:
    """Importing adapters and listing names imports no adapter package."""
    code = (
        "import sys, adapters; names = adapters.available(); "
        "assert 'memory' in names; assert 'adapters.memory' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 - our own interpreter


def test_unknown_name_lists_the_known_ones() -> None:
    """An unknown name is a ConfigError that names the known adapters."""
    with pytest.raises(adapters.UnknownAdapter) as caught:
        adapters.plugin("jria")
    assert isinstance(caught.value, ConfigError)
    assert isinstance(caught.value, LookupError)
    assert caught.value.problems == [
        f"unknown adapter 'jria' (known: {', '.join(adapters.available())})"
    ]


def test_register_adds_and_unregister_removes(fake: Plugin) -> None:
    """A registered plugin is available and returned until it is unregistered."""
    assert "fake" in adapters.available()
    assert adapters.plugin("fake") is fake
    adapters.unregister("fake")
    assert "fake" not in adapters.available()


def test_register_twice_needs_replace(fake: Plugin) -> None:
    """Registering a second plugin under a taken name fails unless replace=True."""
    with pytest.raises(ValueError, match="already registered"):
        adapters.register(fake)
    adapters.register(fake, replace=True)


def test_register_rejects_a_mismatched_type_literal() -> None:
    """A plugin whose connection type literal differs from its name is refused."""
    wrong = Plugin(name="other", connection=FakeConnection, member=FakeMember, factory=_factory)
    with pytest.raises(adapters.AdapterLoadError) as caught:
        adapters.register(wrong)
    assert caught.value.problems == [
        "adapter 'other' could not be loaded: its connection model needs `type: Literal[\"other\"]`"
    ]


def _registry_of(*points: EntryPoint) -> adapters.Registry:
    return adapters.Registry("syncd.test", discover=lambda group: points)


def test_broken_entry_point_is_a_load_error() -> None:
    """An entry point that fails to import becomes an AdapterLoadError naming it."""
    registry = _registry_of(EntryPoint("ghost", "no_such_module_xyz:plugin", "syncd.test"))
    assert registry.available() == ["ghost"]
    with pytest.raises(adapters.AdapterLoadError) as caught:
        registry.plugin("ghost")
    assert caught.value.problems[0].startswith(
        "adapter 'ghost' could not be loaded: no_such_module_xyz:plugin: ModuleNotFoundError"
    )


def test_entry_point_that_is_not_a_plugin_is_refused() -> None:
    """An entry point whose object is not a Plugin is reported, not used."""
    registry = _registry_of(EntryPoint("ghost", "os:sep", "syncd.test"))
    with pytest.raises(adapters.AdapterLoadError, match=r"expected an adapters\.base\.Plugin"):
        registry.plugin("ghost")


def test_entry_point_named_unlike_its_plugin_is_refused() -> None:
    """An entry point whose plugin calls itself by another name is refused."""
    registry = _registry_of(EntryPoint("other", "adapters.memory:plugin", "syncd.test"))
    with pytest.raises(adapters.AdapterLoadError, match="the plugin calls itself 'memory'"):
        registry.plugin("other")


def test_listing_is_cached_until_refresh() -> None:
    """The entry points are listed once, and again only after refresh()."""
    calls: list[str] = []

    def discover(group: str) -> list[EntryPoint]:
        calls.append(group)
        return [EntryPoint("memory", "adapters.memory:plugin", group)]

    registry = adapters.Registry("syncd.test", discover=discover)
    assert registry.available() == registry.available() == ["memory"]
    assert registry.plugin("memory").name == "memory"
    assert calls == ["syncd.test"]
    registry.refresh()
    registry.available()
    assert calls == ["syncd.test", "syncd.test"]


def test_first_distribution_wins_a_name_clash() -> None:
    """When two packages declare one name, the first listed is used."""
    registry = _registry_of(
        EntryPoint("memory", "adapters.memory:plugin", "syncd.test"),
        EntryPoint("memory", "no_such_module_xyz:plugin", "syncd.test"),
    )
    assert registry.plugin("memory").name == "memory"
