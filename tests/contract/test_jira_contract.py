"""The Jira adapter under the shared adapter contract, against the simulator (Cloud and DC)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.base import Adapter, AdapterContext
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import ACTUAL_COST, PLANNED_COST, START_DATE, JiraSimulator
from adapters.jira.site import forget_sites
from syncd.model import Ref
from tests.contract.adapter_suite import AdapterContract, run
from tests.contract.openapi import SPECS_DIR, CheckedTransport, OpenApiSpec, spec_or_skip

FIELDS = {"start": START_DATE, "planned_cost": PLANNED_COST, "actual_cost": ACTUAL_COST}
SPEC_FILES = {
    "cloud": "jira_cloud_platform_swagger-v3.v3.json",
    "dc": "jira_dc_10.3_swagger.v3.json",
}


def transport_for(sim: JiraSimulator, flavor: str) -> httpx.AsyncBaseTransport:
    """The simulator's ASGI transport, checked against the vendor's spec when it is present."""
    inner = httpx.ASGITransport(app=sim.app)
    path = SPECS_DIR / SPEC_FILES[flavor]
    if not path.is_file():
        return inner  # a user's clone without ../shared/specs: the rules still run
    return CheckedTransport(inner, OpenApiSpec.load(path))


@contextlib.asynccontextmanager
async def jira_member(flavor: str) -> AsyncIterator[JiraAdapter]:
    """A Jira adapter over a fresh simulated site with one project, WEB."""
    forget_sites()
    forget_recent_writes()
    sim = JiraSimulator("cloud" if flavor == "cloud" else "dc")
    me = sim.add_user(
        "pm@acme.example", token="sim-token-1", time_zone="America/New_York", admin=True
    )
    ana = sim.add_user("ana@acme.example", "Ana")
    sim.add_project("WEB", lead=me)
    cloud = flavor == "cloud"
    connection = JiraConnection(
        base_url="http://jira.test",
        deployment="cloud" if cloud else "datacenter",
        email="pm@acme.example" if cloud else None,
        token="sim-token-1",
        requests_per_second=10_000,
    )
    member = JiraMember(connection="jira", project="WEB", fields=FIELDS)
    people = {"ana@acme.example": ana.account_id if cloud else ana.name}
    adapter = JiraAdapter(
        connection,
        member,
        AdapterContext("jira", people=people),
        transport=transport_for(sim, flavor),
    )
    async with adapter:
        yield adapter


class TestJiraCloud(AdapterContract):
    """Jira Cloud (REST v3, ADF descriptions, accountIds)."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        async with jira_member("cloud") as adapter:
            yield adapter


class TestJiraDataCenter(AdapterContract):
    """Jira Data Center (REST v2, wiki markup, usernames)."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        async with jira_member("dc") as adapter:
            yield adapter


@pytest.mark.parametrize("flavor", ["cloud", "dc"])
def test_every_call_of_a_full_flow_matches_the_vendors_description(flavor: str) -> None:
    """check, read, bulk create, edit, transition, link, version and delete calls all validate."""
    spec_or_skip(SPEC_FILES[flavor])

    async def flow() -> int:
        async with jira_member(flavor) as adapter:
            transport = adapter.client.http._client._transport  # the test's own
            assert isinstance(transport, CheckedTransport)
            result = await adapter.check()
            assert result.ok, result.problems
            version = await adapter.create("milestone", {"title": "1.0"}, uid="v")
            first = await adapter.create("task", {"title": "Blocker"}, uid="a")
            second = await adapter.create(
                "task",
                {
                    "title": "Blocked",
                    "status": "done",
                    "assignee": "ana@acme.example",
                    "description": "# Why\n\n**Because** of [this](https://x.example)",
                    "depends_on": frozenset({Ref(uid=first.external_id)}),
                    "milestone": Ref(uid=version.external_id),
                },
                uid="b",
            )
            await adapter.update("task", second.external_id, {"depends_on": frozenset()})
            listing = await adapter.fetch(None)
            await adapter.fetch(listing.cursor)
            await adapter.delete("task", first.external_id, "archive")
            await adapter.delete("milestone", version.external_id, "delete")
            return transport.checked

    assert run(flow()) > 10
