"""The Jira adapter against mocked HTTP (respx): every call, paging edge and error class."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import pytest
import respx

from adapters.base import AdapterContext, CreateItem, WebhookRequest
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.site import forget_sites
from syncd.errors import MemberError, RecordError
from syncd.http import RetryPolicy
from syncd.model import Ref
from tests.contract.adapter_suite import run

T = TypeVar("T")
SITE = "https://acme.atlassian.net"
DC = "https://jira.acme.example"
API = f"{SITE}/rest/api/3"
DC_API = f"{DC}/rest/api/2"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    forget_sites()
    forget_recent_writes()
    yield
    forget_sites()
    forget_recent_writes()


class Sleeps:
    """A fake sleep that records the waits asked for."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def adapter(
    *,
    cloud: bool = True,
    people: dict[str, str] | None = None,
    sleep: Sleeps | None = None,
    **member: Any,
) -> JiraAdapter:
    if cloud:
        conn = JiraConnection(
            base_url=SITE, email="pm@acme.example", token="tok-secret-1", requests_per_second=1000
        )
    else:
        conn = JiraConnection(
            base_url=DC, token="pat-secret-1", deployment="datacenter", requests_per_second=1000
        )
    settings = JiraMember(connection="jira", project="WEB", **member)
    policy = RetryPolicy(jitter=0.0)
    return JiraAdapter(
        conn,
        settings,
        AdapterContext("jira", people=people or {}),
        retry_policy=policy,
        sleep=sleep or Sleeps(),
    )


def issue(
    issue_id: str,
    summary: str = "Write spec",
    *,
    status: tuple[str, str] = ("To Do", "new"),
    updated: str = "2026-01-10T10:00:00.000+0000",
    **fields: Any,
) -> dict[str, Any]:
    return {
        "id": issue_id,
        "key": f"WEB-{issue_id}",
        "fields": {
            "summary": summary,
            "description": None,
            "status": {"name": status[0], "statusCategory": {"key": status[1]}},
            "issuetype": {"id": "10001", "name": "Task", "hierarchyLevel": 0},
            "updated": updated,
            **fields,
        },
        "properties": {},
    }


def mock_site(router: respx.Router, api: str = API, tz: str = "Europe/Paris") -> None:
    router.get(f"{api}/myself").respond(
        json={"accountId": "me", "displayName": "PM", "timeZone": tz}
    )
    router.get(f"{api}/project/WEB").respond(
        json={
            "id": "10000",
            "key": "WEB",
            "issueTypes": [
                {"id": "10001", "name": "Task", "subtask": False, "hierarchyLevel": 0},
                {"id": "10002", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
                {"id": "10003", "name": "Epic", "subtask": False, "hierarchyLevel": 1},
            ],
        }
    )


def body_of(call: Any) -> Any:
    return json.loads(call.request.content)


def test_full_fetch_pages_by_token_and_asks_only_the_mapped_fields() -> None:
    """A full read follows nextPageToken to isLast, asks for the mapped fields and the marker."""
    with respx.mock(assert_all_called=True) as router:
        mock_site(router)
        search = router.post(f"{API}/search/jql").mock(
            side_effect=[
                httpx.Response(200, json={"issues": [issue("1")], "nextPageToken": "t2"}),
                httpx.Response(200, json={"issues": [issue("2", "Ship")], "isLast": True}),
            ]
        )
        router.get(f"{API}/project/WEB/versions").respond(
            json=[{"id": "7", "name": "1.0", "releaseDate": "2026-03-01", "released": False}]
        )
        obs = run(adapter().fetch(None))
    assert obs.complete
    assert sorted(r.external_id for r in obs.records) == ["1", "2", "version/7"]
    first, second = body_of(search.calls[0]), body_of(search.calls[1])
    assert first["jql"] == 'project = "WEB" ORDER BY key ASC'
    assert "nextPageToken" not in first
    assert second["nextPageToken"] == "t2"
    assert first["properties"] == ["syncd"]
    assert "summary" in first["fields"]
    assert "*all" not in first["fields"]
    milestone = next(r for r in obs.records if r.kind == "milestone")
    assert milestone.values == {
        "title": "1.0",
        "description": "",
        "due": dt.date(2026, 3, 1),
        "status": "todo",
    }


def test_empty_project_gives_a_complete_empty_listing() -> None:
    """An empty first page is the last page: nothing listed, listing complete."""
    with respx.mock(assert_all_called=True) as router:
        mock_site(router)
        router.post(f"{API}/search/jql").respond(json={"issues": [], "isLast": True})
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter().fetch(None))
    assert obs.records == []
    assert obs.complete
    assert obs.cursor


def test_incremental_fetch_reads_the_cursor_in_the_users_time_zone() -> None:
    """``updated >=`` is written in the user's zone, minus an overlap, and is not complete."""
    cursor = json.dumps({"since": "2026-01-10T03:30:00+00:00"})
    with respx.mock(assert_all_called=True) as router:
        mock_site(router, tz="America/Los_Angeles")
        search = router.post(f"{API}/search/jql").respond(json={"issues": [], "isLast": True})
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter(jql="type != Epic").fetch(cursor))
    jql = body_of(search.calls[0])["jql"]
    assert jql == (
        'project = "WEB" AND (type != Epic) AND updated >= "2026-01-09 19:28" ORDER BY key ASC'
    )
    assert not obs.complete
    assert json.loads(obs.cursor or "")["since"] == "2026-01-10T03:30:00+00:00"


def test_overlap_does_not_list_again_what_the_last_read_saw_unchanged() -> None:
    """Issues re-read in the overlap window are dropped unless their ``updated`` moved."""
    old = issue("1", updated="2026-01-10T10:00:00.000+0000")
    moved = issue("2", updated="2026-01-10T10:00:30.000+0000")
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").mock(
            side_effect=[
                httpx.Response(200, json={"issues": [old, issue("2")], "isLast": True}),
                httpx.Response(200, json={"issues": [old, moved], "isLast": True}),
            ]
        )
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        member = adapter()
        first = run(member.fetch(None))
        second = run(member.fetch(first.cursor))
    assert [r.external_id for r in second.records] == ["2"]


def test_cursor_is_the_latest_update_seen() -> None:
    """The next cursor is the newest ``updated`` of the issues read, in UTC."""
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").respond(
            json={
                "issues": [
                    issue("1", updated="2026-01-10T10:00:00.000+0100"),
                    issue("2", updated="2026-01-10T09:30:00.000+0000"),
                ],
                "isLast": True,
            }
        )
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter().fetch(None))
    assert json.loads(obs.cursor or "")["since"] == "2026-01-10T09:30:00+00:00"


def test_malformed_issue_fails_alone() -> None:
    """An issue that does not parse is a record error; the others are listed."""
    broken = issue("2")
    broken["fields"]["duedate"] = "not a date"
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").respond(json={"issues": [issue("1"), broken]})
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter().fetch(None))
    assert [r.external_id for r in obs.records] == ["1"]
    assert [e.external_id for e in obs.errors] == ["2"]


def test_mapping_of_a_full_issue() -> None:
    """Every mapped Jira field reads into its canonical value."""
    full = issue(
        "5",
        status=("Doing", "indeterminate"),
        assignee={"accountId": "acc-ana", "displayName": "Ana"},
        duedate="2026-02-01",
        customfield_10015="2026-01-15",
        customfield_10050=12500.5,
        labels=["web", "q1"],
        parent={"id": "3", "key": "WEB-3"},
        fixVersions=[{"id": "7", "name": "1.0"}],
        timeoriginalestimate=5400,
        issuelinks=[
            {"id": "91", "type": {"name": "Blocks"}, "inwardIssue": {"id": "8", "key": "WEB-8"}},
            {"id": "92", "type": {"name": "Blocks"}, "outwardIssue": {"id": "9", "key": "WEB-9"}},
            {"id": "93", "type": {"name": "Relates"}, "inwardIssue": {"id": "4"}},
        ],
    )
    full["properties"] = {"syncd": {"uid": "abc"}}
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").respond(json={"issues": [full], "isLast": True})
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        member = adapter(
            people={"ana@acme.example": "acc-ana"},
            fields={"start": "customfield_10015", "planned_cost": "customfield_10050"},
        )
        obs = run(member.fetch(None))
    record = obs.records[0]
    assert record.marker == "abc"
    assert record.url == f"{SITE}/browse/WEB-5"
    assert record.values["status"] == "in_progress"
    assert record.values["assignee"] == "ana@acme.example"
    assert record.values["start"] == dt.date(2026, 1, 15)
    assert str(record.values["planned_cost"]) == "12500.5"
    assert record.values["estimate_hours"] == 1.5
    assert record.values["parent"] == Ref(uid="3")
    assert record.values["milestone"] == Ref(uid="version/7")
    assert record.values["depends_on"] == frozenset({Ref(uid="8")})
    assert "percent_complete" not in record.values


def test_user_with_hidden_email_leaves_the_assignee_out() -> None:
    """An assignee whose email nobody knows is no opinion (left out), never None."""
    hidden = issue("1", assignee={"accountId": "acc-x", "displayName": "X"})
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").respond(json={"issues": [hidden], "isLast": True})
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter().fetch(None))
    assert "assignee" not in obs.records[0].values


def test_status_map_names_win_over_the_category() -> None:
    """A status named in status_map maps as configured, whatever its category."""
    review = issue("1", status=("In Review", "indeterminate"))
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").respond(json={"issues": [review], "isLast": True})
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter(status_map={"In Review": "done"}).fetch(None))
    assert obs.records[0].values["status"] == "done"


def test_unauthorised_stops_the_member_with_a_clear_message() -> None:
    """401 is a member error naming the status, and the token never shows."""
    with respx.mock() as router:
        router.get(f"{API}/myself").respond(401, json={"errorMessages": ["Unauthorized"]})
        with pytest.raises(MemberError) as caught:
            run(adapter().fetch(None))
    assert "401" in str(caught.value)
    assert "tok-secret-1" not in str(caught.value)


def test_throttled_search_waits_as_told_then_succeeds() -> None:
    """429 with Retry-After is retried after that wait."""
    sleeps = Sleeps()
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "1"}, json={"errorMessages": []}),
                httpx.Response(200, json={"issues": [issue("1")], "isLast": True}),
            ]
        )
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter(sleep=sleeps).fetch(None))
    assert [r.external_id for r in obs.records] == ["1"]
    assert sleeps.waits
    assert sleeps.waits[0] == pytest.approx(1, abs=0.01)


def test_update_coalesces_fields_into_one_edit_and_transitions_status() -> None:
    """Several field changes go out in one PUT; status goes through a transition."""
    with respx.mock(assert_all_called=True) as router:
        mock_site(router)
        edit = router.put(f"{API}/issue/5").respond(204)
        router.get(f"{API}/issue/5/transitions").respond(
            json={
                "transitions": [
                    {
                        "id": "21",
                        "name": "Start",
                        "to": {
                            "id": "3",
                            "name": "In Progress",
                            "statusCategory": {"key": "indeterminate"},
                        },
                    },
                    {
                        "id": "31",
                        "name": "Finish",
                        "to": {"id": "4", "name": "Done", "statusCategory": {"key": "done"}},
                        "fields": {
                            "resolution": {"required": True, "allowedValues": [{"name": "Fixed"}]}
                        },
                    },
                ]
            }
        )
        move = router.post(f"{API}/issue/5/transitions").respond(204)
        router.get(f"{API}/issue/5").respond(
            json=issue("5", "New title", status=("Done", "done"), duedate="2026-02-01")
        )
        observed = run(
            adapter().update(
                "task",
                "5",
                {"title": "New title", "due": dt.date(2026, 2, 1), "status": "done"},
            )
        )
    assert edit.call_count == 1
    assert body_of(edit.calls[0]) == {"fields": {"summary": "New title", "duedate": "2026-02-01"}}
    assert body_of(move.calls[0]) == {
        "transition": {"id": "31"},
        "fields": {"resolution": {"name": "Fixed"}},
    }
    assert observed.values["status"] == "done"
    assert not observed.unwritten


def test_status_no_transition_reaches_is_unwritten_with_the_reason() -> None:
    """A status the workflow cannot reach is refused for that field, the rest is written."""
    with respx.mock() as router:
        mock_site(router)
        router.put(f"{API}/issue/5").respond(204)
        router.get(f"{API}/issue/5/transitions").respond(
            json={
                "transitions": [
                    {
                        "id": "11",
                        "name": "Block",
                        "to": {"id": "9", "name": "Blocked", "statusCategory": {"key": "new"}},
                    }
                ]
            }
        )
        router.get(f"{API}/issue/5").respond(json=issue("5", "T2"))
        observed = run(adapter().update("task", "5", {"title": "T2", "status": "done"}))
    assert "status" in observed.unwritten
    assert "Block -> Blocked" in observed.unwritten["status"]
    assert observed.values["title"] == "T2"


def test_bad_field_answer_is_a_record_error_naming_the_field() -> None:
    """A 400 with Jira's errors body fails the record and names the field."""
    with respx.mock() as router:
        mock_site(router)
        router.put(f"{API}/issue/5").respond(
            400, json={"errorMessages": [], "errors": {"duedate": "Error parsing date string"}}
        )
        with pytest.raises(RecordError) as caught:
            run(adapter().update("task", "5", {"due": dt.date(2026, 2, 1)}))
    assert "duedate: Error parsing date string" in str(caught.value)


def test_assignee_is_written_by_account_id_from_people_or_user_search() -> None:
    """An email becomes the accountId of people:, else of the one user search finds."""
    with respx.mock() as router:
        mock_site(router)
        search = router.get(f"{API}/user/search").respond(
            json=[{"accountId": "acc-bo", "displayName": "Bo", "active": True}]
        )
        edit = router.put(f"{API}/issue/5").respond(204)
        router.get(f"{API}/issue/5").respond(json=issue("5"))
        run(adapter().update("task", "5", {"assignee": "bo@acme.example"}))
    assert search.calls[0].request.url.params["query"] == "bo@acme.example"
    assert body_of(edit.calls[0]) == {"fields": {"assignee": {"accountId": "acc-bo"}}}


def test_unknown_person_is_unwritten_not_a_crash() -> None:
    """An assignee with no Jira account is refused for that field only."""
    with respx.mock() as router:
        mock_site(router)
        router.get(f"{API}/user/search").respond(json=[])
        router.get(f"{API}/issue/5").respond(json=issue("5"))
        observed = run(adapter().update("task", "5", {"assignee": "who@acme.example"}))
    assert "who@acme.example" in observed.unwritten["assignee"]


def test_creates_go_fifty_per_bulk_call_with_the_marker() -> None:
    """60 creates take 2 bulk calls; each body carries the uid in the syncd property."""
    counter = iter(range(1000, 2000))

    def bulk(request: httpx.Request) -> httpx.Response:
        count = len(json.loads(request.content)["issueUpdates"])
        made = [{"id": str(next(counter)), "key": "WEB-x"} for _ in range(count)]
        return httpx.Response(201, json={"issues": made, "errors": []})

    def found(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["reconcileIssues"]
        return httpx.Response(
            200, json={"issues": [issue(str(i), f"T{i}") for i in ids], "isLast": True}
        )

    items = [CreateItem("task", f"uid{i}", {"title": f"T{i}"}) for i in range(60)]
    with respx.mock() as router:
        mock_site(router)
        create = router.post(f"{API}/issue/bulk").mock(side_effect=bulk)
        router.post(f"{API}/search/jql").mock(side_effect=found)
        results = run(adapter().create_many(items))
    assert create.call_count == 2
    first = body_of(create.calls[0])["issueUpdates"][0]
    assert first["properties"] == [{"key": "syncd", "value": {"uid": "uid0"}}]
    assert first["fields"]["project"] == {"id": "10000"}
    assert all(not isinstance(r, RecordError) for r in results)


def test_one_refused_issue_of_a_bulk_create_fails_alone() -> None:
    """Jira's partial bulk answer fails only the element it names."""
    answer = {
        "issues": [{"id": "11", "key": "WEB-11"}],
        "errors": [
            {
                "status": 400,
                "failedElementNumber": 0,
                "elementErrors": {"errorMessages": [], "errors": {"summary": "too long"}},
            }
        ],
    }
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/issue/bulk").respond(201, json=answer)
        router.post(f"{API}/search/jql").respond(json={"issues": [issue("11")], "isLast": True})
        results = run(
            adapter().create_many(
                [
                    CreateItem("task", "a", {"title": "x" * 300}),
                    CreateItem("task", "b", {"title": "ok"}),
                ]
            )
        )
    assert isinstance(results[0], RecordError)
    assert "summary: too long" in str(results[0])
    assert not isinstance(results[1], RecordError)
    assert results[1].external_id == "11"


def test_recent_writes_are_reconciled_in_the_next_search() -> None:
    """Issues syncd just wrote are named in reconcileIssues, so search shows them fresh."""
    with respx.mock() as router:
        mock_site(router)
        router.put(f"{API}/issue/5").respond(204)
        router.get(f"{API}/issue/5").respond(json=issue("5"))
        search = router.post(f"{API}/search/jql").respond(json={"issues": [], "isLast": True})
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        member = adapter()
        run(member.update("task", "5", {"title": "T"}))
        run(member.fetch(None))
    assert body_of(search.calls[0])["reconcileIssues"] == [5]


def test_data_center_searches_by_start_at_and_writes_wiki_and_usernames() -> None:
    """Data Center: /rest/api/2/search with startAt, wiki descriptions, users by name."""
    page1 = {"startAt": 0, "maxResults": 1, "total": 2, "issues": [issue("1")]}
    second = issue("2", description="h1. Plan")
    page2 = {"startAt": 1, "maxResults": 1, "total": 2, "issues": [second]}
    with respx.mock() as router:
        mock_site(router, api=DC_API)
        search = router.post(f"{DC_API}/search").mock(
            side_effect=[httpx.Response(200, json=page1), httpx.Response(200, json=page2)]
        )
        router.get(f"{DC_API}/project/WEB/versions").respond(json=[])
        edit = router.put(f"{DC_API}/issue/1").respond(204)
        router.get(f"{DC_API}/issue/1").respond(json=issue("1"))
        member = adapter(cloud=False, people={"ana@acme.example": "ana"})
        obs = run(member.fetch(None))
        run(member.update("task", "1", {"assignee": "ana@acme.example", "description": "# Plan"}))
    assert body_of(search.calls[1])["startAt"] == 1
    assert obs.records[1].values["description"] == "# Plan"
    assert body_of(edit.calls[0])["fields"] == {
        "assignee": {"name": "ana"},
        "description": "h1. Plan",
    }
    assert search.calls[0].request.headers["Authorization"] == "Bearer pat-secret-1"


def test_versions_are_milestones_written_through_the_version_api() -> None:
    """A milestone is created and updated as a project version."""
    with respx.mock() as router:
        mock_site(router)
        create = router.post(f"{API}/version").respond(
            201, json={"id": "70", "name": "Beta", "releaseDate": "2026-05-01", "released": False}
        )
        router.put(f"{API}/version/70").respond(
            json={"id": "70", "name": "Beta", "releaseDate": "2026-05-01", "released": True}
        )
        member = adapter()
        made = run(
            member.create("milestone", {"title": "Beta", "due": dt.date(2026, 5, 1)}, uid="m")
        )
        done = run(member.update("milestone", made.external_id, {"status": "done"}))
    assert made.external_id == "version/70"
    assert body_of(create.calls[0]) == {
        "name": "Beta",
        "releaseDate": "2026-05-01",
        "projectId": 10000,
    }
    assert done.values["status"] == "done"


def test_archiving_where_the_site_cannot_is_a_record_error_with_the_fix() -> None:
    """A refused archive fails that record and says to change the delete policy."""
    with respx.mock() as router:
        router.put(f"{API}/issue/archive").respond(
            403, json={"errorMessages": ["Archiving needs Jira Premium"]}
        )
        mock_site(router)
        router.get(f"{API}/issue/5").respond(json=issue("5"))
        router.post(f"{API}/search/jql").respond(json={"issues": [issue("5")], "isLast": True})
        with pytest.raises(RecordError) as caught:
            run(adapter().delete("task", "5", "archive"))
    assert "deletes to delete or ignore" in str(caught.value)


def test_archiving_an_archived_issue_again_is_fine() -> None:
    """Jira refuses to archive twice; an issue search no longer finds is taken as archived."""
    with respx.mock() as router:
        router.put(f"{API}/issue/archive").respond(403, json={"errorMessages": ["archived"]})
        mock_site(router)
        router.get(f"{API}/issue/5").respond(json=issue("5"))
        router.post(f"{API}/search/jql").respond(json={"issues": [], "isLast": True})
        run(adapter().delete("task", "5", "archive"))


def test_deleting_a_gone_issue_is_fine() -> None:
    """Deleting an issue that no longer exists is not an error."""
    with respx.mock() as router:
        router.delete(f"{API}/issue/5").respond(404, json={"errorMessages": ["gone"]})
        run(adapter().delete("task", "5", "delete"))


def signed(body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature": f"sha256={digest}"}


def webhook_adapter(secret: str | None) -> JiraAdapter:
    conn = JiraConnection(
        base_url=SITE, email="pm@acme.example", token="t0ken", webhook_secret=secret
    )
    return JiraAdapter(conn, JiraMember(connection="jira", project="WEB"), AdapterContext("jira"))


def test_signed_webhook_names_the_changed_issue_or_version() -> None:
    """A correctly signed delivery gives the issue's id (or the version's external id)."""
    member = webhook_adapter("s3cret")
    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"id": "5", "key": "WEB-5"}})
    raw = body.encode()
    assert member.webhook(WebhookRequest(signed(raw, "s3cret"), raw)) == ["5"]
    version = json.dumps({"webhookEvent": "jira:version_released", "version": {"id": "7"}}).encode()
    assert member.webhook(WebhookRequest(signed(version, "s3cret"), version)) == ["version/7"]
    other = json.dumps({"webhookEvent": "jira:issue_created", "issue": {"id": "9", "key": "OPS-9"}})
    assert member.webhook(WebhookRequest(signed(other.encode(), "s3cret"), other.encode())) == []


@pytest.mark.parametrize(
    ("secret", "headers"),
    [
        ("s3cret", {}),
        ("s3cret", {"X-Hub-Signature": "sha256=00"}),
        ("s3cret", {"X-Hub-Signature": "sha1=abc"}),
        (None, {"X-Hub-Signature": "sha256=whatever"}),
    ],
)
def test_unsigned_or_badly_signed_webhooks_are_refused(
    secret: str | None, headers: dict[str, str]
) -> None:
    """A delivery without a valid signature (or with no secret configured) is refused."""
    body = b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "5"}}'
    assert webhook_adapter(secret).webhook(WebhookRequest(headers, body)) is None


def test_check_reports_refused_credentials_without_the_secret() -> None:
    """check() turns a refused login into a problem with its fix; the token never shows."""
    with respx.mock() as router:
        router.get(f"{API}/myself").respond(401, text="bad token tok-secret-1")
        result = run(adapter(sleep=Sleeps()).check())
    assert not result.ok
    assert "credentials refused" in result.problems[0].message
    assert "tok-secret-1" not in result.problems[0].message


def test_complete_listing_keeps_issues_syncd_made_outside_the_jql_filter() -> None:
    """An issue syncd created that the member's JQL excludes is still listed, not deleted."""
    marked = issue("9", "Made by syncd")
    marked["properties"] = {"syncd": {"uid": "u9"}}
    light = {"id": "9", "key": "WEB-9", "properties": {"syncd": {"uid": "u9"}}}
    foreign = {"id": "10", "key": "WEB-10", "properties": {}}

    def answer(request: httpx.Request) -> httpx.Response:
        jql = json.loads(request.content)["jql"]
        if jql.startswith('project = "WEB" AND NOT (labels = web)'):
            return httpx.Response(200, json={"issues": [light, foreign], "isLast": True})
        if jql.startswith("id in (9)"):
            return httpx.Response(200, json={"issues": [marked], "isLast": True})
        return httpx.Response(200, json={"issues": [issue("1")], "isLast": True})

    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").mock(side_effect=answer)
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter(jql="labels = web").fetch(None))
    assert sorted(r.external_id for r in obs.records) == ["1", "9"]
    assert obs.complete


def test_quiet_project_moves_the_cursor_on_with_the_servers_clock() -> None:
    """With nothing new, the cursor follows the server's Date (less the search lag)."""
    stamp = "2026-01-10T10:00:00.000+0000"
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").respond(
            json={"issues": [issue("1", updated=stamp)], "isLast": True},
            headers={"Date": "Sat, 10 Jan 2026 12:00:00 GMT"},
        )
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter().fetch(None))
    assert json.loads(obs.cursor or "")["since"] == "2026-01-10T11:58:00+00:00"


def test_a_listing_whose_page_token_expired_starts_over_once() -> None:
    """A 400 on a later page (expired nextPageToken) restarts the listing from page one."""
    expired = {"errorMessages": ["The provided next page token is invalid or expired."]}
    with respx.mock() as router:
        mock_site(router)
        search = router.post(f"{API}/search/jql").mock(
            side_effect=[
                httpx.Response(200, json={"issues": [issue("1")], "nextPageToken": "old"}),
                httpx.Response(400, json=expired),
                httpx.Response(200, json={"issues": [issue("1")], "nextPageToken": "new"}),
                httpx.Response(200, json={"issues": [issue("2")], "isLast": True}),
            ]
        )
        router.get(f"{API}/project/WEB/versions").respond(json=[])
        obs = run(adapter().fetch(None))
    assert sorted(r.external_id for r in obs.records) == ["1", "2"]
    assert obs.complete
    assert search.call_count == 4


def test_a_first_page_refused_fails_the_read_whole() -> None:
    """A 400 on the first page (bad JQL) is not retried: the read fails, nothing is concluded."""
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/search/jql").respond(
            400, json={"errorMessages": ["Error in the JQL Query: Expecting ')'"], "errors": {}}
        )
        with pytest.raises(RecordError, match="Error in the JQL Query"):
            run(adapter(jql="type = (").fetch(None))
