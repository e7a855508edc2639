"""The Jira simulator: identity, authentication, permissions and configuration endpoints.

Also the kit the other ``test_simulator_*`` modules use: `open_site` builds a simulator on a
`ManualClock` with an admin and the DEMO project, and a client whose every request and
response is checked against Atlassian's OpenAPI description (skipped when it is absent).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from adapters.jira.simulator import ManualClock
from adapters.jira.simulator.core import JiraSimulator
from adapters.jira.simulator.model import Flavor, User
from tests.contract.openapi import (
    JIRA_CLOUD,
    JIRA_DC,
    UNCHECKED_REQUEST,
    checking_hooks,
    spec_if_present,
)

pytestmark = pytest.mark.anyio
BASE = "http://jira.test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def basic(login: str, secret: str) -> dict[str, str]:
    """An Authorization header for HTTP basic auth."""
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{secret}".encode()).decode()}


def adf(text: str) -> dict[str, Any]:
    """A one-paragraph Atlassian Document."""
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


@dataclass
class Site:
    """A simulator, its clock, its admin, and a checked client logged in as the admin."""

    sim: JiraSimulator
    clock: ManualClock
    admin: User
    client: httpx.AsyncClient

    @property
    def api(self) -> str:
        return self.sim.api

    @property
    def cloud(self) -> bool:
        return self.sim.flavor == "cloud"

    def login(self, user: User, secret: str = "tok") -> dict[str, str]:  # noqa: S107 - a test token
        """Headers authenticating as ``user`` (created with token/password ``secret``)."""
        return basic(user.email if self.cloud else user.name, secret)

    async def request(
        self, method: str, path: str, *, checked: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """A call below the API prefix; ``checked=False`` skips checking the request only."""
        extensions = {} if checked else {UNCHECKED_REQUEST: True}
        return await self.client.request(method, self.api + path, extensions=extensions, **kwargs)

    async def create(
        self, summary: str = "A task", kind: str = "Task", **fields: Any
    ) -> dict[str, Any]:
        """Create an issue in DEMO; its ``{id, key, self}``."""
        body = {
            "project": {"key": "DEMO"},
            "issuetype": {"name": kind},
            "summary": summary,
            **fields,
        }
        response = await self.request("POST", "/issue", json={"fields": body})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def issue(self, key: str, fields: str = "*all", **params: Any) -> dict[str, Any]:
        response = await self.request("GET", f"/issue/{key}", params={"fields": fields, **params})
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def search(self, jql: str, **body: Any) -> httpx.Response:
        if self.cloud:
            return await self.request("POST", "/search/jql", json={"jql": jql, **body})
        return await self.request("POST", "/search", json={"jql": jql, **body})


@asynccontextmanager
async def open_site(flavor: Flavor = "cloud", **options: Any) -> AsyncIterator[Site]:
    """A fresh site: admin (admin@example.com, token/password ``tok``) and project DEMO."""
    spec = spec_if_present(JIRA_CLOUD if flavor == "cloud" else JIRA_DC)
    clock = ManualClock()
    sim = JiraSimulator(flavor, clock=clock, **options)
    admin = sim.add_user(
        "admin@example.com", "Admin", name="admin", token="tok", password="tok", admin=True
    )
    sim.add_project("DEMO", "Demo", lead=admin)
    login = "admin@example.com" if flavor == "cloud" else "admin"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url=BASE,
        headers=basic(login, "tok"),
        event_hooks=checking_hooks(spec),
    ) as client:
        yield Site(sim, clock, admin, client)


@pytest.fixture
async def cloud() -> AsyncIterator[Site]:
    async with open_site("cloud") as site:
        yield site


@pytest.fixture
async def dc() -> AsyncIterator[Site]:
    async with open_site("dc") as site:
        yield site


# --- identity -----------------------------------------------------------------------------------


async def test_myself_describes_the_caller(cloud: Site) -> None:
    """GET /myself answers the authenticated user with accountId, email and time zone."""
    response = await cloud.request("GET", "/myself")
    assert response.status_code == 200
    body = response.json()
    assert body["accountId"] == cloud.admin.account_id
    assert body["emailAddress"] == "admin@example.com"
    assert body["timeZone"] == "UTC"
    assert response.headers["X-AAccountId"] == cloud.admin.account_id


async def test_dc_myself_names_the_user_by_username(dc: Site) -> None:
    """On Data Center users are known by name and key, not accountId."""
    body = (await dc.request("GET", "/myself")).json()
    assert body["name"] == "admin"
    assert body["key"].startswith("JIRAUSER")
    assert "accountId" not in body


async def test_server_info_tells_the_deployment(cloud: Site, dc: Site) -> None:
    """serverInfo says Cloud for the cloud flavor and Server (10.3) for Data Center."""
    assert (await cloud.request("GET", "/serverInfo")).json()["deploymentType"] == "Cloud"
    info = (await dc.request("GET", "/serverInfo")).json()
    assert (info["deploymentType"], info["versionNumbers"][:2]) == ("Server", [10, 3])


# --- authentication -----------------------------------------------------------------------------


async def test_cloud_without_credentials_is_401_in_plain_text(cloud: Site) -> None:
    """Cloud refuses a call without credentials with 401 and its plain-text sentence."""
    response = await cloud.client.get("/rest/api/3/myself", headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.text == "Client must be authenticated to access this resource."
    assert "WWW-Authenticate" in response.headers


async def test_dc_wrong_password_is_401_with_an_error_body(dc: Site) -> None:
    """Data Center refuses a wrong password with 401, a JSON error and the Seraph reason."""
    response = await dc.client.get("/rest/api/2/myself", headers=basic("admin", "wrong"))
    assert response.status_code == 401
    assert response.json()["errorMessages"] == [
        "You are not authenticated. Authentication required to perform this operation."
    ]
    assert response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"


async def test_bearer_tokens_authenticate(cloud: Site, dc: Site) -> None:
    """An OAuth access token (Cloud) or a personal access token (DC) works as a bearer."""
    cloud.sim.add_user("oauth@example.com", bearer="oauth-token")
    dc.sim.add_user("pat@example.com", token="pat-token")
    headers = {"Authorization": "Bearer oauth-token"}
    assert (await cloud.client.get("/rest/api/3/myself", headers=headers)).status_code == 200
    headers = {"Authorization": "Bearer pat-token"}
    assert (await dc.client.get("/rest/api/2/myself", headers=headers)).json()["name"] == "pat"


async def test_an_api_token_is_not_a_bearer_token(cloud: Site) -> None:
    """A Cloud API token only works with the email in basic auth."""
    response = await cloud.client.get("/rest/api/3/myself", headers={"Authorization": "Bearer tok"})
    assert response.status_code == 401


async def test_inactive_users_cannot_log_in(cloud: Site) -> None:
    """A deactivated account is refused like a wrong password."""
    gone = cloud.sim.add_user("gone@example.com", token="tok", active=False)
    response = await cloud.client.get("/rest/api/3/myself", headers=cloud.login(gone))
    assert response.status_code == 401


# --- not found and permissions ------------------------------------------------------------------


async def test_missing_issue_is_404_with_jiras_message(cloud: Site) -> None:
    """An unknown issue answers Jira's 404 body."""
    response = await cloud.request("GET", "/issue/DEMO-999")
    assert response.status_code == 404
    assert response.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


async def test_an_issue_in_a_project_one_cannot_browse_is_404(cloud: Site) -> None:
    """Without Browse Projects an existing issue looks missing, as in Jira."""
    created = await cloud.create()
    outsider = cloud.sim.add_user("out@example.com", token="tok", permissions=[])
    response = await cloud.request("GET", f"/issue/{created['key']}", headers=cloud.login(outsider))
    assert response.status_code == 404


async def test_deleting_without_permission_is_403(cloud: Site) -> None:
    """Delete without Delete Issues answers 403 with an error body."""
    created = await cloud.create()
    allowed = ["BROWSE_PROJECTS", "EDIT_ISSUES"]
    clerk = cloud.sim.add_user("clerk@example.com", token="tok", permissions=allowed)
    response = await cloud.request("DELETE", f"/issue/{created['key']}", headers=cloud.login(clerk))
    assert response.status_code == 403
    assert response.json()["errorMessages"] == [
        "You do not have permission to delete issues in this project."
    ]


async def test_my_permissions_reflect_the_users_configuration(cloud: Site) -> None:
    """mypermissions answers havePermission per key as configured for the user and project."""
    user = cloud.sim.add_user("reader@example.com", token="tok", permissions=["BROWSE_PROJECTS"])
    cloud.sim.set_permissions(user, ["BROWSE_PROJECTS", "CREATE_ISSUES"], project="DEMO")
    keys = "BROWSE_PROJECTS,CREATE_ISSUES,EDIT_ISSUES,TRANSITION_ISSUES,DELETE_ISSUES"
    params = {"projectKey": "DEMO", "permissions": keys}
    response = await cloud.request(
        "GET", "/mypermissions", params=params, headers=cloud.login(user)
    )
    have = {k: v["havePermission"] for k, v in response.json()["permissions"].items()}
    assert have == {
        "BROWSE_PROJECTS": True,
        "CREATE_ISSUES": True,
        "EDIT_ISSUES": False,
        "TRANSITION_ISSUES": False,
        "DELETE_ISSUES": False,
    }


async def test_cloud_my_permissions_requires_the_keys(cloud: Site, dc: Site) -> None:
    """Cloud insists on the permissions parameter; Data Center lists them all without it."""
    response = await cloud.request("GET", "/mypermissions", params={"projectKey": "DEMO"})
    assert response.status_code == 400
    body = (await dc.request("GET", "/mypermissions", params={"projectKey": "DEMO"})).json()
    assert "EDIT_ISSUES" in body["permissions"]


async def test_creating_without_permission_is_refused(cloud: Site) -> None:
    """Create Issues missing: 400 naming the project, as Jira's create validation does."""
    reader = cloud.sim.add_user("r@example.com", token="tok", permissions=["BROWSE_PROJECTS"])
    fields = {"project": {"key": "DEMO"}, "issuetype": {"name": "Task"}, "summary": "x"}
    response = await cloud.request(
        "POST", "/issue", json={"fields": fields}, headers=cloud.login(reader)
    )
    assert response.status_code == 400
    assert "permission" in response.json()["errors"]["project"]


# --- configuration ------------------------------------------------------------------------------


async def test_project_lists_its_issue_types_with_subtask_and_epic(cloud: Site) -> None:
    """GET /project/{key} includes issue types: a sub-task type and an Epic (level 1)."""
    body = (await cloud.request("GET", "/project/DEMO")).json()
    types = {t["name"]: t for t in body["issueTypes"]}
    assert types["Sub-task"]["subtask"] is True
    assert types["Epic"]["hierarchyLevel"] == 1
    assert body["key"] == "DEMO"
    assert (await cloud.request("GET", "/project/NOPE")).status_code == 404


async def test_fields_list_system_and_custom_fields_with_schemas(cloud: Site, dc: Site) -> None:
    """GET /field lists the start date and cost custom fields with their schema."""
    for site in (cloud, dc):
        fields = {f["id"]: f for f in (await site.request("GET", "/field")).json()}
        assert fields["customfield_10015"]["name"] == "Start date"
        assert fields["customfield_10015"]["schema"]["type"] == "date"
        assert fields["customfield_10050"]["schema"]["type"] == "number"
        assert fields["summary"]["schema"] == {"type": "string", "system": "summary"}


async def test_link_types_include_blocks(cloud: Site) -> None:
    """GET /issueLinkType lists Blocks with its inward and outward descriptions."""
    types = (await cloud.request("GET", "/issueLinkType")).json()["issueLinkTypes"]
    blocks = next(t for t in types if t["name"] == "Blocks")
    assert (blocks["inward"], blocks["outward"]) == ("is blocked by", "blocks")


async def test_unknown_rest_paths_are_404(cloud: Site) -> None:
    """A path Jira does not have answers 404 (the simulator invents no endpoint)."""
    transport = httpx.ASGITransport(app=cloud.sim.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as raw:
        response = await raw.get("/rest/api/3/nonsense", headers=cloud.login(cloud.admin))
    assert response.status_code == 404
    assert response.json()["status-code"] == 404


# --- users --------------------------------------------------------------------------------------


async def test_cloud_hides_the_email_a_profile_hides(cloud: Site) -> None:
    """User search finds a private user by name without email, and by exact email."""
    cloud.sim.add_user("priv@example.com", "Private Person", email_visible=False)
    found = (await cloud.request("GET", "/user/search", params={"query": "private"})).json()
    assert [u["displayName"] for u in found] == ["Private Person"]
    assert "emailAddress" not in found[0]
    by_email = await cloud.request("GET", "/user/search", params={"query": "priv@example.com"})
    assert len(by_email.json()) == 1
    partial = await cloud.request("GET", "/user/search", params={"query": "priv@"})
    assert partial.json() == []


async def test_cloud_user_by_account_id(cloud: Site) -> None:
    """GET /user?accountId= answers the user; an unknown id is 404."""
    user = cloud.sim.add_user("bob@example.com", "Bob")
    found = await cloud.request("GET", "/user", params={"accountId": user.account_id})
    assert found.json()["displayName"] == "Bob"
    assert (await cloud.request("GET", "/user", params={"accountId": "nobody"})).status_code == 404


async def test_dc_users_by_username(dc: Site) -> None:
    """Data Center searches and reads users by username."""
    dc.sim.add_user("carol@example.com", "Carol", name="carol")
    found = (await dc.request("GET", "/user/search", params={"username": "car"})).json()
    assert [u["name"] for u in found] == ["carol"]
    assert found[0]["emailAddress"] == "carol@example.com"
    one = await dc.request("GET", "/user", params={"username": "carol"})
    assert one.json()["displayName"] == "Carol"
    assert (await dc.request("GET", "/user", params={"username": "zed"})).status_code == 404


async def test_project_statuses_list_each_issue_types_workflow_statuses(
    cloud: Site, dc: Site
) -> None:
    """GET /project/{key}/statuses names every status of the project's workflow per type."""
    for site in (cloud, dc):
        response = await site.request("GET", "/project/DEMO/statuses")
        assert response.status_code == 200
        names = {s["name"] for s in response.json()[0]["statuses"]}
        assert {"To Do", "In Progress", "Done"} <= names
