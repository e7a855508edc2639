"""A ready site: the admin member, an app key and token, the Demo board with lists and custom
fields, and (optionally) demo cards put in through the API; and the board ``syncd demo`` runs
(``demo_site``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.base import DemoSetup, DemoSite
from adapters.trello.simulator.core import TrelloSimulator
from adapters.trello.simulator.model import Board, CustomField, Member
from adapters.trello.simulator.server import serve

API_KEY = "sim-key"
API_SECRET = "sim-secret"  # noqa: S105 - the simulator's published demo credential
API_TOKEN = "sim-token"  # noqa: S105 - the simulator's published demo credential
LISTS = ("To Do", "Doing", "Done")


@dataclass(frozen=True)
class Site:
    admin: Member
    board: Board
    estimate: CustomField
    priority: CustomField


def add_site(sim: TrelloSimulator) -> Site:
    """The admin (key ``sim-key``, token ``sim-token``) and the Demo board, which has the
    custom fields Estimate (number) and Priority (list)."""
    admin = sim.add_member("admin", "Admin User", "admin@example.com")
    sim.add_app(API_KEY, API_SECRET)
    sim.add_token(admin, API_TOKEN, API_KEY)
    board = sim.add_board("Demo", lists=LISTS, members=[admin])
    estimate = sim.add_custom_field(board, "Estimate", "number")
    priority = sim.add_custom_field(board, "Priority", "list", ("Low", "Medium", "High"))
    return Site(admin, board, estimate, priority)


async def seed_demo(sim: TrelloSimulator, site: Site) -> None:
    """Create three cards (one with a due date, a label and an estimate) through the REST API."""
    oauth = f'OAuth oauth_consumer_key="{API_KEY}", oauth_token="{API_TOKEN}"'
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url="http://trello.local/1",
        headers={"Authorization": oauth},
    ) as client:
        lists = (await client.get(f"/boards/{site.board.id}/lists")).raise_for_status().json()
        labels = (await client.get(f"/boards/{site.board.id}/labels")).raise_for_status().json()
        due = sim.store.now().replace(hour=17, minute=0, second=0, microsecond=0)
        design = {
            "name": "Design the home page",
            "due": due.isoformat(),
            "idLabels": labels[0]["id"],
        }
        cards = [
            ({**design, "idList": lists[1]["id"]}),
            {"name": "Write the copy", "desc": "**Short** and clear.", "idList": lists[0]["id"]},
            {"name": "Launch", "idList": lists[0]["id"]},
        ]
        created = [
            (await client.post("/cards", params=card)).raise_for_status().json() for card in cards
        ]
        item = {"value": {"number": "3"}}
        path = f"/cards/{created[0]['id']}/customField/{site.estimate.id}/item"
        (await client.put(path, json=item)).raise_for_status()


# --- syncd demo ---------------------------------------------------------------------------------

DEMO_LISTS = ("To Do", "Doing", "Done")


class TrelloSite:
    """The simulated Trello board of ``syncd demo``, and a team member working on it through
    the REST API."""

    name = "Trello"

    def __init__(self, sim: TrelloSimulator, url: str, board: Board, people: dict[str, str]):
        self.sim = sim
        self.url = url
        self.board = board.id
        self.location = f"{url}/boards/{board.id}"
        self.connection: dict[str, Any] = {
            "type": "trello",
            "base_url": url,
            "key": API_KEY,
            "token": API_TOKEN,
            "secret": API_SECRET,
        }
        self.member: dict[str, Any] = {
            "board": board.id,
            "status_map": {"To Do": "todo", "Doing": "in_progress", "Done": "done"},
            "fields": {"planned_cost": "Cost"},
            "milestone_field": "Milestone",
        }
        self.people = people

    async def edit(self, title: str, changes: Mapping[str, Any]) -> list[str]:
        """Find the card by name, then move it to the list of its new status and set its
        labels (a new label is made on the board first, as in Trello's label picker)."""
        oauth = f'OAuth oauth_consumer_key="{API_KEY}", oauth_token="{API_TOKEN}"'
        async with httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": oauth}, timeout=30
        ) as client:
            board = f"/boards/{self.board}"
            cards = (await client.get(f"{board}/cards", params={"fields": "name"})).json()
            card = next((c["id"] for c in cards if c["name"] == title), None)
            if card is None:
                raise LookupError(f"no card named {title!r} on the board")
            done = []
            for field, value in changes.items():
                if field == "status":
                    lists = (await client.get(f"{board}/lists")).raise_for_status().json()
                    target = DEMO_LISTS[("todo", "in_progress", "done").index(value)]
                    to = next(item["id"] for item in lists if item["name"] == target)
                    params = {"idList": to, "pos": "top"}
                    (await client.put(f"/cards/{card}", params=params)).raise_for_status()
                    done.append(f"{title!r}: moved to {target}")
                elif field == "labels":
                    ids = [await _label(client, self.board, name) for name in sorted(value)]
                    params = {"idLabels": ",".join(ids)}
                    (await client.put(f"/cards/{card}", params=params)).raise_for_status()
                    done.append(f"{title!r}: labels → {', '.join(sorted(value))}")
                else:
                    raise ValueError(f"the demo's Trello edits do not cover {field!r}")
            return done


async def _label(client: httpx.AsyncClient, board: str, name: str) -> str:
    labels = (await client.get(f"/boards/{board}/labels")).raise_for_status().json()
    found = next((label["id"] for label in labels if label["name"] == name), None)
    if found is not None:
        return str(found)
    created = await client.post("/labels", params={"name": name, "color": "red", "idBoard": board})
    return str(created.raise_for_status().json()["id"])


@asynccontextmanager
async def demo_site(setup: DemoSetup) -> AsyncIterator[DemoSite]:
    """A Trello board on a free port of 127.0.0.1 with Trello's rate limits (100 requests per
    10 s per token), lists To Do, Doing and Done, custom fields Cost (number) and Milestone
    (text), and every one of the cast a member of it, served until the block ends."""
    sim = TrelloSimulator()
    admin = sim.add_member("admin", "Admin User", "admin@example.com")
    sim.add_app(API_KEY, API_SECRET)
    sim.add_token(admin, API_TOKEN, API_KEY)
    cast = {
        p.email: sim.add_member(p.email.split("@", 1)[0], p.name, p.email) for p in setup.people
    }
    board = sim.add_board("Website relaunch", lists=DEMO_LISTS, members=[admin, *cast.values()])
    sim.add_custom_field(board, "Cost", "number")
    sim.add_custom_field(board, "Milestone", "text")
    first_list = sim.lists_of(board)[0].id
    with serve(sim) as url:
        oauth = f'OAuth oauth_consumer_key="{API_KEY}", oauth_token="{API_TOKEN}"'
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": oauth}) as client:
            for title in setup.existing:  # the cards the team made before syncd came
                card = {"name": title, "idList": first_list}
                (await client.post("/cards", params=card)).raise_for_status()
        yield TrelloSite(sim, url, board, {email: m.id for email, m in cast.items()})
