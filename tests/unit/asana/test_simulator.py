"""The Asana simulator: identity, errors, opt_fields, and a task's fields as Asana validates them.

Also the kit the other ``test_simulator_*`` modules use: `open_site` builds a simulator on a
`ManualClock` with a workspace, a user and a project, and a client whose every request and
response is checked against Asana's OpenAPI description (unchecked when it is absent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from adapters.asana.simulator import AsanaSimulator, ManualClock, Project, User, Workspace
from adapters.asana.simulator.model import CustomField
from tests.contract.openapi import (
    ASANA,
    UNCHECKED_REQUEST,
    checking_hooks,
    spec_if_present,
    spec_or_skip,
)

pytestmark = pytest.mark.anyio
BASE = "http://asana.test/api/1.0"
TOKEN = "tok"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Site:
    """A simulator, its clock, its workspace, user and project, and a checked client."""

    sim: AsanaSimulator
    clock: ManualClock
    workspace: Workspace
    user: User
    project: Project
    estimate: CustomField
    priority: CustomField
    client: httpx.AsyncClient

    @property
    def sections(self) -> list[str]:
        return self.project.sections

    async def request(
        self, method: str, path: str, *, checked: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """A call below /api/1.0; ``checked=False`` skips checking the request only."""
        extensions = {} if checked else {UNCHECKED_REQUEST: True}
        return await self.client.request(method, BASE + path, extensions=extensions, **kwargs)

    async def create(self, name: str = "A task", **fields: Any) -> dict[str, Any]:
        """Create a task (in the project unless told otherwise); its full record."""
        data = {"name": name, **fields}
        if not {"projects", "memberships", "parent", "workspace"} & set(data):
            data["projects"] = [self.project.gid]
        response = await self.request("POST", "/tasks", json={"data": data})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()["data"]
        return created

    async def task(self, gid: str, **params: Any) -> dict[str, Any]:
        response = await self.request("GET", f"/tasks/{gid}", params=params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()["data"]
        return found

    async def update(self, gid: str, **data: Any) -> httpx.Response:
        return await self.request("PUT", f"/tasks/{gid}", json={"data": data})

    async def post(self, path: str, **data: Any) -> httpx.Response:
        return await self.request("POST", path, json={"data": data})


@asynccontextmanager
async def open_site(*, premium: bool = True, **options: Any) -> AsyncIterator[Site]:
    """A fresh site: workspace Acme, user Ann (token ``tok``), project Web (To do / Done) with
    the custom fields Estimate (number) and Priority (enum Low/High)."""
    spec = spec_if_present(ASANA)
    clock = ManualClock()
    sim = AsanaSimulator(premium=premium, clock=clock, **options)
    workspace = sim.add_workspace("Acme")
    user = sim.add_user("Ann", "ann@example.com", token=TOKEN)
    project = sim.add_project("Web", workspace, sections=["To do", "Done"])
    estimate = sim.add_custom_field(workspace, "Estimate", "number", projects=[project])
    priority = sim.add_custom_field(
        workspace, "Priority", "enum", options=["Low", "High"], projects=[project]
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        headers={"Authorization": f"Bearer {TOKEN}"},
        event_hooks=checking_hooks(spec),
    ) as client:
        yield Site(sim, clock, workspace, user, project, estimate, priority, client)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with open_site() as opened:
        yield opened


def message(response: httpx.Response) -> str:
    """The first error message of an Asana error answer."""
    errors = response.json()["errors"]
    assert errors[0]["help"].startswith("For more information")
    return str(errors[0]["message"])


# --- identity and errors ------------------------------------------------------------------------


async def test_users_me_describes_the_caller(site: Site) -> None:
    """GET /users/me answers the token's user, wrapped in data, with their workspaces."""
    me = (await site.request("GET", "/users/me")).json()["data"]
    assert (me["gid"], me["name"], me["email"]) == (site.user.gid, "Ann", "ann@example.com")
    assert me["workspaces"] == [
        {"gid": site.workspace.gid, "name": "Acme", "resource_type": "workspace"}
    ]


async def test_gids_are_increasing_sixteen_digit_strings(site: Site) -> None:
    """Gids look like Asana's: numeric strings of 16 digits, increasing."""
    first, second = (await site.create())["gid"], (await site.create())["gid"]
    assert len(first) == 16
    assert first.isdigit()
    assert int(second) > int(first)


async def test_a_missing_or_unknown_token_is_401(site: Site) -> None:
    """Without a valid bearer token the answer is 401 Not Authorized."""
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}):
        response = await site.request("GET", "/users/me", headers=headers)
        assert (response.status_code, message(response)) == (401, "Not Authorized")


async def test_an_unknown_task_is_404_naming_it(site: Site) -> None:
    """GET of an unknown task gid is 404 "task: Unknown object: <gid>"."""
    response = await site.request("GET", "/tasks/123")
    assert (response.status_code, message(response)) == (404, "task: Unknown object: 123")


async def test_an_unknown_route_is_404(site: Site) -> None:
    """A path Asana does not serve is 404 with Asana's error body."""
    transport = httpx.ASGITransport(app=site.sim.app)
    async with httpx.AsyncClient(transport=transport) as unchecked:
        response = await unchecked.get(BASE + "/made/up", headers={"Authorization": "Bearer tok"})
    assert (response.status_code, message(response)) == (404, "No matching route for request")


async def test_a_user_outside_the_workspace_is_403(site: Site) -> None:
    """A user who is not a member of the task's workspace gets 403."""
    other = site.sim.add_workspace("Other")
    site.sim.add_user("Bob", "bob@example.com", workspaces=[other], token="bob")
    gid = (await site.create())["gid"]
    response = await site.request("GET", f"/tasks/{gid}", headers={"Authorization": "Bearer bob"})
    assert response.status_code == 403


# --- opt_fields ---------------------------------------------------------------------------------


async def test_one_task_is_full_and_lists_are_compact(site: Site) -> None:
    """GET of a task gives its full record; a list gives gid, name, resource_type, subtype."""
    gid = (await site.create("Full"))["gid"]
    full = await site.task(gid)
    assert {"notes", "memberships", "custom_fields", "modified_at"} <= set(full)
    listed = (await site.request("GET", f"/projects/{site.project.gid}/tasks")).json()["data"]
    assert listed == [
        {"gid": gid, "name": "Full", "resource_type": "task", "resource_subtype": "default_task"}
    ]


async def test_opt_fields_name_exactly_the_fields_wanted_with_dotted_paths(site: Site) -> None:
    """opt_fields returns the gid plus the named fields, reaching into related objects."""
    parent = (await site.create("Parent"))["gid"]
    gid = (await site.create("Child", parent=parent, assignee="me", due_on="2024-02-10"))["gid"]
    fields = "assignee.email,parent.gid,memberships.section.name,due_on,tags.name"
    found = await site.task(gid, opt_fields=fields)
    assert found == {
        "gid": gid,
        "assignee": {"gid": site.user.gid, "email": "ann@example.com"},
        "parent": {"gid": parent},
        "memberships": [],
        "due_on": "2024-02-10",
        "tags": [],
    }
    listed = await site.request(
        "GET",
        f"/projects/{site.project.gid}/tasks",
        params={"opt_fields": "memberships.section.name"},
    )
    section = listed.json()["data"][0]["memberships"][0]["section"]
    assert section == {"gid": site.sections[0], "name": "To do"}


async def test_custom_field_values_are_read_by_dotted_opt_fields(site: Site) -> None:
    """custom_fields.number_value and .enum_value.name read the values set by gid."""
    high = site.priority.enum_options[1].gid
    gid = (await site.create(custom_fields={site.estimate.gid: 2.5, site.priority.gid: high}))[
        "gid"
    ]
    found = await site.task(
        gid, opt_fields="custom_fields.number_value,custom_fields.enum_value.name"
    )
    assert found["custom_fields"] == [
        {"gid": site.estimate.gid, "number_value": 2.5},
        {"gid": site.priority.gid, "enum_value": {"gid": high, "name": "High"}},
    ]


# --- task fields --------------------------------------------------------------------------------


async def test_start_on_requires_a_due_date(site: Site) -> None:
    """A start date without a due date is 400; with one (after it) it is stored."""
    refused = await site.post(
        "/tasks", name="x", projects=[site.project.gid], start_on="2024-02-01"
    )
    assert refused.status_code == 400
    assert message(refused) == "You must specify a due date to set start_on"
    task = await site.create(start_on="2024-02-01", due_on="2024-02-05")
    assert (task["start_on"], task["due_on"]) == ("2024-02-01", "2024-02-05")
    late = await site.update(task["gid"], start_on="2024-02-05")
    assert late.status_code == 400


async def test_due_on_and_due_at_are_exclusive(site: Site) -> None:
    """due_on and due_at in one request is 400; setting one clears the other."""
    refused = await site.post(
        "/tasks", name="x", workspace=site.workspace.gid, due_on="2024-02-01",
        due_at="2024-02-01T10:00:00Z",
    )  # fmt: skip
    assert refused.status_code == 400
    task = await site.create(due_on="2024-02-01")
    updated = (await site.update(task["gid"], due_at="2024-02-03T10:00:00.000Z")).json()["data"]
    assert (updated["due_on"], updated["due_at"]) == (None, "2024-02-03T10:00:00.000Z")


async def test_a_milestone_cannot_have_a_start_date(site: Site) -> None:
    """A milestone with start_on is 400; a milestone with a due date is fine."""
    refused = await site.post(
        "/tasks", name="M", workspace=site.workspace.gid, resource_subtype="milestone",
        start_on="2024-02-01", due_on="2024-02-03",
    )  # fmt: skip
    assert (refused.status_code, message(refused)) == (
        400,
        "start_on: Milestones cannot have a start date",
    )
    milestone = await site.create("M", resource_subtype="milestone", due_on="2024-02-03")
    assert milestone["resource_subtype"] == "milestone"


async def test_html_notes_must_be_asana_rich_text_and_set_notes(site: Site) -> None:
    """Valid rich text is stored and gives the plain notes; invalid XML or tags are 400."""
    html = "<body><strong>Bold</strong> move<ul><li>one</li><li>two</li></ul></body>"
    task = await site.create(html_notes=html)
    assert task["html_notes"] == html
    assert task["notes"] == "Bold move\none\ntwo"
    for bad in ("<body><strong>open</body>", "<div>x</div>", "<body><script>x</script></body>"):
        response = await site.update(task["gid"], html_notes=bad)
        assert response.status_code == 400, bad
    assert (
        message(await site.update(task["gid"], html_notes="<body>")) == "html_notes: XML is invalid"
    )
    plain = (await site.update(task["gid"], notes="a < b")).json()["data"]
    assert plain["html_notes"] == "<body>a &lt; b</body>"


async def test_names_have_a_maximum_length(site: Site) -> None:
    """A name over Asana's limit is 400."""
    response = await site.post("/tasks", name="x" * 1025, workspace=site.workspace.gid)
    assert response.status_code == 400


async def test_unknown_and_create_only_properties_are_refused(site: Site) -> None:
    """PUT with a property a task lacks, or one only settable at creation, is 400."""
    gid = (await site.create())["gid"]
    unknown = await site.request(
        "PUT", f"/tasks/{gid}", json={"data": {"colour": "red"}}, checked=False
    )
    assert (unknown.status_code, message(unknown)) == (400, "colour: Unknown property")
    projects = await site.update(gid, projects=[site.project.gid])
    assert projects.status_code == 400


async def test_completing_sets_completed_at_and_modified_at(site: Site) -> None:
    """completed true stamps completed_at; every change moves modified_at to the clock."""
    gid = (await site.create())["gid"]
    site.clock.advance(60)
    done = (await site.update(gid, completed=True)).json()["data"]
    assert done["completed_at"] == done["modified_at"] == "2024-01-31T12:01:00.000Z"
    undone = (await site.update(gid, completed=False)).json()["data"]
    assert undone["completed_at"] is None


async def test_custom_field_values_are_checked(site: Site) -> None:
    """Unknown fields, wrong types and unknown enum options are 400; null clears a value."""
    gid = (await site.create())["gid"]
    for values in ({"999": 1}, {site.estimate.gid: "three"}, {site.priority.gid: "999"}):
        assert (await site.update(gid, custom_fields=values)).status_code == 400, values
    set_ = (await site.update(gid, custom_fields={site.estimate.gid: 3})).json()["data"]
    assert set_["custom_fields"][0]["display_value"] == "3"
    cleared = (await site.update(gid, custom_fields={site.estimate.gid: None})).json()["data"]
    assert cleared["custom_fields"][0]["number_value"] is None


async def test_custom_fields_on_a_free_workspace_are_402() -> None:
    """Writing custom field values in a non-premium workspace is 402 Payment Required."""
    async with open_site(premium=False) as free:
        gid = (await free.create())["gid"]
        response = await free.update(gid, custom_fields={free.estimate.gid: 1})
        assert response.status_code == 402


async def test_external_data_is_kept_for_the_app(site: Site) -> None:
    """external {gid, data} is stored and read back."""
    task = await site.create(external={"gid": "sync-1", "data": '{"v": 1}'})
    assert task["external"] == {"gid": "sync-1", "data": '{"v": 1}'}


async def test_deleting_moves_to_the_trash(site: Site) -> None:
    """A deleted task (and its subtasks) is 404 and gone from lists."""
    parent = (await site.create())["gid"]
    child = (await site.create(parent=parent))["gid"]
    assert (await site.request("DELETE", f"/tasks/{parent}")).json() == {"data": {}}
    for gid in (parent, child):
        assert (await site.request("GET", f"/tasks/{gid}")).status_code == 404
    listed = await site.request("GET", f"/projects/{site.project.gid}/tasks")
    assert listed.json()["data"] == []
    site.sim.undelete(parent)
    assert (await site.request("GET", f"/tasks/{parent}")).status_code == 200


def test_the_asana_descriptions_known_defects_are_corrected_and_only_those() -> None:
    """A null assignee (allOf + nullable) validates; an assignee of the wrong type still fails."""
    spec = spec_or_skip(ASANA)
    spec.check_response("GET", "/api/1.0/tasks/1", 200, {"data": {"gid": "1", "assignee": None}})
    with pytest.raises(AssertionError, match="assignee"):
        spec.check_response("GET", "/api/1.0/tasks/1", 200, {"data": {"assignee": "1"}})
    spec.check_response("PUT", "/api/1.0/tasks/1", 402, {"errors": [{"message": "premium"}]})
