"""The Jira adapter under the shared adapter contract, against the simulator (Cloud and DC)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from adapters.base import Adapter, AdapterContext
from adapters.jira.adapter import JiraAdapter, forget_recent_writes
from adapters.jira.config import JiraConnection, JiraMember
from adapters.jira.simulator import ACTUAL_COST, PLANNED_COST, START_DATE, JiraSimulator
from adapters.jira.site import forget_sites
from tests.contract.adapter_suite import AdapterContract

FIELDS = {"start": START_DATE, "planned_cost": PLANNED_COST, "actual_cost": ACTUAL_COST}


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
        transport=httpx.ASGITransport(app=sim.app),
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
