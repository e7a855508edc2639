"""The Jira adapter: one project (plus optional JQL) of a Jira Cloud or Data Center site.

Reading: one search per fetch (``updated >=`` the cursor, in the user's time zone, with an
overlap), plus the project's versions when they hold milestones. Issues syncd wrote recently are
passed in ``reconcileIssues`` (Cloud search is eventually consistent: without it a search just
after a write may return the old issue, which would look like a user's revert).

Writing: one request per issue for its fields (coalesced: Jira Cloud limits writes per issue),
transitions for status, issue links for ``depends_on``, then one read-back. Creates go in bulk
(50 per call) with syncd's uid in the ``syncd`` entity property, so a crash between the create
and the link is recovered by adoption. Fields Jira refuses while taking the rest (no transition
to the wanted status, an assignee without a Jira account) come back as ``unwritten``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import structlog

from adapters.base import (
    AdapterContext,
    Capabilities,
    CheckResult,
    CreateItem,
    DeleteMode,
    HttpMember,
    KindCapability,
    Observation,
    Observed,
    WebhookInfo,
    WebhookRequest,
)
from adapters.jira import checks, transitions
from adapters.jira.client import BULK_LIMIT, PROPERTY_KEY, RECONCILE_LIMIT, JiraClient
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.mapping import (
    VERSION_PREFIX,
    IssueRead,
    Site,
    blocker_links,
    parse_time,
    read_issue,
    read_marker,
    read_version,
    write_fields,
    write_version,
)
from adapters.jira.site import CUSTOM_CANONICAL, Project, load_project
from syncd.errors import AdapterError, MemberError, PayloadError, RecordError, RecordNotFound
from syncd.http import RetryPolicy, credential_key
from syncd.http.retry import SleepFn
from syncd.model import Kind, Ref, Values
from syncd.redact import default_redactor

log = structlog.get_logger("adapters.jira")

TASK_FIELDS = frozenset(
    {"title", "description", "status", "assignee", "due", "labels", "estimate_hours"}
    | {"parent", "depends_on"}
)
MILESTONE_FIELDS = frozenset({"title", "description", "due", "status"})
# JQL compares at minute resolution, and clocks drift: re-read a little before the cursor.
OVERLAP = dt.timedelta(minutes=2)
# How far behind writes Jira Cloud's search index may be (it is seconds in practice).
SEARCH_LAG = dt.timedelta(minutes=2)
# Without the user's time zone, JQL dates could be read anywhere from UTC-12 to UTC+14.
UNKNOWN_ZONE_OVERLAP = dt.timedelta(hours=15)
RECENT_SECONDS = 900.0
# The events syncd's webhook asks for, as Jira's webhook API spells them: issues (tasks, and
# milestones kept as issues) and, when milestones are versions, versions. Unreleasing and
# merging change or remove a milestone too, so they are asked for as well.
# https://developer.atlassian.com/cloud/jira/platform/webhooks/#issue-related-events
ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
VERSION_EVENTS = (
    "jira:version_created",
    "jira:version_updated",
    "jira:version_released",
    "jira:version_unreleased",
    "jira:version_deleted",
    "jira:version_moved",
    "jira:version_merged",
)
# The admin webhook's filter of issue events (the only filter it has).
ISSUE_FILTER = "issue-related-events-section"
# scope -> issue id -> (when syncd last wrote it, the ``updated`` it read back, if any)
_RECENT: dict[str, dict[str, tuple[float, dt.datetime | None]]] = {}


class JiraAdapter(HttpMember):
    """One Jira member."""

    def __init__(
        self,
        connection: JiraConnection,
        member: JiraMember,
        context: AdapterContext,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
    ) -> None:
        self.name = context.member
        self.connection = connection
        self.settings = member
        self.context = context
        self.client = JiraClient(
            connection, self.name, transport=transport, retry_policy=retry_policy, sleep=sleep
        )
        self.http = self.client.http
        self.capabilities = capabilities_of(member)
        self._scope = credential_key(connection.base_url, member.project)
        self._project: Project | None = None
        self._users = {email.lower(): uid for email, uid in context.people.items()}
        self._emails = {uid: email.lower() for email, uid in context.people.items()}
        self._levels: dict[str, int] = {}  # issue id -> hierarchy level (0 task, -1 sub-task)
        self._status: dict[str, tuple[str, str]] = {}  # issue id -> (type id, status) last read
        self._created_in: dict[str, tuple[str, str]] = {}  # new issue id -> (type id, "@new")
        self._routes: transitions.Routes = {}

    # --- contract: check and read --------------------------------------------------------------

    async def check(self) -> CheckResult:
        """Credentials, project, permissions, time zone, custom fields, link type, statuses."""
        return await checks.check(self.client, self.settings, self.name)

    async def fetch(self, cursor: str | None) -> Observation:
        """List the project's issues (and versions) changed since ``cursor``, or all of them."""
        project = await self._ready()
        since, seen = _decode_cursor(cursor)
        started = dt.datetime.now(dt.UTC)
        records: list[Observed] = []
        errors: list[RecordError] = []
        latest = since
        self.client.server_time = None  # the first search answer's Date is the index's "now"
        issues = await self._search(self._jql(project, since), complete=since is None)
        listed_at = self.client.server_time
        if since is None and self.settings.jql:
            issues += await self._marked_outside_filter(project)
        for issue in issues:
            read = self._read(issue, errors)
            if read is None or _already_seen(read, seen):
                continue
            records.append(self._observed(read))
            if read.modified_at and (latest is None or read.modified_at > latest):
                latest = read.modified_at
        if self.settings.milestone_issue_type is None:
            records.extend(await self._versions(errors))
        if latest is None:
            latest = started - OVERLAP
        if listed_at is not None and listed_at - SEARCH_LAG > latest:
            # Nothing newer was seen: move the cursor on with the server's clock (less the time
            # search may lag), so a quiet project is not re-read over and over around an old burst.
            latest = listed_at - SEARCH_LAG
        # An issue that failed to parse without an id cannot be told apart from a deleted one:
        # the listing then vouches for no absence (the planner spares only the ids it is given).
        complete = cursor is None and all(e.external_id for e in errors)
        window: list[Observed | tuple[str, str]] = [*records, *_still_recent(seen, latest)]
        return Observation(records, _encode_cursor(latest, window), complete, errors)

    # --- contract: write -----------------------------------------------------------------------

    async def create(self, kind: Kind, values: Values, *, uid: str) -> Observed:
        """Create an issue (or a version), marked with ``uid``; then its status and links."""
        if self._is_version(kind):
            return await self._create_version(values)
        result = await self.create_many([CreateItem(kind, uid, values)])
        outcome = result[0]
        if isinstance(outcome, RecordError):
            raise outcome
        return outcome

    async def create_many(self, items: Sequence[CreateItem]) -> list[Observed | RecordError]:
        """Create issues 50 per call (Jira's bulk limit); versions one by one."""
        results: list[Observed | RecordError] = []
        for start in range(0, len(items), BULK_LIMIT):
            results.extend(await self._create_chunk(items[start : start + BULK_LIMIT]))
        return results

    async def update(self, kind: Kind, external_id: str, changes: Values) -> Observed:
        """Change a record: one edit for the fields, transitions for status, links."""
        if self._is_version(kind):
            return await self._update_version(external_id, changes)
        project = await self._ready()
        unwritten: dict[str, str] = {}
        users = await self._resolve_users(changes, unwritten)
        if "parent" in changes:
            await self._check_hierarchy(external_id, changes["parent"], unwritten)
        fields = write_fields(self._site(project), _without(changes, unwritten), users)
        if fields:
            await self._call_record(self.client.edit_issue(external_id, {"fields": fields}))
        self._remember(external_id)
        if "status" in changes:
            await self._transition(external_id, changes["status"], unwritten)
        if "depends_on" in changes:
            await self._relink(external_id, changes["depends_on"], unwritten)
        observed = await self._read_back(external_id)
        return _with_unwritten(observed, unwritten)

    async def delete(self, kind: Kind, external_id: str, mode: DeleteMode) -> None:
        """Archive or delete an issue or a version; one already gone is fine."""
        if external_id.startswith(VERSION_PREFIX):
            version_id = external_id.removeprefix(VERSION_PREFIX)
            if mode == "delete":
                await self.client.delete_version(version_id)
            else:
                await self._call_record(
                    self.client.update_version(version_id, {"archived": True}), missing_ok=True
                )
            return
        if mode == "delete":
            await self.client.delete_issue(external_id)
            return
        try:
            await self.client.archive_issue(external_id)
        except RecordNotFound:
            return
        except AdapterError as exc:
            if await self._archived_or_gone(external_id):
                return  # archiving twice is fine (Jira answers 403 to the second time)
            # Archiving needs Jira Cloud Premium/Enterprise (403/404 otherwise): a per-record
            # refusal with the fix, not an outage of the member.
            raise RecordError(
                f"cannot archive issue {external_id} ({exc}); this site may not support "
                "archiving: set the group's deletes to delete or ignore",
                member=self.name,
                external_id=external_id,
            ) from exc

    async def _archived_or_gone(self, issue_id: str) -> bool:
        """Whether an issue is deleted, or archived (it exists but search no longer finds it)."""
        try:
            await self.client.issue(issue_id, ["id"])
        except RecordNotFound:
            return True
        return not await self._read_many([issue_id])

    def admits(self, kind: Kind, values: Values) -> bool:
        """Tasks and milestones belong in the project (the JQL filter is the user's to keep)."""
        return kind in self.capabilities.kinds

    def webhook(self, request: WebhookRequest) -> list[str] | None:
        """The issues or versions a signed Jira webhook delivery concerns (None: refused).

        Jira signs deliveries of webhooks that have a secret with ``X-Hub-Signature:
        sha256=<hex HMAC of the body>``; without a configured secret every delivery is refused.
        https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
        """
        secret = self.connection.webhook_secret
        if secret is None or not _signed(request, secret.get_secret_value().encode()):
            return None
        try:
            event = json.loads(request.body)
        except ValueError:
            return None
        return webhook_ids(event, self.settings.project)

    def webhook_time(self, request: WebhookRequest) -> dt.datetime | None:
        """The event's ``timestamp`` (ms since the epoch; Cloud and Data Center alike), which
        the signature covers. Not ``X-Atlassian-Webhook-Identifier``: a header, unsigned."""
        try:
            return webhook_event_time(json.loads(request.body))
        except ValueError:
            return None

    # --- webhook registrations (``syncd webhooks``) ---------------------------------------------
    #
    # Jira's *admin* webhooks (``/rest/webhooks/1.0/webhook``, Cloud and Data Center alike), made
    # with the connection's own credentials, which must be a Jira administrator's. Cloud's
    # ``/rest/api/3/webhook`` (dynamic webhooks) is for Connect and OAuth 2.0 apps only, and
    # Jira signs only admin webhooks with a secret (``X-Hub-Signature``), which `webhook`
    # requires. An admin webhook belongs to the site, not to a project: a member's is the one
    # whose JQL filter selects its project.

    async def list_webhooks(self) -> list[WebhookInfo]:
        """The site's admin webhooks whose JQL filter names this member's project.

        Claimed by the filter, not by the URL (an adapter does not know the service's URL):
        other receivers watching the project are listed too (the CLI tells them apart by URL),
        and a registration made before the member's ``jql`` changed is still found, and so can
        be removed. Not claimed: webhooks without a filter (they watch every project of the
        site), and filters naming the project by id or name rather than by key.
        """
        found = await self.client.webhooks()
        key = self.settings.project
        return [
            info
            for hook in found
            if _names_project(_jql_of(hook), key) and (info := _webhook_info(hook)) is not None
        ]

    async def register_webhook(self, url: str) -> WebhookInfo:
        """Have Jira deliver this member's issue (and version) events to ``url``, signed.

        One already there for the same URL and filter is returned as it is. Jira never shows a
        webhook's secret, so an existing registration cannot be checked against the
        connection's ``webhook_secret``: after changing the secret, remove and register again.

        Raises:
            MemberError: no ``webhook_secret``, or the account is not a Jira administrator.
            RecordError: Jira refused the webhook (e.g. a filter it cannot run).
        """
        secret = self._webhook_secret()
        jql = self._webhook_jql()
        for hook in await self.client.webhooks():
            if _same_url(hook.get("url"), url) and _same_jql(_jql_of(hook), jql):
                existing = _webhook_info(hook)
                if existing is not None:
                    if not existing.active:
                        log.warning("jira.webhook.disabled", member=self.name, webhook=existing.id)
                    return existing
        body = {
            "name": f"syncd {self.name} ({self.settings.project})",
            "url": url,
            "events": list(self._webhook_events()),
            # The filter applies to issue events only: Jira sends the version events of every
            # project of the site, and `webhook_ids` does not sort them by project (a version
            # names its projectId, not the key), so another project's version costs a needless
            # live run, no more.
            "filters": {ISSUE_FILTER: jql},
            # With excludeBody the delivery is empty, and `webhook` would learn nothing.
            "excludeBody": False,
            # Write-only at Jira: no answer shows it again. Never logged.
            "secret": secret,
        }
        try:
            created = await self.client.create_webhook(body)
        except RecordError as exc:
            # A 400 (Jira refused the body: most likely a filter it cannot run), or a POST whose
            # outcome is unknown (registering again finds it, if it was made).
            hint = f"; the filter was {jql!r}" if self.settings.jql else ""
            raise RecordError(
                f"registering the webhook failed: {exc}{hint}", member=self.name
            ) from exc
        info = _webhook_info(created)
        if info is None:
            raise PayloadError("Jira's answer names no webhook id (no self link)", member=self.name)
        log.info("jira.webhook.registered", member=self.name, webhook=info.id, url=url, jql=jql)
        return info

    async def remove_webhook(self, webhook_id: str) -> None:
        """Delete an admin webhook; one already gone (404) is fine."""
        if not webhook_id.isdigit():
            return  # Jira's webhook ids are numbers: no such webhook can exist
        await self.client.delete_webhook(webhook_id)
        log.info("jira.webhook.removed", member=self.name, webhook=webhook_id)

    def _webhook_secret(self) -> str:
        secret = self.connection.webhook_secret
        value = secret.get_secret_value() if secret is not None else ""
        if not value.strip():
            raise MemberError(
                "the Jira connection has no webhook_secret: Jira would send unsigned "
                "deliveries, and syncd refuses unsigned deliveries; set webhook_secret on the "
                "connection, then register again",
                member=self.name,
            )
        default_redactor().add(value)  # whatever echoes it (an error text) is masked
        return value

    def _webhook_jql(self) -> str:
        """``project = "KEY"``, AND the member's ``jql``: the issues this member syncs.

        The key is quoted: a project key may be a JQL reserved word.
        """
        clauses = [f'project = "{self.settings.project}"']
        if self.settings.jql:
            clauses.append(f"({self.settings.jql})")
        return " AND ".join(clauses)

    def _webhook_events(self) -> tuple[str, ...]:
        if self.settings.milestone_issue_type is None:
            return ISSUE_EVENTS + VERSION_EVENTS
        return ISSUE_EVENTS  # milestones are issues: version events would concern nothing

    # --- reading helpers -----------------------------------------------------------------------

    async def _ready(self) -> Project:
        if self._project is None:
            self._project = await load_project(self.client, self.settings, self._scope)
        return self._project

    def _site(self, project: Project) -> Site:
        return Site(
            cloud=self.client.cloud,
            custom=project.custom,
            status_map={k.casefold(): v for k, v in self.settings.status_map.items()},
            link_type=self.settings.link_type,
            milestone_type=self.settings.milestone_issue_type,
            user_email=self._emails,
        )

    def _jql(self, project: Project, since: dt.datetime | None) -> str:
        clauses = [f'project = "{project.key}"']
        if self.settings.jql:
            clauses.append(f"({self.settings.jql})")
        if since is not None:
            zone = project.timezone
            margin = OVERLAP if zone is not None else UNKNOWN_ZONE_OVERLAP
            local = (since - margin).astimezone(zone or dt.UTC)
            clauses.append(f'updated >= "{local:%Y-%m-%d %H:%M}"')
        return " AND ".join(clauses) + " ORDER BY key ASC"

    async def _search(self, jql: str, *, complete: bool) -> list[dict[str, Any]]:
        recent = self._recent()
        issues = await self._listing(jql, recent[:RECONCILE_LIMIT] if self.client.cloud else [])
        if self.client.cloud:
            # Beyond the 50 ids search can reconcile, read directly the recent writes that the
            # search shows older than syncd left them (or, in a complete listing, not at all):
            # a stale search result must never pass for a revert or a deletion.
            lagging = [i for i in recent[RECONCILE_LIMIT:] if self._lagging(i, issues, complete)]
            for issue in await self._read_many(lagging):
                issues[str(issue.get("id"))] = issue
        return list(issues.values())

    async def _listing(self, jql: str, reconcile: list[str]) -> dict[str, dict[str, Any]]:
        """Every issue of the search, by id; started over once if a page token expired.

        Cloud's ``nextPageToken`` expires; a listing that outlives it gets a 400 on its next
        page. Starting again from the first page is the only way to finish it.
        """
        project = await self._ready()
        for attempt in (1, 2):
            issues: dict[str, dict[str, Any]] = {}
            try:
                async for issue in self.client.search(
                    jql,
                    self._site(project).task_fields(),
                    page_size=self.settings.page_size,
                    reconcile=reconcile,
                    properties=[PROPERTY_KEY],
                ):
                    issues[str(issue.get("id"))] = issue
            except RecordError as exc:
                if attempt == 2 or not issues or isinstance(exc, RecordNotFound):
                    raise
                log.info("jira.search.restarted", member=self.name, error=str(exc))
                continue
            return issues
        raise AssertionError("unreachable")  # pragma: no cover

    def _lagging(self, issue_id: str, found: Mapping[str, Any], complete: bool) -> bool:
        issue = found.get(issue_id)
        if issue is None:
            return complete
        written = _RECENT.get(self._scope, {}).get(issue_id, (0.0, None))[1]
        seen = parse_time((issue.get("fields") or {}).get("updated"))
        return written is None or seen is None or seen < written

    async def _marked_outside_filter(self, project: Project) -> list[dict[str, Any]]:
        """Issues syncd created that the member's JQL does not match (yet, or any more).

        They still exist: a complete listing must show them, or their absence would read as
        a deletion and be propagated. One light search (ids and the marker only, large pages),
        then a full read of the marked ones.
        """
        jql = f'project = "{project.key}" AND NOT ({self.settings.jql}) ORDER BY key ASC'
        marked = [
            str(issue.get("id"))
            async for issue in self.client.search(
                jql, ["id"], page_size=self.settings.page_size, properties=[PROPERTY_KEY]
            )
            if read_marker(issue)
        ]
        return await self._read_many(marked)

    def _read(self, issue: Mapping[str, Any], errors: list[RecordError]) -> IssueRead | None:
        assert self._project is not None  # _ready ran
        try:
            read = read_issue(self._site(self._project), issue)
        except PayloadError as exc:
            errors.append(
                PayloadError(str(exc), member=self.name, external_id=exc.external_id or None)
            )
            return None
        self._levels[read.external_id] = _hierarchy_level(issue)
        fields = issue.get("fields") or {}
        type_id = str((fields.get("issuetype") or {}).get("id"))
        self._status[read.external_id] = (type_id, str((fields.get("status") or {}).get("name")))
        if read.unknown_user is not None:
            log.warning(
                "jira.user.unknown",
                member=self.name,
                issue=read.key,
                user=read.unknown_user,
                fix="add the person to people: in the config (their email is hidden)",
            )
        return read

    def _observed(self, read: IssueRead) -> Observed:
        mine = _RECENT.get(self._scope, {}).get(read.external_id)
        if mine is not None and read.modified_at is not None:
            # What syncd left, as Jira stamped it: a later search showing older is stale.
            _RECENT[self._scope][read.external_id] = (
                mine[0],
                max(mine[1] or read.modified_at, read.modified_at),
            )
        url = f"{self.connection.base_url}/browse/{read.key}" if read.key else None
        return Observed(
            read.kind, read.external_id, read.values, read.modified_at, url, read.marker
        )

    async def _versions(self, errors: list[RecordError]) -> list[Observed]:
        project = await self._ready()
        records = []
        for version in await self.client.versions(project.key):
            if version.get("archived"):
                continue  # archived versions are gone from the project's point of view
            try:
                ext, values = read_version(version)
            except PayloadError as exc:
                errors.append(PayloadError(str(exc), member=self.name, external_id=exc.external_id))
                continue
            url = f"{self.connection.base_url}/projects/{project.key}/versions/{version['id']}"
            records.append(Observed("milestone", ext, values, None, url))
        return records

    async def _read_many(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Read issues by id, consistently: search with reconcileIssues, 50 at a time.

        ``id in (...)`` naming an issue that no longer exists is a 400 for the whole query;
        then the chunk is read issue by issue, and the gone ones are left out.
        """
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), RECONCILE_LIMIT):
            chunk = list(ids[start : start + RECONCILE_LIMIT])
            try:
                found.extend(await self._search_ids(chunk))
            except RecordNotFound:
                raise
            except RecordError:
                found.extend(await self._get_each(chunk))
        return found

    async def _search_ids(self, chunk: list[str]) -> list[dict[str, Any]]:
        project = await self._ready()
        return [
            issue
            async for issue in self.client.search(
                f"id in ({', '.join(chunk)})",
                self._site(project).task_fields(),
                page_size=RECONCILE_LIMIT,
                reconcile=chunk if self.client.cloud else (),
                properties=[PROPERTY_KEY],
            )
        ]

    async def _get_each(self, chunk: list[str]) -> list[dict[str, Any]]:
        project = await self._ready()
        fields = self._site(project).task_fields()
        found = []
        for issue_id in chunk:
            try:
                found.append(await self.client.issue(issue_id, fields, [PROPERTY_KEY]))
            except RecordNotFound:
                continue
        return found

    async def _read_back(self, issue_id: str) -> Observed:
        project = await self._ready()
        issue = await self.client.issue(issue_id, self._site(project).task_fields(), [PROPERTY_KEY])
        errors: list[RecordError] = []
        read = self._read(issue, errors)
        if read is None:
            raise errors[0]
        return self._observed(read)

    # --- writing helpers -----------------------------------------------------------------------

    def _is_version(self, kind: Kind) -> bool:
        return kind == "milestone" and self.settings.milestone_issue_type is None

    async def _create_chunk(self, items: Sequence[CreateItem]) -> list[Observed | RecordError]:
        project = await self._ready()
        results: list[Observed | RecordError | None] = [None] * len(items)
        bodies: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        for index, item in enumerate(items):
            if self._is_version(item.kind):
                results[index] = await self._record_outcome(self._create_version(item.values))
                continue
            try:
                unwritten: dict[str, str] = {}
                body = await self._issue_body(project, item, unwritten)
            except RecordError as exc:
                results[index] = exc
                continue
            bodies.append((index, body, unwritten))
        if bodies:
            await self._bulk_create(items, bodies, results)
        return [r if r is not None else self._lost(items[i]) for i, r in enumerate(results)]

    async def _bulk_create(
        self,
        items: Sequence[CreateItem],
        bodies: list[tuple[int, dict[str, Any], dict[str, str]]],
        results: list[Observed | RecordError | None],
    ) -> None:
        if len(bodies) == 1:
            index, body, _ = bodies[0]
            try:
                created = [await self.client.create_issue(body)]
                failed: dict[int, str] = {}
            except RecordError as exc:
                results[index] = exc
                return
        else:
            answer = await self.client.create_issues([b for _, b, _ in bodies])
            created, failed = _bulk_outcome(answer, len(bodies))
        made = iter(created)
        done: list[tuple[int, str, dict[str, str]]] = []
        for position, (index, body, unwritten) in enumerate(bodies):
            if position in failed:
                results[index] = RecordError(failed[position], member=self.name)
                continue
            issue_id = str(next(made).get("id"))
            self._remember(issue_id)
            # Every new issue of a type starts in its workflow's initial status.
            self._created_in[issue_id] = (str(body["fields"]["issuetype"]["id"]), "@initial")
            done.append((index, issue_id, unwritten))
        # Transitions and links of different issues are independent: run them side by side,
        # within the member's concurrency.
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def finish(index: int, issue_id: str, unwritten: dict[str, str]) -> None:
            async with gate:
                await self._finish_create(issue_id, items[index].values, unwritten)

        await asyncio.gather(*(finish(*d) for d in done))
        fresh = {str(i.get("id")): i for i in await self._read_many([d[1] for d in done])}
        for index, issue_id, unwritten in done:
            results[index] = await self._created(issue_id, fresh.get(issue_id), unwritten)

    async def _created(
        self, issue_id: str, issue: dict[str, Any] | None, unwritten: dict[str, str]
    ) -> Observed:
        if issue is None:
            observed = await self._read_back(issue_id)
        else:
            errors: list[RecordError] = []
            read = self._read(issue, errors)
            observed = self._observed(read) if read else await self._read_back(issue_id)
        return _with_unwritten(observed, unwritten)

    async def _finish_create(
        self, issue_id: str, values: Values, unwritten: dict[str, str]
    ) -> None:
        """What a create body cannot carry: the status (a transition) and the links."""
        status = values.get("status")
        if status not in (None, "todo"):
            await self._transition(issue_id, status, unwritten, initial=True)
        if values.get("depends_on"):
            await self._relink(issue_id, values["depends_on"], unwritten, current={})

    async def _issue_body(
        self, project: Project, item: CreateItem, unwritten: dict[str, str]
    ) -> dict[str, Any]:
        users = await self._resolve_users(item.values, unwritten)
        parent = item.values.get("parent")
        if parent is not None and await self._level(parent.uid) < 0:
            # Jira's hierarchy stops at sub-tasks (epic > standard > sub-task): the issue is
            # created without its parent rather than not at all.
            unwritten["parent"] = "a Jira sub-task cannot have children"
        values = _without(item.values, unwritten)
        fields = write_fields(self._site(project), values, users)
        fields = {k: v for k, v in fields.items() if v not in (None, [], {})}
        issue_type = await self._issue_type(project, CreateItem(item.kind, item.uid, values))
        fields.update(project={"id": project.id}, issuetype={"id": str(issue_type["id"])})
        return {
            "fields": fields,
            "properties": [{"key": PROPERTY_KEY, "value": {"uid": item.uid}}],
        }

    async def _issue_type(self, project: Project, item: CreateItem) -> dict[str, Any]:
        name = self.settings.issue_type
        if item.kind == "milestone":
            name = self.settings.milestone_issue_type or name
        elif item.values.get("parent") is not None:
            parent_level = await self._level(item.values["parent"].uid)
            if parent_level <= 0:  # a standard issue's child must be a sub-task
                found = project.subtask_type(self.settings.subtask_type)
                if found is None:
                    raise RecordError("the project has no sub-task issue type", member=self.name)
                return found
        found = project.issue_type(name)
        if found is None:
            raise RecordError(f"the project has no issue type {name!r}", member=self.name)
        return found

    async def _check_hierarchy(
        self, issue_id: str, parent: Ref | None, unwritten: dict[str, str]
    ) -> None:
        """A new parent must sit one level up Jira's hierarchy (epic > standard > sub-task),
        and a sub-task keeps one: an edit cannot change an issue's type, so anything else is
        refused by Jira (400) and reported here as the field the issue cannot take."""
        level = await self._level(issue_id)
        if parent is None:
            if level < 0:
                unwritten["parent"] = "a Jira sub-task always has a parent"
            return
        if await self._level(parent.uid) != level + 1:
            kind = {1: "an epic", 0: "a standard issue", -1: "a sub-task"}.get(level, "this issue")
            above = {0: "an epic", -1: "a standard issue"}.get(level, "nothing")
            unwritten["parent"] = (
                f"{kind} can only have {above} as its parent in Jira "
                "(change the issue's type in Jira to move it there)"
            )

    async def _level(self, issue_id: str) -> int:
        if issue_id not in self._levels:
            await self._read_back(issue_id)
        return self._levels.get(issue_id, 0)

    async def _resolve_users(self, values: Values, unwritten: dict[str, str]) -> dict[str, str]:
        """email -> Jira user id for the assignee, from people:, then the user search."""
        email = values.get("assignee")
        if not email:
            return {}
        if email not in self._users:
            found = await self._find_user(email)
            if found is None:
                unwritten["assignee"] = (
                    f"no Jira user found for {email} (add them to people: in the config)"
                )
                return {}
            self._users[email] = found
            self._emails[found] = email
        return {email: self._users[email]}

    async def _find_user(self, email: str) -> str | None:
        candidates = [u for u in await self.client.find_users(email) if u.get("active", True)]
        site = Site(cloud=self.client.cloud)
        exact = [u for u in candidates if str(u.get("emailAddress", "")).lower() == email]
        # Cloud hides most emails; a query by email that finds exactly one person is them.
        chosen = exact or (candidates if len(candidates) == 1 else [])
        return site.user_id(chosen[0]) if len(chosen) == 1 else None

    async def _transition(
        self, issue_id: str, status: str, unwritten: dict[str, str], *, initial: bool = False
    ) -> None:
        project = await self._ready()
        start = self._created_in.get(issue_id) if initial else self._status.get(issue_id)
        try:
            await transitions.move(
                self.client,
                self._site(project),
                issue_id,
                status,
                self.settings.done_resolution,
                routes=self._routes,
                start=start,
            )
        except AdapterError as exc:  # the issue exists: report the field, never lose it
            unwritten["status"] = str(exc)

    async def _relink(
        self,
        issue_id: str,
        wanted: Any,
        unwritten: dict[str, str],
        current: dict[str, str] | None = None,
    ) -> None:
        project = await self._ready()
        site = self._site(project)
        if current is None:
            issue = await self.client.issue(issue_id, ["issuelinks"])
            current = blocker_links(site, (issue.get("fields") or {}).get("issuelinks"))
        targets = {ref.uid for ref in wanted}
        try:
            for blocker in sorted(targets - set(current)):
                await self.client.link(site.link_type, issue_id, blocker)
                self._remember(blocker)
            for blocker in sorted(set(current) - targets):
                await self.client.unlink(current[blocker])
                self._remember(blocker)
        except AdapterError as exc:  # the issue exists: report the field, never lose it
            unwritten["depends_on"] = str(exc)

    async def _create_version(self, values: Values) -> Observed:
        project = await self._ready()
        body = {**write_version(values), "projectId": int(project.id)}
        body = {k: v for k, v in body.items() if v is not None}
        version = await self.client.create_version(body)
        return self._version_observed(version)

    async def _update_version(self, external_id: str, changes: Values) -> Observed:
        version_id = external_id.removeprefix(VERSION_PREFIX)
        version = await self.client.update_version(version_id, write_version(changes))
        return self._version_observed(version)

    def _version_observed(self, version: Mapping[str, Any]) -> Observed:
        ext, values = read_version(version)
        return Observed("milestone", ext, values)

    async def _call_record(self, call: Any, *, missing_ok: bool = False) -> Any:
        try:
            return await call
        except RecordNotFound:
            if missing_ok:
                return None
            raise

    async def _record_outcome(self, call: Any) -> Observed | RecordError:
        try:
            observed: Observed = await call
        except RecordError as exc:
            return exc
        return observed

    def _lost(self, item: CreateItem) -> RecordError:
        return RecordError(f"Jira did not answer for {item.kind} {item.uid}", member=self.name)

    def _remember(self, issue_id: str, updated: dt.datetime | None = None) -> None:
        _RECENT.setdefault(self._scope, {})[issue_id] = (time.monotonic(), updated)

    def _recent(self) -> list[str]:
        """Issues syncd wrote in the last minutes, newest first."""
        written = _RECENT.get(self._scope, {})
        horizon = time.monotonic() - RECENT_SECONDS
        for issue_id in [i for i, (when, _) in written.items() if when < horizon]:
            del written[issue_id]
        return sorted(written, key=lambda i: written[i][0], reverse=True)


def capabilities_of(member: JiraMember) -> Capabilities:
    """What a Jira member holds: tasks (with the configured custom fields) and milestones."""
    task = set(TASK_FIELDS) | {n for n in CUSTOM_CANONICAL if n in member.fields}
    if member.milestone_issue_type is None:
        task.add("milestone")
    fields = frozenset(task)
    return Capabilities(
        kinds={
            "task": KindCapability(read=fields, write=fields),
            "milestone": KindCapability(read=MILESTONE_FIELDS, write=MILESTONE_FIELDS),
        },
        markers=True,
    )


def webhook_ids(event: Any, project: str) -> list[str] | None:
    """The external ids a Jira webhook event names (issues, or versions), or None."""
    if not isinstance(event, dict):
        return None
    name = str(event.get("webhookEvent") or "")
    if name.startswith("jira:issue_"):
        issue = event.get("issue") or {}
        key = str(issue.get("key") or "")
        if key and not key.upper().startswith(f"{project}-"):
            return []
        return [str(issue["id"])] if issue.get("id") else None
    if name.startswith("jira:version_"):
        version = event.get("version") or {}
        return [VERSION_PREFIX + str(version["id"])] if version.get("id") else None
    return []


def webhook_event_time(event: Any) -> dt.datetime | None:
    """A webhook event's ``timestamp`` (ms since the epoch) as aware UTC, or None."""
    stamp = event.get("timestamp") if isinstance(event, dict) else None
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    try:
        return dt.datetime.fromtimestamp(stamp / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError):  # beyond what a datetime holds
        return None


def _jql_of(hook: Mapping[str, Any]) -> str:
    """An admin webhook's issue filter ("" for none)."""
    filters = hook.get("filters")
    value = filters.get(ISSUE_FILTER) if isinstance(filters, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


# ``project = KEY``, ``project = "KEY"``, ``project in (A, "KEY")``: the clauses selecting a
# project by key (``!=`` and ``not in`` do not match: "project" must be followed by = or in).
_PROJECT_CLAUSE = re.compile(
    r"""\bproject\s*(?:=\s*("[^"]*"|'[^']*'|[\w-]+)|in\s*\(([^)]*)\))""", re.IGNORECASE
)


def _names_project(jql: str, key: str) -> bool:
    """Whether a JQL filter selects the project ``key`` (by key) somewhere."""
    for match in _PROJECT_CLAUSE.finditer(jql):
        values = [match.group(1)] if match.group(1) else match.group(2).split(",")
        if any(v.strip().strip("\"'").upper() == key.upper() for v in values):
            return True
    return False


def _same_jql(theirs: str, ours: str) -> bool:
    """The same filter, but for spacing and the key's quotes (``project = KEY`` as typed)."""

    def squeeze(jql: str) -> str:
        return " ".join(jql.split())

    unquoted = re.sub(r'^project = "([^"]+)"', r"project = \1", squeeze(ours))
    return squeeze(theirs) in (squeeze(ours), unquoted)


def _same_url(theirs: Any, ours: str) -> bool:
    return isinstance(theirs, str) and theirs.rstrip("/") == ours.rstrip("/")


def _webhook_info(hook: Mapping[str, Any]) -> WebhookInfo | None:
    """An admin webhook as `WebhookInfo`; None without an id.

    Jira's answers carry no ``id`` field: the id is the last segment of ``self``
    (``https://<site>/rest/webhooks/1.0/webhook/12``).
    """
    link = hook.get("self")
    webhook_id = str(link).rstrip("/").rsplit("/", 1)[-1] if isinstance(link, str) else ""
    if not webhook_id.isdigit():
        return None
    return WebhookInfo(
        id=webhook_id,
        url=str(hook.get("url") or ""),
        scope=_jql_of(hook),
        active=hook.get("enabled", True) is not False,
    )


def _signed(request: WebhookRequest, secret: bytes) -> bool:
    headers = {k.lower(): v for k, v in request.headers.items()}
    given = headers.get("x-hub-signature", "")
    method, _, digest = given.partition("=")
    if method.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(secret, request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


def _hierarchy_level(issue: Mapping[str, Any]) -> int:
    """The issue type's level: 1 epic, 0 standard, -1 sub-task (Data Center has only subtask)."""
    issue_type = (issue.get("fields") or {}).get("issuetype") or {}
    level = issue_type.get("hierarchyLevel")
    if isinstance(level, int):
        return level
    return -1 if issue_type.get("subtask") else 0


def _bulk_outcome(
    answer: Mapping[str, Any], count: int
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Jira's bulk answer: the created issues (in order) and index -> why the others failed."""
    failed: dict[int, str] = {}
    for error in answer.get("errors") or []:
        position = error.get("failedElementNumber")
        if isinstance(position, int) and 0 <= position < count:
            failed[position] = _element_error(error.get("elementErrors") or {})
    created = [i for i in answer.get("issues") or [] if isinstance(i, dict)]
    if len(created) != count - len(failed):
        raise MemberError(
            f"bulk create answered {len(created)} issues and {len(failed)} errors for {count}"
        )
    return created, failed


def _element_error(errors: Mapping[str, Any]) -> str:
    parts = [str(m) for m in errors.get("errorMessages") or []]
    parts += [f"{k}: {v}" for k, v in (errors.get("errors") or {}).items()]
    return "; ".join(parts) or "Jira refused the issue"


def _without(values: Values, unwritten: Mapping[str, str]) -> Values:
    return {k: v for k, v in values.items() if k not in unwritten}


def _with_unwritten(observed: Observed, unwritten: Mapping[str, str]) -> Observed:
    if not unwritten:
        return observed
    return Observed(
        observed.kind,
        observed.external_id,
        observed.values,
        observed.modified_at,
        observed.url,
        observed.marker,
        dict(unwritten),
    )


# The cursor: the newest ``updated`` read, and the versions read inside the overlap window
# (issue id -> its ``updated``), so the overlap re-reads nothing that did not change:
# {"since": "2026-01-10T09:30:00+00:00", "seen": {"10001": "2026-01-10T09:29:12.123000+00:00"}}
Seen = dict[str, str]


def _decode_cursor(cursor: str | None) -> tuple[dt.datetime | None, Seen]:
    if not cursor:
        return None, {}
    try:
        data = json.loads(cursor)
        seen = data.get("seen") or {}
        return dt.datetime.fromisoformat(data["since"]), {str(k): str(v) for k, v in seen.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, {}  # a cursor we cannot read: list everything, which is always safe


def _already_seen(read: IssueRead, seen: Seen) -> bool:
    """Read in the previous overlap window, and not updated since."""
    stamp = read.modified_at.isoformat() if read.modified_at else None
    return stamp is not None and seen.get(read.external_id) == stamp


def _still_recent(seen: Seen, latest: dt.datetime) -> list[tuple[str, str]]:
    horizon = latest - OVERLAP
    return [(k, v) for k, v in seen.items() if dt.datetime.fromisoformat(v) >= horizon]


def _encode_cursor(latest: dt.datetime, window: Sequence[Observed | tuple[str, str]]) -> str:
    horizon = latest - OVERLAP
    seen: Seen = {}
    for item in window:
        if isinstance(item, tuple):
            seen.setdefault(item[0], item[1])
        elif item.modified_at is not None and item.modified_at >= horizon:
            seen[item.external_id] = item.modified_at.isoformat()
    return json.dumps({"since": latest.astimezone(dt.UTC).isoformat(), "seen": seen})


def forget_recent_writes() -> None:
    """Drop the record of recent writes (tests call this between cases)."""
    _RECENT.clear()


__all__ = ["JiraAdapter", "capabilities_of", "forget_recent_writes", "webhook_ids"]
