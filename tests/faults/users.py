"""People working in each tool of ``syncd demo``, for the fault-injection tests.

Each user acts as a person does: through the tool's own REST API over real HTTP (the Jira,
Asana and Trello stand-ins), or by editing the plan file the way Microsoft Project saves it.
Nothing goes through syncd's adapters, so a test sees syncd's work from the outside.

- ``tasks()`` lists every live task-kind record as the person sees it: no milestones, nothing
  archived, closed or trashed. It is a list, so a duplicate shows twice.
- ``create``, ``set_due``, ``set_status`` and ``delete`` are one ordinary edit each. Every
  record except a new one is found by its title.

A title that names no record, or names two, raises LookupError (callers keep titles unique).
Deleting a record that has subtasks deletes them too, as each tool does: Jira's delete dialog,
Asana's trash and Project's summary rows all take the subtree with them.

Statuses are canonical (todo, in_progress, done), read through the member's config: Jira's
``status_map`` then the status category, Asana's ``completed`` then the section's
``status_map``, Trello's list in ``status_map``, the plan's % complete. A section or list that
the config does not map reads as None (where syncd's adapters read todo, or Trello's
``dueComplete``).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import httpx
from lxml import etree

from adapters.base import DemoSite
from adapters.msproject import worktime, xmldoc
from syncd.demo import TIMEZONE

STATUSES = ("todo", "in_progress", "done")
TIMEOUT = 30.0
Json = dict[str, Any]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Seen:
    """One task as a person sees it in their tool."""

    title: str
    due: dt.date | None
    status: str | None  # canonical, through the member's config (None: not mapped)


class User(Protocol):
    """A person working in one tool: what they see, and the edits they make."""

    member: str  # the member name ("plan", "jira", "asana", "trello")
    statuses: tuple[str, ...]  # the canonical statuses a person can set in this tool

    async def tasks(self) -> list[Seen]: ...
    async def create(self, title: str, due: dt.date | None = None) -> None: ...
    async def set_due(self, title: str, due: dt.date) -> None: ...
    async def set_status(self, title: str, status: str) -> None: ...
    async def delete(self, title: str) -> None: ...


def users(sites: Mapping[str, DemoSite], *, timezone: str = TIMEZONE) -> dict[str, User]:
    """A user for each site, keyed like ``sites``.

    Args:
        timezone: the group's time zone, in which Trello and Asana due instants fall on a day
            (``syncd demo``'s by default).

    Raises:
        ValueError: a site of a tool (or a configuration) these users do not work with.
    """
    made: dict[str, User] = {}
    for name, site in sites.items():
        kind = site.connection["type"]
        if kind == "msproject":
            made[name] = PlanUser(name, site)
        elif kind == "jira":
            made[name] = JiraUser(name, site)
        elif kind == "asana":
            made[name] = AsanaUser(name, site, ZoneInfo(timezone))
        elif kind == "trello":
            made[name] = TrelloUser(name, site, timezone)
        else:
            raise ValueError(f"no simulated user works in {kind!r} ({name})")
    return made


def _only(found: Sequence[_T], title: str, where: str) -> _T:
    if not found:
        raise LookupError(f"no task titled {title!r} in {where}")
    if len(found) > 1:
        raise LookupError(f"{len(found)} tasks titled {title!r} in {where}: which one?")
    return found[0]


def _ordered(statuses: Iterable[str]) -> tuple[str, ...]:
    present = set(statuses)
    return tuple(s for s in STATUSES if s in present)


def _casefolded(status_map: Mapping[str, str]) -> dict[str, str]:
    return {name.casefold(): status for name, status in status_map.items()}


def _day(raw: str | None) -> dt.date | None:
    return dt.date.fromisoformat(raw[:10]) if raw else None


def _instant(raw: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


# --- Jira ----------------------------------------------------------------------------------------

JIRA_FIELDS = ["summary", "status", "duedate", "issuetype"]
CATEGORIES = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
RECONCILE_LIMIT = 50  # issues /search/jql reads fresh per request
MAX_HOPS = 3


class JiraUser:
    """An engineer in one Jira Cloud project, through REST v3."""

    statuses: tuple[str, ...] = STATUSES

    def __init__(self, member: str, site: DemoSite) -> None:
        connection, settings = site.connection, site.member
        if connection.get("deployment") != "cloud":
            raise ValueError(f"{member}: the Jira user works on Jira Cloud sites only")
        self.member = member
        self._api = connection["base_url"].rstrip("/") + "/rest/api/3"
        login = f"{connection['email']}:{connection['token']}".encode()
        self._auth = "Basic " + base64.b64encode(login).decode()
        self._project = str(settings["project"])
        self._jql = f"project = {self._project}"
        if settings.get("jql"):
            self._jql += f" AND ({settings['jql']})"
        self._issue_type = str(settings.get("issue_type", "Task"))
        kind, _, name = str(settings.get("milestones", "versions")).partition(":")
        self._milestone_type = name if kind == "issue_type" else None
        self._status_map = _casefolded(settings.get("status_map", {}))
        # Cloud's search index lags behind writes; the issues this person just wrote are asked
        # for fresh ("reconcileIssues"), as the person sees their own edits at once.
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-post
        self._recent: deque[int] = deque(maxlen=RECONCILE_LIMIT)

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": self._auth}
        return httpx.AsyncClient(base_url=self._api, headers=headers, timeout=TIMEOUT)

    async def tasks(self) -> list[Seen]:
        async with self._client() as client:
            return [self._seen(issue) for issue in await self._issues(client)]

    async def create(self, title: str, due: dt.date | None = None) -> None:
        fields: Json = {
            "project": {"key": self._project},
            "issuetype": {"name": self._issue_type},
            "summary": title,
        }
        if due is not None:
            fields["duedate"] = due.isoformat()
        async with self._client() as client:
            answer = await client.post("/issue", json={"fields": fields})
            self._recent.append(int(answer.raise_for_status().json()["id"]))

    async def set_due(self, title: str, due: dt.date) -> None:
        async with self._client() as client:
            issue = await self._find(client, title)
            body = {"fields": {"duedate": due.isoformat()}}
            (await client.put(f"/issue/{issue['id']}", json=body)).raise_for_status()

    async def set_status(self, title: str, status: str) -> None:
        """Take workflow transitions (the only way a status changes in Jira) until the issue's
        status maps to ``status``: straight there when the workflow allows, else through the
        nearest status (To Do -> In Progress -> Done)."""
        async with self._client() as client:
            issue = await self._find(client, title)
            path = f"/issue/{issue['id']}/transitions"
            current: Json = issue["fields"]["status"]
            visited = {str(current["id"])}
            for _ in range(MAX_HOPS):
                if self._status(current) == status:
                    return
                offered = (await client.get(path)).raise_for_status().json()["transitions"]
                fresh = [t for t in offered if str(t["to"]["id"]) not in visited]
                if not fresh:
                    break
                chosen = min(fresh, key=lambda t: _distance(self._status(t["to"]), status))
                move = {"transition": {"id": chosen["id"]}}
                (await client.post(path, json=move)).raise_for_status()
                current = chosen["to"]
                visited.add(str(current["id"]))
            if self._status(current) != status:
                raise ValueError(f"{issue['key']}: no transitions lead to a {status} status")

    async def delete(self, title: str) -> None:
        async with self._client() as client:
            issue = await self._find(client, title)
            # Jira refuses (400) to delete an issue that has sub-tasks unless told to delete
            # them too, which is what its delete dialog does.
            params = {"deleteSubtasks": "true"}
            (await client.delete(f"/issue/{issue['id']}", params=params)).raise_for_status()

    async def _issues(self, client: httpx.AsyncClient) -> list[Json]:
        """Every issue of the project that is a task (pages of opaque ``nextPageToken``s)."""
        body: Json = {"jql": self._jql, "fields": JIRA_FIELDS, "maxResults": 100}
        body["reconcileIssues"] = list(self._recent)
        found: list[Json] = []
        while True:
            page = (await client.post("/search/jql", json=body)).raise_for_status().json()
            found += page["issues"]
            if page.get("isLast", True) or not page.get("nextPageToken"):
                break
            body["nextPageToken"] = page["nextPageToken"]
        return [i for i in found if i["fields"]["issuetype"]["name"] != self._milestone_type]

    async def _find(self, client: httpx.AsyncClient, title: str) -> Json:
        issues = await self._issues(client)
        named = [i for i in issues if (i["fields"]["summary"] or "").strip() == title]
        issue = _only(named, title, f"Jira project {self._project}")
        self._recent.append(int(issue["id"]))
        return issue

    def _seen(self, issue: Json) -> Seen:
        fields = issue["fields"]
        summary, due = (fields["summary"] or "").strip(), _day(fields.get("duedate"))
        return Seen(summary, due, self._status(fields["status"]))

    def _status(self, status: Json) -> str | None:
        """The canonical status of a Jira status: the member's status_map by name, else the
        status category."""
        mapped = self._status_map.get(str(status.get("name", "")).casefold())
        return mapped or CATEGORIES.get((status.get("statusCategory") or {}).get("key", ""))


def _distance(status: str | None, wanted: str) -> int:
    if status is None:
        return len(STATUSES)
    return abs(STATUSES.index(status) - STATUSES.index(wanted))


# --- Asana ---------------------------------------------------------------------------------------

ASANA_FIELDS = (
    "name,completed,due_on,due_at,start_on,resource_subtype,num_subtasks,"
    "memberships.project,memberships.section.name"
)


class AsanaUser:
    """A business-team member in one Asana project; status is the task's section, and done
    is also ``completed`` (what syncd's Asana adapter reads first)."""

    def __init__(self, member: str, site: DemoSite, zone: dt.tzinfo) -> None:
        connection, settings = site.connection, site.member
        if "status" in settings.get("fields", {}):
            raise ValueError(f"{member}: the Asana user moves sections, not a status field")
        self.member = member
        self._url = connection["base_url"].rstrip("/")
        self._auth = f"Bearer {connection['token']}"
        self._project = str(settings["project"])
        self._status_map = _casefolded(settings.get("status_map", {}))
        self.statuses = _ordered(["done", *self._status_map.values()])
        self._zone = zone

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": self._auth}
        return httpx.AsyncClient(base_url=self._url, headers=headers, timeout=TIMEOUT)

    async def tasks(self) -> list[Seen]:
        async with self._client() as client:
            return [self._seen(task) for task in await self._tasks(client)]

    async def create(self, title: str, due: dt.date | None = None) -> None:
        """A new task in the section of "todo" (the project's first, if none is mapped)."""
        async with self._client() as client:
            section = (await self._sections(client)).get("todo")
            data: Json = {"name": title}
            if section is None:
                data["projects"] = [self._project]
            else:
                data["memberships"] = [{"project": self._project, "section": section}]
            if due is not None:
                data["due_on"] = due.isoformat()
            (await client.post("/tasks", json={"data": data})).raise_for_status()

    async def set_due(self, title: str, due: dt.date) -> None:
        async with self._client() as client:
            task = await self._find(client, title)
            data: Json = {"due_on": due.isoformat()}
            start = _day(task.get("start_on"))
            if start is not None and start >= due:
                # Asana refuses a start date on or after the due date (400): the person
                # clears the start date in the same edit.
                # https://developers.asana.com/reference/updatetask
                data["start_on"] = None
            path = f"/tasks/{task['gid']}"
            (await client.put(path, json={"data": data})).raise_for_status()

    async def set_status(self, title: str, status: str) -> None:
        """Drag the task to the section of ``status`` and tick (or untick) it complete."""
        async with self._client() as client:
            task = await self._find(client, title)
            section = (await self._sections(client)).get(status)
            if section is None and status != "done":
                raise ValueError(f"no section of the Asana project is mapped to {status}")
            if section is not None:
                body = {"data": {"task": task["gid"]}}
                path = f"/sections/{section}/addTask"
                (await client.post(path, json=body)).raise_for_status()
            if bool(task.get("completed")) != (status == "done"):
                data = {"completed": status == "done"}
                path = f"/tasks/{task['gid']}"
                (await client.put(path, json={"data": data})).raise_for_status()

    async def delete(self, title: str) -> None:
        """Delete the task: Asana moves it (and its subtasks) to the trash."""
        async with self._client() as client:
            task = await self._find(client, title)
            (await client.delete(f"/tasks/{task['gid']}")).raise_for_status()

    async def _tasks(self, client: httpx.AsyncClient) -> list[Json]:
        """The project's tasks and, under them, their subtasks, which Asana does not list in
        the project unless they were added to it; milestones left out."""
        found = await self._pages(client, f"/projects/{self._project}/tasks")
        parents = [t for t in found if t.get("num_subtasks")]
        while parents:
            kids = [k for p in parents for k in await self._pages(client, _subtasks(p))]
            found += kids
            parents = [k for k in kids if k.get("num_subtasks")]
        # A subtask added to the project is listed twice: by the project and by its parent.
        unique = {str(t["gid"]): t for t in found}.values()
        return [t for t in unique if t.get("resource_subtype") != "milestone"]

    async def _pages(self, client: httpx.AsyncClient, path: str) -> list[Json]:
        """Every page of a listing: at most 100 each, then an opaque ``offset``."""
        params: Json = {"opt_fields": ASANA_FIELDS, "limit": 100}
        found: list[Json] = []
        while True:
            page = (await client.get(path, params=params)).raise_for_status().json()
            found += page["data"]
            offset = (page.get("next_page") or {}).get("offset")
            if not offset:
                return found
            params["offset"] = offset

    async def _sections(self, client: httpx.AsyncClient) -> dict[str, str]:
        """canonical status -> the gid of the first section of the project mapped to it."""
        path = f"/projects/{self._project}/sections"
        listing = (await client.get(path, params={"limit": 100})).raise_for_status().json()
        found: dict[str, str] = {}
        for section in listing["data"]:
            status = self._status_map.get(str(section["name"]).casefold())
            if status is not None:
                found.setdefault(status, str(section["gid"]))
        return found

    async def _find(self, client: httpx.AsyncClient, title: str) -> Json:
        named = [t for t in await self._tasks(client) if (t["name"] or "").strip() == title]
        return _only(named, title, f"Asana project {self._project}")

    def _seen(self, task: Json) -> Seen:
        return Seen((task["name"] or "").strip(), self._due(task), self._status(task))

    def _due(self, task: Json) -> dt.date | None:
        if task.get("due_on"):
            return _day(task["due_on"])
        moment = _instant(task.get("due_at"))
        return moment.astimezone(self._zone).date() if moment else None

    def _status(self, task: Json) -> str | None:
        if task.get("completed"):
            return "done"
        for membership in task.get("memberships") or []:
            if str((membership.get("project") or {}).get("gid")) == self._project:
                section = str((membership.get("section") or {}).get("name") or "")
                return self._status_map.get(section.casefold())
        return None


def _subtasks(task: Json) -> str:
    return f"/tasks/{task['gid']}/subtasks"


# --- Trello --------------------------------------------------------------------------------------

CARD_FIELDS = "name,idList,idLabels,due,dueComplete"


@dataclass(frozen=True)
class _Board:
    lists: dict[str, str]  # open list id -> name, in board order
    milestone_labels: frozenset[str]  # ids of the labels marking milestones


class TrelloUser:
    """A marketing team member on one Trello board; status is the card's list."""

    def __init__(self, member: str, site: DemoSite, timezone: str) -> None:
        connection, settings = site.connection, site.member
        self.member = member
        self._url = connection["base_url"].rstrip("/")
        key, token = connection["key"], connection["token"]
        self._auth = f'OAuth oauth_consumer_key="{key}", oauth_token="{token}"'
        self._board = str(settings["board"])
        self._status_map = _casefolded(settings.get("status_map", {}))
        self.statuses = _ordered(self._status_map.values())
        self._milestone_label = str(settings.get("milestone_label", "Milestone")).casefold()
        # Trello keeps due dates as instants; the member's time zone (else the group's) says
        # which day one falls on, and a date alone is set at the member's due_time (17:00).
        self._zone = ZoneInfo(settings.get("timezone") or timezone)
        self._due_time = dt.time.fromisoformat(settings.get("due_time", "17:00"))

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": self._auth}
        return httpx.AsyncClient(base_url=self._url, headers=headers, timeout=TIMEOUT)

    async def tasks(self) -> list[Seen]:
        async with self._client() as client:
            board = await self._read_board(client)
            return [self._seen(board, card) for card in await self._cards(client, board)]

    async def create(self, title: str, due: dt.date | None = None) -> None:
        """A new card at the bottom of the list of "todo"."""
        async with self._client() as client:
            board = await self._read_board(client)
            params = {"idList": self._list_of(board, "todo"), "name": title}
            if due is not None:
                params["due"] = self._at(due, self._due_time)
            (await client.post("/cards", params=params)).raise_for_status()

    async def set_due(self, title: str, due: dt.date) -> None:
        """Move the due date to another day, at the time of day the card had."""
        async with self._client() as client:
            card = await self._find(client, await self._read_board(client), title)
            before = _instant(card.get("due"))
            time = before.astimezone(self._zone).time() if before else self._due_time
            params = {"due": self._at(due, time)}
            (await client.put(f"/cards/{card['id']}", params=params)).raise_for_status()

    async def set_status(self, title: str, status: str) -> None:
        """Drag the card to the top of the list of ``status``."""
        async with self._client() as client:
            board = await self._read_board(client)
            card = await self._find(client, board, title)
            params = {"idList": self._list_of(board, status), "pos": "top"}
            (await client.put(f"/cards/{card['id']}", params=params)).raise_for_status()

    async def delete(self, title: str) -> None:
        """Delete the card for good (not archive it)."""
        async with self._client() as client:
            card = await self._find(client, await self._read_board(client), title)
            (await client.delete(f"/cards/{card['id']}")).raise_for_status()

    async def _read_board(self, client: httpx.AsyncClient) -> _Board:
        """The open lists and the labels, in one call (Trello's nested resources)."""
        params = {"fields": "name", "lists": "open", "labels": "all"}
        board = (await client.get(f"/boards/{self._board}", params=params)).raise_for_status()
        body = board.json()
        labels = body.get("labels") or []
        marking = {
            str(x["id"]) for x in labels if str(x["name"]).casefold() == self._milestone_label
        }
        lists = {str(x["id"]): str(x["name"]) for x in body.get("lists") or []}
        return _Board(lists, frozenset(marking))

    async def _cards(self, client: httpx.AsyncClient, board: _Board) -> list[Json]:
        """The open cards in open lists, milestones left out. The board's listing leaves
        archived cards out, but not the cards of an archived list."""
        params = {"fields": CARD_FIELDS}
        listing = await client.get(f"/boards/{self._board}/cards", params=params)
        return [
            card
            for card in listing.raise_for_status().json()
            if card["idList"] in board.lists and not board.milestone_labels & set(card["idLabels"])
        ]

    async def _find(self, client: httpx.AsyncClient, board: _Board, title: str) -> Json:
        cards = await self._cards(client, board)
        named = [c for c in cards if (c["name"] or "").strip() == title]
        return _only(named, title, f"Trello board {self._board}")

    def _list_of(self, board: _Board, status: str) -> str:
        for list_id, name in board.lists.items():
            if self._status_map.get(name.casefold()) == status:
                return list_id
        raise ValueError(f"no open list of the Trello board is mapped to {status}")

    def _at(self, day: dt.date, time: dt.time) -> str:
        moment = dt.datetime.combine(day, time, tzinfo=self._zone).astimezone(dt.UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _seen(self, board: _Board, card: Json) -> Seen:
        due = _instant(card.get("due"))
        return Seen(
            (card["name"] or "").strip(),
            due.astimezone(self._zone).date() if due else None,
            self._status_map.get(board.lists[card["idList"]].casefold()),
        )


# --- the plan (MSPDI) ----------------------------------------------------------------------------

MAX_BYTES = 64 * 2**20
PERCENT = {"todo": 0, "in_progress": 50, "done": 100}
FINISH_NO_EARLIER_THAN = "6"  # Project's constraint when a finish date is typed in


class PlanUser:
    """A project manager editing the plan file in Project and saving it as XML.

    Like the demo's own `PlanSite.edit`, it leaves summary tasks as they were: Project would
    roll their dates, costs and % complete up from the subtasks when it opens the file.
    """

    statuses: tuple[str, ...] = STATUSES

    def __init__(self, member: str, site: DemoSite) -> None:
        if site.member.get("outline"):
            raise ValueError(f"{member}: the plan user edits whole plans, not an outline")
        self.member = member
        self._path = Path(site.member["path"])

    async def tasks(self) -> list[Seen]:
        return [_plan_seen(row) for row in _rows(self._load()) if _is_task(row)]

    async def create(self, title: str, due: dt.date | None = None) -> None:
        """A new top-level task at the end of the plan, as a row typed into Project's Gantt
        table: scheduled on the project calendar on its due day (Finish No Earlier Than the
        date typed), or, undated, one estimated day ("1 day?") from the project's start."""
        root = self._load()
        rows = _rows(root)
        calendar = worktime.calendar_for(root, None)
        start, finish = _new_dates(root, calendar, due)
        fields = _new_task(root, rows, title, start, finish, calendar, dated=due is not None)
        _append_row(_tasks_of(root), rows[-1] if rows else None, fields)
        _renumber(_rows(root))
        self._save(root)

    async def set_due(self, title: str, due: dt.date) -> None:
        """A new Finish on ``due`` at the same time of day, and the Duration in working time
        (Project recomputes Finish from Start + Duration when it opens the file)."""
        document = xmldoc.parse(self._path.read_bytes(), str(self._path), max_bytes=MAX_BYTES)
        root = document.root
        task = self._find(root, title)
        calendar = worktime.calendar_for(root, task)
        held_start, held_finish = xmldoc.text(task, "Start"), xmldoc.text(task, "Finish")
        if not held_start or not held_finish:
            # A task syncd wrote without dates (MSPDI allows it; Project schedules it when it
            # opens the file): typing a due date makes it a one-day task on that day.
            start, finish = _new_dates(root, calendar, due)
        else:
            start = dt.datetime.fromisoformat(held_start)
            finish = dt.datetime.combine(due, dt.datetime.fromisoformat(held_finish).time())
            if finish < start:  # the task now starts on its due day, as a one-day task
                start = dt.datetime.combine(due, _day_bounds(root, calendar, due)[0])
        duration = worktime.format_duration(calendar.working_time(start, finish))
        for name, value in (
            ("Start", start.isoformat()),
            ("Finish", finish.isoformat()),
            ("Duration", duration),
        ):
            document.set_text(task, name, value, "Task")
        self._save(root)

    async def set_status(self, title: str, status: str) -> None:
        root = self._load()
        task = self._find(root, title)
        _set(task, "PercentComplete", str(PERCENT[status]))
        if task.find("{*}PercentWorkComplete") is not None:
            _set(task, "PercentWorkComplete", str(PERCENT[status]))
        self._save(root)

    async def delete(self, title: str) -> None:
        """Delete the row (a summary row with its subtasks), the links from other tasks to
        it and its resource assignments; the rows below are renumbered."""
        root = self._load()
        rows = _rows(root)
        first = rows.index(self._find(root, title))
        last = first + 1
        while last < len(rows) and _level(rows[last]) > _level(rows[first]):
            last += 1
        doomed = {xmldoc.text(row, "UID") for row in rows[first:last]}
        for row in rows[first:last]:
            _detach(row)
        for link in list(root.iterfind("{*}Tasks/{*}Task/{*}PredecessorLink")):
            if xmldoc.text(link, "PredecessorUID") in doomed:
                _detach(link)
        for assignment in list(root.iterfind("{*}Assignments/{*}Assignment")):
            if xmldoc.text(assignment, "TaskUID") in doomed:
                _detach(assignment)
        _renumber(_rows(root))
        self._save(root)

    def _load(self) -> etree._Element:
        data = self._path.read_bytes()
        return xmldoc.parse(data, str(self._path), max_bytes=MAX_BYTES).root

    def _find(self, root: etree._Element, title: str) -> etree._Element:
        rows = [r for r in _rows(root) if _is_task(r) and _name(r) == title]
        return _only(rows, title, self._path.name)

    def _save(self, root: etree._Element) -> None:
        """Write beside the file, then rename over it, as an editor saves."""
        saved = root.find("{*}LastSaved")
        if saved is not None:
            saved.text = dt.datetime.now().replace(microsecond=0).isoformat()
        temporary = self._path.with_name(f".{self._path.name}.saving")
        temporary.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        os.replace(temporary, self._path)


def _tasks_of(root: etree._Element) -> etree._Element:
    tasks = root.find("{*}Tasks")
    if tasks is None:
        raise LookupError("the plan has no <Tasks>")
    return tasks


def _rows(root: etree._Element) -> list[etree._Element]:
    return list(_tasks_of(root).iterchildren("{*}Task"))


def _flag(row: etree._Element, name: str) -> bool:
    return (xmldoc.text(row, name) or "").strip().lower() in ("1", "true")


def _name(row: etree._Element) -> str:
    return (xmldoc.text(row, "Name") or "").strip()


def _level(row: etree._Element) -> int:
    return int(xmldoc.text(row, "OutlineLevel") or "1")


def _is_task(row: etree._Element) -> bool:
    """A row syncd takes for a task: not the project summary, a blank row, a link to another
    project's task, an inactive task or a milestone."""
    return not (
        (xmldoc.text(row, "UID") or "").strip() == "0"
        or _level(row) == 0
        or _flag(row, "IsNull")
        or _flag(row, "ExternalTask")
        or (xmldoc.text(row, "Active") or "1").strip() == "0"
        or _flag(row, "Milestone")
    )


def _plan_seen(row: etree._Element) -> Seen:
    percent = int(float(xmldoc.text(row, "PercentComplete") or 0))
    status = "todo" if percent <= 0 else "done" if percent >= 100 else "in_progress"
    finish = xmldoc.text(row, "Finish")
    return Seen(_name(row), _day(finish), status)


def _set(task: etree._Element, name: str, value: str) -> None:
    element = task.find(f"{{*}}{name}")
    if element is None:
        raise LookupError(f"the task {_name(task)!r} has no <{name}>")
    element.text = value


def _detach(element: etree._Element) -> None:
    """Remove an element, keeping the whitespace after it in place of the one before it."""
    parent = element.getparent()
    assert parent is not None
    previous = element.getprevious()
    if previous is not None:
        previous.tail = element.tail
    else:
        parent.text = element.tail
    parent.remove(element)


def _day_bounds(
    root: etree._Element, calendar: worktime.CalendarView, day: dt.date
) -> tuple[dt.time, dt.time]:
    """The first and last working moment of ``day``; the project's default times when the
    calendar does not work that day."""
    bounds = calendar.day_bounds(day)
    if bounds is not None:
        return bounds
    start = dt.time.fromisoformat(xmldoc.text(root, "DefaultStartTime") or "08:00:00")
    return start, dt.time.fromisoformat(xmldoc.text(root, "DefaultFinishTime") or "17:00:00")


def _new_dates(
    root: etree._Element, calendar: worktime.CalendarView, due: dt.date | None
) -> tuple[dt.datetime, dt.datetime]:
    if due is not None:
        first, last = _day_bounds(root, calendar, due)
        return dt.datetime.combine(due, first), dt.datetime.combine(due, last)
    raw = xmldoc.text(root, "StartDate")
    if raw:
        start = dt.datetime.fromisoformat(raw)
    else:
        today = dt.date.today()
        start = dt.datetime.combine(today, _day_bounds(root, calendar, today)[0])
    minutes = int(xmldoc.text(root, "MinutesPerDay") or 480)
    return start, calendar.add_working_minutes(start, minutes)


def _new_task(
    root: etree._Element,
    rows: list[etree._Element],
    title: str,
    start: dt.datetime,
    finish: dt.datetime,
    calendar: worktime.CalendarView,
    *,
    dated: bool,
) -> list[tuple[str, str]]:
    """The fields of a new top-level task as Project writes them, in the schema's order.

    The ID and outline number (and the WBS code, where the plan's follow the outline) are
    given by `_renumber`; an unassigned task has no work and costs nothing.
    """
    uids = [int(xmldoc.text(row, "UID") or 0) for row in rows]
    duration = worktime.format_duration(calendar.working_time(start, finish))
    fields = [
        ("UID", str(max(uids, default=0) + 1)),
        ("ID", "0"),
        ("Name", title),
        ("Type", xmldoc.text(root, "DefaultTaskType") or "0"),
        ("IsNull", "0"),
        ("CreateDate", dt.datetime.now().replace(microsecond=0).isoformat()),
        ("WBS", ""),
        ("OutlineNumber", ""),
        ("OutlineLevel", "1"),
        ("Priority", "500"),
        ("Start", start.isoformat()),
        ("Finish", finish.isoformat()),
        ("Duration", duration),
        ("DurationFormat", xmldoc.text(root, "DurationFormat") or "7"),
        ("Work", "PT0H0M0S"),
        ("Estimated", "0" if dated else "1"),
        ("Milestone", "0"),
        ("Summary", "0"),
        ("Critical", "0"),
        ("FixedCost", "0"),
        ("FixedCostAccrual", "3"),
        ("PercentComplete", "0"),
        ("PercentWorkComplete", "0"),
        ("Cost", "0"),
        ("ActualCost", "0"),
        ("ConstraintType", FINISH_NO_EARLIER_THAN if dated else "0"),
        ("CalendarUID", "-1"),
        ("ConstraintDate", finish.isoformat() if dated else ""),
        ("Active", "1"),
        ("Manual", "0"),
    ]
    sample = rows[1:21]  # elements only some plans carry: written when the plan has them
    optional = {"WBS", "PercentWorkComplete", "Critical", "Active", "Manual"}
    return [
        (name, value)
        for name, value in fields
        if (name not in optional or any(r.find(f"{{*}}{name}") is not None for r in sample))
        and (name != "ConstraintDate" or dated)
    ]


def _append_row(
    tasks: etree._Element, last: etree._Element | None, fields: list[tuple[str, str]]
) -> None:
    """Append a ``<Task>`` after ``last``, indented like it."""
    namespace = etree.QName(tasks).namespace
    row = etree.Element(etree.QName(namespace, "Task"))
    inner = (last.text if last is not None else None) or "\n\t\t\t"
    outer = (last[-1].tail if last is not None and len(last) else None) or "\n\t\t"
    row.text = inner
    for name, value in fields:
        etree.SubElement(row, etree.QName(namespace, name)).text = value
        row[-1].tail = inner
    row[-1].tail = outer
    if last is not None:
        row.tail, last.tail = last.tail, tasks.text
    tasks.append(row)


def _renumber(rows: list[etree._Element]) -> None:
    """Rewrite the row numbers (``ID``), outline numbers (and the WBS codes that follow them)
    and ``Summary`` flags, as Project does once rows are added or removed."""
    levels = [_level(row) for row in rows]
    first_id = 0 if levels and levels[0] == 0 else 1
    counts: list[int] = []
    for index, (row, level) in enumerate(zip(rows, levels, strict=True)):
        _set(row, "ID", str(first_id + index))
        if level == 0:
            continue
        del counts[level:]
        counts += [0] * (level - len(counts))
        counts[level - 1] += 1
        number = ".".join(str(n) for n in counts)
        wbs = row.find("{*}WBS")
        if wbs is not None and (wbs.text or "") == (xmldoc.text(row, "OutlineNumber") or ""):
            wbs.text = number
        _set(row, "OutlineNumber", number)
        summary = row.find("{*}Summary")
        if summary is not None:
            summary.text = "1" if index + 1 < len(rows) and levels[index + 1] > level else "0"
