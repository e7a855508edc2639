"""A ready site: a premium workspace, its admin, the Demo project with sections and custom
fields, and (optionally) demo tasks put in through the API; and the workspace ``syncd demo``
runs (``demo_site``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from adapters.asana.simulator.core import AsanaSimulator
from adapters.asana.simulator.limits import RateLimit
from adapters.asana.simulator.model import CustomField, Project, User, Workspace
from adapters.asana.simulator.server import serve
from adapters.base import DemoSetup, DemoSite

ADMIN_EMAIL = "admin@example.com"
ADMIN_TOKEN = "sim-token"  # noqa: S105 - the simulator's published demo credential
SECTIONS = ("To do", "Doing", "Done")


@dataclass(frozen=True)
class Site:
    workspace: Workspace
    admin: User
    project: Project
    estimate: CustomField
    priority: CustomField


def add_site(sim: AsanaSimulator) -> Site:
    """The default workspace, its admin (token ``sim-token``) and the Demo project, which has
    the custom fields Estimate (number) and Priority (enum)."""
    workspace = sim.add_workspace("Example Workspace")
    admin = sim.add_user("Admin", ADMIN_EMAIL, token=ADMIN_TOKEN)
    project = sim.add_project("Demo", workspace, sections=SECTIONS)
    estimate = sim.add_custom_field(
        workspace, "Estimate", "number", precision=1, projects=[project]
    )
    priority = sim.add_custom_field(
        workspace, "Priority", "enum", options=("Low", "Medium", "High"), projects=[project]
    )
    return Site(workspace, admin, project, estimate, priority)


async def seed_demo(sim: AsanaSimulator, site: Site) -> None:
    """Create tasks, a subtask, a milestone and a dependency through the REST API."""
    transport = httpx.ASGITransport(app=sim.app)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://asana.local/api/1.0", headers=headers
    ) as client:
        today = sim.store.now().date()
        high = site.priority.enum_options[2].gid
        design = await _create(
            client,
            site,
            "Design the home page",
            start_on=today.isoformat(),
            due_on=(today + timedelta(days=7)).isoformat(),
            custom_fields={site.estimate.gid: 3, site.priority.gid: high},
        )
        launch = await _create(
            client,
            site,
            "Launch",
            resource_subtype="milestone",
            due_on=(today + timedelta(days=30)).isoformat(),
        )
        subtask = {"data": {"name": "Pick the colours"}}
        (await client.post(f"/tasks/{design}/subtasks", json=subtask)).raise_for_status()
        await _create(
            client,
            site,
            "Write the copy",
            html_notes="<body><strong>Short</strong> and clear.</body>",
        )
        body = {"data": {"dependencies": [design]}}
        (await client.post(f"/tasks/{launch}/addDependencies", json=body)).raise_for_status()


async def _create(client: httpx.AsyncClient, site: Site, name: str, **fields: Any) -> str:
    data = {"name": name, "projects": [site.project.gid], **fields}
    response = (await client.post("/tasks", json={"data": data})).raise_for_status()
    return str(response.json()["data"]["gid"])


# --- syncd demo ---------------------------------------------------------------------------------


class AsanaSite:
    """The simulated Asana workspace of ``syncd demo``, and a business-team member working in
    it through the REST API."""

    name = "Asana"

    def __init__(self, sim: AsanaSimulator, url: str, site: Site, people: dict[str, str]) -> None:
        self.sim = sim
        self.url = url
        self.project = site.project.gid
        self.location = f"{url}/projects/{site.project.gid}/tasks"
        # A paid workspace: Asana allows 1,500 requests a minute (each batch action counted).
        self.connection: dict[str, Any] = {
            "type": "asana",
            "base_url": url,
            "token": ADMIN_TOKEN,
            "requests_per_minute": 1500,
        }
        self.member: dict[str, Any] = {
            "project": site.project.gid,
            "status_map": {"To do": "todo", "Doing": "in_progress", "Done": "done"},
            "fields": {"planned_cost": "Cost", "actual_cost": "Actual cost"},
        }
        self.people = people

    async def edit(self, title: str, changes: Mapping[str, Any]) -> list[str]:
        """Find the task by name in the project, then change it with one PUT, as the web app
        does (``due_on`` is a date; Asana keeps ``start_on`` before it)."""
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30) as client:
            gid = await _task_gid(client, self.project, title)
            data: dict[str, Any] = {}
            done = []
            for field, value in changes.items():
                if field == "due":
                    data["due_on"] = value.isoformat()
                    done.append(f"{title!r}: due date → {value:%d %b %Y}")
                elif field == "status":
                    data["completed"] = value == "done"
                    done.append(f"{title!r}: marked {'complete' if value == 'done' else 'open'}")
                else:
                    raise ValueError(f"the demo's Asana edits do not cover {field!r}")
            (await client.put(f"/tasks/{gid}", json={"data": data})).raise_for_status()
            return done


async def _task_gid(client: httpx.AsyncClient, project: str, title: str) -> str:
    # Pages of at most 100 with an opaque offset; subtasks are not in a project's listing, so
    # the demo's cast edits top-level and subtasks alike by searching the workspace's tasks.
    params: dict[str, Any] = {"project": project, "limit": 100, "opt_fields": "name,num_subtasks"}
    parents = []
    while True:
        page = (await client.get("/tasks", params=params)).raise_for_status().json()
        for task in page["data"]:
            if task["name"] == title:
                return str(task["gid"])
            if task.get("num_subtasks"):
                parents.append(task["gid"])
        offset = (page.get("next_page") or {}).get("offset")
        if not offset:
            break
        params["offset"] = offset
    for parent in parents:
        query: dict[str, Any] = {"opt_fields": "name", "limit": 100}
        page = (await client.get(f"/tasks/{parent}/subtasks", params=query)).raise_for_status()
        for task in page.json()["data"]:
            if task["name"] == title:
                return str(task["gid"])
    raise LookupError(f"no task named {title!r} in the project")


@asynccontextmanager
async def demo_site(setup: DemoSetup) -> AsyncIterator[DemoSite]:
    """An Asana premium workspace on a free port of 127.0.0.1 with Asana's rate limits, the
    Demo project (sections To do, Doing, Done; custom fields Cost and Actual cost), and a user
    for each of the cast, served until the block ends."""
    sim = AsanaSimulator(rate_limit=RateLimit())
    site = add_site(sim)
    for name in ("Cost", "Actual cost"):
        sim.add_custom_field(site.workspace, name, "number", precision=2, projects=[site.project])
    people = {p.email: sim.add_user(p.name, p.email).gid for p in setup.people}
    with serve(sim) as url:
        yield AsanaSite(sim, url, site, people)
