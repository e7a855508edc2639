"""The Jira simulator's search: JQL, the searcher's time zone, pages and tokens, the lagging
index with reconcileIssues (Cloud) and startAt/total (Data Center)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.jira.simulator import ManualClock
from adapters.jira.simulator.core import JiraSimulator
from adapters.jira.simulator.jql import JqlError, parse
from adapters.jira.simulator.jql_eval import CompiledQuery, JqlContext
from tests.unit.jira.test_simulator import Site, open_site

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


async def keys(site: Site, jql: str) -> list[str]:
    response = await site.search(jql, fields=["key"], maxResults=100)
    assert response.status_code == 200, response.text
    return [i["key"] for i in response.json()["issues"]]


# --- JQL syntax (pure) --------------------------------------------------------------------------


PREFIX = "Error in the JQL Query: "


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project = DEMO AND (status = Done", "Expecting ')' before the end of the query."),
        (
            'summary ~ "open',
            "The quoted string 'open' has not been completed. (line 1, character 11)",
        ),
        ("project DEMO", "Expecting operator but got 'DEMO'."),
        (
            "project = DEMO status = Done",
            "Expecting either 'OR' or 'AND' but got 'status'. (line 1, character 16)",
        ),
        ("project =", "Expecting either a value, list or function before the end of the query."),
    ],
)
def test_syntax_errors_read_as_jiras(jql: str, message: str) -> None:
    """A malformed query fails with Jira's wording and position."""
    with pytest.raises(JqlError) as caught:
        parse(jql)
    assert str(caught.value).startswith(PREFIX + message)


def test_the_parser_reads_precedence_lists_and_order() -> None:
    """AND binds tighter than OR; NOT, IN lists, IS EMPTY and ORDER BY are understood."""
    query = parse(
        'NOT labels is EMPTY OR type in (Bug, "Sub-task") AND key != A-1 ORDER BY updated DESC, key'
    )
    assert query.order == (("updated", True), ("key", False))
    assert type(query.where).__name__ == "Or"


# --- JQL semantics ------------------------------------------------------------------------------


async def test_fields_operators_and_logic(cloud: Site) -> None:
    """status, statusCategory, issuetype, labels, key and parent clauses combine with AND/OR/NOT."""
    epic = (await cloud.create("Epic", kind="Epic"))["key"]
    one = (await cloud.create("One", labels=["a"], parent={"key": epic}))["key"]
    two = (await cloud.create("Two", labels=["b"], kind="Bug"))["key"]
    three = (await cloud.create("Three"))["key"]
    await cloud.request("POST", f"/issue/{two}/transitions", json={"transition": {"id": "11"}})
    assert await keys(cloud, "project = DEMO AND status = 'In Progress'") == [two]
    assert await keys(cloud, "project = DEMO AND statusCategory != indeterminate") == [
        three,
        one,
        epic,
    ]
    assert await keys(cloud, "project = DEMO AND type in (Bug, Epic)") == [two, epic]
    assert await keys(cloud, "project = DEMO AND NOT issuetype = Task") == [two, epic]
    assert await keys(cloud, "labels = a OR labels = b") == [two, one]
    assert await keys(cloud, "project = DEMO AND labels is EMPTY") == [three, epic]
    assert await keys(cloud, f"key in ({one}, {three})") == [three, one]
    assert await keys(cloud, f"parent = {epic}") == [one]


async def test_not_equals_leaves_out_empty_fields(cloud: Site) -> None:
    """labels != x does not match issues without labels, as in Jira."""
    tagged = (await cloud.create(labels=["x"]))["key"]
    other = (await cloud.create(labels=["y"]))["key"]
    await cloud.create()
    assert await keys(cloud, "project = DEMO AND labels != x") == [other]
    assert tagged not in await keys(cloud, "labels not in (x)")


async def test_fix_version_and_order_by(cloud: Site) -> None:
    """fixVersion matches by name; ORDER BY summary ASC sorts."""
    await cloud.request("POST", "/version", json={"name": "1.0", "projectId": 10000})
    b = (await cloud.create("b", fixVersions=[{"name": "1.0"}]))["key"]
    a = (await cloud.create("a", fixVersions=[{"name": "1.0"}]))["key"]
    await cloud.create("c")
    assert await keys(cloud, 'fixVersion = "1.0" ORDER BY summary ASC') == [a, b]


async def test_unknown_fields_values_and_keys_are_400(cloud: Site) -> None:
    """Unknown fields, values and issue keys are errors, worded as Jira words them."""
    for jql, message in [
        ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
        ("status = Nope", "The value 'Nope' does not exist for the field 'status'."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key = DEMO-9", "An issue with key 'DEMO-9' does not exist for field 'key'."),
        ("project = DEMO ORDER BY labels", "Field 'labels' does not support sorting."),
    ]:
        response = await cloud.search(jql)
        assert response.status_code == 400
        assert response.json() == {"errorMessages": [message], "errors": {}}


async def test_updated_is_read_in_the_searchers_time_zone(cloud: Site) -> None:
    """The same 'updated >=' literal means different instants for users in UTC-8 and UTC+10."""
    cloud.clock.current = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
    early = (await cloud.create("noon UTC"))["key"]
    cloud.clock.current = datetime(2024, 1, 31, 20, 0, tzinfo=UTC)
    late = (await cloud.create("20:00 UTC"))["key"]
    west = cloud.sim.add_user("la@example.com", token="tok", time_zone="America/Los_Angeles")
    east = cloud.sim.add_user("bne@example.com", token="tok", time_zone="Australia/Brisbane")
    jql = 'project = DEMO AND updated >= "2024-01-31 06:00"'
    body = {"jql": jql, "fields": ["key"]}
    # 06:00 in Los Angeles (UTC-8) is 14:00 UTC: only the later issue.
    found = await cloud.request("POST", "/search/jql", json=body, headers=cloud.login(west))
    assert [i["key"] for i in found.json()["issues"]] == [late]
    # 06:00 in Brisbane (UTC+10) is 20:00 UTC the day before: both.
    found = await cloud.request("POST", "/search/jql", json=body, headers=cloud.login(east))
    assert [i["key"] for i in found.json()["issues"]] == [late, early]
    # Midnight starting 1 February in Brisbane is 14:00 UTC on 31 January.
    dated = {"jql": 'project = DEMO AND created < "2024/02/01"', "fields": ["key"]}
    found = await cloud.request("POST", "/search/jql", json=dated, headers=cloud.login(east))
    assert [i["key"] for i in found.json()["issues"]] == [early]


def test_relative_dates_and_functions() -> None:
    """'-1h', '-1w 2d' and startOfDay() are read relative to now in the user's zone."""
    clock = ManualClock(datetime(2024, 1, 31, 12, 0, tzinfo=UTC))
    sim = JiraSimulator(clock=clock)
    user = sim.add_user("u@example.com", time_zone="Asia/Tokyo")
    context = JqlContext(sim.store, user, clock())
    for jql in (
        "updated >= -1h",
        "created > '-1w 2d'",
        "updated >= startOfDay()",
        "duedate <= now()",
    ):
        CompiledQuery(parse(jql), context)
    with pytest.raises(JqlError, match="Date value 'yesterday'"):
        CompiledQuery(parse("updated > yesterday"), context)


# --- Cloud: /search/jql -------------------------------------------------------------------------


async def test_the_old_search_is_gone(cloud: Site) -> None:
    """Cloud's /rest/api/3/search answers 410 pointing at /search/jql."""
    response = await cloud.request("GET", "/search", params={"jql": "project = DEMO"})
    assert response.status_code == 410
    assert "/rest/api/3/search/jql" in response.json()["errorMessages"][0]


async def test_unbounded_queries_are_refused_on_cloud(cloud: Site, dc: Site) -> None:
    """A query without restriction (only ORDER BY) is 400 on Cloud, fine on Data Center."""
    response = await cloud.search("ORDER BY key")
    assert response.status_code == 400
    assert response.json()["errorMessages"] == [
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
    ]
    assert (await dc.search("ORDER BY key")).status_code == 200


async def test_without_fields_only_ids_come_back(cloud: Site) -> None:
    """search/jql without fields answers ids only; key is given when asked."""
    created = await cloud.create()
    bare = (await cloud.search("project = DEMO")).json()
    assert bare == {"issues": [{"id": created["id"]}], "isLast": True}
    with_key = (await cloud.search("project = DEMO", fields=["key"])).json()
    assert with_key["issues"] == [{"id": created["id"], "key": created["key"]}]


async def test_an_empty_result_is_the_last_page(cloud: Site) -> None:
    """No match: no issues, isLast, no token."""
    assert (await cloud.search("project = DEMO")).json() == {"issues": [], "isLast": True}


async def test_page_tokens_walk_the_results_until_is_last(cloud: Site) -> None:
    """Each page carries a nextPageToken until isLast; the pages cover every issue once."""
    for number in range(5):
        await cloud.create(f"Issue {number}")
    seen: list[str] = []
    body: dict[str, object] = {"jql": "project = DEMO", "fields": ["summary"], "maxResults": 2}
    pages = 0
    while True:
        page = (await cloud.request("POST", "/search/jql", json=body)).json()
        pages += 1
        seen += [i["key"] for i in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        body["nextPageToken"] = page["nextPageToken"]
    assert pages == 3
    assert seen == [f"DEMO-{n}" for n in (5, 4, 3, 2, 1)]


async def test_page_size_is_capped_by_what_is_asked(cloud: Site) -> None:
    """Pages hold at most max_page issues with fields, and up to 5000 with ids/keys only."""
    cloud.sim.max_page = 3
    for _ in range(4):
        await cloud.create()
    heavy = (await cloud.search("project = DEMO", fields=["summary"], maxResults=50)).json()
    assert (len(heavy["issues"]), heavy["isLast"]) == (3, False)
    light = (await cloud.search("project = DEMO", fields=["key", "updated"], maxResults=50)).json()
    assert (len(light["issues"]), light["isLast"]) == (4, True)


async def test_page_tokens_expire_and_belong_to_their_query(cloud: Site) -> None:
    """An expired token, or one from another query, answers 400."""
    cloud.sim.token_ttl = 60
    for _ in range(3):
        await cloud.create()
    first = (await cloud.search("project = DEMO", maxResults=1)).json()
    token = first["nextPageToken"]
    foreign = await cloud.search(
        "project = DEMO AND type = Task", maxResults=1, nextPageToken=token
    )
    assert foreign.status_code == 400
    assert (
        await cloud.search("project = DEMO", maxResults=1, nextPageToken=token)
    ).status_code == 200
    cloud.clock.advance(61)
    expired = await cloud.search("project = DEMO", maxResults=1, nextPageToken=token)
    assert expired.status_code == 400
    assert expired.json()["errorMessages"] == [
        "The provided next page token is invalid or expired."
    ]


async def test_search_by_get_with_query_parameters(cloud: Site) -> None:
    """GET /search/jql takes the same parameters in the query string."""
    created = await cloud.create("Via GET")
    params = {"jql": "project = DEMO", "fields": "summary,status", "properties": "syncd"}
    body = (await cloud.request("GET", "/search/jql", params=params)).json()
    assert body["issues"][0]["fields"]["summary"] == "Via GET"
    assert body["issues"][0]["key"] == created["key"]


async def test_at_most_five_properties(cloud: Site) -> None:
    """Cloud search refuses more than 5 properties."""
    response = await cloud.search("project = DEMO", properties=["a", "b", "c", "d", "e", "f"])
    assert response.status_code == 400


# --- eventual consistency -----------------------------------------------------------------------


async def test_search_lags_behind_writes_except_reconciled_issues(cloud: Site) -> None:
    """During search_lag a new issue is missing and an edit unseen, unless reconciled."""
    cloud.sim.search_lag = 5
    old = await cloud.create("Old")
    cloud.clock.advance(10)
    new = await cloud.create("New")
    await cloud.request("PUT", f"/issue/{old['key']}", json={"fields": {"summary": "Old, edited"}})
    stale = (await cloud.search("project = DEMO", fields=["summary"])).json()["issues"]
    assert [(i["key"], i["fields"]["summary"]) for i in stale] == [(old["key"], "Old")]
    fresh_ids = [int(old["id"]), int(new["id"])]
    fresh = await cloud.search("project = DEMO", fields=["summary"], reconcileIssues=fresh_ids)
    summaries = [(i["key"], i["fields"]["summary"]) for i in fresh.json()["issues"]]
    assert summaries == [(new["key"], "New"), (old["key"], "Old, edited")]
    cloud.clock.advance(5)
    caught_up = (await cloud.search("project = DEMO", fields=["summary"])).json()["issues"]
    assert len(caught_up) == 2


async def test_a_deleted_issue_lingers_in_search(cloud: Site) -> None:
    """A just-deleted issue is still found until the index catches up (but not reconciled)."""
    cloud.sim.search_lag = 5
    created = await cloud.create()
    cloud.clock.advance(10)
    await cloud.request("DELETE", f"/issue/{created['key']}")
    assert len((await cloud.search("project = DEMO")).json()["issues"]) == 1
    fresh = await cloud.search("project = DEMO", reconcileIssues=[int(created["id"])])
    assert fresh.json()["issues"] == []


async def test_more_than_fifty_reconciled_ids_are_refused(cloud: Site) -> None:
    """reconcileIssues takes at most 50 ids."""
    response = await cloud.search("project = DEMO", reconcileIssues=list(range(1, 52)))
    assert response.status_code == 400


# --- Data Center: /search -----------------------------------------------------------------------


async def test_dc_search_pages_with_start_at_and_total(dc: Site) -> None:
    """DC search answers startAt, maxResults, total, and navigable fields by default."""
    for number in range(3):
        await dc.create(f"Issue {number}")
    page = (await dc.search("project = DEMO ORDER BY key ASC", startAt=1, maxResults=1)).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 1, 3)
    assert page["issues"][0]["key"] == "DEMO-2"
    assert "summary" in page["issues"][0]["fields"]
    beyond = (await dc.search("project = DEMO", startAt=5)).json()
    assert (beyond["issues"], beyond["total"]) == ([], 3)


async def test_dc_search_caps_pages_and_returns_properties(dc: Site) -> None:
    """maxResults is capped (1000 by default); properties are returned though undocumented."""
    dc.sim.dc_max_results = 2
    for _ in range(3):
        created = await dc.create()
    await dc.request("PUT", f"/issue/{created['key']}/properties/syncd", json={"uid": 1})
    response = await dc.request(
        "GET", "/search", params={"jql": "project = DEMO", "maxResults": 50, "properties": "syncd"}
    )
    body = response.json()
    assert body["maxResults"] == 2
    assert body["issues"][0]["properties"] == {"syncd": {"uid": 1}}


async def test_names_and_schema_on_request(dc: Site) -> None:
    """expand=names,schema adds the field names and schemas to a search."""
    await dc.create()
    body = (
        await dc.search("project = DEMO", fields=["summary"], expand=["names", "schema"])
    ).json()
    assert body["names"] == {"summary": "Summary"}
    assert body["schema"]["summary"]["type"] == "string"
