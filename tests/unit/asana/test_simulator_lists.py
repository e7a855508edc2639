"""The Asana simulator's lists and relations: pagination, subtasks, sections, tags,
dependencies and GET /tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.asana.test_simulator import Site, message, open_site

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with open_site() as opened:
        yield opened


# --- pagination ---------------------------------------------------------------------------------


async def test_pages_follow_offsets_to_a_null_next_page(site: Site) -> None:
    """limit pages the list; next_page carries offset, path and uri, and is null at the end."""
    gids = [(await site.create(f"T{i}"))["gid"] for i in range(5)]
    path = f"/projects/{site.project.gid}/tasks"
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        body = (await site.request("GET", path, params=params)).json()
        seen += [t["gid"] for t in body["data"]]
        if body["next_page"] is None:
            break
        page = body["next_page"]
        assert page["path"].startswith(f"{path}?limit=2&offset=")
        assert page["uri"] == "http://asana.test/api/1.0" + page["path"]
        params = {"limit": "2", "offset": page["offset"]}
    assert seen == gids


async def test_without_limit_there_is_no_next_page(site: Site) -> None:
    """An unpaginated request answers everything and no next_page at all."""
    await site.create()
    body = (await site.request("GET", f"/projects/{site.project.gid}/tasks")).json()
    assert "next_page" not in body
    assert len(body["data"]) == 1


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
async def test_a_limit_outside_1_to_100_is_400(site: Site, limit: str) -> None:
    """limit must be an integer from 1 to 100."""
    response = await site.request(
        "GET", f"/projects/{site.project.gid}/tasks", params={"limit": limit}
    )
    assert response.status_code == 400


async def test_a_bad_or_expired_offset_is_400(site: Site) -> None:
    """An unknown offset, or one older than the offset lifetime, is 400."""
    for _ in range(3):
        await site.create()
    path = f"/projects/{site.project.gid}/tasks"
    bad = await site.request("GET", path, params={"limit": "1", "offset": "forged"})
    assert (bad.status_code, message(bad)) == (400, "offset: Your pagination token is invalid.")
    offset = (await site.request("GET", path, params={"limit": "1"})).json()["next_page"]["offset"]
    site.clock.advance(site.sim.offset_ttl + 1)
    expired = await site.request("GET", path, params={"limit": "1", "offset": offset})
    assert (expired.status_code, message(expired)) == (
        400,
        "offset: Your pagination token has expired.",
    )


# --- subtasks and sections ----------------------------------------------------------------------


async def test_subtasks_are_not_listed_with_the_projects_tasks(site: Site) -> None:
    """A subtask is listed under its parent, not in the project's tasks."""
    parent = (await site.create("Parent"))["gid"]
    response = await site.post(f"/tasks/{parent}/subtasks", name="Child")
    child = response.json()["data"]["gid"]
    listed = (await site.request("GET", f"/projects/{site.project.gid}/tasks")).json()["data"]
    assert [t["gid"] for t in listed] == [parent]
    via_query = await site.request("GET", "/tasks", params={"project": site.project.gid})
    assert [t["gid"] for t in via_query.json()["data"]] == [parent]
    subtasks = (await site.request("GET", f"/tasks/{parent}/subtasks")).json()["data"]
    assert [t["gid"] for t in subtasks] == [child]


async def test_set_parent_moves_a_task_and_refuses_loops(site: Site) -> None:
    """setParent reparents (null makes a top-level task); a loop is 400."""
    a, b = (await site.create("A"))["gid"], (await site.create("B"))["gid"]
    moved = (await site.post(f"/tasks/{b}/setParent", parent=a)).json()["data"]
    assert moved["parent"]["gid"] == a
    assert (await site.post(f"/tasks/{a}/setParent", parent=b)).status_code == 400
    top = (await site.post(f"/tasks/{b}/setParent", parent=None)).json()["data"]
    assert top["parent"] is None


async def test_tasks_go_into_sections(site: Site) -> None:
    """memberships place a task in a section; addTask moves it; new sections are listed."""
    todo, done = site.sections
    # The description marks memberships read-only; Asana takes them on create (unchecked).
    data = {"name": "T", "memberships": [{"project": site.project.gid, "section": todo}]}
    created = await site.request("POST", "/tasks", json={"data": data}, checked=False)
    gid = created.json()["data"]["gid"]
    assert (await site.task(gid))["memberships"][0]["section"]["gid"] == todo
    await site.post(f"/sections/{done}/addTask", task=gid)
    in_done = (await site.request("GET", f"/sections/{done}/tasks")).json()["data"]
    assert [t["gid"] for t in in_done] == [gid]
    created = await site.post(f"/projects/{site.project.gid}/sections", name="Later")
    assert created.status_code == 201
    names = [
        s["name"]
        for s in (await site.request("GET", f"/projects/{site.project.gid}/sections")).json()[
            "data"
        ]
    ]
    assert names == ["To do", "Done", "Later"]


# --- tags, dependencies, GET /tasks -------------------------------------------------------------


async def test_tags_are_created_and_put_on_tasks(site: Site) -> None:
    """Tags are created in a workspace, added to and removed from tasks."""
    tag = (await site.post(f"/workspaces/{site.workspace.gid}/tags", name="urgent")).json()["data"]
    other = (await site.post("/tags", name="later", workspace=site.workspace.gid)).json()["data"]
    gid = (await site.create())["gid"]
    await site.post(f"/tasks/{gid}/addTag", tag=tag["gid"])
    assert [t["name"] for t in (await site.task(gid))["tags"]] == ["urgent"]
    await site.post(f"/tasks/{gid}/removeTag", tag=tag["gid"])
    assert (await site.task(gid))["tags"] == []
    listed = (await site.request("GET", f"/workspaces/{site.workspace.gid}/tags")).json()["data"]
    assert [t["gid"] for t in listed] == [tag["gid"], other["gid"]]


async def test_dependencies_are_added_listed_and_removed(site: Site) -> None:
    """addDependencies links tasks both ways; removeDependencies unlinks them."""
    first, second = (await site.create("First"))["gid"], (await site.create("Second"))["gid"]
    assert (await site.post(f"/tasks/{second}/addDependencies", dependencies=[first])).json() == {
        "data": {}
    }
    deps = (await site.request("GET", f"/tasks/{second}/dependencies")).json()["data"]
    assert [d["gid"] for d in deps] == [first]
    found = await site.task(first, opt_fields="dependents.name")
    assert found["dependents"] == [{"gid": second, "name": "Second"}]
    await site.post(f"/tasks/{second}/removeDependencies", dependencies=[first])
    assert (await site.request("GET", f"/tasks/{second}/dependencies")).json()["data"] == []


async def test_a_dependency_cycle_is_400(site: Site) -> None:
    """A task cannot depend on itself or on a task that depends on it."""
    a, b = (await site.create("A"))["gid"], (await site.create("B"))["gid"]
    await site.post(f"/tasks/{b}/addDependencies", dependencies=[a])
    assert (await site.post(f"/tasks/{a}/addDependencies", dependencies=[b])).status_code == 400
    assert (await site.post(f"/tasks/{a}/addDependencies", dependencies=[a])).status_code == 400


async def test_dependencies_are_premium_only() -> None:
    """In a free workspace the dependency endpoints answer 402 Payment Required."""
    async with open_site(premium=False) as free:
        a, b = (await free.create("A"))["gid"], (await free.create("B"))["gid"]
        added = await free.post(f"/tasks/{b}/addDependencies", dependencies=[a])
        listed = await free.request("GET", f"/tasks/{b}/dependencies")
        assert (added.status_code, listed.status_code) == (402, 402)


async def test_get_tasks_filters_by_modified_since(site: Site) -> None:
    """GET /tasks?project=&modified_since= answers the tasks changed since then."""
    old = (await site.create("Old"))["gid"]
    site.clock.advance(3600)
    since = "2024-01-31T12:30:00.000Z"
    new = (await site.create("New"))["gid"]
    params = {"project": site.project.gid, "modified_since": since}
    assert [
        t["gid"] for t in (await site.request("GET", "/tasks", params=params)).json()["data"]
    ] == [new]
    await site.update(old, name="Old, renamed")
    found = (await site.request("GET", "/tasks", params=params)).json()["data"]
    assert {t["gid"] for t in found} == {old, new}


async def test_get_tasks_needs_a_scope(site: Site) -> None:
    """GET /tasks without project, section, tag or assignee + workspace is 400."""
    assert (await site.request("GET", "/tasks")).status_code == 400


async def test_users_and_custom_field_settings_are_listed(site: Site) -> None:
    """The workspace's users and the project's custom field settings are listed."""
    users = (await site.request("GET", f"/workspaces/{site.workspace.gid}/users")).json()["data"]
    assert [u["name"] for u in users] == ["Ann"]
    path = f"/projects/{site.project.gid}/custom_field_settings"
    settings = (await site.request("GET", path)).json()["data"]
    assert [s["custom_field"]["name"] for s in settings] == ["Estimate", "Priority"]
    project = (await site.request("GET", f"/projects/{site.project.gid}")).json()["data"]
    assert project["workspace"]["gid"] == site.workspace.gid
