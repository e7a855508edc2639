"""`TrelloSimulator`: the simulated Trello, its configuration, and the helpers that seed it.

Cards, lists, labels, custom field values and webhooks go in through the vendor API
(``POST /1/cards`` ...) as a real client would; what that API cannot create here (members,
apps and their keys, tokens, boards, custom field definitions) is seeded with the ``add_*``
methods.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

from adapters.simulation import Clock, FaultMiddleware, FaultSet, SimulatorBase, system_clock
from adapters.trello.simulator.batch import Router
from adapters.trello.simulator.limits import TRELLO_LIMITS, RateLimit, RateLimiter
from adapters.trello.simulator.model import (
    App,
    Board,
    CustomField,
    FieldOption,
    FieldType,
    Label,
    Member,
    State,
    Token,
    TrelloList,
)
from adapters.trello.simulator.store import Store
from adapters.trello.simulator.values import POS_STEP
from adapters.trello.simulator.webhooks import WebhookSender

# A new board has six coloured labels without names.
DEFAULT_LABELS = ("green", "yellow", "orange", "red", "purple", "blue")


class TrelloSimulator(SimulatorBase):
    """A local Trello (REST API under ``/1``), served by ``.app`` (ASGI).

    Args:
        clock: returns now (aware); a `ManualClock` makes timestamps deterministic.
        rate_limit: the budgets per API key and per token (default: Trello's, 300 and 100
            per 10 seconds); None for no limit.
        latency: seconds added to every vendor API call.
        webhook_transport: an httpx transport for HEAD checks and deliveries (tests); None for
            the network.
        state: a saved state to start from.
    """

    state: State

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        rate_limit: RateLimit | None = TRELLO_LIMITS,
        latency: float = 0.0,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        state: State | None = None,
    ) -> None:
        from adapters.trello.simulator.app import ENDPOINTS, build_app

        self.state = state if state is not None else State()
        self.store = Store(self.state, clock or system_clock)
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.latency = latency
        self.faults = FaultSet()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.webhooks = WebhookSender(self, webhook_transport)
        self.lock = threading.RLock()
        self.router = Router(ENDPOINTS)
        self.app: ASGIApp = FaultMiddleware(self, build_app(self))

    @property
    def rate_limit(self) -> RateLimit | None:
        return self.limiter.limit if self.limiter else None

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        self.limiter = RateLimiter(limit) if limit else None

    # --- seeding --------------------------------------------------------------------------------

    def add_member(self, username: str, full_name: str, email: str | None = None) -> Member:
        """Add a member (their email is shown only to themself)."""
        with self.lock:
            member = Member(
                id=self.store.next_id(), username=username, full_name=full_name, email=email
            )
            self.state.members[member.id] = member
        return member

    def add_app(self, key: str, secret: str) -> App:
        """Add an app: its API key, and the secret that signs its webhooks' deliveries."""
        with self.lock:
            app = App(key=key, secret=secret)
            self.state.apps[key] = app
        return app

    def add_token(self, member: Member, token: str, key: str) -> Token:
        """Let ``member`` grant ``token`` to the app of ``key`` (which must exist)."""
        with self.lock:
            if key not in self.state.apps:
                raise KeyError(f"no app with key {key!r}: add_app first")
            granted = Token(token=token, member=member.id, key=key)
            self.state.tokens[token] = granted
        return granted

    def add_board(
        self, name: str, *, lists: Sequence[str] = (), members: Sequence[Member] = ()
    ) -> Board:
        """Add a board with ``lists`` (in order), ``members`` and Trello's six default labels."""
        with self.lock:
            now = self.store.now()
            board = Board(
                id=self.store.next_id(),
                short_link="",
                name=name,
                members=[m.id for m in members],
                organization=self.store.next_id(),
                creator=members[0].id if members else None,
                last_activity=now,
            )
            board.short_link = self.store.short_link(board.id)
            self.state.boards[board.id] = board
            for index, list_name in enumerate(lists, start=1):
                created = TrelloList(
                    id=self.store.next_id(), name=list_name, board=board.id, pos=index * POS_STEP
                )
                self.state.lists[created.id] = created
            for color in DEFAULT_LABELS:
                label = Label(id=self.store.next_id(), color=color, board=board.id)
                self.state.labels[label.id] = label
        return board

    def add_custom_field(
        self, board: Board, name: str, type: FieldType, options: Sequence[str] = ()
    ) -> CustomField:
        """Add a custom field to ``board``; a ``list`` field has ``options``."""
        with self.lock:
            field_id = self.store.next_id()
            taken = sum(1 for f in self.state.custom_fields.values() if f.board == board.id)
            field = CustomField(
                id=field_id,
                board=board.id,
                name=name,
                type=type,
                pos=(taken + 1) * POS_STEP,
                options=[
                    FieldOption(id=self.store.next_id(), text=text, pos=i * POS_STEP)
                    for i, text in enumerate(options, start=1)
                ],
            )
            self.state.custom_fields[field.id] = field
        return field

    def lists_of(self, board: Board) -> list[TrelloList]:
        """The board's lists, in order."""
        with self.lock:
            return self.store.board_lists(board)

    # --- faults and control -----------------------------------------------------------------------

    def _forget(self) -> None:
        """Rate-limit budgets (see `SimulatorBase.reset`)."""
        if self.limiter:
            self.limiter.reset()

    # --- state ------------------------------------------------------------------------------------

    def restore(self, saved: dict[str, Any]) -> None:
        """Go back to a state `dump` returned (tests start many runs from the same site).
        Options, faults and counts stay."""
        with self.lock:
            self.state = State.model_validate(saved)
            self.store = Store(self.state, self.store.clock)

    @classmethod
    def load(cls, path: Path | str, **options: Any) -> TrelloSimulator:
        """A simulator resuming from a state file written by `save`."""
        state = State.model_validate_json(Path(path).read_text(encoding="utf-8"))
        return cls(state=state, **options)
