"""The state's lookups (each raising Trello's error), ids, time, and the action log.

Every change a handler makes is recorded as a Trello action (``createCard``, ``updateCard``...)
in ``state.actions``, with the models whose webhooks see it.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from adapters.simulation import Clock, system_clock
from adapters.trello.simulator.errors import (
    INVALID_ID,
    NOT_FOUND,
    TrelloError,
    not_found,
    unauthorized,
)
from adapters.trello.simulator.model import (
    Action,
    Board,
    Card,
    CustomField,
    Label,
    Member,
    State,
    TrelloList,
)

OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")
SHORT_LINK = re.compile(r"[0-9A-Za-z]{8}")
_BASE62 = string.digits + string.ascii_letters
# The middle of an ObjectId (machine and process in MongoDB): fixed, so ids are reproducible.
_MACHINE = 0x5D3A_77C1_04


def timestamp(moment: datetime) -> str:
    """Trello's instants: UTC, milliseconds, ``Z`` (``2019-09-16T16:19:17.156Z``)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def id_time(object_id: str) -> datetime:
    """The creation time an ObjectId carries in its first 8 hex digits."""
    return datetime.fromtimestamp(int(object_id[:8], 16), tz=UTC)


def is_id(value: str) -> bool:
    return OBJECT_ID.fullmatch(value) is not None


class Store:
    """The site's data. Not thread-safe by itself: the simulator serialises access."""

    def __init__(self, state: State, clock: Clock = system_clock) -> None:
        self.state = state
        self.clock = clock

    def now(self) -> datetime:
        """The clock's time, to the millisecond as Trello stores it."""
        now = self.clock().astimezone(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def next_id(self) -> str:
        """A new ObjectId: the clock's second, then a counter; always above the last one."""
        seconds = int(self.clock().timestamp())
        value = max((seconds << 64) | (_MACHINE << 24), self.state.last_id + 1)
        self.state.last_id = value
        return f"{value:024x}"

    def short_link(self, object_id: str) -> str:
        """The 8-character base-62 link of a board or card (``trello.com/c/<shortLink>``)."""
        number = int.from_bytes(hashlib.sha256(object_id.encode()).digest()[:8], "big")
        chars = []
        for _ in range(8):
            number, digit = divmod(number, 62)
            chars.append(_BASE62[digit])
        return "".join(chars)

    # --- lookups ----------------------------------------------------------------------------

    def member(self, ref: str, me: Member) -> Member:
        if ref == "me":
            return me
        found = self.state.members.get(ref) or next(
            (m for m in self.state.members.values() if m.username == ref), None
        )
        if found is None:
            raise not_found()
        return found

    def board(self, ref: str, me: Member) -> Board:
        """A board by id or shortLink that ``me`` may see (else 401, as Trello answers)."""
        _check_ref(ref, short_ok=True)
        found = self.state.boards.get(ref) or next(
            (b for b in self.state.boards.values() if b.short_link == ref), None
        )
        if found is None:
            raise not_found()
        if me.id not in found.members:
            raise unauthorized()
        return found

    def card(self, ref: str, me: Member, missing: str = NOT_FOUND) -> Card:
        """A card by id or shortLink (archived ones too); ``missing`` is the 404's text."""
        _check_ref(ref, short_ok=True)
        found = self.state.cards.get(ref) or next(
            (c for c in self.state.cards.values() if c.short_link == ref), None
        )
        if found is None:
            raise not_found(missing)
        self.board(found.board, me)
        return found

    def trello_list(self, ref: str, me: Member) -> TrelloList:
        _check_ref(ref)
        found = self.state.lists.get(ref)
        if found is None:
            raise not_found()
        self.board(found.board, me)
        return found

    def custom_field(self, ref: str) -> CustomField:
        _check_ref(ref)
        found = self.state.custom_fields.get(ref)
        if found is None:
            raise not_found()
        return found

    def board_lists(self, board: Board) -> list[TrelloList]:
        lists = (x for x in self.state.lists.values() if x.board == board.id)
        return sorted(lists, key=lambda x: (x.pos, x.id))

    def board_labels(self, board: Board) -> list[Label]:
        return [x for x in self.state.labels.values() if x.board == board.id]

    def board_fields(self, board: Board) -> list[CustomField]:
        fields = (f for f in self.state.custom_fields.values() if f.board == board.id)
        return sorted(fields, key=lambda f: (f.pos, f.id))

    def board_cards(self, board: Board) -> Iterator[Card]:
        return (c for c in self.state.cards.values() if c.board == board.id)

    # --- actions ------------------------------------------------------------------------------

    def record(
        self,
        kind: str,
        member: Member,
        data: dict[str, Any],
        *,
        board: Board | None = None,
        card: Card | None = None,
    ) -> Action:
        """Append an action; ``data`` is Trello's snapshot (names as they were then)."""
        if card is not None:
            board = self.state.boards[card.board]
        if board is not None:
            data.setdefault("board", ref_of_board(board))
        models = [m for m in (card and card.id, card and card.id_list, board and board.id) if m]
        action = Action(
            id=self.next_id(),
            type=kind,
            date=self.now(),
            member_creator=member.id,
            board=board.id if board else None,
            data=data,
            models=list(dict.fromkeys([*models, *_lists_named(data), member.id])),
        )
        self.state.actions.append(action)
        return action


def _lists_named(data: dict[str, Any]) -> list[str]:
    """A move's lists: webhooks on the list left and the list entered both see it."""
    return [data[k]["id"] for k in ("listBefore", "listAfter", "list") if k in data]


def ref_of_board(board: Board) -> dict[str, Any]:
    return {"id": board.id, "name": board.name, "shortLink": board.short_link}


def ref_of_card(card: Card) -> dict[str, Any]:
    return {
        "id": card.id,
        "name": card.name,
        "idShort": card.id_short,
        "shortLink": card.short_link,
    }


def ref_of_list(trello_list: TrelloList) -> dict[str, Any]:
    return {"id": trello_list.id, "name": trello_list.name}


def _check_ref(ref: str, *, short_ok: bool = False) -> None:
    """Trello answers 400 ``invalid id`` to what is neither an ObjectId nor a shortLink."""
    if is_id(ref) or (short_ok and SHORT_LINK.fullmatch(ref)):
        return
    raise TrelloError(400, INVALID_ID)
