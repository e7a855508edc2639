"""The JSON Jira sends for users, statuses, projects, versions, fields and issues.

Cloud (REST v3) and Data Center (REST v2) differ in users (accountId vs name/key) and a few
keys; everything else is shared. Timestamps are ``2024-01-31T14:05:07.123+0000`` in the site's
default time zone, as Cloud documents: "top-level timestamps (e.g. updated and created) are
returned in ISO 8601 format, in the system default user time zone"
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#timestamps).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from adapters.jira.simulator.model import (
    CATEGORIES,
    FieldDef,
    Flavor,
    Issue,
    IssueType,
    Link,
    LinkType,
    Project,
    Resolution,
    Status,
    Transition,
    User,
    Version,
)
from adapters.jira.simulator.store import Store

Json = dict[str, Any]
ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class FieldSelection:
    """The ``fields`` of a request: ``*all``, ``*navigable``, names, and ``-name`` exclusions."""

    all: bool = False
    navigable: bool = False
    named: frozenset[str] = field(default_factory=frozenset)
    excluded: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, raw: str | Sequence[str] | None, default: str = "") -> FieldSelection:
        """Read a comma-separated string or a list; empty means ``default``."""
        parts = raw.split(",") if isinstance(raw, str) else list(raw or [])
        items = [str(p).strip() for p in parts if str(p).strip()] or [default]
        return cls(
            all="*all" in items,
            navigable="*navigable" in items,
            named=frozenset(i for i in items if i and not i.startswith(("*", "-"))),
            excluded=frozenset(i[1:] for i in items if i.startswith("-")),
        )

    def wants(self, definition: FieldDef) -> bool:
        if definition.id in self.excluded:
            return False
        return self.all or (self.navigable and definition.navigable) or definition.id in self.named

    @property
    def any_field(self) -> bool:
        """Whether any real field is asked (``id`` and ``key`` are not fields)."""
        return self.all or self.navigable or bool(self.named - {"id", "key"})


def format_timestamp(moment: datetime, zone: ZoneInfo) -> str:
    """Jira's timestamp: ``2024-01-31T14:05:07.123+0000``."""
    local = moment.astimezone(zone)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + local.strftime("%z")
    )


def format_user_date(day: date) -> str:
    """A date in Jira's default Day/Month/Year format: ``6/Jul/2010``."""
    return f"{day.day}/{_MONTHS[day.month - 1]}/{day.year}"


def format_duration(seconds: int, hours_per_day: int = 8, days_per_week: int = 5) -> str:
    """Jira's duration text: 9000 -> ``2h 30m`` (a day is 8 hours, a week 5 days)."""
    units = (
        ("w", 3600 * hours_per_day * days_per_week),
        ("d", 3600 * hours_per_day),
        ("h", 3600),
        ("m", 60),
    )
    parts = []
    for unit, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0m"


class Renderer:
    """Renders the store's objects for one request (its base URL and viewer)."""

    def __init__(
        self, store: Store, flavor: Flavor, base: str, viewer: User | None, zone: ZoneInfo
    ) -> None:
        self.store = store
        self.flavor = flavor
        self.base = base.rstrip("/")
        self.viewer = viewer
        self.zone = zone
        self.api = "/rest/api/3" if flavor == "cloud" else "/rest/api/2"

    def url(self, path: str) -> str:
        return f"{self.base}{self.api}{path}"

    def timestamp(self, moment: datetime | None) -> str | None:
        return format_timestamp(moment, self.zone) if moment is not None else None

    # --- people and configuration ---------------------------------------------------------------

    def avatars(self, kind: str, owner: str) -> dict[str, str]:
        sizes = {"48x48": "large", "24x24": "small", "16x16": "xsmall", "32x32": "medium"}
        return {
            size: f"{self.base}/secure/{kind}avatar?size={name}&owner={quote(owner)}"
            for size, name in sizes.items()
        }

    def user(self, user: User | None) -> Json | None:
        if user is None:
            return None
        if self.flavor == "dc":
            return self._dc_user(user)
        body: Json = {
            "self": self.url(f"/user?accountId={user.account_id}"),
            "accountId": user.account_id,
            "accountType": "atlassian",
            "avatarUrls": self.avatars("user", user.account_id),
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
            "locale": user.locale,
        }
        # Cloud applies the user's profile visibility: a hidden email is left out.
        # https://developer.atlassian.com/cloud/jira/platform/profile-visibility/
        if user.email_visible or (self.viewer and self.viewer.account_id == user.account_id):
            body["emailAddress"] = user.email
        return body

    def _dc_user(self, user: User) -> Json:
        return {
            "self": self.url(f"/user?username={quote(user.name)}"),
            "key": user.key,
            "name": user.name,
            "emailAddress": user.email,
            "avatarUrls": self.avatars("user", user.name),
            "displayName": user.display_name,
            "active": user.active,
            "deleted": False,
            "timeZone": user.time_zone,
            "locale": user.locale,
        }

    def category(self, status: Status) -> Json:
        number, name, colour = CATEGORIES[status.category]
        return {
            "self": self.url(f"/statuscategory/{number}"),
            "id": number,
            "key": status.category,
            "colorName": colour,
            "name": name,
        }

    def status(self, status: Status) -> Json:
        return {
            "self": self.url(f"/status/{status.id}"),
            "description": status.description,
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": self.category(status),
        }

    def issue_type(self, issue_type: IssueType) -> Json:
        body: Json = {
            "self": self.url(f"/issuetype/{issue_type.id}"),
            "id": issue_type.id,
            "description": issue_type.description,
            "iconUrl": f"{self.base}/images/icons/issuetypes/{issue_type.name.lower()}.svg",
            "name": issue_type.name,
            "subtask": issue_type.subtask,
            "avatarId": 10300 + int(issue_type.id) % 100,
        }
        if self.flavor == "cloud":
            body["hierarchyLevel"] = issue_type.hierarchy_level
        return body

    def resolution(self, resolution: Resolution | None) -> Json | None:
        if resolution is None:
            return None
        return {
            "self": self.url(f"/resolution/{resolution.id}"),
            "id": resolution.id,
            "description": resolution.description,
            "name": resolution.name,
        }

    def project_ref(self, project: Project) -> Json:
        body: Json = {
            "self": self.url(f"/project/{project.id}"),
            "id": str(project.id),
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "avatarUrls": self.avatars("project", project.key),
        }
        if self.flavor == "cloud":
            body["simplified"] = False
        return body

    def project(self, project: Project) -> Json:
        body = self.project_ref(project)
        body.update(
            {
                "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
                "description": project.description,
                "lead": self.user(self.store.user(project.lead)),
                "components": [],
                "issueTypes": [self.issue_type(t) for t in self.store.project_issue_types(project)],
                "assigneeType": "UNASSIGNED",
                "versions": [self.version(v) for v in self.store.project_versions(project)],
                "roles": {},
            }
        )
        if self.flavor == "cloud":
            body.update({"style": "classic", "isPrivate": False, "properties": {}})
        else:
            body["archived"] = False
        return body

    def version(self, version: Version) -> Json:
        body: Json = {
            "self": self.url(f"/version/{version.id}"),
            "id": str(version.id),
            "name": version.name,
            "archived": version.archived,
            "released": version.released,
            "projectId": version.project_id,
        }
        if version.description is not None:
            body["description"] = version.description
        if version.start_date is not None:
            body["startDate"] = version.start_date.isoformat()
            body["userStartDate"] = format_user_date(version.start_date)
        if version.release_date is not None:
            body["releaseDate"] = version.release_date.isoformat()
            body["userReleaseDate"] = format_user_date(version.release_date)
            today = self.store.now().astimezone(self.zone).date()
            body["overdue"] = not version.released and version.release_date < today
        return body

    def link_type(self, link_type: LinkType) -> Json:
        return {
            "id": link_type.id,
            "name": link_type.name,
            "inward": link_type.inward,
            "outward": link_type.outward,
            "self": self.url(f"/issueLinkType/{link_type.id}"),
        }

    def field_schema(self, definition: FieldDef) -> Json | None:
        if definition.schema_type is None:
            return None
        schema: Json = {"type": definition.schema_type}
        if definition.items:
            schema["items"] = definition.items
        if definition.custom:
            schema["custom"] = definition.custom_type
            schema["customId"] = int(definition.id.removeprefix("customfield_"))
        else:
            schema["system"] = definition.id
        return schema

    def field(self, definition: FieldDef) -> Json:
        clauses = [definition.id]
        if definition.custom:
            clauses = [f"cf[{definition.id.removeprefix('customfield_')}]", definition.name]
        body: Json = {
            "id": definition.id,
            "name": definition.name,
            "custom": definition.custom,
            "orderable": definition.orderable,
            "navigable": definition.navigable,
            "searchable": definition.searchable,
            "clauseNames": clauses,
        }
        if self.flavor == "cloud":
            body["key"] = definition.id
        schema = self.field_schema(definition)
        if schema is not None:
            body["schema"] = schema
        return body

    # --- transitions ----------------------------------------------------------------------------

    def transition(self, transition: Transition, *, with_fields: bool) -> Json:
        body: Json = {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(self.store.status(transition.to)),
        }
        if self.flavor == "cloud":
            body.update(
                {
                    "hasScreen": transition.resolution != "none",
                    "isGlobal": transition.sources is None,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "isLooped": False,
                }
            )
        if with_fields:
            body["fields"] = self._transition_fields(transition)
        return body

    def _transition_fields(self, transition: Transition) -> Json:
        if transition.resolution == "none":
            return {}
        meta: Json = {
            "required": transition.resolution == "required",
            "schema": {"type": "resolution", "system": "resolution"},
            "name": "Resolution",
            "operations": ["set"],
            "allowedValues": [self.resolution(r) for r in self.store.state.resolutions.values()],
        }
        meta["key" if self.flavor == "cloud" else "fieldId"] = "resolution"
        return {"resolution": meta}

    # --- issues ---------------------------------------------------------------------------------

    def issue_ref(self, issue: Issue) -> Json:
        """The short form of an issue inside another (parent, sub-tasks, links)."""
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": self.url(f"/issue/{issue.id}"),
            "fields": {
                "summary": issue.values.get("summary", ""),
                "status": self.status(self.store.status(issue.status_id)),
                "issuetype": self.issue_type(self.store.issue_type(issue.type_id)),
            },
        }

    def issue(
        self,
        issue: Issue,
        selection: FieldSelection,
        properties: Iterable[str] = (),
        expand: Iterable[str] = (),
        *,
        bare: bool = False,
    ) -> Json:
        """An issue with the selected fields and properties.

        ``bare``: Cloud's ``/search/jql`` without fields answers ids only.
        """
        wanted_props = [p for p in properties if p]
        if bare and not selection.any_field:
            body: Json = {"id": str(issue.id)}
            if "key" in selection.named:
                body["key"] = issue.key
        else:
            body = {"expand": ISSUE_EXPAND, "id": str(issue.id)}
            body.update({"self": self.url(f"/issue/{issue.id}"), "key": issue.key})
            if selection.any_field:
                body["fields"] = self.issue_fields(issue, selection)
        if wanted_props:
            body["properties"] = {
                k: issue.properties[k] for k in wanted_props if k in issue.properties
            }
        self._expand(body, issue, selection, set(expand))
        return body

    def _expand(
        self, body: Json, issue: Issue, selection: FieldSelection, expand: set[str]
    ) -> None:
        shown = [f for f in self.store.state.fields.values() if selection.wants(f)]
        if "names" in expand:
            body["names"] = {f.id: f.name for f in shown}
        if "schema" in expand:
            schemas = {f.id: self.field_schema(f) for f in shown}
            body["schema"] = {k: v for k, v in schemas.items() if v is not None}
        if "transitions" in expand:
            workflow = self.store.project_of(issue).workflow
            available = [
                t for t in workflow.transitions if t.sources is None or issue.status_id in t.sources
            ]
            body["transitions"] = [self.transition(t, with_fields=False) for t in available]

    def issue_fields(self, issue: Issue, selection: FieldSelection) -> Json:
        fields: Json = {}
        for definition in self.store.state.fields.values():
            if not selection.wants(definition):
                continue
            if definition.id == "parent" and issue.parent_id is None:
                continue  # Jira leaves "parent" out of an issue that has none
            fields[definition.id] = self.field_value(issue, definition.id)
        return fields

    def field_value(self, issue: Issue, field_id: str) -> Any:
        """The JSON value of one field of an issue."""
        system = _SYSTEM_VALUES.get(field_id)
        if system is not None:
            return system(self, issue)
        return issue.values.get(field_id)

    def timetracking(self, issue: Issue) -> Json:
        seconds = issue.original_estimate
        if seconds is None:
            return {}
        text = format_duration(seconds)
        return {
            "originalEstimate": text,
            "remainingEstimate": text,
            "originalEstimateSeconds": seconds,
            "remainingEstimateSeconds": seconds,
        }

    def links_of(self, issue: Issue) -> list[Json]:
        return [self.link(link, issue.id) for link in self.store.links_of(issue.id)]

    def link(self, link: Link, viewed_from: int | None = None) -> Json:
        """A link as an issue's ``issuelinks`` shows it, or (``viewed_from`` None) as
        ``GET /issueLink/{id}`` does, with both sides."""
        body: Json = {
            "id": str(link.id),
            "self": self.url(f"/issueLink/{link.id}"),
            "type": self.link_type(self.store.state.link_types[link.type_id]),
        }
        inward = self.issue_ref(self.store.state.issues[link.inward_id])
        outward = self.issue_ref(self.store.state.issues[link.outward_id])
        if viewed_from is None:
            body.update({"inwardIssue": inward, "outwardIssue": outward})
        # Seen from the outward issue, the other one is under outwardIssue ("this blocks X");
        # seen from the inward issue, under inwardIssue ("this is blocked by X").
        # https://developer.atlassian.com/cloud/jira/platform/issue-linking-model/
        elif viewed_from == link.outward_id:
            body["outwardIssue"] = inward
        else:
            body["inwardIssue"] = outward
        return body

    def subtasks_of(self, issue: Issue) -> list[Json]:
        children = self.store.children(issue.id)
        return [self.issue_ref(c) for c in children if self.store.issue_type(c.type_id).subtask]

    def parent_of(self, issue: Issue) -> Json | None:
        parent = self.store.issue(issue.parent_id)
        return self.issue_ref(parent) if parent is not None else None


def _status_value(r: Renderer, i: Issue) -> Json:
    return r.status(r.store.status(i.status_id))


_SYSTEM_VALUES: dict[str, Any] = {
    "issuetype": lambda r, i: r.issue_type(r.store.issue_type(i.type_id)),
    "project": lambda r, i: r.project_ref(r.store.project_of(i)),
    "status": _status_value,
    "statuscategorychangedate": lambda r, i: r.timestamp(i.status_changed),
    "resolution": lambda r, i: r.resolution(r.store.resolution(i.resolution_id)),
    "resolutiondate": lambda r, i: r.timestamp(i.resolution_date),
    "assignee": lambda r, i: r.user(r.store.user(i.assignee)),
    "reporter": lambda r, i: r.user(r.store.user(i.reporter)),
    "creator": lambda r, i: r.user(r.store.user(i.creator)),
    "labels": lambda r, i: list(i.labels),
    "fixVersions": lambda r, i: [
        r.version(v) for v in (r.store.version(x) for x in i.fix_version_ids) if v
    ],
    "parent": lambda r, i: r.parent_of(i),
    "subtasks": lambda r, i: r.subtasks_of(i),
    "issuelinks": lambda r, i: r.links_of(i),
    "timetracking": lambda r, i: r.timetracking(i),
    "timeoriginalestimate": lambda r, i: i.original_estimate,
    "timeestimate": lambda r, i: i.original_estimate,
    "created": lambda r, i: r.timestamp(i.created),
    "updated": lambda r, i: r.timestamp(i.updated),
}
