"""The Asana adapter: one project (optionally narrowed to sections) of an Asana workspace.

Reading: a full read lists the project's tasks (100 per page, only the mapped ``opt_fields``)
and, for tasks that have them, their subtasks (Asana does not list subtasks in the project).
Incremental reads follow the Events API from a sync token: a quiet project costs one call; a
412 (token expired) falls back to a full read with the fresh token Asana sends.

Writing: creates and updates go through the Batch API, 10 actions a call; tags, dependencies,
sections and parents, which have their own endpoints, are actions of the same batches.

Webhooks (``syncd webhooks``): one per project and target URL, with filters that let only
the project's task changes through; Asana shakes hands with the target while it creates one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from adapters.asana.client import BATCH_LIMIT, AsanaClient, SyncExpired, WebhookRefused
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.asana.mapping import (
    NUMBER_FIELDS,
    OPT_FIELDS,
    Site,
    TaskRead,
    parse_instant,
    read_task,
    write_fields,
)
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
    Problem,
    UpdateItem,
    WebhookInfo,
    WebhookRequest,
    only,
)
from syncd.errors import AdapterError, MemberError, PayloadError, RecordError, RecordNotFound
from syncd.http import RetryPolicy, credential_key
from syncd.http.retry import SleepFn
from syncd.model import Kind, Ref, Values

log = structlog.get_logger("adapters.asana")

TASK_FIELDS = frozenset(
    {"title", "description", "status", "assignee", "start", "due", "labels", "parent"}
    | {"depends_on", "milestone"}
)
MILESTONE_FIELDS = frozenset({"title", "description", "due", "status"})
Json = dict[str, Any]
CACHE_SECONDS = 3600.0
# What a project's webhook delivers: its tasks' (and milestones', which are tasks) changes,
# not stories, attachments or the project itself. Asana delivers an event that passes any
# filter (WebhookFilter: resource_type, action); no ``fields``: every field change counts.
# https://developers.asana.com/reference/createwebhook
WEBHOOK_ACTIONS = ("changed", "added", "removed", "deleted", "undeleted")
WEBHOOK_FILTERS: tuple[Json, ...] = tuple(
    {"resource_type": "task", "action": action} for action in WEBHOOK_ACTIONS
)
# Process-wide: what a project is (its sections, custom fields and the workspace's people).
_PROJECTS: dict[tuple[str, ...], tuple[float, Project]] = {}


def forget_caches() -> None:
    """Drop the process caches (tests call this between cases)."""
    _PROJECTS.clear()


@dataclass
class Project:
    """What the adapter learns once about its project."""

    gid: str
    workspace: str
    sections: dict[str, str]  # casefolded name -> gid
    site: Site
    users: dict[str, str] = field(default_factory=dict)  # email -> gid
    tags: dict[str, str] = field(default_factory=dict)  # name -> gid


class AsanaAdapter(HttpMember):
    """One Asana member."""

    def __init__(
        self,
        connection: AsanaConnection,
        member: AsanaMember,
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
        self.client = AsanaClient(
            connection, self.name, transport=transport, retry_policy=retry_policy, sleep=sleep
        )
        self.http = self.client.http
        self.capabilities = capabilities_of(connection, member)
        self._project: Project | None = None
        self._scope = credential_key(connection.base_url, connection.token.get_secret_value())
        self._scope += f"/{member.project}"
        self._known: dict[str, TaskRead] = {}
        # task gid -> the milestone depending on it; known for every task once loaded (a full
        # read, or `_load_milestones`), for the tasks this adapter created meanwhile, and for
        # those read one by one with their dependents (`_known_milestone`).
        self._milestone_of: dict[str, str] = {}
        self._milestones_loaded = False
        self._made: set[str] = set()
        self._known_milestone: set[str] = set()
        self._workspace: str | None = None

    # --- check and read ------------------------------------------------------------------------

    async def check(self) -> CheckResult:
        """The token, the project, its sections and custom fields named in the config."""
        result = CheckResult()
        try:
            me = await self.client.get("/users/me", {"opt_fields": "name,email"})
            result.info["user"] = str((me or {}).get("email") or (me or {}).get("name"))
            project = await self._ready()
        except RecordNotFound:
            result.problems.append(
                Problem(f"project {self.settings.project} is not visible", fix="check the gid")
            )
            return result
        except AdapterError as exc:
            result.problems.append(Problem(f"{self.name}: {exc}", fix="check the token"))
            return result
        result.info["project"] = project.gid
        if not self._holds_in_progress(project):
            result.problems.append(
                Problem(
                    "in_progress has nowhere to go in Asana (only done is a task flag)",
                    fix="map a section (or an option of fields.status) to in_progress in "
                    "status_map",
                )
            )
        for name in self.settings.status_map:
            known = project.sections if project.site.status_field is None else {}
            if project.site.status_field is None and name.casefold() not in known:
                result.problems.append(
                    Problem(f"status_map names section {name!r}, which the project lacks")
                )
        return result

    async def fetch(self, cursor: str | None) -> Observation:
        """Events since ``cursor`` (a sync token), or the whole project."""
        project = await self._ready()
        if cursor:
            try:
                return await self._changes(project, cursor)
            except SyncExpired as expired:
                log.info("asana.events.expired", member=self.name)
                return await self._everything(project, expired.fresh)
        return await self._everything(project, await self._fresh_token(project))

    async def _fresh_token(self, project: Project) -> str:
        try:
            events = await self.client.events(project.gid, None)
        except SyncExpired as expired:
            return expired.fresh
        return events.sync

    async def _everything(self, project: Project, token: str) -> Observation:
        tasks: list[Json] = []
        params = {"opt_fields": OPT_FIELDS}
        async for task in self.client.pages(f"/projects/{project.gid}/tasks", params):
            if self._in_sections(project, task):
                tasks.append(task)
        # A task without a gid cannot be asked for its subtasks (it fails to parse, alone).
        parents = [t for t in tasks if t.get("num_subtasks") and t.get("gid")]
        while parents:  # subtasks are not listed by the project: read them under their parent
            found = []
            for parent in parents:
                path = f"/tasks/{parent['gid']}/subtasks"
                found.extend([t async for t in self.client.pages(path, params)])
            tasks.extend(found)
            parents = [t for t in found if t.get("num_subtasks") and t.get("gid")]
        # Subtasks in the project are listed twice (by the project, and under their parent).
        unique = list({str(t.get("gid")): t for t in tasks}.values())
        errors: list[RecordError] = []
        reads = [r for r in (self._read(t, errors) for t in unique) if r is not None]
        self._milestone_of = _milestones_of(reads)
        self._milestones_loaded = True
        records = [self._observed(r) for r in reads]
        # A task that failed to parse without a gid cannot be told apart from a deleted one:
        # the listing then vouches for no absence (the planner spares only the ids it is given).
        complete = all(e.external_id for e in errors)
        return Observation(records, token, complete, errors)

    async def _changes(self, project: Project, cursor: str) -> Observation:
        gids: list[str] = []
        token = cursor
        while True:
            page = await self.client.events(project.gid, token)
            token = page.sync
            for event in page.events:
                resource = event.get("resource") or {}
                if resource.get("resource_type") != "task" or event.get("action") == "deleted":
                    continue
                gids.append(str(resource.get("gid")))
            if not page.has_more:
                break
        errors: list[RecordError] = []
        tasks = await self._read_tasks(list(dict.fromkeys(gids)))
        reads = [r for r in (self._read(t, errors) for t in tasks) if r is not None]
        # Each task read carries its dependents: the milestone among them is its milestone,
        # without listing the whole project for it.
        self._learn_milestones(tasks)
        for read in reads:
            if read.kind == "milestone":
                self._relink_cache(read)
        return Observation([self._observed(r) for r in reads], token, False, errors)

    def _learn_milestones(self, tasks: Sequence[Json]) -> None:
        """Each task's milestone from its ``dependents`` (read with ``resource_subtype``): the
        one milestone among them, none when there is none (or several, as a full read)."""
        for task in tasks:
            if task.get("resource_subtype") == "milestone" or "dependents" not in task:
                continue
            gid = str(task.get("gid"))
            holders = {
                str(d.get("gid"))
                for d in task.get("dependents") or []
                if isinstance(d, dict) and d.get("resource_subtype") == "milestone"
            }
            if len(holders) == 1:
                self._milestone_of[gid] = holders.pop()
            else:
                self._milestone_of.pop(gid, None)
            self._known_milestone.add(gid)

    async def _load_milestones(self, project: Project, gids: Sequence[str]) -> None:
        """Learn which milestone depends on which task (one light listing of the project),
        unless every task of ``gids`` is one this adapter made or read (it knows those)."""
        if self._milestones_loaded or "milestone" not in self.capabilities.reads("task"):
            return
        if all(gid in self._made or gid in self._known_milestone for gid in gids):
            return
        params = {"opt_fields": "resource_subtype,dependencies"}
        self._milestone_of = {}
        async for task in self.client.pages(f"/projects/{project.gid}/tasks", params):
            if task.get("resource_subtype") == "milestone":
                for dep in task.get("dependencies") or []:
                    self._milestone_of[str(dep.get("gid"))] = str(task["gid"])
        self._milestones_loaded = True

    def _relink_cache(self, milestone: TaskRead) -> None:
        for task, holder in list(self._milestone_of.items()):
            if holder == milestone.gid and task not in milestone.dependencies:
                del self._milestone_of[task]
        for task in milestone.dependencies:
            self._milestone_of[task] = milestone.gid

    def _in_sections(self, project: Project, task: Mapping[str, Any]) -> bool:
        if not self.settings.sections:
            return True
        wanted = {s.casefold() for s in self.settings.sections}
        for membership in task.get("memberships") or []:
            if (membership.get("project") or {}).get("gid") == project.gid:
                name = ((membership.get("section") or {}).get("name") or "").casefold()
                return name in wanted
        return False

    async def _read_tasks(self, gids: Sequence[str]) -> list[Json]:
        """Tasks by gid, 10 GETs per batch call; gone ones left out."""
        actions = [
            {"method": "get", "relative_path": f"/tasks/{gid}", "options": {"fields": _ONE_FIELDS}}
            for gid in gids
        ]
        found = []
        for result in await self._batch(actions):
            body = result.get("body") or {}
            if result.get("status_code") == 200 and isinstance(body.get("data"), dict):
                found.append(body["data"])
        return found

    def _read(self, task: Mapping[str, Any], errors: list[RecordError]) -> TaskRead | None:
        assert self._project is not None
        try:
            read = read_task(self._project.site, task)
        except PayloadError as exc:
            errors.append(PayloadError(str(exc), member=self.name, external_id=exc.external_id))
            return None
        self._known[read.gid] = read
        return read

    def _observed(self, read: TaskRead) -> Observed:
        values = dict(read.values)
        wanted = read.kind == "task" and "milestone" in self.capabilities.reads("task")
        known = read.gid in self._made or read.gid in self._known_milestone
        if wanted and (self._milestones_loaded or known):
            holder = self._milestone_of.get(read.gid)
            values["milestone"] = Ref(uid=holder) if holder else None
        return Observed(read.kind, read.gid, values, read.modified_at, read.url, read.marker)

    # --- write ---------------------------------------------------------------------------------

    async def create(self, kind: Kind, values: Values, *, uid: str) -> Observed:
        """Create one task or milestone."""
        return only(await self.create_many([CreateItem(kind, uid, values)]))

    async def create_many(self, items: Sequence[CreateItem]) -> list[Observed | RecordError]:
        """Create tasks through the Batch API; then their dependencies and milestones."""
        project = await self._ready()
        unwritten: list[dict[str, str]] = [{} for _ in items]
        actions = [
            await self._create_action(project, i, u) for i, u in zip(items, unwritten, strict=True)
        ]
        results = await self._batch(actions)
        outcomes: list[Observed | RecordError] = []
        follow: dict[int, tuple[str, Values]] = {}
        for n, (item, result) in enumerate(zip(items, results, strict=True)):
            task = _result_task(result)
            if task is None:
                outcomes.append(RecordError(_result_error(result), member=self.name))
                continue
            self._made.add(str(task["gid"]))  # no milestone depends on a new task yet
            outcomes.append(self._done(task, unwritten[n]))
            links = {k: v for k, v in item.values.items() if k in ("depends_on", "milestone") and v}
            if links:
                follow[n] = (str(task["gid"]), links)
        if follow:
            await self._follow_up(follow, outcomes, unwritten)
        return outcomes

    async def update(self, kind: Kind, external_id: str, changes: Values) -> Observed:
        """Change one task."""
        outcome = (await self.update_many([UpdateItem(kind, external_id, changes)]))[0]
        if isinstance(outcome, RecordError):
            raise outcome
        return outcome

    async def update_many(self, items: Sequence[UpdateItem]) -> list[Observed | RecordError]:
        """Updates through the Batch API: the links first, then one PUT (or GET) per task."""
        project = await self._ready()
        # Moving a task to another milestone needs its current one (to take it off there).
        moving = [i.external_id for i in items if i.kind == "task" and "milestone" in i.changes]
        await self._load_milestones(project, moving)
        missing = [i.external_id for i in items if i.external_id not in self._known]
        if missing:
            for current in await self._read_tasks(missing):
                self._read(current, [])
        unwritten: list[dict[str, str]] = [{} for _ in items]
        extras: list[tuple[int, str, Json]] = []
        finals: list[Json] = []
        for n, item in enumerate(items):
            links = await self._link_actions(project, item, unwritten[n])
            extras.extend((n, name, action) for name, action in links)
            finals.append(await self._final_action(project, item, unwritten[n]))
        results = await self._batch([action for _, _, action in extras])
        for (n, name, _), result in zip(extras, results, strict=True):
            if int(result.get("status_code") or 500) >= 400:
                unwritten[n].setdefault(name, _result_error(result))
        outcomes: list[Observed | RecordError] = []
        for item, result, skipped in zip(items, await self._batch(finals), unwritten, strict=True):
            task = _result_task(result)
            if task is None:
                error = RecordNotFound if result.get("status_code") == 404 else RecordError
                message = _result_error(result)
                outcomes.append(error(message, member=self.name, external_id=item.external_id))
            else:
                outcomes.append(self._done(task, skipped))
        return outcomes

    async def delete(self, kind: Kind, external_id: str, mode: DeleteMode) -> None:
        """Asana has no archive for tasks: both modes move the task to the trash (30 days)."""
        await self.client.send("DELETE", f"/tasks/{external_id}")
        self._known.pop(external_id, None)

    def admits(self, kind: Kind, values: Values) -> bool:
        """Tasks and milestones belong in the project."""
        return kind in self.capabilities.kinds

    def webhook(self, request: WebhookRequest) -> list[str] | None:
        """The tasks a signed delivery names (None: refused).

        Asana signs each delivery with ``X-Hook-Signature``, the hex HMAC-SHA256 of the body
        under the secret of the handshake. https://developers.asana.com/docs/webhooks-guide
        """
        secret = self.connection.webhook_secret
        headers = {k.lower(): v for k, v in request.headers.items()}
        given = headers.get("x-hook-signature", "")
        if secret is None or not given:
            return None
        expected = hmac.new(secret.get_secret_value().encode(), request.body, hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), given.strip().lower()):
            return None
        try:
            events = json.loads(request.body).get("events") or []
        except (ValueError, AttributeError):
            return None
        return [
            str(e["resource"]["gid"])
            for e in events
            if isinstance(e, dict) and (e.get("resource") or {}).get("resource_type") == "task"
        ]

    def webhook_time(self, request: WebhookRequest) -> dt.datetime | None:
        """The newest ``created_at`` of the delivery's events (Asana sends no time of its own;
        a heartbeat, with no events, has none).
        https://developers.asana.com/reference/events (EventResponse.created_at)"""
        try:
            events = json.loads(request.body).get("events") or []
        except (ValueError, AttributeError):
            return None
        if not isinstance(events, list):
            return None
        times = [parse_instant(e.get("created_at")) for e in events if isinstance(e, dict)]
        return max((t for t in times if t is not None), default=None)

    # --- webhooks (syncd webhooks) ------------------------------------------------------------

    async def list_webhooks(self) -> list[WebhookInfo]:
        """This token's webhooks on the member's project (``GET /webhooks`` of its workspace,
        narrowed to the project)."""
        project, workspace = self.settings.project, await self._project_workspace()
        hooks = await self.client.webhooks(workspace, project)
        return [info for info in (_webhook_info(h, project) for h in hooks) if info is not None]

    async def register_webhook(self, url: str) -> WebhookInfo:
        """The project's webhook delivering to ``url``: the existing one, or a new one.

        Asana creates it only once ``url`` has answered its handshake: a POST carrying
        ``X-Hook-Secret`` that must be echoed (``syncd run`` does, and keeps the secret that
        signs the deliveries). https://developers.asana.com/docs/webhooks-guide

        Raises:
            MemberError: the target did not complete the handshake (400), or Asana refuses
                that target (403: e.g. localhost): nothing can be registered for this member
                until the service is reachable at its public URL.
        """
        same = [hook for hook in await self.list_webhooks() if hook.url == url]
        if same:
            return next((hook for hook in same if hook.active), same[0])
        project = self.settings.project
        try:
            made = await self.client.create_webhook(project, url, WEBHOOK_FILTERS)
        except WebhookRefused as refused:
            raise MemberError(_refusal(refused, url, project), member=self.name) from refused
        info = _webhook_info(made, project)
        if info is None:
            raise PayloadError("Asana's answer is not a webhook", member=self.name)
        log.info("asana.webhook.registered", member=self.name, webhook=info.id, project=project)
        return info

    async def remove_webhook(self, webhook_id: str) -> None:
        """Delete a webhook; Asana's 404 (already gone) is fine."""
        await self.client.send("DELETE", f"/webhooks/{webhook_id}")

    async def _project_workspace(self) -> str:
        """The project's workspace gid: known once the project is loaded, else one call.

        Raises:
            MemberError: the project is not visible with this token.
        """
        if self._project is not None:
            return self._project.workspace
        if self._workspace is None:
            try:
                self._workspace = await self._fetch_workspace(self.settings.project)
            except RecordNotFound as exc:
                raise MemberError(
                    f"project {self.settings.project} is not visible with this token",
                    member=self.name,
                ) from exc
        return self._workspace

    async def _fetch_workspace(self, project: str) -> str:
        found = await self.client.get(f"/projects/{project}", {"opt_fields": "name,workspace"})
        workspace = str(((found or {}).get("workspace") or {}).get("gid") or "")
        if not workspace:
            raise MemberError(f"project {project}: no workspace in the answer")
        return workspace

    # --- helpers -------------------------------------------------------------------------------

    async def _ready(self) -> Project:
        if self._project is not None:
            return self._project
        key = (self._scope, repr(self.settings), repr(sorted(self.context.people.items())))
        hit = _PROJECTS.get(key)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            self._project = hit[1]
            return hit[1]
        self._project = await self._load_project()
        _PROJECTS[key] = (time.monotonic(), self._project)
        return self._project

    async def _load_project(self) -> Project:
        """The project, its sections, custom fields and the workspace's people (4 calls)."""
        gid = self.settings.project
        workspace = await self._fetch_workspace(gid)
        sections = {
            str(s.get("name", "")).casefold(): str(s["gid"])
            async for s in self.client.pages(f"/projects/{gid}/sections", {"opt_fields": "name"})
        }
        custom, status_field, options = await self._custom_fields(gid)
        users = {
            str(u.get("email", "")).lower(): str(u["gid"])
            async for u in self.client.pages(
                f"/workspaces/{workspace}/users", {"opt_fields": "email"}
            )
            if u.get("email")
        }
        users.update({e.lower(): g for e, g in self.context.people.items()})
        site = Site(
            project=gid,
            timezone=self.context.timezone,
            custom=custom,
            status_map={k.casefold(): v for k, v in self.settings.status_map.items()},
            status_field=status_field,
            status_options=self._status_options(options),
            emails={g: e for e, g in users.items()},
        )
        return Project(gid, workspace, sections, site, users)

    async def _custom_fields(
        self, project: str
    ) -> tuple[dict[str, str], str | None, dict[str, str]]:
        """canonical -> custom field gid, the status field's gid, and its options (name -> gid)."""
        wanted = dict(self.settings.fields)
        if not wanted:
            return {}, None, {}
        found: dict[str, str] = {}
        options: dict[str, dict[str, str]] = {}
        try:
            async for setting in self.client.pages(
                f"/projects/{project}/custom_field_settings",
                {"opt_fields": "custom_field.name,custom_field.enum_options.name"},
            ):
                cf = setting.get("custom_field") or {}
                cf_gid = str(cf.get("gid"))
                found[str(cf.get("name", "")).casefold()] = found[cf_gid] = cf_gid
                options[cf_gid] = {
                    str(o.get("name", "")).casefold(): str(o.get("gid"))
                    for o in cf.get("enum_options") or []
                }
        except AdapterError as exc:
            # Custom fields are a paid feature: Asana answers 402 on free workspaces.
            raise MemberError(f"custom fields unavailable ({exc}): a paid Asana feature") from exc
        resolved = {n: found.get(v.casefold()) or found.get(v) for n, v in wanted.items()}
        missing = sorted(f"{n} -> {wanted[n]!r}" for n, g in resolved.items() if g is None)
        if missing:
            raise MemberError(f"custom fields not in project {project}: {', '.join(missing)}")
        status = resolved.pop("status", None)
        numbers = {k: v for k, v in resolved.items() if v and k in NUMBER_FIELDS}
        return numbers, status, options.get(status or "", {})

    def _status_options(self, options: Mapping[str, str]) -> dict[str, str]:
        """canonical status -> the enum option the status_map names first for it."""
        chosen: dict[str, str] = {}
        for name, status in self.settings.status_map.items():
            option = options.get(name.casefold())
            if option is not None:
                chosen.setdefault(status, option)
        return chosen

    async def _create_action(
        self, project: Project, item: CreateItem, unwritten: dict[str, str]
    ) -> Json:
        values = dict(item.values)
        users = self._users(project, values, unwritten)
        _start_rule(values, values.get("due"), unwritten)
        status = values.get("status")
        if status in ("todo", "in_progress") and not self._holds(project, status):
            unwritten["status"] = f"no section or status option is mapped to {status}"
        data = write_fields(project.site, item.kind, _plain(values, unwritten), users)
        if item.kind == "milestone":
            data["resource_subtype"] = "milestone"
        data.update(await self._placement(project, item, values))
        if self.connection.oauth_app:
            data["external"] = {"gid": item.uid, "data": "syncd"}
        parent = values.get("parent")
        if parent is not None:
            # A subtask also joins the project: only the project's tasks carry its custom
            # fields (and the project's people see it there).
            data["parent"] = parent.uid
        return {
            "method": "post",
            "relative_path": "/tasks",
            "data": data,
            "options": {"fields": _FIELDS},
        }

    async def _placement(self, project: Project, item: CreateItem, values: Values) -> Json:
        data: Json = {}
        section = self._section_for(project, values.get("status"))
        data["memberships" if section else "projects"] = (
            [{"project": project.gid, "section": section}] if section else [project.gid]
        )
        labels = values.get("labels")
        if labels:
            data["tags"] = [await self._tag(project, name) for name in sorted(labels)]
        return data

    def _holds_in_progress(self, project: Project) -> bool:
        return self._holds(project, "in_progress")

    def _holds(self, project: Project, status: str) -> bool:
        """Whether a not-completed status can be written: its section or option is mapped
        (todo needs none while nothing is mapped: an unsectioned task reads as todo)."""
        if project.site.status_field is not None:
            return status in project.site.status_options
        if self._section_for(project, status) is not None:
            return True
        return status == "todo" and not self.settings.status_map

    def _section_for(self, project: Project, status: Any) -> str | None:
        if project.site.status_field is not None or status in (None, "done"):
            return None
        for name, mapped in self.settings.status_map.items():
            if mapped == status and name.casefold() in project.sections:
                return project.sections[name.casefold()]
        return None

    async def _tag(self, project: Project, name: str) -> str:
        if not project.tags:
            project.tags = {
                str(t.get("name")): str(t["gid"])
                async for t in self.client.pages(
                    f"/workspaces/{project.workspace}/tags", {"opt_fields": "name"}
                )
            }
        if name not in project.tags:
            made = await self.client.send(
                "POST", "/tags", {"name": name, "workspace": project.workspace}
            )
            project.tags[name] = str(made["gid"])
        return project.tags[name]

    def _users(self, project: Project, values: Values, unwritten: dict[str, str]) -> dict[str, str]:
        email = values.get("assignee")
        if not email:
            return {}
        gid = project.users.get(email)
        if gid is None:
            unwritten["assignee"] = f"no Asana user in the workspace has the email {email}"
            return {}
        return {email: gid}

    async def _link_actions(
        self, project: Project, item: UpdateItem, unwritten: dict[str, str]
    ) -> list[tuple[str, Json]]:
        """Tags, sections, parent, dependencies and milestone of one update, as actions."""
        known = self._known.get(item.external_id)
        now = known.values if known else {}
        gid, changes = item.external_id, item.changes
        out: list[tuple[str, Json]] = []
        if "labels" in changes:
            old, new = set(now.get("labels") or ()), set(changes["labels"] or ())
            for name in sorted(new - old):
                tag = await self._tag(project, name)
                out.append(("labels", _post(f"/tasks/{gid}/addTag", {"tag": tag})))
            for name in sorted(old - new):
                tag = await self._tag(project, name)
                out.append(("labels", _post(f"/tasks/{gid}/removeTag", {"tag": tag})))
        if "status" in changes:
            out.extend(
                ("status", a) for a in self._status_actions(project, gid, changes, unwritten)
            )
        if "parent" in changes:
            parent = changes["parent"]
            data = {"parent": parent.uid if parent else None}
            out.append(("parent", _post(f"/tasks/{gid}/setParent", data)))
        if "depends_on" in changes:
            old_d = {r.uid for r in now.get("depends_on") or ()}
            new_d = {r.uid for r in changes["depends_on"] or ()}
            if new_d - old_d:
                data = {"dependencies": sorted(new_d - old_d)}
                out.append(("depends_on", _post(f"/tasks/{gid}/addDependencies", data)))
            if old_d - new_d:
                data = {"dependencies": sorted(old_d - new_d)}
                out.append(("depends_on", _post(f"/tasks/{gid}/removeDependencies", data)))
        if "milestone" in changes:
            out.extend(("milestone", a) for a in self._milestone_actions(gid, changes["milestone"]))
        return out

    def _status_actions(
        self, project: Project, gid: str, changes: Values, unwritten: dict[str, str]
    ) -> list[Json]:
        section = self._section_for(project, changes["status"])
        if section:
            return [_post(f"/sections/{section}/addTask", {"task": gid})]
        status = changes["status"]
        if status in ("todo", "in_progress") and not self._holds(project, status):
            unwritten["status"] = f"no section or status option is mapped to {status}"
        return []

    def _milestone_actions(self, gid: str, milestone: Ref | None) -> list[Json]:
        out = []
        old = self._milestone_of.get(gid)
        if old and (milestone is None or milestone.uid != old):
            out.append(_post(f"/tasks/{old}/removeDependencies", {"dependencies": [gid]}))
        if milestone is not None and milestone.uid != old:
            out.append(_post(f"/tasks/{milestone.uid}/addDependencies", {"dependencies": [gid]}))
        if milestone is None:
            self._milestone_of.pop(gid, None)
        else:
            self._milestone_of[gid] = milestone.uid
        return out

    async def _final_action(
        self, project: Project, item: UpdateItem, unwritten: dict[str, str]
    ) -> Json:
        changes = dict(item.changes)
        users = self._users(project, changes, unwritten)
        known = self._known.get(item.external_id)
        held_start = (known.values if known else {}).get("start")
        clear_start = False
        if "start" in changes and changes["start"] is not None:
            due = changes.get("due", (known.values if known else {}).get("due"))
            if _start_rule(changes, due, unwritten):
                changes["due"] = due  # Asana wants the due date in the same request
            elif "due" in changes and held_start is not None and (due is None or held_start >= due):
                # The start sent cannot be kept, and the one Asana holds would make it refuse
                # the new due date: it is cleared (the start sent is reported unwritten, and
                # what Asana then holds is what the shadow learns).
                clear_start = True
        elif "due" in changes and "start" not in changes:
            self._due_rule(item.external_id, changes, unwritten)
        data = write_fields(project.site, item.kind, _plain(changes, unwritten), users)
        if clear_start:
            data["start_on"] = None
        path = f"/tasks/{item.external_id}"
        if not data:
            return {"method": "get", "relative_path": path, "options": {"fields": _FIELDS}}
        return {
            "method": "put",
            "relative_path": path,
            "data": data,
            "options": {"fields": _FIELDS},
        }

    def _due_rule(self, gid: str, changes: Values, unwritten: dict[str, str]) -> None:
        """Asana refuses (400) a due date on or before the start date a task holds, and a
        task with a start but no due date: such a due date is left out, and reported, as
        the plan does. (Found by the fault suite: a Trello user moved a due date before the
        start; the Asana update then failed on every run.) `update_many` has read the task."""
        known = self._known.get(gid)
        start = known.values.get("start") if known is not None else None
        due = changes["due"]
        if start is not None and (due is None or start >= due):
            changes.pop("due")
            unwritten["due"] = "Asana refuses a due date on or before the task's start date"

    async def _follow_up(
        self,
        follow: dict[int, tuple[str, Values]],
        outcomes: list[Observed | RecordError],
        unwritten: list[dict[str, str]],
    ) -> None:
        actions = []
        for gid, links in follow.values():
            if links.get("depends_on"):
                deps = sorted(r.uid for r in links["depends_on"])
                actions.append(_post(f"/tasks/{gid}/addDependencies", {"dependencies": deps}))
            if links.get("milestone"):
                actions.extend(self._milestone_actions(gid, links["milestone"]))
        for result in await self._batch(actions):
            if result.get("status_code", 500) >= 400:
                message = _result_error(result)
                for n in follow:
                    unwritten[n].setdefault("depends_on", message)
        fresh = {str(t["gid"]): t for t in await self._read_tasks([g for g, _ in follow.values()])}
        for n, (gid, _) in follow.items():
            if gid in fresh:
                outcomes[n] = self._done(fresh[gid], unwritten[n])

    def _done(self, task: Json, unwritten: dict[str, str]) -> Observed:
        errors: list[RecordError] = []
        read = self._read(task, errors)
        if read is None:
            raise errors[0]
        observed = self._observed(read)
        if unwritten:
            observed = Observed(
                observed.kind,
                observed.external_id,
                observed.values,
                observed.modified_at,
                observed.url,
                observed.marker,
                dict(unwritten),
            )
        return observed

    async def _batch(self, actions: Sequence[Json]) -> list[Json]:
        results: list[Json] = []
        for start in range(0, len(actions), BATCH_LIMIT):
            results.extend(await self.client.batch(actions[start : start + BATCH_LIMIT]))
        return results


_FIELDS = OPT_FIELDS.split(",")
# A task read on its own also names the tasks depending on it, milestones among them (in a
# project listing, the milestones' own dependencies say the same for every task at once).
_ONE_FIELDS = [*_FIELDS, "dependents.resource_subtype"]


def _start_rule(values: Values, due: Any, unwritten: dict[str, str]) -> bool:
    """Asana keeps ``start_on`` only with a later due date (and sent in the same request):
    otherwise the start is left out of the write, and reported.
    https://developers.asana.com/reference/updatetask"""
    start = values.get("start")
    if start is None:
        return False
    if due is None or start >= due:
        values.pop("start")
        unwritten["start"] = "Asana keeps a start date only with a later due date"
        return False
    return True


def _post(path: str, data: Json) -> Json:
    return {"method": "post", "relative_path": path, "data": data}


def _plain(values: Values, unwritten: Mapping[str, str]) -> Values:
    """The fields a task's create/update body carries (the rest have their own endpoints)."""
    skip = {"labels", "parent", "depends_on", "milestone", *unwritten}
    return {k: v for k, v in values.items() if k not in skip}


def _result_task(result: Mapping[str, Any]) -> Json | None:
    body = result.get("body") or {}
    data = body.get("data") if isinstance(body, dict) else None
    ok = 200 <= int(result.get("status_code") or 500) < 300
    return data if ok and isinstance(data, dict) and data.get("gid") else None


def _result_error(result: Mapping[str, Any]) -> str:
    body = result.get("body") or {}
    errors = body.get("errors") if isinstance(body, dict) else None
    messages = [str(e.get("message")) for e in errors or [] if isinstance(e, dict)]
    return f"{result.get('status_code')}: " + ("; ".join(messages) or "Asana refused the action")


def _webhook_info(hook: Mapping[str, Any], project: str) -> WebhookInfo | None:
    """A webhook of ``project`` as `WebhookInfo` (None: malformed, or another resource's)."""
    resource = hook.get("resource")
    scope = str(resource.get("gid") or "") if isinstance(resource, dict) else str(resource or "")
    target = hook.get("target")
    if not hook.get("gid") or not isinstance(target, str) or scope not in ("", project):
        return None
    return WebhookInfo(str(hook["gid"]), target, project, hook.get("active") is not False)


def _refusal(refused: WebhookRefused, url: str, project: str) -> str:
    """Why Asana would not create the webhook, and what to check."""
    if refused.status == 403:
        return (
            f"Asana refused the webhook target {url} for project {project} ({refused}): Asana "
            "delivers only to a public host (not localhost), with a token that sees the project"
        )
    return (
        f"{url} did not complete Asana's X-Hook-Secret handshake, so no webhook was made for "
        f"project {project}: is `syncd run` running and reachable at that public URL "
        f"(service.public_url)? Asana said: {refused}"
    )


def _milestones_of(reads: Sequence[TaskRead]) -> dict[str, str]:
    """task gid -> the one milestone that depends on it (tasks under several are left out)."""
    holders: dict[str, set[str]] = {}
    for read in reads:
        if read.kind == "milestone":
            for task in read.dependencies:
                holders.setdefault(task, set()).add(read.gid)
    return {task: next(iter(m)) for task, m in holders.items() if len(m) == 1}


def capabilities_of(connection: AsanaConnection, member: AsanaMember) -> Capabilities:
    """Tasks (with the configured number fields) and milestones."""
    fields = frozenset(TASK_FIELDS | {n for n in NUMBER_FIELDS if n in member.fields})
    return Capabilities(
        kinds={
            "task": KindCapability(read=fields, write=fields),
            "milestone": KindCapability(read=MILESTONE_FIELDS, write=MILESTONE_FIELDS),
        },
        markers=connection.oauth_app,
    )
