"""A ready site: the admin member, an app key and token, the Demo board with lists and custom
fields, and (optionally) demo cards put in through the API."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from adapters.trello.simulator.core import TrelloSimulator
from adapters.trello.simulator.model import Board, CustomField, Member

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
