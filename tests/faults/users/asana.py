"""The business team in Asana, through its REST API (1.0)."""

from __future__ import annotations

import datetime as dt

import httpx

from adapters.base import DemoSite
from tests.faults.users.common import (
    TIMEOUT,
    Json,
    Seen,
    casefolded,
    day_of,
    in_order,
    instant_of,
    only_one,
)

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
        self._status_map = casefolded(settings.get("status_map", {}))
        self.statuses = in_order(["done", *self._status_map.values()])
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
            start = day_of(task.get("start_on"))
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
        return only_one(named, title, f"Asana project {self._project}")

    def _seen(self, task: Json) -> Seen:
        return Seen((task["name"] or "").strip(), self._due(task), self._status(task))

    def _due(self, task: Json) -> dt.date | None:
        if task.get("due_on"):
            return day_of(task["due_on"])
        moment = instant_of(task.get("due_at"))
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
