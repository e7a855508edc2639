"""The Jira adapter's webhook registrations (``WebhookAdmin``) against the simulator's admin
webhooks API (``/rest/webhooks/1.0/webhook``), Cloud and Data Center, and their deliveries."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.base import AdapterContext, WebhookAdmin, WebhookInfo, WebhookRequest
from adapters.jira.adapter import ISSUE_EVENTS, VERSION_EVENTS, JiraAdapter
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import JiraSimulator
from syncd.errors import MemberError, RecordError
from tests.contract.adapter_suite import run

T = TypeVar("T")
TOKEN = "hook-token-1"
SECRET = "hook-s3cret-value"
CALLBACK = "https://syncd.example.com/webhooks/jira"
ADMIN_API = "http://jira.test/rest/webhooks/1.0/webhook"
FLAVORS = ["cloud", "dc"]

Received = list[tuple[dict[str, str], bytes]]


def receiver(received: Received) -> httpx.ASGITransport:
    """Stands for ``syncd run``: records each delivery."""

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    return httpx.ASGITransport(
        app=Starlette(routes=[Route("/webhooks/jira", hook, methods=["POST"])])
    )


def site(flavor: str = "cloud", received: Received | None = None) -> JiraSimulator:
    """A site with an administrator (pm), a plain user (dev), and projects WEB and OPS."""
    sim = JiraSimulator(
        "cloud" if flavor == "cloud" else "dc",
        webhook_transport=receiver(received) if received is not None else None,
    )
    pm = sim.add_user("pm@acme.example", token=TOKEN, admin=True)
    sim.add_user("dev@acme.example", token="dev-token-1")
    sim.add_project("WEB", lead=pm)
    sim.add_project("OPS", lead=pm)
    return sim


def member(
    sim: JiraSimulator,
    *,
    secret: str | None = SECRET,
    email: str = "pm@acme.example",
    token: str = TOKEN,
    **settings: Any,
) -> JiraAdapter:
    cloud = sim.flavor == "cloud"
    connection = JiraConnection(
        base_url="http://jira.test",
        deployment="cloud" if cloud else "datacenter",
        email=email if cloud else None,
        token=token,
        webhook_secret=secret,
        requests_per_second=10_000,
    )
    return JiraAdapter(
        connection,
        JiraMember(connection="jira", project="WEB", **settings),
        AdapterContext("jira"),
        transport=httpx.ASGITransport(app=sim.app),
    )


def vendor(
    sim: JiraSimulator, login: str = "pm@acme.example", token: str = TOKEN
) -> httpx.AsyncClient:
    """A person's client on the simulated site (Jira's own API, as an admin would use it)."""
    auth: Any = (login, token) if sim.flavor == "cloud" else None
    headers = {} if sim.flavor == "cloud" else {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url="http://jira.test",
        auth=auth,
        headers=headers,
    )


@pytest.mark.parametrize("flavor", FLAVORS)
def test_register_creates_one_webhook_with_the_secret_the_filter_and_the_events(
    flavor: str,
) -> None:
    """Registering makes one admin webhook to the URL, with the secret, `project = "WEB"` and
    the issue and version events."""
    sim = site(flavor)
    adapter = member(sim)
    assert isinstance(adapter, WebhookAdmin)
    info = run(adapter.register_webhook(CALLBACK))
    (stored,) = sim.state.webhooks.values()
    assert info == WebhookInfo(str(stored.id), CALLBACK, 'project = "WEB"', True)
    assert stored.url == CALLBACK
    assert stored.secret == SECRET
    assert stored.jql == 'project = "WEB"'
    assert stored.events == [*ISSUE_EVENTS, *VERSION_EVENTS]
    assert not stored.exclude_body
    assert {"jira:issue_created", "jira:version_released"} <= set(stored.events)


def test_the_members_jql_narrows_the_filter_and_issue_milestones_skip_version_events() -> None:
    """With a member jql the filter ANDs it; with milestones as issues no version event is asked."""
    sim = site()
    info = run(
        member(sim, jql="labels = web", milestones="issue_type:Task").register_webhook(CALLBACK)
    )
    assert info.scope == 'project = "WEB" AND (labels = web)'
    (stored,) = sim.state.webhooks.values()
    assert stored.events == list(ISSUE_EVENTS)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_registering_again_returns_the_same_webhook(flavor: str) -> None:
    """A second registration of the same URL and project finds the first and creates nothing."""
    sim = site(flavor)
    adapter = member(sim)
    first = run(adapter.register_webhook(CALLBACK))
    again = run(member(sim).register_webhook(CALLBACK))
    assert again == first
    assert len(sim.state.webhooks) == 1


def test_list_shows_the_webhooks_watching_the_project_and_only_those() -> None:
    """Listing shows ours and another receiver's filter on WEB, not OPS's or an unfiltered one."""
    sim = site()
    ours = run(member(sim).register_webhook(CALLBACK))

    async def others() -> list[str]:
        async with vendor(sim) as jira:
            made = []
            for url, jql in (
                ("https://chat.example.com/hook", "project = WEB AND type = Bug"),
                ("https://chat.example.com/ops", "project = OPS"),
                ("https://audit.example.com/all", ""),
                ("https://chat.example.com/both", "project in (OPS, WEB)"),
            ):
                body = {
                    "name": url,
                    "url": url,
                    "events": ["jira:issue_created"],
                    "filters": {"issue-related-events-section": jql},
                }
                answer = await jira.post("/rest/webhooks/1.0/webhook", json=body)
                assert answer.status_code == 201
                made.append(answer.json()["self"].rsplit("/", 1)[-1])
            return made

    chat, _ops, _all, both = run(others())
    listed = run(member(sim).list_webhooks())
    assert [w.id for w in listed] == [ours.id, chat, both]
    assert listed[0] == ours
    assert listed[1].scope == "project = WEB AND type = Bug"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_register_without_a_webhook_secret_is_refused_clearly(flavor: str) -> None:
    """No webhook_secret: a MemberError saying deliveries would be unsigned, and no webhook."""
    sim = site(flavor)
    with pytest.raises(MemberError, match=r"webhook_secret.*unsigned.*set webhook_secret"):
        run(member(sim, secret=None).register_webhook(CALLBACK))
    assert sim.state.webhooks == {}
    assert not [c for c in sim.calls if "webhooks" in c[1]]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_remove_deletes_it_and_removing_again_is_fine(flavor: str) -> None:
    """Remove deletes the webhook; removing it again (Jira's 404) is not an error."""
    sim = site(flavor)
    adapter = member(sim)
    info = run(adapter.register_webhook(CALLBACK))
    run(adapter.remove_webhook(info.id))
    assert sim.state.webhooks == {}
    run(adapter.remove_webhook(info.id))
    assert run(adapter.list_webhooks()) == []


def test_a_non_administrator_is_refused_with_the_reason() -> None:
    """Jira keeps admin webhooks to administrators: the error says so, and nothing is made."""
    sim = site()
    adapter = member(sim, email="dev@acme.example", token="dev-token-1")
    with pytest.raises(MemberError, match="not a Jira administrator"):
        run(adapter.register_webhook(CALLBACK))
    with pytest.raises(MemberError, match="not a Jira administrator"):
        run(adapter.list_webhooks())
    assert sim.state.webhooks == {}


def test_a_filter_jira_cannot_run_is_a_record_error_naming_it() -> None:
    """A member jql the site refuses fails the registration with Jira's reason and the filter."""
    sim = site()
    with pytest.raises(RecordError, match=r"nosuchfield.*the filter was"):
        run(member(sim, jql="nosuchfield = 1").register_webhook(CALLBACK))
    assert sim.state.webhooks == {}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_deliveries_reach_the_url_signed_and_only_for_the_project(flavor: str) -> None:
    """After registering, WEB's issue and version events arrive signed (the adapter accepts
    them) and OPS's issues do not arrive."""
    received: Received = []
    sim = site(flavor, received)
    adapter = member(sim)
    run(adapter.register_webhook(CALLBACK))

    async def work() -> str:
        async with vendor(sim) as jira:
            api = sim.api
            for key in ("OPS", "WEB"):
                fields = {"project": {"key": key}, "summary": key, "issuetype": {"name": "Task"}}
                answer = await jira.post(f"{api}/issue", json={"fields": fields})
                assert answer.status_code == 201, answer.text
                made = str(answer.json()["id"])
            web = next(p for p in sim.state.projects.values() if p.key == "WEB")
            version = {"name": "1.0", "projectId": web.id}
            assert (await jira.post(f"{api}/version", json=version)).status_code == 201
        await sim.webhooks.drain()
        return made

    web_issue = run(work())
    events = [json.loads(body)["webhookEvent"] for _, body in received]
    assert events == ["jira:issue_created", "jira:version_created"]
    headers, body = received[0]
    assert json.loads(body)["issue"]["key"].startswith("WEB-")
    assert adapter.webhook(WebhookRequest(headers, body)) == [web_issue]


def test_the_admin_api_answers_like_jira() -> None:
    """The simulator's admin webhooks: 201 with self, filters and enabled, never the secret; 404
    for an unknown id; 400 for a bad body; 401 without credentials."""
    sim = site()

    async def calls() -> None:
        async with vendor(sim) as jira:
            body = {
                "name": "mine",
                "url": CALLBACK,
                "events": ["jira:issue_updated"],
                "filters": {"issue-related-events-section": "project = WEB"},
                "excludeBody": False,
                "secret": SECRET,
            }
            made = await jira.post("/rest/webhooks/1.0/webhook", json=body)
            assert made.status_code == 201
            hook = made.json()
            assert SECRET not in made.text
            assert hook["self"] == f"{ADMIN_API}/1"
            assert (hook["name"], hook["url"], hook["enabled"]) == ("mine", CALLBACK, True)
            assert hook["filters"] == {"issue-related-events-section": "project = WEB"}
            assert hook["events"] == ["jira:issue_updated"]
            one = await jira.get("/rest/webhooks/1.0/webhook/1")
            assert one.json() == hook
            listed = await jira.get("/rest/webhooks/1.0/webhook")
            assert listed.json() == [hook]
            assert SECRET not in listed.text
            assert (await jira.get("/rest/webhooks/1.0/webhook/99")).status_code == 404
            assert (await jira.delete("/rest/webhooks/1.0/webhook/99")).status_code == 404
            bad = await jira.post("/rest/webhooks/1.0/webhook", json={"url": "not a url"})
            assert bad.status_code == 400
            assert set(bad.json()["errors"]) == {"name", "url"}
            assert (await jira.delete("/rest/webhooks/1.0/webhook/1")).status_code == 204
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sim.app), base_url="http://jira.test"
        ) as anonymous:
            assert (await anonymous.get("/rest/webhooks/1.0/webhook")).status_code == 401

    run(calls())
