"""The adapter registry: plugins found under the ``syncd.adapters`` entry-point group.

An adapter package declares one entry point whose object is an ``adapters.base.Plugin``::

    [project.entry-points."syncd.adapters"]
    jira = "adapters.jira:plugin"

Discovery is lazy: importing this package imports no adapter. `available` lists the names from
the installed packages' metadata alone; `plugin` imports one adapter the first time it is asked
for. Tests add plugins of their own with `register` (and take them away with `unregister`).

The engine reaches adapters only through this module (see DESIGN §1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Literal, get_args, get_origin

from syncd.errors import ConfigError

if TYPE_CHECKING:
    from adapters.base import Plugin

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdapterLoadError",
    "Registry",
    "UnknownAdapter",
    "available",
    "plugin",
    "plugins",
    "register",
    "unregister",
]

ENTRY_POINT_GROUP = "syncd.adapters"


class UnknownAdapter(ConfigError, LookupError):
    """No installed or registered adapter has this name."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__([f"unknown adapter {name!r} (known: {', '.join(known) or 'none'})"])


class AdapterLoadError(ConfigError):
    """An adapter's entry point could not be imported, or is not a proper ``Plugin``."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        super().__init__([f"adapter {name!r} could not be loaded: {reason}"])


class Registry:
    """The plugins of one entry-point group, plus those registered in code.

    Entry points are listed once and cached (`refresh` lists them again); each plugin is
    imported on first use and kept. A registered plugin takes precedence over an entry point
    of the same name. ``discover`` replaces the listing of installed entry points (tests).
    """

    def __init__(
        self,
        group: str = ENTRY_POINT_GROUP,
        *,
        discover: Callable[[str], Iterable[EntryPoint]] | None = None,
    ) -> None:
        self._group = group
        self._discover = discover or _installed
        self._entry_points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, Plugin] = {}
        self._registered: dict[str, Plugin] = {}

    def available(self) -> list[str]:
        """The names of every known adapter, sorted, without importing any of them."""
        return sorted(self._listing().keys() | self._registered.keys())

    def plugin(self, name: str) -> Plugin:
        """The plugin called ``name``, imported on first use.

        Raises:
            UnknownAdapter: no adapter has this name (the message lists the known ones).
            AdapterLoadError: the adapter's package failed to import or is malformed.
        """
        if name in self._registered:
            return self._registered[name]
        if name not in self._loaded:
            point = self._listing().get(name)
            if point is None:
                raise UnknownAdapter(name, self.available())
            self._loaded[name] = _load(name, point)
        return self._loaded[name]

    def plugins(self) -> list[Plugin]:
        """Every known plugin, sorted by name (this imports them all)."""
        return [self.plugin(name) for name in self.available()]

    def register(self, plugin: Plugin, *, replace: bool = False) -> None:
        """Add a plugin in code (tests, embedding applications).

        Raises:
            ValueError: a plugin of that name is already registered and ``replace`` is False.
            AdapterLoadError: the plugin is malformed.
        """
        if plugin.name in self._registered and not replace:
            raise ValueError(f"an adapter named {plugin.name!r} is already registered")
        _check(plugin.name, plugin)
        self._registered[plugin.name] = plugin

    def unregister(self, name: str) -> None:
        """Remove a plugin added with `register` (nothing happens if there is none)."""
        self._registered.pop(name, None)

    def refresh(self) -> None:
        """Forget the cached entry-point listing and the plugins imported from it."""
        self._entry_points = None
        self._loaded.clear()

    def _listing(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            found: dict[str, EntryPoint] = {}
            for point in self._discover(self._group):
                found.setdefault(point.name, point)  # the first installed distribution wins
            self._entry_points = found
        return self._entry_points


def _installed(group: str) -> Iterable[EntryPoint]:
    return entry_points(group=group)


def _load(name: str, point: EntryPoint) -> Plugin:
    try:
        loaded = point.load()
    except Exception as exc:  # any failure of a third-party import is reported, with its cause
        raise AdapterLoadError(name, f"{point.value}: {type(exc).__name__}: {exc}") from exc
    return _check(name, loaded)


def _check(name: str, candidate: object) -> Plugin:
    """The candidate as a Plugin, after checking it matches the contract of ``adapters.base``."""
    from adapters.base import ConnectionSettings, MemberSettings, Plugin

    if not isinstance(candidate, Plugin):
        raise AdapterLoadError(name, f"expected an adapters.base.Plugin, got {type(candidate)}")
    if candidate.name != name:
        raise AdapterLoadError(name, f"the plugin calls itself {candidate.name!r}")
    if not issubclass(candidate.connection, ConnectionSettings):
        raise AdapterLoadError(name, "its connection model is not a ConnectionSettings")
    if not issubclass(candidate.member, MemberSettings):
        raise AdapterLoadError(name, "its member model is not a MemberSettings")
    annotation = candidate.connection.model_fields["type"].annotation
    if get_origin(annotation) is not Literal or get_args(annotation) != (name,):
        raise AdapterLoadError(name, f'its connection model needs `type: Literal["{name}"]`')
    return candidate


_registry = Registry()  # the process-wide cache; everything below delegates to it


def available() -> list[str]:
    """The names of every installed or registered adapter, sorted; imports none of them."""
    return _registry.available()


def plugin(name: str) -> Plugin:
    """The adapter plugin called ``name``, imported on first use.

    Raises:
        UnknownAdapter: no adapter has this name (the message lists the known ones).
        AdapterLoadError: the adapter's package failed to import or is malformed.
    """
    return _registry.plugin(name)


def plugins() -> list[Plugin]:
    """Every known plugin, sorted by name (imports them all)."""
    return _registry.plugins()


def register(plugin: Plugin, *, replace: bool = False) -> None:
    """Add a plugin in code, ahead of any entry point of the same name (see `Registry`)."""
    _registry.register(plugin, replace=replace)


def unregister(name: str) -> None:
    """Remove a plugin added with `register`."""
    _registry.unregister(name)
