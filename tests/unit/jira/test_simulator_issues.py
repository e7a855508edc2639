"""The Jira simulator's issues: fields as Jira validates them, bulk create, update operations,
transitions, properties, links, versions and archiving; every body checked against the OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.unit.jira.test_simulator import Site, adf, open_site

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def cloud() -> AsyncIterator[Site]:
    async with open_site("cloud") as site:
        yield site


@pytest.fixture
async def dc() -> AsyncIterator[Site]:
    async with open_site("dc") as site:
        yield site


def fields_of(**fields: Any) -> dict[str, Any]:
    return {"fields": {"project": {"key": "DEMO"}, "issuetype": {"name": "Task"}, **fields}}


# --- create -------------------------------------------------------------------------------------


async def test_create_answers_id_key_and_self_with_increasing_ids(cloud: Site) -> None:
    """POST /issue answers 201 {id, key, self}; ids increase and keys count per project."""
    first = await cloud.create("One")
    second = await cloud.create("Two")
    assert (first["key"], second["key"]) == ("DEMO-1", "DEMO-2")
    assert int(second["id"]) == int(first["id"]) + 1
    assert first["self"].endswith(f"/rest/api/3/issue/{first['id']}")


async def test_a_new_issue_reads_back_with_jiras_defaults(cloud: Site) -> None:
    """A new issue is To Do, unresolved, reported by the caller, stamped in Jira's format."""
    key = (await cloud.create("Fresh", description=adf("Hello")))["key"]
    fields = (await cloud.issue(key))["fields"]
    assert fields["status"]["name"] == "To Do"
    assert fields["status"]["statusCategory"]["key"] == "new"
    assert fields["resolution"] is None
    assert fields["reporter"]["accountId"] == cloud.admin.account_id
    assert fields["created"] == "2024-01-31T12:00:00.000+0000"
    assert fields["description"] == adf("Hello")
    assert "parent" not in fields


async def test_summary_longer_than_255_is_refused(cloud: Site) -> None:
    """A 256-character summary answers Jira's 400 for the summary field."""
    response = await cloud.request("POST", "/issue", json=fields_of(summary="x" * 256))
    assert response.status_code == 400
    assert response.json() == {
        "errorMessages": [],
        "errors": {"summary": "Summary must be less than 255 characters."},
    }


async def test_every_refused_field_is_reported_at_once(cloud: Site) -> None:
    """A create with several bad fields names each in errors, and creates nothing."""
    body = fields_of(labels=["two words"], duedate="31/01/2024", assignee={"accountId": "nobody"})
    body["fields"]["issuetype"] = {"name": "Nope"}
    response = await cloud.request("POST", "/issue", json=body)
    errors = response.json()["errors"]
    assert set(errors) == {"summary", "labels", "duedate", "assignee", "issuetype"}
    assert errors["labels"] == "The label 'two words' contains spaces which is invalid."
    assert errors["duedate"] == "Error parsing date string: 31/01/2024"
    assert (await cloud.create())["key"] == "DEMO-1"


async def test_cloud_descriptions_are_atlassian_documents(cloud: Site, dc: Site) -> None:
    """Cloud refuses a plain-string description; Data Center takes wiki-markup strings."""
    response = await cloud.request(
        "POST", "/issue", json=fields_of(summary="s", description="plain")
    )
    assert response.status_code == 400
    assert "Atlassian Document" in response.json()["errors"]["description"]
    key = (await dc.create("s", description="h1. Title"))["key"]
    assert (await dc.issue(key))["fields"]["description"] == "h1. Title"


async def test_status_and_unknown_fields_cannot_be_set(cloud: Site) -> None:
    """Status changes only by transition: setting it is Jira's 'cannot be set' 400."""
    key = (await cloud.create())["key"]
    body = {"fields": {"status": {"name": "Done"}, "customfield_99999": 1}}
    response = await cloud.request("PUT", f"/issue/{key}", json=body)
    assert response.status_code == 400
    reason = "cannot be set. It is not on the appropriate screen, or unknown."
    assert response.json()["errors"] == {
        "status": f"Field 'status' {reason}",
        "customfield_99999": f"Field 'customfield_99999' {reason}",
    }


async def test_assignee_is_an_account_id_on_cloud_and_a_name_on_dc(cloud: Site, dc: Site) -> None:
    """Cloud assigns by {accountId}, Data Center by {name}; the issue shows the user."""
    ann = cloud.sim.add_user("ann@example.com", "Ann")
    key = (await cloud.create(assignee={"accountId": ann.account_id}))["key"]
    assert (await cloud.issue(key))["fields"]["assignee"]["displayName"] == "Ann"
    dc.sim.add_user("bob@example.com", "Bob", name="bob")
    key = (await dc.create(assignee={"name": "bob"}))["key"]
    assert (await dc.issue(key))["fields"]["assignee"]["name"] == "bob"
    refused = await dc.request(
        "POST", "/issue", json=fields_of(summary="s", assignee={"name": "zed"})
    )
    assert refused.json()["errors"] == {"assignee": "User 'zed' does not exist."}


async def test_dates_numbers_and_estimates_round_trip(cloud: Site) -> None:
    """Start date, due date, number fields and an estimate read back as Jira writes them."""
    key = (
        await cloud.create(
            duedate="2024-02-10",
            customfield_10015="2024-02-01",
            customfield_10050=1200,
            timetracking={"originalEstimate": "1d 2h"},
        )
    )["key"]
    fields = (await cloud.issue(key))["fields"]
    assert (fields["duedate"], fields["customfield_10015"]) == ("2024-02-10", "2024-02-01")
    assert fields["customfield_10050"] == 1200.0
    assert fields["timeoriginalestimate"] == 10 * 3600
    assert fields["timetracking"]["originalEstimate"] == "1d 2h"


async def test_an_estimate_in_seconds_can_be_set_directly(cloud: Site) -> None:
    """timeoriginalestimate (seconds) is accepted and shown in timetracking."""
    key = (await cloud.create(timeoriginalestimate=5400))["key"]
    fields = (await cloud.issue(key, "timetracking,timeoriginalestimate"))["fields"]
    assert fields == {
        "timetracking": {
            "originalEstimate": "1h 30m",
            "remainingEstimate": "1h 30m",
            "originalEstimateSeconds": 5400,
            "remainingEstimateSeconds": 5400,
        },
        "timeoriginalestimate": 5400,
    }


async def test_wrongly_typed_custom_values_are_refused(cloud: Site) -> None:
    """A number field refuses text; a date field refuses a timestamp."""
    body = fields_of(summary="s", customfield_10050="12", customfield_10015="2024-02-01T10:00")
    errors = (await cloud.request("POST", "/issue", json=body)).json()["errors"]
    assert errors == {
        "customfield_10050": "Operation value must be a number",
        "customfield_10015": "Error parsing date string: 2024-02-01T10:00",
    }


# --- bulk ---------------------------------------------------------------------------------------


async def test_bulk_create_creates_what_it_can(cloud: Site) -> None:
    """Bulk create answers 201 with the issues made and an error per failed element number."""
    good = fields_of(summary="ok")
    bad = fields_of(summary="y" * 300)
    response = await cloud.request(
        "POST", "/issue/bulk", json={"issueUpdates": [good, good, good, bad]}
    )
    assert response.status_code == 201
    body = response.json()
    assert [i["key"] for i in body["issues"]] == ["DEMO-1", "DEMO-2", "DEMO-3"]
    assert body["errors"] == [
        {
            "status": 400,
            "elementErrors": {
                "errorMessages": [],
                "errors": {"summary": "Summary must be less than 255 characters."},
            },
            "failedElementNumber": 3,
        }
    ]


async def test_bulk_create_all_failing_is_400_and_over_50_refused(dc: Site) -> None:
    """A bulk where nothing could be created is 400; more than 50 issues is refused."""
    response = await dc.request("POST", "/issue/bulk", json={"issueUpdates": [fields_of()]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["failedElementNumber"] == 0
    many = {"issueUpdates": [fields_of(summary="s")] * 51}
    assert (await dc.request("POST", "/issue/bulk", json=many)).status_code == 400


# --- edit ---------------------------------------------------------------------------------------


async def test_update_operations_add_remove_and_set(cloud: Site) -> None:
    """labels and fixVersions take add/remove/set operations; labels come back sorted."""
    await cloud.request("POST", "/version", json={"name": "1.0", "projectId": 10000})
    await cloud.request("POST", "/version", json={"name": "2.0", "projectId": 10000})
    key = (await cloud.create(labels=["b", "a"], fixVersions=[{"name": "1.0"}]))["key"]
    update = {
        "labels": [{"add": "c"}, {"remove": "a"}],
        "fixVersions": [{"add": {"name": "2.0"}}, {"remove": {"name": "1.0"}}],
        "summary": [{"set": "Renamed"}],
    }
    assert (await cloud.request("PUT", f"/issue/{key}", json={"update": update})).status_code == 204
    fields = (await cloud.issue(key))["fields"]
    assert fields["labels"] == ["b", "c"]
    assert [v["name"] for v in fields["fixVersions"]] == ["2.0"]
    assert fields["summary"] == "Renamed"
    replace = {"update": {"labels": [{"set": ["z"]}]}}
    await cloud.request("PUT", f"/issue/{key}", json=replace)
    assert (await cloud.issue(key))["fields"]["labels"] == ["z"]


async def test_an_edit_bumps_updated_and_a_no_op_edit_does_not(cloud: Site) -> None:
    """updated moves with a real change only."""
    key = (await cloud.create("Same"))["key"]
    cloud.clock.advance(60)
    await cloud.request("PUT", f"/issue/{key}", json={"fields": {"summary": "Same"}})
    assert (await cloud.issue(key))["fields"]["updated"] == "2024-01-31T12:00:00.000+0000"
    await cloud.request("PUT", f"/issue/{key}", json={"fields": {"summary": "Other"}})
    assert (await cloud.issue(key))["fields"]["updated"] == "2024-01-31T12:01:00.000+0000"


async def test_return_issue_answers_200_with_the_issue_on_cloud(cloud: Site) -> None:
    """returnIssue=true makes a Cloud edit answer 200 with the edited issue."""
    key = (await cloud.create())["key"]
    response = await cloud.request(
        "PUT", f"/issue/{key}", params={"returnIssue": "true"}, json={"fields": {"summary": "New"}}
    )
    assert response.status_code == 200
    assert response.json()["fields"]["summary"] == "New"


async def test_an_edit_needs_edit_permission(cloud: Site) -> None:
    """Without Edit Issues an edit is refused and changes nothing."""
    key = (await cloud.create("Kept"))["key"]
    viewer = cloud.sim.add_user("v@example.com", token="tok", permissions=["BROWSE_PROJECTS"])
    body = {"fields": {"summary": "Changed"}}
    response = await cloud.request("PUT", f"/issue/{key}", json=body, headers=cloud.login(viewer))
    assert response.status_code == 400
    assert (await cloud.issue(key))["fields"]["summary"] == "Kept"


# --- hierarchy and delete -----------------------------------------------------------------------


async def test_sub_tasks_need_a_parent_and_show_under_it(cloud: Site) -> None:
    """A sub-task without parent is refused; with one it shows in the parent's subtasks."""
    parent = (await cloud.create("Parent"))["key"]
    refused = await cloud.request("POST", "/issue", json=fields_of(summary="s", issuetype=None))
    assert refused.status_code == 400
    body = fields_of(summary="Child")
    body["fields"]["issuetype"] = {"name": "Sub-task"}
    assert "parent" in (await cloud.request("POST", "/issue", json=body)).json()["errors"]
    body["fields"]["parent"] = {"key": parent}
    child = (await cloud.request("POST", "/issue", json=body)).json()["key"]
    subtasks = (await cloud.issue(parent))["fields"]["subtasks"]
    assert [s["key"] for s in subtasks] == [child]
    assert (await cloud.issue(child))["fields"]["parent"]["key"] == parent


async def test_cloud_tasks_take_an_epic_as_parent_and_dc_does_not(cloud: Site, dc: Site) -> None:
    """On Cloud a task's parent is an epic (one level up); Data Center refuses it."""
    epic = (await cloud.create("Epic", kind="Epic"))["key"]
    task = (await cloud.create("Task", parent={"key": epic}))["key"]
    assert (await cloud.issue(task))["fields"]["parent"]["key"] == epic
    other = (await cloud.create("Task 2"))["key"]
    wrong = await cloud.request(
        "PUT", f"/issue/{task}", json={"fields": {"parent": {"key": other}}}
    )
    assert "hierarchy" in wrong.json()["errors"]["parent"]
    dc_epic = (await dc.create("Epic", kind="Epic"))["key"]
    refused = await dc.request(
        "POST", "/issue", json=fields_of(summary="t", parent={"key": dc_epic})
    )
    assert refused.status_code == 400


async def test_deleting_an_issue_with_sub_tasks_needs_delete_subtasks(cloud: Site) -> None:
    """Delete refuses an issue with sub-tasks unless deleteSubtasks=true, then removes both."""
    parent = (await cloud.create("Parent"))["key"]
    body = fields_of(summary="Child", parent={"key": parent})
    body["fields"]["issuetype"] = {"name": "Sub-task"}
    child = (await cloud.request("POST", "/issue", json=body)).json()["key"]
    assert (await cloud.request("DELETE", f"/issue/{parent}")).status_code == 400
    deleted = await cloud.request("DELETE", f"/issue/{parent}", params={"deleteSubtasks": "true"})
    assert deleted.status_code == 204
    assert (await cloud.request("GET", f"/issue/{child}")).status_code == 404


# --- properties ---------------------------------------------------------------------------------


async def test_properties_round_trip_without_touching_updated(cloud: Site) -> None:
    """Entity properties are stored as given (201 then 200) and leave updated alone."""
    key = (await cloud.create())["key"]
    cloud.clock.advance(60)
    value = {"uid": "abc", "hash": 7}
    first = await cloud.request("PUT", f"/issue/{key}/properties/syncd", json=value)
    again = await cloud.request("PUT", f"/issue/{key}/properties/syncd", json=value)
    assert (first.status_code, again.status_code) == (201, 200)
    read = await cloud.request("GET", f"/issue/{key}/properties/syncd")
    assert read.json() == {"key": "syncd", "value": value}
    issue = await cloud.issue(key, "updated", properties="syncd")
    assert issue["properties"] == {"syncd": value}
    assert issue["fields"]["updated"] == "2024-01-31T12:00:00.000+0000"
    assert (await cloud.request("DELETE", f"/issue/{key}/properties/syncd")).status_code == 204
    assert (await cloud.request("GET", f"/issue/{key}/properties/syncd")).status_code == 404


async def test_properties_can_be_set_at_creation(dc: Site) -> None:
    """IssueUpdateDetails.properties are stored as entity properties when creating."""
    body = fields_of(summary="p")
    body["properties"] = [{"key": "syncd", "value": {"uid": "u1"}}]
    key = (await dc.request("POST", "/issue", json=body)).json()["key"]
    listed = (await dc.request("GET", f"/issue/{key}/properties")).json()
    assert [k["key"] for k in listed["keys"]] == ["syncd"]


# --- transitions --------------------------------------------------------------------------------


async def test_transitions_from_to_do_with_their_screen_fields(cloud: Site) -> None:
    """From To Do only 'Start Progress' is available; Done's screen offers a resolution."""
    key = (await cloud.create())["key"]
    found = (await cloud.request("GET", f"/issue/{key}/transitions")).json()["transitions"]
    assert [(t["id"], t["name"], t["to"]["name"]) for t in found] == [
        ("11", "Start Progress", "In Progress")
    ]
    assert found[0]["to"]["statusCategory"]["key"] == "indeterminate"
    await cloud.request("POST", f"/issue/{key}/transitions", json={"transition": {"id": "11"}})
    params = {"expand": "transitions.fields"}
    found = (await cloud.request("GET", f"/issue/{key}/transitions", params=params)).json()[
        "transitions"
    ]
    done = next(t for t in found if t["to"]["name"] == "Done")
    assert done["fields"]["resolution"]["required"] is False
    assert "Done" in [v["name"] for v in done["fields"]["resolution"]["allowedValues"]]


async def test_dc_transitions_describe_their_screen_fields(dc: Site) -> None:
    """Data Center lists transitions with fieldId-keyed screen fields."""
    key = (await dc.create())["key"]
    await dc.request("POST", f"/issue/{key}/transitions", json={"transition": {"id": "11"}})
    params = {"expand": "transitions.fields"}
    found = (await dc.request("GET", f"/issue/{key}/transitions", params=params)).json()
    done = next(t for t in found["transitions"] if t["to"]["name"] == "Done")
    assert done["fields"]["resolution"]["fieldId"] == "resolution"


async def test_an_issue_expands_names_schema_and_transitions(cloud: Site) -> None:
    """GET issue with expand=names,schema,transitions adds them for the fields shown."""
    key = (await cloud.create())["key"]
    params = {"fields": "summary,customfield_10015", "expand": "names,schema,transitions"}
    body = (await cloud.request("GET", f"/issue/{key}", params=params)).json()
    assert body["names"] == {"summary": "Summary", "customfield_10015": "Start date"}
    assert body["schema"]["customfield_10015"]["custom"].endswith(":datepicker")
    assert [t["name"] for t in body["transitions"]] == ["Start Progress"]


async def test_a_body_that_is_not_json_is_400(cloud: Site) -> None:
    """A malformed JSON body answers 400 with an error message."""
    response = await cloud.request("POST", "/issue", content=b"{nope", checked=False)
    assert response.status_code == 400
    assert response.json()["errorMessages"]


async def test_done_sets_the_resolution_and_reopen_clears_it(cloud: Site) -> None:
    """Moving to Done resolves (with the given resolution); Reopen clears it."""
    key = (await cloud.create())["key"]
    await cloud.request("POST", f"/issue/{key}/transitions", json={"transition": {"id": "11"}})
    cloud.clock.advance(30)
    body = {"transition": {"id": "21"}, "fields": {"resolution": {"name": "Won't Do"}}}
    assert (await cloud.request("POST", f"/issue/{key}/transitions", json=body)).status_code == 204
    fields = (await cloud.issue(key))["fields"]
    assert (fields["status"]["name"], fields["resolution"]["name"]) == ("Done", "Won't Do")
    assert (
        fields["resolutiondate"]
        == fields["statuscategorychangedate"]
        == "2024-01-31T12:00:30.000+0000"
    )
    await cloud.request("POST", f"/issue/{key}/transitions", json={"transition": {"id": "41"}})
    fields = (await cloud.issue(key))["fields"]
    assert (fields["status"]["name"], fields["resolution"], fields["resolutiondate"]) == (
        "To Do",
        None,
        None,
    )


async def test_done_without_a_resolution_takes_the_default(dc: Site) -> None:
    """A transition into Done without a resolution sets Done, as the post function does."""
    key = (await dc.create())["key"]
    for transition in ("11", "21"):
        await dc.request(
            "POST", f"/issue/{key}/transitions", json={"transition": {"id": transition}}
        )
    assert (await dc.issue(key))["fields"]["resolution"]["name"] == "Done"


async def test_an_unavailable_transition_is_400(cloud: Site) -> None:
    """Skipping In Progress (To Do -> Done directly) answers Jira's invalid-transition 400."""
    key = (await cloud.create())["key"]
    response = await cloud.request(
        "POST", f"/issue/{key}/transitions", json={"transition": {"id": "21"}}
    )
    assert response.status_code == 400
    assert response.json()["errorMessages"] == ["Transition id '21' is not valid for this issue."]
    body = {"transition": {"id": "11"}, "fields": {"summary": "no"}}
    refused = await cloud.request("POST", f"/issue/{key}/transitions", json=body)
    assert "summary" in refused.json()["errors"]


async def test_a_review_workflow_adds_in_review(cloud: Site) -> None:
    """A project with the review workflow goes In Progress -> In Review -> Done."""
    from adapters.jira.simulator import default_workflow

    cloud.sim.add_project("REV", workflow=default_workflow(review=True))
    body = {"fields": {"project": {"key": "REV"}, "issuetype": {"name": "Task"}, "summary": "r"}}
    key = (await cloud.request("POST", "/issue", json=body)).json()["key"]
    for transition in ("11", "51", "21"):
        response = await cloud.request(
            "POST", f"/issue/{key}/transitions", json={"transition": {"id": transition}}
        )
        assert response.status_code == 204
    assert (await cloud.issue(key))["fields"]["status"]["name"] == "Done"


# --- links --------------------------------------------------------------------------------------


async def test_a_link_shows_on_both_issues_and_bumps_both(cloud: Site) -> None:
    """outward 'blocks' inward: each issue shows the other under the right key."""
    blocker = (await cloud.create("Blocker"))["key"]
    blocked = (await cloud.create("Blocked"))["key"]
    cloud.clock.advance(5)
    link = {
        "type": {"name": "Blocks"},
        "outwardIssue": {"key": blocker},
        "inwardIssue": {"key": blocked},
    }
    assert (await cloud.request("POST", "/issueLink", json=link)).status_code == 201
    seen_from_blocker = (await cloud.issue(blocker))["fields"]
    seen_from_blocked = (await cloud.issue(blocked))["fields"]
    assert seen_from_blocker["issuelinks"][0]["outwardIssue"]["key"] == blocked
    assert seen_from_blocked["issuelinks"][0]["inwardIssue"]["key"] == blocker
    assert (
        seen_from_blocker["updated"]
        == seen_from_blocked["updated"]
        == "2024-01-31T12:00:05.000+0000"
    )
    link_id = seen_from_blocker["issuelinks"][0]["id"]
    both = (await cloud.request("GET", f"/issueLink/{link_id}")).json()
    assert (both["inwardIssue"]["key"], both["outwardIssue"]["key"]) == (blocked, blocker)
    assert (await cloud.request("DELETE", f"/issueLink/{link_id}")).status_code == 204
    assert (await cloud.issue(blocked))["fields"]["issuelinks"] == []


async def test_links_to_unknown_types_or_issues_are_404(dc: Site) -> None:
    """An unknown link type or issue answers 404."""
    key = (await dc.create())["key"]
    link = {"type": {"name": "Nope"}, "outwardIssue": {"key": key}, "inwardIssue": {"key": key}}
    assert (await dc.request("POST", "/issueLink", json=link)).status_code == 404
    link["type"] = {"name": "Blocks"}
    link["inwardIssue"] = {"key": "DEMO-99"}
    assert (await dc.request("POST", "/issueLink", json=link)).status_code == 404


# --- versions -----------------------------------------------------------------------------------


async def test_versions_are_created_listed_and_paged(cloud: Site) -> None:
    """POST /version answers the version; a duplicate name in the project is refused."""
    body = {"name": "1.0", "projectId": 10000, "releaseDate": "2024-03-01", "description": "First"}
    created = await cloud.request("POST", "/version", json=body)
    assert created.status_code == 201
    assert created.json()["userReleaseDate"] == "1/Mar/2024"
    duplicate = await cloud.request("POST", "/version", json={"name": "1.0", "projectId": 10000})
    assert duplicate.json()["errors"] == {
        "name": "A version with this name already exists in this project."
    }
    for name in ("2.0", "3.0"):
        await cloud.request("POST", "/version", json={"name": name, "projectId": 10000})
    listed = (await cloud.request("GET", "/project/DEMO/versions")).json()
    assert [v["name"] for v in listed] == ["1.0", "2.0", "3.0"]
    page = (await cloud.request("GET", "/project/DEMO/version", params={"maxResults": 2})).json()
    assert (page["total"], page["isLast"], len(page["values"])) == (3, False, 2)


async def test_releasing_and_deleting_a_version(cloud: Site) -> None:
    """PUT releases a version; DELETE removes it from its issues and bumps them."""
    version = (
        await cloud.request("POST", "/version", json={"name": "1.0", "projectId": 10000})
    ).json()
    key = (await cloud.create(fixVersions=[{"id": version["id"]}]))["key"]
    released = await cloud.request("PUT", f"/version/{version['id']}", json={"released": True})
    assert released.json()["released"] is True
    cloud.clock.advance(9)
    assert (await cloud.request("DELETE", f"/version/{version['id']}")).status_code == 204
    fields = (await cloud.issue(key))["fields"]
    assert fields["fixVersions"] == []
    assert fields["updated"] == "2024-01-31T12:00:09.000+0000"
    assert (await cloud.request("GET", f"/version/{version['id']}")).status_code == 404


async def test_dc_versions_delete_and_remove_and_swap(dc: Site) -> None:
    """Data Center deletes versions with DELETE or moves their issues with removeAndSwap."""
    one = (await dc.request("POST", "/version", json={"name": "1", "project": "DEMO"})).json()
    two = (await dc.request("POST", "/version", json={"name": "2", "projectId": 10000})).json()
    key = (await dc.create(fixVersions=[{"name": "1"}]))["key"]
    swap = {"moveFixIssuesTo": int(two["id"])}
    assert (
        await dc.request("POST", f"/version/{one['id']}/removeAndSwap", json=swap)
    ).status_code == 204
    assert [v["name"] for v in (await dc.issue(key))["fields"]["fixVersions"]] == ["2"]
    assert (await dc.request("DELETE", f"/version/{two['id']}")).status_code == 204


# --- archiving ----------------------------------------------------------------------------------


async def test_cloud_archiving_is_for_admins_and_hides_from_search(cloud: Site) -> None:
    """PUT /issue/archive (admins only) removes issues from search; unknown keys are reported."""
    key = (await cloud.create())["key"]
    member = cloud.sim.add_user("m@example.com", token="tok")
    body = {"issueIdsOrKeys": [key, "DEMO-99"]}
    denied = await cloud.request("PUT", "/issue/archive", json=body, headers=cloud.login(member))
    assert denied.status_code == 403
    response = await cloud.request("PUT", "/issue/archive", json=body)
    assert response.json() == {
        "errors": {
            "issuesNotFound": {
                "count": 1,
                "issueIdsOrKeys": ["DEMO-99"],
                "message": "Issue does not exist.",
            }
        },
        "numberOfIssuesUpdated": 1,
    }
    assert (await cloud.search("project = DEMO")).json()["issues"] == []


async def test_dc_archiving_one_issue(dc: Site) -> None:
    """PUT /issue/{key}/archive hides the issue from search; a second time is 403."""
    key = (await dc.create())["key"]
    assert (await dc.request("PUT", f"/issue/{key}/archive")).status_code == 204
    assert (await dc.request("PUT", f"/issue/{key}/archive")).status_code == 403
    assert (await dc.search("project = DEMO")).json()["total"] == 0
