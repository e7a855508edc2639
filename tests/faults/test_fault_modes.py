"""The simulators' connection-level faults, over real HTTP on 127.0.0.1: a reset before the
answer, a connection dropped after the write was made, an answer cut in half, a garbled answer,
and a fault that lets the first pages of a listing through."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from adapters.simulation import Fault, bind
from adapters.trello.simulator import TrelloSimulator, serve
from adapters.trello.simulator.model import Board

KEY, TOKEN = "app-key", "ann-token"


@dataclass
class Served:
    sim: TrelloSimulator
    board: Board
    client: httpx.Client

    def create(self, name: str) -> httpx.Response:
        params = {"name": name, "idList": self.sim.lists_of(self.board)[0].id}
        return self.client.post("/cards", params=params)

    def names(self) -> list[str]:
        return [card.name for card in self.sim.store.state.cards.values()]


@pytest.fixture
def served() -> Iterator[Served]:
    sim = TrelloSimulator(rate_limit=None)
    ann = sim.add_member("ann", "Ann Lee", "ann@example.com")
    sim.add_app(KEY, "app-secret")
    sim.add_token(ann, TOKEN, KEY)
    board = sim.add_board("Web", lists=["To Do", "Done"], members=[ann])
    with serve(sim) as url:
        oauth = f'OAuth oauth_consumer_key="{KEY}", oauth_token="{TOKEN}"'
        with httpx.Client(base_url=url, headers={"Authorization": oauth}, timeout=5) as client:
            yield Served(sim, board, client)


def test_a_reset_breaks_the_connection_and_the_write_is_not_made(served: Served) -> None:
    served.sim.fail("/cards$", method="POST", mode="reset")
    with pytest.raises(httpx.RemoteProtocolError):
        served.create("Never made")
    assert "Never made" not in served.names()
    assert served.create("Made").status_code == 200  # the fault was used once


def test_a_dropped_connection_leaves_the_write_made_and_the_client_in_the_dark(
    served: Served,
) -> None:
    served.sim.fail("/cards$", method="POST", mode="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        served.create("Made, unknown to the caller")
    assert served.names().count("Made, unknown to the caller") == 1


def test_a_truncated_answer_is_a_200_whose_json_is_cut(served: Served) -> None:
    served.create("Listed")
    served.sim.fail("/cards$", method="GET", mode="truncate")
    response = served.client.get(f"/boards/{served.board.id}/cards")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    whole = served.client.get(f"/boards/{served.board.id}/cards")
    assert len(response.content) == len(whole.content) // 2


def test_a_garbled_answer_is_a_200_that_is_not_json_and_the_request_is_not_served(
    served: Served,
) -> None:
    served.sim.fail("/cards$", method="POST", mode="garble")
    response = served.create("Not made")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert "Not made" not in served.names()


def test_skip_lets_the_first_matching_requests_through(served: Served) -> None:
    """A listing that fails on its third page: the first two pass, the third fails."""
    served.sim.fail("/members/me", 502, skip=2, times=1)
    statuses = [served.client.get("/members/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 502, 200]


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        Fault(mode="explode")


def test_the_listening_socket_says_it_is_tcp_so_answers_are_not_held_back() -> None:
    """asyncio sets TCP_NODELAY on accepted connections only when the listening socket names
    IPPROTO_TCP; without it each small answer on a kept-alive connection waited ~40 ms for the
    client's delayed ACK, on every simulator call of every test."""
    with contextlib.closing(bind()) as sock:
        assert sock.proto == socket.IPPROTO_TCP
