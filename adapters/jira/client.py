"""Jira's REST calls, and nothing else: no mapping, no decisions.

Cloud speaks REST v3 under ``/rest/api/3``; Data Center REST v2 under ``/rest/api/2``. The
payloads are the same shape but for descriptions (ADF vs wiki strings), users (accountId vs
username) and search (``/search/jql`` with page tokens vs ``/search`` with ``startAt``).
Every call goes through `syncd.http.HttpClient` (rate limit, retry honouring ``Retry-After``,
classification, redaction).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from adapters.jira.config import JiraConnection
from syncd.errors import MemberError, PayloadError
from syncd.http import (
    HttpClient,
    NextPageTokenPaginator,
    RetryPolicy,
    StartAtPaginator,
    credential_key,
    limiter_for,
    paginate,
)
from syncd.http.client import answer_json, timeout_of
from syncd.http.retry import SleepFn
from syncd.redact import default_redactor

Json = dict[str, Any]
# Jira accepts at most 50 issues per bulk create and 50 ids in reconcileIssues.
# https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-bulk-post
BULK_LIMIT = 50
RECONCILE_LIMIT = 50
PROPERTY_KEY = "syncd"
# Admin webhooks: the same path on Cloud and Data Center, outside /rest/api/*.
WEBHOOKS = "/rest/webhooks/1.0/webhook"


class JiraClient:
    """The Jira REST API of one connection, as used by one member.

    Args:
        connection: the site and credentials.
        member: the member's name, carried by the errors raised.
        concurrency: requests in flight at once (our own ceiling).
        transport: an httpx transport (tests and simulators); None for the network.
        retry_policy: how hard to retry.
        sleep: the async sleep between retries (tests pass a fake).
    """

    def __init__(
        self,
        connection: JiraConnection,
        member: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
    ) -> None:
        self.cloud = connection.flavor == "cloud"
        self.api = "/rest/api/3" if self.cloud else "/rest/api/2"
        headers, secret = _auth(connection)
        # The config loader registers every secret it reads; an adapter built another way
        # (the demo, a test, a library user) must not leak its own.
        user = connection.email if self.cloud else connection.username
        default_redactor().add(secret, user=user)
        limiter = limiter_for(
            credential_key(connection.base_url, secret), connection.requests_per_second, 1.0
        )
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.server_time: dt.datetime | None = None
        self.http = HttpClient(
            base_url=connection.base_url,
            headers=headers,
            member=member,
            limiters=[limiter],
            response_hooks=[self._note_date],
            retry_policy=retry_policy,
            transport=transport,
            timeout=timeout_of(connection.timeout),
            **extra,
        )

    def _note_date(self, response: httpx.Response) -> None:
        """Keep the server's clock (``Date``) of the first answer since `server_time` was reset."""
        if self.server_time is not None:
            return
        try:
            moment = parsedate_to_datetime(response.headers.get("date", ""))
        except (TypeError, ValueError):
            return
        self.server_time = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    # --- reading -------------------------------------------------------------------------------

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``{api}{path}`` and decode the JSON body."""
        response = await self.http.request("GET", self.api + path, params=params)
        return answer_json(response)

    async def search(
        self,
        jql: str,
        fields: Sequence[str],
        *,
        page_size: int,
        reconcile: Sequence[str] = (),
        properties: Sequence[str] = (),
    ) -> AsyncIterator[Json]:
        """Yield every issue matching ``jql``, with only ``fields`` (and ``properties``).

        Cloud: ``POST /rest/api/3/search/jql``, paged by ``nextPageToken`` until ``isLast``;
        ``reconcileIssues`` (at most 50 ids) makes the search read-after-write consistent for
        those issues. The old ``/search`` answers 410 on Cloud.
        https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
        Data Center: ``POST /rest/api/2/search`` with ``startAt`` (it has no reconcile; its
        index is updated synchronously with the write).
        """
        body: Json = {"jql": jql, "fields": list(fields)}
        if properties:
            body["properties"] = list(properties)
        if self.cloud:
            if reconcile:
                body["reconcileIssues"] = [int(i) for i in reconcile[:RECONCILE_LIMIT]]
            pages: Any = NextPageTokenPaginator(page_size)
            url = f"{self.api}/search/jql"
        else:
            pages = StartAtPaginator(page_size)
            url = f"{self.api}/search"
        async for issue in paginate(self.http, "POST", url, pages, json=body):
            if not isinstance(issue, dict):
                raise MemberError(f"malformed search result: {type(issue).__name__}")
            yield issue

    async def issue(
        self, issue_id: str, fields: Sequence[str], properties: Sequence[str] = ()
    ) -> Json:
        """Read one issue (strongly consistent, unlike search)."""
        params: dict[str, str] = {"fields": ",".join(fields)}
        if properties:
            params["properties"] = ",".join(properties)
        return _object(await self.get(f"/issue/{issue_id}", params))

    # --- writing issues ------------------------------------------------------------------------

    async def create_issue(self, body: Json) -> Json:
        """``POST /issue``: returns ``{"id", "key", "self"}``."""
        response = await self.http.request("POST", f"{self.api}/issue", json=body)
        return _object(answer_json(response))

    async def create_issues(self, bodies: Sequence[Json]) -> Json:
        """``POST /issue/bulk`` (at most 50): ``{"issues": [...], "errors": [...]}``.

        Jira creates what it can: ``errors[i].failedElementNumber`` names the bodies that
        failed, and ``issues`` lists the others in order.
        """
        response = await self.http.request(
            "POST", f"{self.api}/issue/bulk", json={"issueUpdates": list(bodies)}
        )
        return _object(answer_json(response))

    async def edit_issue(self, issue_id: str, body: Json) -> None:
        """``PUT /issue/{id}`` with ``fields`` and/or ``update`` operations."""
        await self.http.request("PUT", f"{self.api}/issue/{issue_id}", json=body)

    async def transitions(self, issue_id: str) -> list[Json]:
        """The transitions available now, with their target status and screen fields."""
        body = await self.get(f"/issue/{issue_id}/transitions", {"expand": "transitions.fields"})
        found = _object(body).get("transitions")
        if not isinstance(found, list):
            raise PayloadError(f"issue {issue_id}: malformed transitions")
        return [t for t in found if isinstance(t, dict)]

    async def transition(self, issue_id: str, body: Json) -> None:
        """``POST /issue/{id}/transitions`` (not idempotent: a retry could move twice)."""
        await self.http.request("POST", f"{self.api}/issue/{issue_id}/transitions", json=body)

    async def delete_issue(self, issue_id: str) -> None:
        """Delete an issue and its sub-tasks; one already gone is fine."""
        await self.http.request(
            "DELETE",
            f"{self.api}/issue/{issue_id}",
            params={"deleteSubtasks": "true"},
            expected={404},
        )

    async def archive_issue(self, issue_id: str) -> None:
        """Archive an issue (Cloud Premium/Enterprise; Data Center).

        Cloud: ``PUT /rest/api/3/issue/archive`` with ``issueIdsOrKeys``; Data Center:
        ``PUT /rest/api/2/issue/{id}/archive``.
        """
        if self.cloud:
            body = {"issueIdsOrKeys": [issue_id]}
            await self.http.request("PUT", f"{self.api}/issue/archive", json=body)
        else:
            await self.http.request("PUT", f"{self.api}/issue/{issue_id}/archive", expected={404})

    async def set_property(self, issue_id: str, value: Json) -> None:
        """Store syncd's entity property on an issue."""
        url = f"{self.api}/issue/{issue_id}/properties/{PROPERTY_KEY}"
        await self.http.request("PUT", url, json=value)

    async def link(self, link_type: str, blocked: str, blocker: str) -> None:
        """Record that ``blocker`` blocks ``blocked`` (``blocked`` is blocked by ``blocker``).

        The outward issue is the "from" side: outward ``blocks`` inward. Viewed from the
        inward issue, the link shows the other one under ``inwardIssue``.
        https://developer.atlassian.com/cloud/jira/platform/issue-linking-model/
        """
        body = {
            "type": {"name": link_type},
            "inwardIssue": {"id": blocked},
            "outwardIssue": {"id": blocker},
        }
        await self.http.request("POST", f"{self.api}/issueLink", json=body)

    async def unlink(self, link_id: str) -> None:
        """Delete an issue link; one already gone is fine."""
        await self.http.request("DELETE", f"{self.api}/issueLink/{link_id}", expected={404})

    # --- versions (milestones) -----------------------------------------------------------------

    async def versions(self, project: str) -> list[Json]:
        """Every version of the project (one call, unpaged)."""
        found = await self.get(f"/project/{project}/versions")
        if not isinstance(found, list):
            raise MemberError(f"project {project}: malformed version list")
        return [v for v in found if isinstance(v, dict)]

    async def create_version(self, body: Json) -> Json:
        """``POST /version``."""
        response = await self.http.request("POST", f"{self.api}/version", json=body)
        return _object(answer_json(response))

    async def update_version(self, version_id: str, body: Json) -> Json:
        """``PUT /version/{id}``: returns the version as stored."""
        response = await self.http.request("PUT", f"{self.api}/version/{version_id}", json=body)
        return _object(answer_json(response))

    async def delete_version(self, version_id: str) -> None:
        """Delete a version; one already gone is fine.

        Data Center describes deletion only as ``POST /version/{id}/removeAndSwap`` (with no
        replacement, the version's issues simply lose it); Cloud has ``DELETE /version/{id}``.
        """
        if self.cloud:
            await self.http.request("DELETE", f"{self.api}/version/{version_id}", expected={404})
        else:
            url = f"{self.api}/version/{version_id}/removeAndSwap"
            await self.http.request("POST", url, json={}, expected={404})

    # --- users ---------------------------------------------------------------------------------

    async def find_users(self, email: str) -> list[Json]:
        """Users matching an email: ``query=`` on Cloud, ``username=`` on Data Center."""
        key = "query" if self.cloud else "username"
        found = await self.get("/user/search", {key: email, "maxResults": 10})
        return [u for u in found if isinstance(u, dict)] if isinstance(found, list) else []

    async def user(self, user_id: str) -> Json | None:
        """One user by accountId (Cloud) or username (Data Center); None when unknown."""
        key = "accountId" if self.cloud else "username"
        response = await self.http.request(
            "GET", f"{self.api}/user", params={key: user_id}, expected={404}
        )
        if response.status_code == 404:
            return None
        return _object(answer_json(response))

    # --- admin webhooks ------------------------------------------------------------------------

    async def webhooks(self) -> list[Json]:
        """Every admin webhook of the site (``GET /rest/webhooks/1.0/webhook``, unpaged).

        This is the admin webhooks API, for a Jira administrator's API token (Cloud) or personal
        access token / password (Data Center). Cloud's ``/rest/api/3/webhook`` is not it: that
        one registers *dynamic* webhooks, and only Connect and OAuth 2.0 apps may call it (its
        description says so). Neither OpenAPI description covers ``/rest/webhooks/1.0``.
        https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-using-the-jira-rest-api
        """
        response = await self.http.request("GET", WEBHOOKS, expected={401, 403})
        found = answer_json(self._administered(response))
        if not isinstance(found, list):
            raise MemberError("malformed webhook list", member=self.http.member)
        return [w for w in found if isinstance(w, dict)]

    async def create_webhook(self, body: Json) -> Json:
        """``POST /rest/webhooks/1.0/webhook``: the webhook as stored (its id ends ``self``).

        Not idempotent: when the outcome is unknown (a timeout) the webhook may exist, and the
        next registration finds it instead of making a second one.
        """
        response = await self.http.request("POST", WEBHOOKS, json=body, expected={401, 403})
        return _object(answer_json(self._administered(response)))

    async def delete_webhook(self, webhook_id: str) -> None:
        """``DELETE /rest/webhooks/1.0/webhook/{id}``; one already gone (404) is fine."""
        url = f"{WEBHOOKS}/{webhook_id}"
        response = await self.http.request("DELETE", url, expected={401, 403, 404})
        self._administered(response)

    def _administered(self, response: httpx.Response) -> httpx.Response:
        """The response, unless Jira refused the admin webhooks API to this account.

        Only a Jira administrator (the Administer Jira global permission) may use it, with
        basic auth or a Data Center personal access token; an OAuth 2.0 access token is
        refused (OAuth apps have the dynamic webhooks instead).
        """
        status = response.status_code
        if status not in (401, 403):
            return response
        why = (
            "the account is not a Jira administrator (Administer Jira global permission)"
            if status == 403
            else "the credentials were refused; an OAuth 2.0 access token cannot use this API "
            "(use an administrator's API token on Cloud, or a personal access token or "
            "password on Data Center)"
        )
        raise MemberError(
            f"{response.request.method} {WEBHOOKS} -> {status}: {why}", member=self.http.member
        )


def _auth(connection: JiraConnection) -> tuple[dict[str, str], str]:
    """The Authorization header and the secret that names the rate-limit budget."""
    token = connection.token.get_secret_value() if connection.token else None
    password = connection.password.get_secret_value() if connection.password else None
    user = connection.email if connection.flavor == "cloud" else connection.username
    secret = password or token or ""
    if user and secret:
        pair = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        return {"Authorization": f"Basic {pair}"}, secret
    # A token alone: an OAuth 2.0 access token (Cloud) or a personal access token (DC).
    return {"Authorization": f"Bearer {secret}"}, secret


def _object(value: Any) -> Json:
    if not isinstance(value, dict):
        raise PayloadError(f"expected a JSON object, got {type(value).__name__}")
    return value
