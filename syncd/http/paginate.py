"""Paginators: small state objects for each vendor's paging, and the one page loop.

A `Paginator` says which parameters ask for the first page, which ask for the next one given a
page, and where a page's items are. `paginate` is the only loop over pages: it refuses a page
cursor seen before ("paging loop", which would otherwise spin forever) and stops at
``max_pages``.
"""

from __future__ import annotations

import json as jsonlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from syncd.errors import MemberError

if TYPE_CHECKING:
    from syncd.http.client import HttpClient

Params = dict[str, Any]
DEFAULT_MAX_PAGES = 10_000


class Paginator(ABC):
    """How one vendor pages a listing.

    Args:
        items_key: the key of the page's item list, or None when the page is the list itself.
    """

    def __init__(self, items_key: str | None) -> None:
        self.items_key = items_key

    def first_params(self) -> Params:
        """Return the parameters that ask for the first page (merged into the caller's)."""
        return {}

    @abstractmethod
    def next_params(self, response_json: Any) -> Params | None:
        """Return the parameters that ask for the page after this one, or None at the end.

        Args:
            response_json: the decoded body of the page just read.

        Returns:
            Parameters to merge into the first request's, or None when this was the last page.
        """

    def items(self, response_json: Any) -> list[Any]:
        """Return the items of a page.

        Args:
            response_json: the decoded body of a page.

        Returns:
            The page's items.

        Raises:
            MemberError: the page does not hold a list where the items should be.
        """
        found = response_json
        if self.items_key is not None:
            found = response_json.get(self.items_key) if isinstance(response_json, dict) else None
        if not isinstance(found, list):
            where = f"under {self.items_key!r}" if self.items_key else "at the top level"
            raise MemberError(f"malformed page: no list of items {where}")
        return found


class OffsetTokenPaginator(Paginator):
    """Asana: an opaque ``offset`` from ``next_page``, which is null on the last page.

    ```json
    {"data": [{"gid": "1201", "name": "Write spec"}],
     "next_page": {"offset": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
                   "path": "/tasks?project=1203&limit=100&offset=eyJ0eXAi...",
                   "uri": "https://app.asana.com/api/1.0/tasks?project=1203&offset=eyJ..."}}
    ```
    The last page has ``"next_page": null``. ``limit`` is at most 100.
    https://developers.asana.com/docs/pagination

    Args:
        limit: items per page (1..100).
    """

    def __init__(self, limit: int = 100) -> None:
        super().__init__("data")
        self.limit = limit

    def first_params(self) -> Params:
        """Ask for ``limit`` items."""
        return {"limit": self.limit}

    def next_params(self, response_json: Any) -> Params | None:
        """Follow ``next_page.offset``; stop when ``next_page`` is null."""
        next_page = response_json.get("next_page") if isinstance(response_json, dict) else None
        offset = next_page.get("offset") if isinstance(next_page, dict) else None
        return {"offset": offset} if offset else None


class NextPageTokenPaginator(Paginator):
    """Jira Cloud ``/rest/api/3/search/jql``: ``nextPageToken`` until ``isLast``.

    ```json
    {"issues": [{"id": "10068", "key": "WEB-7"}],
     "nextPageToken": "CAEaAggD",
     "isLast": false}
    ```
    The last page has ``"isLast": true`` and no ``nextPageToken``.
    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/

    Args:
        max_results: items per page.
        items_key: ``issues`` for search; other token-paged endpoints name theirs.
    """

    def __init__(self, max_results: int = 100, items_key: str = "issues") -> None:
        super().__init__(items_key)
        self.max_results = max_results

    def first_params(self) -> Params:
        """Ask for ``maxResults`` items."""
        return {"maxResults": self.max_results}

    def next_params(self, response_json: Any) -> Params | None:
        """Follow ``nextPageToken``; stop at ``isLast`` or when no token is given."""
        if not isinstance(response_json, dict) or response_json.get("isLast") is True:
            return None
        token = response_json.get("nextPageToken")
        return {"nextPageToken": token} if token else None


class StartAtPaginator(Paginator):
    """Jira Data Center and older Jira endpoints: ``startAt`` / ``maxResults`` / ``total``.

    ```json
    {"startAt": 0, "maxResults": 50, "total": 120, "isLast": false,
     "issues": [{"id": "10001", "key": "WEB-1"}]}
    ```
    The server may return fewer than ``maxResults``; the next page starts after the items
    actually received. Agile endpoints put items under ``values`` and may omit ``total``.
    https://docs.atlassian.com/software/jira/docs/api/REST/latest/#pagination

    Args:
        max_results: items per page asked for.
        items_key: ``issues`` for search, ``values`` for agile lists.
    """

    def __init__(self, max_results: int = 50, items_key: str = "issues") -> None:
        super().__init__(items_key)
        self.max_results = max_results

    def first_params(self) -> Params:
        """Start at 0."""
        return {"startAt": 0, "maxResults": self.max_results}

    def next_params(self, response_json: Any) -> Params | None:
        """Start after this page; stop at ``isLast``, an empty page or ``total``."""
        count = len(self.items(response_json))
        if response_json.get("isLast") is True or count == 0:
            return None
        start = int(response_json.get("startAt", 0)) + count
        total = response_json.get("total")
        if isinstance(total, int) and start >= total:
            return None
        return {"startAt": start, "maxResults": self.max_results}


class BeforeIdPaginator(Paginator):
    """Trello: ``before=<oldest id>`` with ``limit``; a short page is the last.

    Trello lists (actions, cards) are returned newest first as a bare JSON array:

    ```json
    [{"id": "5f1c0a2b3c4d5e6f7a8b9c0f", "name": "Newest"},
     {"id": "5f1c0a2b3c4d5e6f7a8b9c0d", "name": "Oldest on this page"}]
    ```
    Ids are MongoDB ObjectIds, which start with their creation time, so the smallest id is
    the oldest. https://developer.atlassian.com/cloud/trello/guides/rest-api/nested-resources/

    Args:
        limit: items per page (Trello caps it at 1000).
    """

    def __init__(self, limit: int = 1000) -> None:
        super().__init__(None)
        self.limit = limit

    def first_params(self) -> Params:
        """Ask for ``limit`` items."""
        return {"limit": self.limit}

    def next_params(self, response_json: Any) -> Params | None:
        """Ask for items before the oldest id of this page; stop after a short page."""
        items = self.items(response_json)
        if len(items) < self.limit:
            return None
        oldest = min(str(item["id"]) for item in items)
        return {"limit": self.limit, "before": oldest}


async def paginate(
    client: HttpClient,
    method: str,
    url: str,
    paginator: Paginator,
    *,
    params: Mapping[str, Any] | None = None,
    json: Mapping[str, Any] | None = None,
    priority: int = 0,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> AsyncIterator[Any]:
    """Yield every item of a paged listing, page after page.

    Paging parameters go into the query string, or into the JSON body when ``json`` is given
    (Jira's ``POST /search/jql``).

    Args:
        client: the HTTP client to send the requests with.
        method: the HTTP method, usually GET.
        url: the listing's URL, relative to the client's base URL.
        paginator: the vendor's paginator.
        params: query parameters of every page.
        json: a JSON body of every page, for listings read with POST.
        priority: the rate-limiter priority of the requests.
        max_pages: the most pages read before giving up.

    Returns:
        An async iterator over the items.

    Raises:
        MemberError: a paging loop (a page cursor seen twice), more than ``max_pages`` pages,
            or a malformed page; and any error of `HttpClient.request`.
    """
    first = paginator.first_params()
    page_params: Params = first
    seen: set[str] = set()
    for _ in range(max_pages):
        _guard_loop(seen, page_params, url)
        body = await _fetch_page(client, method, url, page_params, params, json, priority)
        for item in paginator.items(body):
            yield item
        next_params = paginator.next_params(body)
        if next_params is None:
            return
        page_params = {**first, **next_params}
    raise MemberError(f"paging stopped: {url} has more than {max_pages} pages")


async def _fetch_page(
    client: HttpClient,
    method: str,
    url: str,
    page_params: Params,
    params: Mapping[str, Any] | None,
    json: Mapping[str, Any] | None,
    priority: int,
) -> Any:
    if json is not None:
        body = {**json, **page_params}
        response = await client.request(method, url, params=params, json=body, priority=priority)
    else:
        query = {**(params or {}), **page_params}
        response = await client.request(method, url, params=query, priority=priority)
    try:
        return response.json()
    except ValueError as exc:
        raise MemberError(f"malformed page from {url}: not JSON") from exc


def _guard_loop(seen: set[str], page_params: Params, url: str) -> None:
    cursor = jsonlib.dumps(page_params, sort_keys=True, default=str)
    if cursor in seen:
        raise MemberError(f"paging loop: {url} returned the same page cursor twice")
    seen.add(cursor)
