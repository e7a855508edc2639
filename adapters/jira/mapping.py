"""Jira payloads <-> canonical values: pure functions, no I/O.

`Site` holds what the mapping needs to know about one Jira project (resolved once by the
adapter): the deployment, the custom-field ids, the status names, the link type, the people.

Jira quirks handled here, each where it bites:

- Descriptions are Atlassian Document Format on Cloud and wiki markup on Data Center
  (`adapters.jira.adf`, `adapters.jira.wiki`); "no description" is null, not "".
- Status is read through ``statusCategory`` (``new`` / ``indeterminate`` / ``done``) unless the
  member's ``status_map`` names the status; it is written by transitions (see the adapter).
- Users are accountIds on Cloud (whose email is often hidden by the user's privacy settings)
  and usernames on Data Center; the config's ``people`` map comes first.
- ``timeoriginalestimate`` is in seconds; estimates are written through ``timetracking`` in
  minutes, because "1d" or "1w" depend on the site's working hours per day.
- Labels cannot contain spaces: a space is written as ``_`` (the engine then adopts the label
  Jira stored, and logs the alteration).
- Number custom fields are doubles: amounts travel as JSON numbers.
- A task's milestone is its one fixVersion; an issue with several fixVersions has no canonical
  milestone, and the field is left out (no opinion) rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from adapters.jira.adf import adf_to_markdown, markdown_to_adf
from adapters.jira.wiki import markdown_to_wiki, wiki_to_markdown
from syncd.errors import PayloadError
from syncd.model import Kind, Ref, TaskStatus, Values, normalise, normalise_text

VERSION_PREFIX = "version/"
_CATEGORY_STATUS: dict[str, TaskStatus] = {
    "new": "todo",
    "indeterminate": "in_progress",
    "done": "done",
}
_SPACES = re.compile(r"\s+")
COST_FIELDS = ("planned_cost", "actual_cost")


@dataclass(frozen=True)
class Site:
    """What the mapping knows of one Jira project."""

    cloud: bool
    custom: Mapping[str, str] = field(default_factory=dict)  # canonical field -> Jira field id
    status_map: Mapping[str, TaskStatus] = field(default_factory=dict)  # casefolded name ->
    link_type: str = "Blocks"
    milestone_type: str | None = None  # issue type holding milestones; None: versions
    user_email: Mapping[str, str] = field(default_factory=dict)  # Jira user id -> email

    def user_id(self, user: Mapping[str, Any]) -> str | None:
        """The id Jira writes a user by: accountId (Cloud) or name (Data Center)."""
        value = user.get("accountId") if self.cloud else user.get("name") or user.get("key")
        return str(value) if value else None

    def user_ref(self, user_id: str) -> dict[str, str]:
        """A user as a write payload names one."""
        return {"accountId": user_id} if self.cloud else {"name": user_id}

    def task_fields(self) -> list[str]:
        """The Jira fields a task read asks for."""
        names = [
            "summary",
            "description",
            "status",
            "resolution",
            "assignee",
            "duedate",
            "labels",
            "parent",
            "issuelinks",
            "fixVersions",
            "timeoriginalestimate",
            "issuetype",
            "updated",
        ]
        return names + sorted(set(self.custom.values()))


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueRead:
    """One issue in canonical form, with what the adapter needs besides the values."""

    kind: Kind
    external_id: str
    key: str
    values: Values
    modified_at: dt.datetime | None
    marker: str | None
    unknown_user: str | None = None  # a Jira user with no known email (assignee left out)


def read_issue(site: Site, issue: Mapping[str, Any]) -> IssueRead:
    """Map a Jira issue to canonical values.

    Raises:
        PayloadError: the issue is malformed (no id or fields, a field of the wrong type).
    """
    issue_id, key = _id(issue.get("id")), str(issue.get("key") or "")
    fields = issue.get("fields")
    if not issue_id or not isinstance(fields, dict):
        # The id, when there is one, travels with the error: the planner then knows the issue
        # is still there (a failed read is never taken as a deletion).
        raise PayloadError(
            f"issue {key or issue_id or '?'}: no id or no fields", external_id=issue_id or None
        )
    try:
        kind, values, unknown = _read_fields(site, fields)
        values = normalise(kind, values)
    except (TypeError, ValueError, KeyError, AttributeError, InvalidOperation) as exc:
        raise PayloadError(f"issue {key}: {exc}", external_id=issue_id) from exc
    return IssueRead(
        kind,
        issue_id,
        key,
        values,
        parse_time(fields.get("updated")),
        read_marker(issue),
        unknown,
    )


def _read_fields(site: Site, fields: Mapping[str, Any]) -> tuple[Kind, Values, str | None]:
    issue_type = (fields.get("issuetype") or {}).get("name")
    values: Values = {
        "title": _summary(fields.get("summary")),
        "description": read_description(site, fields.get("description")),
        "due": parse_day(fields.get("duedate"), epoch_ms=False),
    }
    if site.milestone_type is not None and issue_type == site.milestone_type:
        values["status"] = "done" if read_status(site, fields) == "done" else "todo"
        return "milestone", values, None
    values["status"] = read_status(site, fields)
    values["labels"] = frozenset(str(label) for label in _list(fields.get("labels"), "labels"))
    values["estimate_hours"] = read_hours(fields.get("timeoriginalestimate"))
    values["parent"] = _ref((fields.get("parent") or {}).get("id"))
    values["depends_on"] = read_blockers(site, fields.get("issuelinks") or ())
    if site.milestone_type is None:
        versions = fields.get("fixVersions") or []
        if len(versions) <= 1:
            values["milestone"] = _ref(versions[0]["id"], VERSION_PREFIX) if versions else None
    _read_custom(site, fields, values)
    unknown = _read_assignee(site, fields.get("assignee"), values)
    return "task", values, unknown


def _read_custom(site: Site, fields: Mapping[str, Any], values: Values) -> None:
    for name, field_id in site.custom.items():
        raw = fields.get(field_id)
        if name == "start":
            values["start"] = parse_day(raw, epoch_ms=False)
        elif name in COST_FIELDS:
            values[name] = read_amount(raw)


def _read_assignee(site: Site, user: Any, values: Values) -> str | None:
    """Set ``assignee``; return the id of a user whose email is unknown (field left out)."""
    if user is None:
        values["assignee"] = None
        return None
    user_id = site.user_id(user)
    email = site.user_email.get(user_id or "") or user.get("emailAddress")
    if email:
        values["assignee"] = str(email).strip().lower()
        return None
    return user_id or "?"


def read_description(site: Site, raw: Any) -> str:
    """A description in canonical Markdown (ADF on Cloud, wiki markup on Data Center)."""
    if raw is None:
        return ""
    if isinstance(raw, dict):
        if raw.get("type") == "doc" and not isinstance(raw.get("content"), list):
            # A document without its content list would read as "" and clear the description
            # everywhere; only the nodes inside a document are skipped when malformed (adf.py).
            raise ValueError("description is an ADF document without content")
        return str(adf_to_markdown(raw))
    if isinstance(raw, str):
        return wiki_to_markdown(raw) if not site.cloud else normalise_text(raw)
    raise ValueError(f"description is a {type(raw).__name__}")


def read_status(site: Site, fields: Mapping[str, Any]) -> TaskStatus:
    """The canonical status: the member's status_map first, then the status category."""
    status = fields.get("status") or {}
    name = str(status.get("name") or "")
    mapped = site.status_map.get(name.casefold())
    if mapped is not None:
        return mapped
    category = str((status.get("statusCategory") or {}).get("key") or "")
    return _CATEGORY_STATUS.get(category, "todo")


def read_blockers(site: Site, links: Any) -> frozenset[Ref]:
    """The issues blocking this one: links of the configured type naming an ``inwardIssue``.

    Seen from issue A, ``{"type": {"name": "Blocks"}, "inwardIssue": {"id": B}}`` reads
    "A is blocked by B". https://developer.atlassian.com/cloud/jira/platform/issue-linking-model/
    """
    found = set()
    for link in links:
        if (link.get("type") or {}).get("name") != site.link_type:
            continue
        other = link.get("inwardIssue")
        if isinstance(other, dict) and other.get("id"):
            found.add(Ref(uid=str(other["id"])))
    return frozenset(found)


def blocker_links(site: Site, links: Any) -> dict[str, str]:
    """The blocking issue id -> the id of the link that says so (to delete it)."""
    found = {}
    for link in links or ():
        if (link.get("type") or {}).get("name") != site.link_type:
            continue
        other = link.get("inwardIssue")
        if isinstance(other, dict) and other.get("id") and link.get("id"):
            found[str(other["id"])] = str(link["id"])
    return found


def read_version(version: Mapping[str, Any]) -> tuple[str, Values]:
    """A project version as a milestone: ``(external id, values)``.

    ``releaseDate`` is a day ("2010-07-06"); Cloud's examples show epoch milliseconds, which
    the schema does not allow, but old sites send them, so both are read.
    """
    version_id = version.get("id")
    if not version_id:
        raise PayloadError("version without id")
    try:
        values: Values = {
            "title": str(version.get("name") or "").strip(),
            "description": normalise_text(str(version.get("description") or "")),
            "due": parse_day(version.get("releaseDate")),
            "status": "done" if version.get("released") else "todo",
        }
        values = normalise("milestone", values)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"version {version_id}: {exc}", external_id=str(version_id)) from exc
    return VERSION_PREFIX + str(version_id), values


def read_marker(issue: Mapping[str, Any]) -> str | None:
    """syncd's uid from the issue's ``syncd`` entity property, if any."""
    props = issue.get("properties")
    value = props.get("syncd") if isinstance(props, dict) else None
    uid = value.get("uid") if isinstance(value, dict) else None
    return str(uid) if uid else None


# --- writing ------------------------------------------------------------------------------------


def write_fields(site: Site, changes: Values, users: Mapping[str, str]) -> dict[str, Any]:
    """The ``fields`` of a create or edit for the canonical ``changes`` of a task.

    ``status`` and ``depends_on`` are not fields (transitions and links do them); an assignee
    must be in ``users`` (email -> Jira user id): the adapter resolves them first.
    """
    out: dict[str, Any] = {}
    for name, value in changes.items():
        writer = _WRITERS.get(name)
        if writer is not None:
            out.update(writer(site, value, users))
        elif name in site.custom:
            out[site.custom[name]] = _custom_value(name, value)
    return out


def write_description(site: Site, text: str) -> Any:
    """A canonical description as Jira stores it."""
    if site.cloud:
        return markdown_to_adf(text)
    return markdown_to_wiki(text) if text else None


def write_version(values: Values) -> dict[str, Any]:
    """The body of a version create/edit for milestone values."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "title":
            out["name"] = value
        elif name == "description":
            out["description"] = value
        elif name == "due":
            out["releaseDate"] = value.isoformat() if value else None
        elif name == "status":
            out["released"] = value == "done"
    return out


def jira_label(label: str) -> str:
    """A label as Jira accepts it: no white space."""
    return _SPACES.sub("_", label.strip())


def _custom_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "start":
        return value.isoformat()
    return _number(value)


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _title(site: Site, value: Any, users: Mapping[str, str]) -> dict[str, Any]:
    return {"summary": value}


def _description(site: Site, value: Any, users: Mapping[str, str]) -> dict[str, Any]:
    return {"description": write_description(site, value)}


def _due(site: Site, value: Any, users: Mapping[str, str]) -> dict[str, Any]:
    return {"duedate": value.isoformat() if value else None}


def _assignee(site: Site, value: Any, users: Mapping[str, str]) -> dict[str, Any]:
    return {"assignee": site.user_ref(users[value]) if value else None}


def _labels(site: Site, value: Any, users: Mapping[str, str]) -> dict[str, Any]:
    return {"labels": sorted({jira_label(label) for label in value})}


def _estimate(site: Site, value: Any, users: Mapping[str, str]) -> dict[str, Any]:
    # Minutes, never "d"/"w": those depend on the site's working hours per day and week.
    # https://support.atlassian.com/jira-cloud-administration/docs/configure-time-tracking/
    if value is None:
        return {"timetracking": {}}
    minutes = int((Decimal(str(value)) * 60).quantize(Decimal(1), ROUND_HALF_UP))
    return {"timetracking": {"originalEstimate": f"{minutes}m"}}


def _parent(site: Site, value: Any, users: Mapping[str, str]) -> dict[str, Any]:
    return {"parent": {"id": value.uid} if value else None}


def _milestone(site: Site, value: Any, users: Mapping[str, str]) -> dict[str, Any]:
    if value is None:
        return {"fixVersions": []}
    return {"fixVersions": [{"id": value.uid.removeprefix(VERSION_PREFIX)}]}


_WRITERS = {
    "title": _title,
    "description": _description,
    "due": _due,
    "assignee": _assignee,
    "labels": _labels,
    "estimate_hours": _estimate,
    "parent": _parent,
    "milestone": _milestone,
}


# --- values -------------------------------------------------------------------------------------


def parse_day(raw: Any, *, epoch_ms: bool = True) -> dt.date | None:
    """A Jira date ("2024-01-31"), or epoch milliseconds in old version payloads.

    ``epoch_ms=False`` for issue fields: their dates are always strings, and a number there
    (20260131) would otherwise read as a day of January 1970.
    """
    if raw is None or raw == "":
        return None
    if epoch_ms and isinstance(raw, int | float) and not isinstance(raw, bool):
        return dt.datetime.fromtimestamp(raw / 1000, dt.UTC).date()
    if isinstance(raw, str):
        return dt.date.fromisoformat(raw[:10])
    raise ValueError(f"not a date: {raw!r}")


def parse_time(raw: Any) -> dt.datetime | None:
    """Jira's timestamp ("2024-01-31T14:05:07.123+0000") as an aware UTC datetime."""
    if not isinstance(raw, str) or not raw:
        return None
    text = raw.strip()
    if re.search(r"[+-]\d{4}$", text):  # Jira writes +0000, which fromisoformat reads on 3.11+
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def read_hours(raw: Any) -> float | None:
    """``timeoriginalestimate`` (seconds) in hours."""
    if raw is None:
        return None
    return round(float(raw) / 3600, 6)


def read_amount(raw: Any) -> Decimal | None:
    """A number custom field as an amount (its shortest decimal form)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValueError("an amount cannot be a boolean")
    return Decimal(repr(raw) if isinstance(raw, float) else str(raw))


def _id(raw: Any) -> str:
    """An issue id as text; "" when it is missing or not an id (a list, an object, a bool),
    which ``str()`` would otherwise turn into a new, made-up id."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return ""
    return str(raw)


def _summary(raw: Any) -> str:
    """The title. Every issue has a summary (Jira requires one): a missing, null or non-text
    summary is a malformed issue, not an empty title to propagate (nor ``"['a']"``)."""
    if not isinstance(raw, str):
        raise ValueError(f"summary is {type(raw).__name__}, not text")
    return raw.strip()


def _list(raw: Any, name: str) -> list[Any]:
    """A JSON array field (null: empty); a string is not iterated letter by letter."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError(f"{name} is {type(raw).__name__}, not a list")
    return raw


def _ref(value: Any, prefix: str = "") -> Ref | None:
    return Ref(uid=prefix + str(value)) if value else None
