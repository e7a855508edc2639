"""A ready site: an admin, the DEMO project, and (optionally) demo data put in through the API;
and the site ``syncd demo`` runs (``demo_site``)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx

from adapters.base import DemoSetup, DemoSite
from adapters.jira.simulator.core import JiraSimulator
from adapters.jira.simulator.defaults import ACTUAL_COST, PLANNED_COST, START_DATE
from adapters.jira.simulator.limits import RateLimit
from adapters.jira.simulator.model import User
from adapters.jira.simulator.server import serve

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


# --- syncd demo ---------------------------------------------------------------------------------

CATEGORY = {"todo": "new", "in_progress": "indeterminate", "done": "done"}


class JiraSite:
    """The simulated Jira Cloud site of ``syncd demo``, and an engineer working in it through
    the REST API."""

    name = "Jira Cloud"

    def __init__(self, sim: JiraSimulator, url: str, people: dict[str, str]) -> None:
        self.sim = sim
        self.location = f"{url}/browse/{PROJECT}"
        self.url = url
        self.connection: dict[str, Any] = {
            "type": "jira",
            "base_url": url,
            "deployment": "cloud",
            "email": ADMIN_EMAIL,
            "token": ADMIN_TOKEN,
        }
        self.member: dict[str, Any] = {
            "project": PROJECT,
            "fields": {
                "start": START_DATE,
                "planned_cost": PLANNED_COST,
                "actual_cost": ACTUAL_COST,
            },
        }
        self.people = people

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url + self.sim.api,
            headers={"Authorization": credentials_header(self.sim)},
            timeout=30,
        )

    async def edit(self, title: str, changes: Mapping[str, Any]) -> list[str]:
        """Find the issue by its summary, then move it through the workflow (the only way a
        status changes in Jira) or edit its fields."""
        async with self._client() as client:
            key = await _issue_key(client, title)
            done = []
            for field, value in changes.items():
                if field == "status":
                    done.append(await _transition(client, key, CATEGORY[value]))
                elif field == "due":
                    body = {"fields": {"duedate": value.isoformat()}}
                    (await client.put(f"/issue/{key}", json=body)).raise_for_status()
                    done.append(f"{key}: Due date → {value:%d %b %Y}")
                elif field == "labels":
                    body = {"fields": {"labels": sorted(value)}}
                    (await client.put(f"/issue/{key}", json=body)).raise_for_status()
                    done.append(f"{key}: Labels → {', '.join(sorted(value))}")
                else:
                    raise ValueError(f"the demo's Jira edits do not cover {field!r}")
            return done


async def _issue_key(client: httpx.AsyncClient, title: str) -> str:
    body: dict[str, Any] = {"jql": f"project = {PROJECT}", "fields": ["summary"], "maxResults": 100}
    while True:
        page = (await client.post("/search/jql", json=body)).raise_for_status().json()
        for issue in page["issues"]:
            if issue["fields"]["summary"] == title:
                return str(issue["key"])
        if page.get("isLast", True) or not page.get("nextPageToken"):
            raise LookupError(f"no issue with the summary {title!r} in {PROJECT}")
        body["nextPageToken"] = page["nextPageToken"]


async def _transition(client: httpx.AsyncClient, key: str, category: str) -> str:
    """Take the first transition into a status of ``category``, as a person picks it."""
    query = {"fields": "status"}
    issue = (await client.get(f"/issue/{key}", params=query)).raise_for_status().json()
    before = issue["fields"]["status"]["name"]
    listing = (await client.get(f"/issue/{key}/transitions")).raise_for_status().json()
    for transition in listing["transitions"]:
        if transition["to"]["statusCategory"]["key"] == category:
            move = {"transition": {"id": transition["id"]}}
            (await client.post(f"/issue/{key}/transitions", json=move)).raise_for_status()
            return f"{key}: {before} → {transition['to']['name']} ({transition['name']!r})"
    raise LookupError(f"{key} has no transition into a {category!r} status")


@asynccontextmanager
async def demo_site(setup: DemoSetup) -> AsyncIterator[DemoSite]:
    """A Jira Cloud site on a free port of 127.0.0.1 with Jira Cloud's burst limit, the DEMO
    project and an account for each of the cast, served until the block ends."""
    sim = JiraSimulator("cloud", rate_limit=RateLimit(), time_zone=setup.timezone)
    add_admin_and_project(sim)
    people = {
        p.email: sim.add_user(p.email, p.name, time_zone=setup.timezone).account_id
        for p in setup.people
    }
    with serve(sim) as url:
        site = JiraSite(sim, url, people)
        async with site._client() as client:  # what the engineers made before syncd came
            for title in setup.existing:
                fields = {"project": {"key": PROJECT}, "issuetype": {"name": "Task"}}
                body = {"fields": {**fields, "summary": title}}
                (await client.post("/issue", json=body)).raise_for_status()
        yield site
