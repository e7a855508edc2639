"""Moving an issue to a canonical status: Jira changes status only by workflow transitions.

A transition is picked by where it leads (its ``to`` status, mapped like a read status: the
member's ``status_map``, then the status category). Workflows do not always lead straight to
the wanted status (To Do -> Done may need In Progress first), so up to three hops are taken,
each one getting closer. A transition into done sets a resolution when its screen asks for one.
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-post
"""

from __future__ import annotations

from typing import Any

from adapters.jira.client import JiraClient, Json
from adapters.jira.mapping import Site, read_status
from syncd.errors import RecordError

MAX_HOPS = 3
_RANK = {"todo": 0, "in_progress": 1, "done": 2}
# (issue type id, status the issue is in, target) -> the transitions (id, screen) that led there.
Route = list[Json]
Routes = dict[tuple[str, str, str], Route]


async def move(
    client: JiraClient,
    site: Site,
    issue_id: str,
    target: str,
    resolution: str | None,
    *,
    routes: Routes | None = None,
    start: tuple[str, str] | None = None,
) -> None:
    """Transition the issue until its status maps to ``target``.

    A route found once, from one status of one issue type, is replayed for the next issue in
    the same place without asking for its transitions (one call per hop instead of two or
    three); when a workflow condition refuses the replay, the route is found again.

    Args:
        routes: the learned routes (the adapter keeps them for its life).
        start: the issue's (type id, status name) when known, which keys the routes.

    Raises:
        RecordError: no transition (or chain of them) reaches the status.
    """
    key = (*start, target) if start is not None else None
    if routes is not None and key is not None and key in routes:
        try:
            for hop in routes[key]:
                await _take(client, issue_id, hop, target, resolution)
        except RecordError:
            del routes[key]  # a condition or a changed workflow: look again
        else:
            return
    route = await _discover(client, site, issue_id, target, resolution)
    if routes is not None and key is not None and route:
        routes[key] = route


async def _discover(
    client: JiraClient, site: Site, issue_id: str, target: str, resolution: str | None
) -> Route:
    """Find and take the transitions to ``target``, one hop at a time; the route taken."""
    current: str | None = None
    seen: set[str] = set()
    taken: Route = []
    for _ in range(MAX_HOPS):
        available = await client.transitions(issue_id)
        direct = [t for t in available if _leads_to(site, t) == target]
        if direct:
            await _take(client, issue_id, direct[0], target, resolution)
            return [*taken, direct[0]]
        if current is None:
            issue = await client.issue(issue_id, ["status"])
            current = read_status(site, issue.get("fields") or {})
            if current == target:
                return taken
        step = _closer(site, available, current, target, seen)
        if step is None:
            break
        await _take(client, issue_id, step, target, resolution)
        taken.append(step)
        current = _leads_to(site, step)
        seen.add(str((step.get("to") or {}).get("id")))
    raise RecordError(
        f"no workflow transition of issue {issue_id} reaches {target} "
        f"(available: {_describe(available)}); map the statuses in status_map",
        external_id=issue_id,
    )


def _leads_to(site: Site, transition: Json) -> str:
    return read_status(site, {"status": transition.get("to") or {}})


def _closer(
    site: Site, available: list[Json], current: str, target: str, seen: set[str]
) -> Json | None:
    """A transition to a status nearer the target than the current one, not visited yet."""
    distance = abs(_RANK[current] - _RANK[target])
    for transition in available:
        to_id = str((transition.get("to") or {}).get("id"))
        if to_id in seen:
            continue
        if abs(_RANK[_leads_to(site, transition)] - _RANK[target]) < distance:
            return transition
    return None


async def _take(
    client: JiraClient, issue_id: str, transition: Json, target: str, resolution: str | None
) -> None:
    body: dict[str, Any] = {"transition": {"id": str(transition.get("id"))}}
    screen = transition.get("fields") or {}
    if "resolution" in screen and target == "done":
        body["fields"] = {"resolution": _resolution(screen["resolution"], resolution)}
    await client.transition(issue_id, body)


def _resolution(field: Any, preferred: str | None) -> dict[str, str]:
    """The resolution to set: the configured one, else the screen's default, else its first."""
    if preferred:
        return {"name": preferred}
    if isinstance(field, dict):
        default = field.get("defaultValue")
        if isinstance(default, dict) and default.get("name"):
            return {"name": str(default["name"])}
        allowed = [v for v in field.get("allowedValues") or [] if isinstance(v, dict)]
        if allowed and allowed[0].get("name"):
            return {"name": str(allowed[0]["name"])}
    return {"name": "Done"}


def _describe(available: list[Json]) -> str:
    names = [
        f"{t.get('name')} -> {(t.get('to') or {}).get('name')}" for t in available if t.get("name")
    ]
    return ", ".join(names) or "none"
