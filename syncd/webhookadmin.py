"""``syncd webhooks register|list|remove``: the vendors' webhook registrations for the service.

Each member whose adapter can manage webhooks (``adapters.base.WebhookAdmin``) gets one
registration delivering to ``<service.public_url>/webhooks/<connection>``, the route
``syncd run`` serves. Registering is idempotent; removing removes only the registrations
pointing at this service's URL, never somebody else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adapters.base import WebhookAdmin
from syncd import runner
from syncd.config import Config, member_settings
from syncd.errors import ConfigError

Action = Literal["register", "list", "remove"]


@dataclass(frozen=True)
class Row:
    """One member's registration (or why it has none), as the CLI prints it."""

    group: str
    member: str
    webhook: str  # the vendor's id, or "-"
    url: str
    scope: str
    note: str  # registered, already there, removed, not ours, polling only...


def callback_url(config: Config, connection: str) -> str:
    """Where vendors deliver a connection's changes.

    Raises:
        ConfigError: ``service.public_url`` is not set.
    """
    public = config.service.public_url
    if not public:
        raise ConfigError(
            ["service.public_url: not set; vendors need the service's public URL to deliver to"]
        )
    return f"{public.rstrip('/')}/webhooks/{connection}"


async def manage(config: Config, groups: list[str], action: Action) -> list[Row]:
    """Register, list or remove the webhooks of every member of ``groups``."""
    rows: list[Row] = []
    for group in groups:
        for member, connection in member_settings(config, group):
            adapter = runner.make_adapter(config, group, member, connection)
            name = member.member_name
            if not isinstance(adapter, WebhookAdmin):
                rows.append(Row(group, name, "-", "-", "-", "polling only (no webhooks)"))
                continue
            url = callback_url(config, member.connection) if action != "list" else ""
            async with adapter:
                rows.extend(
                    await _one(adapter, group, name, action, url, config, member.connection)
                )
    return rows


async def _one(
    adapter: WebhookAdmin,
    group: str,
    member: str,
    action: Action,
    url: str,
    config: Config,
    connection: str,
) -> list[Row]:
    if action == "register":
        before = {hook.id for hook in await adapter.list_webhooks()}
        hook = await adapter.register_webhook(url)
        note = "already there" if hook.id in before else "registered"
        return [Row(group, member, hook.id, hook.url, hook.scope, note)]
    ours = callback_url(config, connection) if config.service.public_url else None
    rows = []
    for hook in await adapter.list_webhooks():
        if action == "remove" and hook.url == url:
            await adapter.remove_webhook(hook.id)
            rows.append(Row(group, member, hook.id, hook.url, hook.scope, "removed"))
        elif action == "list":
            note = "this service" if hook.url == ours else "another receiver"
            note += "" if hook.active else " (inactive)"
            rows.append(Row(group, member, hook.id, hook.url, hook.scope, note))
    if not rows:
        rows.append(Row(group, member, "-", "-", "-", "none"))
    return rows
