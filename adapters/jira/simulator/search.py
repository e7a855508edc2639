"""Issue search: Cloud's ``/search/jql`` (page tokens, eventual consistency) and DC's ``/search``.

Cloud's search index lags behind writes: for ``search_lag`` seconds a search still sees an
issue's previous version (or nothing, if it was just created), except for the ids listed in
``reconcileIssues``, which are read fresh.
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-post
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.jira.simulator.call import Call, Endpoint, Reply
from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.jql import JqlError, parse
from adapters.jira.simulator.jql_eval import CompiledQuery, JqlContext
from adapters.jira.simulator.model import Issue
from adapters.jira.simulator.render import FieldSelection
from adapters.jira.simulator.store import Store

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RECONCILE_LIMIT = 50
PROPERTIES_LIMIT = 5
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
BAD_TOKEN = "The provided next page token is invalid or expired."  # noqa: S105 - a message
# https://developer.atlassian.com/changelog/#CHANGE-2046
REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


class SearchIndex:
    """What search sees: each issue as it was ``lag`` seconds ago."""

    def __init__(self, store: Store, lag: float = 0.0) -> None:
        self.store = store
        self.lag = lag
        self._history: dict[int, list[tuple[datetime, Issue | None]]] = {}
        store.on_issue_write = self.written

    def written(self, issue_id: int, before: Issue | None, after: Issue | None) -> None:
        """Record a write (the store calls this)."""
        if self.lag <= 0:
            self._history.clear()
            return
        now = self.store.now()
        history = self._history.setdefault(issue_id, [(_EPOCH, before)])
        history.append((now, after))
        cutoff = now - timedelta(seconds=self.lag)
        while len(history) > 1 and history[1][0] <= cutoff:
            history.pop(0)

    def issues(self, now: datetime, fresh: set[int]) -> Iterator[Issue]:
        """The issues as indexed at ``now``; ids in ``fresh`` as they are now."""
        live = self.store.state.issues
        if self.lag <= 0:
            yield from live.values()
            return
        cutoff = now - timedelta(seconds=self.lag)
        for issue_id in live.keys() | self._history.keys():
            if issue_id in fresh or issue_id not in self._history:
                found = live.get(issue_id)
            else:
                found = _as_of(self._history[issue_id], cutoff)
            if found is not None:
                yield found


def _as_of(history: list[tuple[datetime, Issue | None]], cutoff: datetime) -> Issue | None:
    version = None
    for moment, issue in history:
        if moment > cutoff:
            break
        version = issue
    return version


@dataclass
class _Cursor:
    fingerprint: str
    offset: int
    expires: datetime


class PageTokens:
    """Cloud's opaque ``nextPageToken``s: bound to one query and user, valid ``ttl`` seconds."""

    def __init__(self) -> None:
        self._cursors: dict[str, _Cursor] = {}

    def issue(self, fingerprint: str, offset: int, now: datetime, ttl: float) -> str:
        self._cursors = {k: c for k, c in self._cursors.items() if c.expires > now}
        token = secrets.token_urlsafe(24)
        self._cursors[token] = _Cursor(fingerprint, offset, now + timedelta(seconds=ttl))
        return token

    def redeem(self, token: str, fingerprint: str, now: datetime) -> int:
        """The offset a token stands for.

        Raises:
            JiraError: 400 for an unknown, expired or foreign token.
        """
        cursor = self._cursors.get(token)
        if cursor is None or cursor.expires <= now or cursor.fingerprint != fingerprint:
            raise JiraError(400, BAD_TOKEN)
        return cursor.offset


# --- the query ----------------------------------------------------------------------------------


def _compile(call: Call, jql: str) -> CompiledQuery:
    try:
        context = JqlContext(call.sim.store, call.user, call.sim.store.now())
        return CompiledQuery(parse(jql), context)
    except JqlError as error:
        raise JiraError(400, str(error)) from None


def _matching(call: Call, query: CompiledQuery, fresh: set[int]) -> list[Issue]:
    store = call.sim.store
    index = call.sim.index if call.sim.flavor == "cloud" else None
    found = index.issues(store.now(), fresh) if index else iter(store.state.issues.values())
    visible = [
        issue
        for issue in found
        if not issue.archived
        and store.allowed(call.user, store.project_of(issue), "BROWSE_PROJECTS")
        and query.matches(issue)
    ]
    return query.sort(visible)


def _rendered(call: Call, issues: list[Issue], request: dict[str, Any], *, bare: bool) -> list[Any]:
    selection = FieldSelection.parse(request.get("fields"), "" if bare else "*navigable")
    expand = set(_split(request.get("expand"))) - {"names", "schema"}
    properties = _split(request.get("properties"))
    return [call.render.issue(i, selection, properties, expand, bare=bare) for i in issues]


def _names_and_schema(call: Call, request: dict[str, Any], body: dict[str, Any]) -> None:
    expand = set(_split(request.get("expand")))
    selection = FieldSelection.parse(request.get("fields"), "*navigable")
    shown = [f for f in call.sim.store.state.fields.values() if selection.wants(f)]
    if "names" in expand:
        body["names"] = {f.id: f.name for f in shown}
    if "schema" in expand:
        schemas = {f.id: call.render.field_schema(f) for f in shown}
        body["schema"] = {k: v for k, v in schemas.items() if v is not None}


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(i).strip() for i in items if str(i).strip()]


# --- Cloud: /search/jql -------------------------------------------------------------------------


def _cloud_request(call: Call) -> dict[str, Any]:
    if call.body is not None:
        return call.object_body()
    query = call.query
    request: dict[str, Any] = {k: query.get(k) for k in ("jql", "nextPageToken", "expand")}
    request["maxResults"] = call.integer("maxResults", 50)
    request["fields"] = call.listed("fields") or None
    request["properties"] = call.listed("properties")
    request["reconcileIssues"] = call.listed("reconcileIssues")
    return request


def _page_size(call: Call, request: dict[str, Any]) -> int:
    asked = request.get("maxResults", 50)
    if not isinstance(asked, int) or asked < 0:
        raise JiraError(400, "maxResults must be a positive number.")
    fields = set(_split(request.get("fields")))
    # "The greatest number of items returned per page is achieved when requesting id or key
    # only"; heavier pages are cut shorter (maxResults of search/jql).
    light = fields <= call.sim.light_fields and not request.get("properties")
    return min(asked, call.sim.light_max_page if light else call.sim.max_page)


def _reconciled(request: dict[str, Any]) -> set[int]:
    ids = request.get("reconcileIssues") or []
    if len(ids) > RECONCILE_LIMIT:
        raise JiraError(
            400, f"The number of issues to reconcile exceeds the limit of {RECONCILE_LIMIT}."
        )
    try:
        return {int(i) for i in ids}
    except (TypeError, ValueError):
        raise JiraError(400, "reconcileIssues must be issue ids.") from None


def search_jql(call: Call) -> Reply:
    """``GET/POST /rest/api/3/search/jql``."""
    request = _cloud_request(call)
    jql = str(request.get("jql") or "")
    if len(_split(request.get("properties"))) > PROPERTIES_LIMIT:
        raise JiraError(400, f"A maximum of {PROPERTIES_LIMIT} properties can be requested.")
    fresh = _reconciled(request)
    query = _compile(call, jql)
    if not query.bounded:
        raise JiraError(400, UNBOUNDED)
    now = call.sim.store.now()
    fingerprint = hashlib.sha256(f"{call.user.account_id}\n{jql}".encode()).hexdigest()
    token = request.get("nextPageToken")
    offset = call.sim.page_tokens.redeem(str(token), fingerprint, now) if token else 0
    issues = _matching(call, query, fresh)
    size = _page_size(call, request)
    page = issues[offset : offset + size]
    body: dict[str, Any] = {"issues": _rendered(call, page, request, bare=True)}
    body["isLast"] = offset + size >= len(issues)
    if not body["isLast"]:
        ttl = call.sim.token_ttl
        body["nextPageToken"] = call.sim.page_tokens.issue(fingerprint, offset + size, now, ttl)
    _names_and_schema(call, request, body)
    return Reply(200, body)


def search_removed(call: Call) -> Reply:
    """Cloud's old ``/rest/api/3/search``: 410 Gone since CHANGE-2046."""
    return Reply(410, {"errorMessages": [REMOVED], "errors": {}})


# --- Data Center: /search -----------------------------------------------------------------------


def _dc_request(call: Call) -> dict[str, Any]:
    if call.body is not None:
        return call.object_body()
    request: dict[str, Any] = {"jql": call.query.get("jql"), "expand": call.query.get("expand")}
    request["startAt"] = call.integer("startAt", 0)
    request["maxResults"] = call.integer("maxResults", 50)
    request["fields"] = call.listed("fields") or None
    # DC reads `properties` though its 10.3 description leaves it out.
    request["properties"] = call.listed("properties")
    return request


def search_dc(call: Call) -> Reply:
    """``GET/POST /rest/api/2/search``: ``startAt``/``maxResults``/``total``."""
    request = _dc_request(call)
    start = request.get("startAt") or 0
    asked = request.get("maxResults")
    size = min(50 if asked is None else int(asked), call.sim.dc_max_results)
    if start < 0 or size < 0:
        raise JiraError(400, "startAt and maxResults must not be negative.")
    issues = _matching(call, _compile(call, str(request.get("jql") or "")), set())
    page = issues[start : start + size]
    body: dict[str, Any] = {"expand": "schema,names", "startAt": start, "maxResults": size}
    body["total"] = len(issues)
    body["issues"] = _rendered(call, page, request, bare=False)
    _names_and_schema(call, request, body)
    return Reply(200, body)


ENDPOINTS = (
    Endpoint("POST", "/search/jql", search_jql, ("cloud",)),
    Endpoint("GET", "/search/jql", search_jql, ("cloud",)),
    Endpoint("POST", "/search", search_removed, ("cloud",)),
    Endpoint("GET", "/search", search_removed, ("cloud",)),
    Endpoint("POST", "/search", search_dc, ("dc",)),
    Endpoint("GET", "/search", search_dc, ("dc",)),
)
