"""A ready site: an admin, the DEMO project, and (optionally) demo data put in through the API."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx

from adapters.jira.simulator.core import JiraSimulator
from adapters.jira.simulator.defaults import PLANNED_COST, START_DATE
from adapters.jira.simulator.model import User

ADMIN_EMAIL = "admin@example.com"
ADMIN_NAME = "admin"
ADMIN_TOKEN = "sim-token"  # noqa: S105 - the simulator's published demo credential
PROJECT = "DEMO"


def add_admin_and_project(sim: JiraSimulator) -> User:
    """The default user (admin@example.com / sim-token) and the DEMO project."""
    admin = sim.add_user(
        ADMIN_EMAIL, "Admin", name=ADMIN_NAME, token=ADMIN_TOKEN, password=ADMIN_TOKEN, admin=True
    )
    sim.add_project(PROJECT, "Demo", lead=admin)
    return admin


def credentials_header(sim: JiraSimulator) -> str:
    """The admin's Authorization header value."""
    login = ADMIN_EMAIL if sim.flavor == "cloud" else ADMIN_NAME
    return "Basic " + base64.b64encode(f"{login}:{ADMIN_TOKEN}".encode()).decode()


def _text(sim: JiraSimulator, text: str) -> Any:
    if sim.flavor == "dc":
        return text
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


async def seed_demo(sim: JiraSimulator) -> None:
    """Create a version, an epic, tasks, a sub-task, a link and a transition via the REST API."""
    transport = httpx.ASGITransport(app=sim.app)
    headers = {"Authorization": credentials_header(sim)}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://jira.local", headers=headers
    ) as client:
        await _version(client, sim)
        await _issues(client, sim)


async def _version(client: httpx.AsyncClient, sim: JiraSimulator) -> None:
    project = (await client.get(f"{sim.api}/project/{PROJECT}")).raise_for_status().json()
    release = (sim.store.now().date() + timedelta(days=30)).isoformat()
    version = {"name": "v1.0", "projectId": int(project["id"]), "releaseDate": release}
    (await client.post(f"{sim.api}/version", json=version)).raise_for_status()


async def _issues(client: httpx.AsyncClient, sim: JiraSimulator) -> None:
    today = sim.store.now().date()
    epic = await _create(client, sim, "Epic", "Website relaunch", {})
    planned = {
        START_DATE: today.isoformat(),
        "duedate": (today + timedelta(days=7)).isoformat(),
        "timetracking": {"originalEstimate": "3h"},
        PLANNED_COST: 1200,
        "labels": ["design"],
    }
    if sim.flavor == "cloud":  # only Cloud takes an epic as parent
        planned["parent"] = {"key": epic}
    design = await _create(client, sim, "Task", "Design the home page", planned)
    launch = await _create(client, sim, "Task", "Launch", {"fixVersions": [{"name": "v1.0"}]})
    await _create(client, sim, "Sub-task", "Pick the colours", {"parent": {"key": design}})
    link = {
        "type": {"name": "Blocks"},
        "outwardIssue": {"key": design},
        "inwardIssue": {"key": launch},
    }
    (await client.post(f"{sim.api}/issueLink", json=link)).raise_for_status()
    move = {"transition": {"id": "11"}}
    (await client.post(f"{sim.api}/issue/{design}/transitions", json=move)).raise_for_status()


async def _create(
    client: httpx.AsyncClient,
    sim: JiraSimulator,
    kind: str,
    summary: str,
    extra: dict[str, Any],
) -> str:
    fields = {
        "project": {"key": PROJECT},
        "issuetype": {"name": kind},
        "summary": summary,
        "description": _text(sim, f"{summary} (demo data)."),
        **extra,
    }
    response = (await client.post(f"{sim.api}/issue", json={"fields": fields})).raise_for_status()
    return str(response.json()["key"])
