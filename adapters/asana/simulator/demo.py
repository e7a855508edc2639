"""A ready site: a premium workspace, its admin, the Demo project with sections and custom
fields, and (optionally) demo tasks put in through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from adapters.asana.simulator.core import AsanaSimulator
from adapters.asana.simulator.model import CustomField, Project, User, Workspace

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
