"""From a loaded config to running syncs: adapters, policies, saved plans and reverts.

The CLI and the service call these; they hold no engine logic of their own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import uuid
import zoneinfo
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from adapters import plugin
from adapters.base import Adapter, AdapterContext, ConnectionSettings, MemberSettings
from syncd.config import Config, member_settings
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.errors import StalePlan
from syncd.model import FIELDS, encode, encode_value
from syncd.plan import Action, Create, Plan, Policy, Update
from syncd.store import Store

PLAN_FORMAT = "syncd-plan/1"


def policy_of(config: Config, group: str, *, force_delete: bool = False) -> Policy:
    """The planner's policy from a group's config."""
    g = config.groups[group]
    return Policy(
        conflicts=g.conflicts,
        authority={f: tuple(members) for f, members in g.authority.items()},
        deletes=g.deletes,
        match_existing=g.match_existing == "title",
        max_delete_ratio=g.max_delete_ratio,
        force_delete=force_delete,
    )


def make_adapters(config: Config, group: str) -> dict[str, Adapter]:
    """Every member's adapter, constructed (not yet opened), in the config's order."""
    return {
        member.member_name: make_adapter(config, group, member, connection)
        for member, connection in member_settings(config, group)
    }


def make_adapter(
    config: Config, group: str, member: MemberSettings, connection: ConnectionSettings
) -> Adapter:
    """One member's adapter, constructed (not yet opened)."""
    g = config.groups[group]
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(g.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    people = {
        email: ids[member.connection]
        for email, ids in config.people.items()
        if member.connection in ids
    }
    name = member.member_name
    context = AdapterContext(member=name, people=people, currency=g.currency, timezone=tz)
    return plugin(connection.type).factory(connection, member, context)


@contextlib.asynccontextmanager
async def opened(adapters: dict[str, Adapter]) -> AsyncIterator[dict[str, Adapter]]:
    """Open every adapter; close them all however the block ends."""
    async with contextlib.AsyncExitStack() as stack:
        for adapter in adapters.values():
            await stack.enter_async_context(adapter)
        yield adapters


def _concurrency(config: Config, group: str) -> dict[str, int]:
    return {m.member_name: m.concurrency for m, _ in member_settings(config, group)}


async def sync(
    config: Config,
    store: Store,
    group: str,
    *,
    full: bool = False,
    dry_run: bool = False,
    force_delete: bool = False,
    new_uid: Callable[[], str] | None = None,
) -> RunReport:
    """One sync (or dry run) of one group, from its config."""
    options = SyncOptions(
        full=full,
        dry_run=dry_run,
        full_resync=config.service.full_resync,
        new_uid=new_uid or (lambda: uuid.uuid4().hex),
    )
    async with opened(make_adapters(config, group)) as adapters:
        return await sync_group(
            store,
            group,
            adapters,
            policy_of(config, group, force_delete=force_delete),
            options,
            concurrency=_concurrency(config, group),
        )


# --- saved plans --------------------------------------------------------------------------------


class _Recorder:
    """A uid maker that records (or replays) the uids a plan gave its new records."""

    def __init__(self, replay: list[str] | None = None) -> None:
        self.given: list[str] = []
        self._replay: Iterator[str] = iter(replay or [])

    def __call__(self) -> str:
        uid = next(self._replay, None) or uuid.uuid4().hex
        self.given.append(uid)
        return uid


def _action_doc(action: Action, titles: dict[str, str]) -> dict[str, Any]:
    specs = FIELDS[action.kind]
    doc: dict[str, Any] = {
        "member": action.member,
        "kind": action.kind,
        "uid": action.uid,
        "title": titles.get(action.uid, ""),
    }
    if isinstance(action, Create):
        doc["action"] = "create"
        doc["fields"] = {
            k: {"from": None, "to": v} for k, v in encode(action.kind, action.values).items()
        }
    elif isinstance(action, Update):
        doc["action"] = "update"
        doc["external_id"] = action.external_id
        doc["fields"] = {
            k: {
                "from": encode_value(specs[k], action.before.get(k)),
                "to": encode_value(specs[k], v),
            }
            for k, v in action.changes.items()
        }
    else:
        doc["action"] = action.mode
        doc["external_id"] = action.external_id
        doc["fields"] = {}
    return doc


def plan_document(report: RunReport, new_uids: list[str]) -> dict[str, Any]:
    """A plan as JSON: for ``plan --json``, ``--out`` and ``apply``."""
    p = report.plan
    titles = {uid: str(rec.base.get("title", "")) for uid, rec in p.records.items()}
    doc: dict[str, Any] = {
        "format": PLAN_FORMAT,
        "group": p.group,
        "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "actions": [_action_doc(a, titles) for a in p.actions],
        "conflicts": [
            {
                "uid": c.uid,
                "kind": c.kind,
                "field": c.field,
                "values": c.values,
                "base": c.base,
                "winner": c.winner,
                "policy": c.policy,
            }
            for c in p.conflicts
        ],
        "notices": [{"code": n.code, "message": n.message} for n in p.notices],
        "member_errors": report.member_errors,
        "new_uids": new_uids,
    }
    doc["digest"] = plan_digest(p)
    return doc


def plan_digest(p: Plan) -> str:
    """A digest of everything a plan would write and remember; equal digests, equal plans."""
    titles: dict[str, str] = {}
    state = {
        uid: {
            "base": encode(rec.kind, rec.base),
            "deleted": rec.deleted,
            "links": {
                m: [ln.external_id, encode(rec.kind, ln.shadow), ln.tombstone]
                for m, ln in sorted(rec.links.items())
            },
        }
        for uid, rec in sorted(p.records.items())
    }
    body = {
        "actions": [_action_doc(a, titles) for a in p.actions],
        "records": state,
        "conflicts": [[c.uid, c.field, c.values, c.winner] for c in p.conflicts],
    }
    raw = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


async def plan_group(
    config: Config, store: Store, group: str, *, full: bool = False, force_delete: bool = False
) -> dict[str, Any]:
    """Dry-run a group and return the plan document."""
    recorder = _Recorder()
    report = await sync(
        config, store, group, full=full, dry_run=True, force_delete=force_delete, new_uid=recorder
    )
    return plan_document(report, recorder.given)


async def apply_saved(
    config: Config, store: Store, doc: dict[str, Any], *, force_delete: bool = False
) -> RunReport:
    """Apply a saved plan, exactly: refuse it when the systems or the store moved since.

    Raises:
        StalePlan: re-planning now gives a different plan.
    """
    if doc.get("format") != PLAN_FORMAT or doc.get("group") not in config.groups:
        raise StalePlan("not a plan of this config (wrong format or unknown group)")
    group = str(doc["group"])
    replay = [str(u) for u in doc.get("new_uids", [])]
    fresh = await sync(
        config,
        store,
        group,
        full=True,
        dry_run=True,
        force_delete=force_delete,
        new_uid=_Recorder(replay),
    )
    if plan_digest(fresh.plan) != doc.get("digest"):
        raise StalePlan(
            f"the plan for group {group!r} is stale: records changed since it was made; "
            "run `syncd plan` again"
        )
    return await sync(
        config, store, group, full=True, force_delete=force_delete, new_uid=_Recorder(replay)
    )
