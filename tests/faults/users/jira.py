"""An engineer in Jira Cloud, through its REST API (v3)."""

from __future__ import annotations

import base64
import datetime as dt
from collections import deque

import httpx

from adapters.base import DemoSite
from tests.faults.users.common import (
    STATUSES,
    TIMEOUT,
    Json,
    Seen,
    casefolded,
    day_of,
    only_one,
)

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
        self._status_map = casefolded(settings.get("status_map", {}))
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
        issue = only_one(named, title, f"Jira project {self._project}")
        self._recent.append(int(issue["id"]))
        return issue

    def _seen(self, issue: Json) -> Seen:
        fields = issue["fields"]
        summary, due = (fields["summary"] or "").strip(), day_of(fields.get("duedate"))
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
