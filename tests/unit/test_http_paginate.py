"""Each vendor's paginator over multi-page respx listings, and the loop guard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from syncd.errors import MemberError
from syncd.http import (
    BeforeIdPaginator,
    HttpClient,
    NextPageTokenPaginator,
    OffsetTokenPaginator,
    Paginator,
    StartAtPaginator,
    paginate,
)

pytestmark = pytest.mark.anyio

BASE = "https://api.example.test"
NEWEST, OLDER, OLDEST = (
    "5f1c0a2b3c4d5e6f7a8b9c0f",
    "5f1c0a2b3c4d5e6f7a8b9c0d",
    "5f1c0a2b3c4d5e6f7a8b9c01",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    async def no_sleep(seconds: float) -> None:
        return None

    async with HttpClient(base_url=BASE, sleep=no_sleep) as http:
        yield http


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


async def _collect(client: HttpClient, url: str, paginator: Paginator, **kw: Any) -> list[Any]:
    return [item async for item in paginate(client, "GET", url, paginator, **kw)]


def _sent_params(route: respx.Route) -> list[dict[str, str]]:
    return [dict(call.request.url.params) for call in route.calls]


async def test_asana_offset_pages(client: HttpClient, mock: respx.MockRouter) -> None:
    """Asana's next_page.offset is followed, with the limit kept, until next_page is null."""
    route = mock.get("/tasks").mock(
        side_effect=[
            httpx.Response(200, json={"data": [{"gid": "1"}], "next_page": {"offset": "eyJa"}}),
            httpx.Response(200, json={"data": [{"gid": "2"}], "next_page": {"offset": "eyJb"}}),
            httpx.Response(200, json={"data": [{"gid": "3"}], "next_page": None}),
        ]
    )
    items = await _collect(client, "/tasks", OffsetTokenPaginator(limit=1), params={"project": "p"})
    assert [item["gid"] for item in items] == ["1", "2", "3"]
    assert _sent_params(route) == [
        {"project": "p", "limit": "1"},
        {"project": "p", "limit": "1", "offset": "eyJa"},
        {"project": "p", "limit": "1", "offset": "eyJb"},
    ]


async def test_jira_next_page_token_pages(client: HttpClient, mock: respx.MockRouter) -> None:
    """Jira Cloud's nextPageToken is followed until isLast."""
    route = mock.get("/rest/api/3/search/jql").mock(
        side_effect=[
            httpx.Response(200, json={"issues": [{"id": "1"}], "nextPageToken": "t1"}),
            httpx.Response(200, json={"issues": [{"id": "2"}], "isLast": True}),
        ]
    )
    items = await _collect(client, "/rest/api/3/search/jql", NextPageTokenPaginator(50))
    assert [item["id"] for item in items] == ["1", "2"]
    assert _sent_params(route)[1] == {"maxResults": "50", "nextPageToken": "t1"}


async def test_jira_search_by_post_pages_in_the_body(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """With a JSON body, paging parameters go into the body (POST /search/jql)."""
    route = mock.post("/rest/api/3/search/jql").mock(
        side_effect=[
            httpx.Response(200, json={"issues": [{"id": "1"}], "nextPageToken": "t1"}),
            httpx.Response(200, json={"issues": [], "isLast": True}),
        ]
    )
    paginator = NextPageTokenPaginator(10)
    body = {"jql": "project = WEB"}
    items = [
        i async for i in paginate(client, "POST", "/rest/api/3/search/jql", paginator, json=body)
    ]
    assert items == [{"id": "1"}]
    sent = [httpx.Response(200, content=c.request.content).json() for c in route.calls]
    assert sent[1] == {"jql": "project = WEB", "maxResults": 10, "nextPageToken": "t1"}


async def test_jira_start_at_pages(client: HttpClient, mock: respx.MockRouter) -> None:
    """Jira DC's startAt advances by the items received, up to total."""
    route = mock.get("/rest/api/2/search").mock(
        side_effect=[
            httpx.Response(200, json={"startAt": 0, "total": 5, "issues": [{"id": 1}, {"id": 2}]}),
            httpx.Response(200, json={"startAt": 2, "total": 5, "issues": [{"id": 3}, {"id": 4}]}),
            httpx.Response(200, json={"startAt": 4, "total": 5, "issues": [{"id": 5}]}),
        ]
    )
    items = await _collect(client, "/rest/api/2/search", StartAtPaginator(max_results=2))
    assert [item["id"] for item in items] == [1, 2, 3, 4, 5]
    assert [p["startAt"] for p in _sent_params(route)] == ["0", "2", "4"]


async def test_jira_agile_start_at_stops_at_is_last(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """Agile lists under ``values`` without total stop at isLast."""
    mock.get("/rest/agile/1.0/board").mock(
        side_effect=[
            httpx.Response(200, json={"startAt": 0, "isLast": False, "values": [{"id": 1}]}),
            httpx.Response(200, json={"startAt": 1, "isLast": True, "values": [{"id": 2}]}),
        ]
    )
    paginator = StartAtPaginator(max_results=1, items_key="values")
    assert len(await _collect(client, "/rest/agile/1.0/board", paginator)) == 2


async def test_trello_before_id_pages(client: HttpClient, mock: respx.MockRouter) -> None:
    """Trello pages go before the oldest id seen, and a short page is the last."""
    route = mock.get("/1/boards/b/actions").mock(
        side_effect=[
            httpx.Response(200, json=[{"id": NEWEST}, {"id": OLDER}]),
            httpx.Response(200, json=[{"id": OLDEST}]),
        ]
    )
    items = await _collect(client, "/1/boards/b/actions", BeforeIdPaginator(limit=2))
    assert len(items) == 3
    assert _sent_params(route) == [{"limit": "2"}, {"limit": "2", "before": OLDER}]


async def test_same_cursor_twice_is_a_paging_loop(
    client: HttpClient, mock: respx.MockRouter
) -> None:
    """A vendor handing back the same offset again raises MemberError saying "paging loop"."""
    page = {"data": [{"gid": "1"}], "next_page": {"offset": "same"}}
    route = mock.get("/tasks").mock(return_value=httpx.Response(200, json=page))
    with pytest.raises(MemberError, match="paging loop"):
        await _collect(client, "/tasks", OffsetTokenPaginator())
    assert route.call_count == 2


async def test_max_pages_bounds_the_listing(client: HttpClient, mock: respx.MockRouter) -> None:
    """A listing longer than max_pages stops with MemberError instead of running on."""
    counter = iter(range(100))

    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"issues": [1], "nextPageToken": f"t{next(counter)}"})

    mock.get("/search").mock(side_effect=page)
    with pytest.raises(MemberError, match="more than 3 pages"):
        await _collect(client, "/search", NextPageTokenPaginator(), max_pages=3)


@pytest.mark.parametrize("body", [{"issues": "nope"}, {"other": []}, ["not", "a", "page"], "text"])
async def test_malformed_page_is_a_member_error(
    client: HttpClient, mock: respx.MockRouter, body: object
) -> None:
    """A page without its list of items raises MemberError rather than yielding nothing."""
    mock.get("/search").mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(MemberError, match="malformed page"):
        await _collect(client, "/search", NextPageTokenPaginator())


async def test_non_json_page_is_a_member_error(client: HttpClient, mock: respx.MockRouter) -> None:
    """A page that is not JSON raises MemberError."""
    mock.get("/search").mock(return_value=httpx.Response(200, text="<html>"))
    with pytest.raises(MemberError, match="not JSON"):
        await _collect(client, "/search", NextPageTokenPaginator())
