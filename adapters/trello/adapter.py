"""The Trello adapter: one board (optionally narrowed to lists).

Reading: a full read is one call for the board with its lists, labels and custom fields, the
cards 1,000 a page (newest first, ``before`` the oldest seen), and one call for the newest
action, whose id is the cursor. Later reads list the board's card actions ``since`` the cursor
(a quiet board costs one call) and read the touched cards 10 per ``/1/batch`` call.

Writing: Trello has no bulk write: one call per card (plus one per custom field changed).
Status moves the card to the first list mapped to it; archive is ``closed: true``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import time
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx

from adapters.base import (
    AdapterContext,
    Capabilities,
    CheckResult,
    DeleteMode,
    HttpMember,
    KindCapability,
    Observation,
    Observed,
    Problem,
    WebhookInfo,
    WebhookRequest,
)
from adapters.trello.client import BATCH_LIMIT, TrelloClient
from adapters.trello.config import TrelloConnection, TrelloMember
from adapters.trello.mapping import (
    CARD_FIELDS,
    NUMBER_FIELDS,
    CardRead,
    Site,
    card_body,
    custom_items,
    number_item,
    parse_instant,
    read_card,
)
from syncd.errors import (
    AdapterError,
    MemberError,
    OutcomeUnknown,
    PayloadError,
    RecordError,
    RecordNotFound,
)
from syncd.http import RetryPolicy
from syncd.http.retry import SleepFn
from syncd.model import Kind, Values

TASK_FIELDS = frozenset({"title", "description", "status", "assignee", "start", "due", "labels"})
MILESTONE_FIELDS = frozenset({"title", "description", "due", "status"})
LABEL_COLOR = "sky"
PAGE = 1000  # cards or actions per page (Trello's maximum)
# The card actions worth reading a card again for.
# https://developer.atlassian.com/cloud/trello/guides/rest-api/action-types/
CARD_ACTIONS = (
    "createCard,updateCard,deleteCard,copyCard,moveCardToBoard,moveCardFromBoard,"
    "addLabelToCard,removeLabelFromCard,addMemberToCard,removeMemberFromCard,"
    "updateCustomFieldItem,convertToCardFromCheckItem"
)
CACHE_SECONDS = 3600.0
# Trello's 400 texts for a webhook it will not create (the guide's "Creating a Webhook").
# https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/
DUPLICATE_WEBHOOK = "A webhook with that callback, model, and token already exists"
HEAD_CHECK_FAILED = "did not return 200"
_BOARDS: dict[tuple[str, ...], tuple[float, Board]] = {}


def forget_caches() -> None:
    """Drop the process cache of boards (tests call this between cases)."""
    _BOARDS.clear()


@dataclass
class Board:
    """What the adapter knows of its board."""

    id: str
    lists: dict[str, str]  # id -> name (open lists)
    labels: dict[str, str]  # id -> name
    fields: dict[str, str]  # casefolded name -> custom field id


class TrelloAdapter(HttpMember):
    """One Trello member."""

    def __init__(
        self,
        connection: TrelloConnection,
        member: TrelloMember,
        context: AdapterContext,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
    ) -> None:
        self.name = context.member
        self.connection = connection
        self.settings = member
        self.context = context
        self.client = TrelloClient(
            connection, self.name, transport=transport, retry_policy=retry_policy, sleep=sleep
        )
        self.http = self.client.http
        self.capabilities = capabilities_of(member)
        self._board: Board | None = None
        self._cards: dict[str, dict[str, Any]] = {}  # id -> the card as last seen
        self._milestones: dict[str, str] = {}  # casefolded name -> card id
        self._label_lock = asyncio.Lock()  # one POST /labels per missing label
        zone = member.timezone
        self._zone = zoneinfo.ZoneInfo(zone) if zone else context.timezone

    # --- check and read ------------------------------------------------------------------------

    async def check(self) -> CheckResult:
        """The token, the board, and every list and custom field the member names."""
        result = CheckResult()
        try:
            me = await self.client.get("/members/me", {"fields": "username,fullName"})
            result.info["user"] = str((me or {}).get("username"))
            board = await self._ready(fresh=True)
        except RecordNotFound:
            result.problems.append(Problem(f"board {self.settings.board} is not visible"))
            return result
        except AdapterError as exc:
            result.problems.append(Problem(f"{self.name}: {exc}", fix="check key and token"))
            return result
        names = {n.casefold() for n in board.lists.values()}
        for wanted in [*self.settings.status_map, *self.settings.lists]:
            if wanted.casefold() not in names:
                result.problems.append(Problem(f"the board has no open list {wanted!r}"))
        for canonical, field_name in self._wanted_fields().items():
            if field_name.casefold() not in board.fields:
                result.problems.append(
                    Problem(f"custom field {field_name!r} (for {canonical}) is not on the board")
                )
        return result

    async def fetch(self, cursor: str | None) -> Observation:
        """Card actions since ``cursor`` (an action id), or the whole board."""
        if cursor:
            return await self._changes(cursor)
        board = await self._ready(fresh=True)
        cards = await self._all_cards(board)
        newest = await self.client.get(
            f"/boards/{board.id}/actions", {"filter": CARD_ACTIONS, "limit": 1, "fields": "id"}
        )
        head = str(newest[0]["id"]) if isinstance(newest, list) and newest else "0" * 24
        errors: list[RecordError] = []
        records = self._observe(board, cards, errors)
        # A card that failed to parse without an id cannot be told apart from a deleted one:
        # the listing then vouches for no absence (the planner spares only the ids it is given).
        return Observation(records, head, all(e.external_id for e in errors), errors)

    async def _all_cards(self, board: Board, **fields: str) -> list[dict[str, Any]]:
        """Every open card, newest first, 1,000 a page (``before`` the oldest seen); with all
        of syncd's fields, or those ``fields`` names (Trello's query parameters)."""
        params: dict[str, Any] = fields or {"fields": CARD_FIELDS, "customFieldItems": "true"}
        params["limit"] = PAGE
        cards: list[dict[str, Any]] = []
        while True:
            page = await self.client.get(f"/boards/{board.id}/cards/open", params)
            if not isinstance(page, list) or not all(isinstance(c, dict) for c in page):
                # An item that is not a card cannot be told apart from a deleted card: the
                # listing vouches for nothing (a card that is an object but malformed fails
                # alone, later, with its id).
                raise MemberError("cards: malformed page")
            cards.extend(page)
            if len(page) < PAGE:
                return cards
            params["before"] = min(str(c.get("id")) for c in page)

    async def _changes(self, cursor: str) -> Observation:
        board = await self._ready()
        touched: list[str] = []
        head = cursor
        params: dict[str, Any] = {"since": cursor, "filter": CARD_ACTIONS, "limit": PAGE}
        while True:
            page = await self.client.get(f"/boards/{board.id}/actions", params)
            if not isinstance(page, list) or not all(isinstance(a, dict) for a in page):
                raise MemberError("actions: malformed page")
            for action in page:
                card = ((action.get("data") or {}).get("card") or {}).get("id")
                if card:
                    touched.append(str(card))
                head = max(head, str(action.get("id") or ""))
            if len(page) < PAGE:
                break
            params["before"] = min(str(a["id"]) for a in page)
        cards = await self._read_cards(list(dict.fromkeys(touched)))
        if any(i not in board.labels for c in cards for i in c.get("idLabels") or []):
            # A label made on the board since it was cached (a person's new label): read the
            # board again, or the card would read as not carrying it.
            board = await self._ready(fresh=True)
        if self._names_unknown_milestone(board, cards):
            await self._load_milestones(board)
        errors: list[RecordError] = []
        return Observation(self._observe(board, cards, errors), head, False, errors)

    def _names_unknown_milestone(self, board: Board, cards: list[dict[str, Any]]) -> bool:
        """Whether a card's milestone field names a milestone this process has not seen: the
        milestone cards are read by a full listing, and an incremental read holds only the
        cards that changed."""
        field = self._site(board).milestone_field
        if field is None:
            return False
        for card in cards:
            named = str(custom_items(card).get(field) or "").strip().casefold()
            if named and named not in self._milestones:
                return True
        return False

    async def _load_milestones(self, board: Board) -> None:
        """The board's milestone cards (names and labels only)."""
        label = self._site(board).milestone_label
        for card in await self._all_cards(board, fields="name,idLabels"):
            if entry := _milestone_entry(card, label):
                self._milestones[entry[0]] = entry[1]

    async def _read_cards(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Cards by id, 10 per batch call; deleted ones left out, archived ones too."""
        found = []
        query = f"fields={CARD_FIELDS}&customFieldItems=true"
        for start in range(0, len(ids), BATCH_LIMIT):
            chunk = ids[start : start + BATCH_LIMIT]
            for status, body in await self.client.batch([f"/cards/{i}?{query}" for i in chunk]):
                if status == 200 and isinstance(body, dict) and not body.get("closed"):
                    found.append(body)
        return found

    def _observe(
        self, board: Board, cards: list[dict[str, Any]], errors: list[RecordError]
    ) -> list[Observed]:
        site = self._site(board)
        # A card with no list id is malformed, not out of scope: it fails alone, with its id,
        # where out of scope it would be taken as deleted by a complete listing.
        listed = [c for c in cards if isinstance(c.get("idList"), str)]
        errors.extend(_no_list(c, self.name) for c in cards if c not in listed)
        in_scope = [c for c in listed if self._in_lists(board, c)]
        self._milestones.update(
            entry for c in in_scope if (entry := _milestone_entry(c, site.milestone_label))
        )
        site = self._site(board)
        records = []
        for card in in_scope:
            try:
                read = read_card(site, card)
            except PayloadError as exc:
                errors.append(PayloadError(str(exc), member=self.name, external_id=exc.external_id))
                continue
            self._cards[read.id] = card
            records.append(_observed(read))
        return records

    def _in_lists(self, board: Board, card: Mapping[str, Any]) -> bool:
        if str(card.get("idList")) not in board.lists:
            return False  # a closed list
        if not self.settings.lists:
            return True
        wanted = {n.casefold() for n in self.settings.lists}
        return board.lists[str(card.get("idList"))].casefold() in wanted

    # --- write ---------------------------------------------------------------------------------

    async def create(self, kind: Kind, values: Values, *, uid: str) -> Observed:
        """Create a card in the list of its status; then its custom fields."""
        board = await self._ready()
        unwritten: dict[str, str] = {}
        body = card_body(self._site(board), {k: v for k, v in values.items() if k in _PLAIN})
        body = {k: v for k, v in body.items() if v is not None}  # a new card has none of them
        body["idList"] = self._list_for(board, values.get("status"))
        if values.get("status") == "in_progress" and not self._mapped_list(board, "in_progress"):
            unwritten["status"] = "no list of the board is mapped to in_progress in status_map"
        labels = await self._label_ids(board, kind, values.get("labels") or frozenset())
        if labels:
            body["idLabels"] = labels
        member = self._member_for(values.get("assignee"), unwritten)
        if member:
            body["idMembers"] = [member]
        card = await self.client.send("POST", "/cards", body)
        if not isinstance(card, dict) or not card.get("id"):
            # A 2xx without the card: it may well exist.
            raise OutcomeUnknown("Trello did not answer with the card", member=self.name)
        card["customFieldItems"] = []
        # A new card has no custom field set: only values send a PUT (one per field, as
        # Trello has no bulk write), so an empty cost is no call at all.
        filled = {k: v for k, v in values.items() if v is not None}
        try:
            card = await self._set_fields(board, card, filled, unwritten)
        except AdapterError as exc:
            # The card exists and a follow-up failed (found by the fault suite: a 401 on a
            # custom field's PUT). Trello keeps no marker: reported as a create that failed,
            # the card would be read as a new record next run and copied everywhere. Unsure,
            # its intent stays pending and the next run adopts it by title.
            card_id = str(card["id"])
            message = f"card {card_id} was made, then: {exc}"
            raise OutcomeUnknown(message, member=self.name, external_id=card_id) from exc
        if kind == "milestone":
            self._milestones[str(card.get("name", "")).strip().casefold()] = str(card["id"])
        return self._result(board, card, unwritten)

    async def update(self, kind: Kind, external_id: str, changes: Values) -> Observed:
        """One PUT for the card's fields (plus one per custom field changed)."""
        board = await self._ready()
        known = self._cards.get(external_id)
        if known is None:
            known = await self._get_card(external_id)
        unwritten: dict[str, str] = {}
        body = card_body(self._site(board), {k: v for k, v in changes.items() if k in _PLAIN})
        if "status" in changes:
            self._move(board, known, changes["status"], body, unwritten)
        if "labels" in changes:
            body["idLabels"] = await self._label_ids(board, kind, changes["labels"] or frozenset())
        if "assignee" in changes:
            members = self._members_with(known, changes["assignee"], unwritten)
            if members is not None:
                body["idMembers"] = members
        card = known
        if body:
            card = await self.client.send("PUT", f"/cards/{external_id}", body)
            card["customFieldItems"] = known.get("customFieldItems") or []
        card = await self._set_fields(board, card, changes, unwritten)
        return self._result(board, card, unwritten)

    async def delete(self, kind: Kind, external_id: str, mode: DeleteMode) -> None:
        """Archive (``closed: true``) or delete for good; a card already gone is fine."""
        if mode == "delete":
            await self.client.send("DELETE", f"/cards/{external_id}")
        else:
            with contextlib.suppress(RecordNotFound):  # already gone: nothing to archive
                await self.client.send("PUT", f"/cards/{external_id}", {"closed": True})
        self._cards.pop(external_id, None)

    def admits(self, kind: Kind, values: Values) -> bool:
        """Tasks and milestones belong on the board."""
        return kind in self.capabilities.kinds

    def webhook(self, request: WebhookRequest) -> list[str] | None:
        """The cards a signed delivery concerns (None: refused).

        ``X-Trello-Webhook`` is base64(HMAC-SHA1(app secret, body + callback URL)).
        https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures
        """
        secret, url = self.connection.secret, self.connection.webhook_url
        headers = {k.lower(): v for k, v in request.headers.items()}
        given = headers.get("x-trello-webhook", "")
        if secret is None or url is None or not given:
            return None
        digest = hmac.new(
            secret.get_secret_value().encode(), request.body + url.encode(), hashlib.sha1
        ).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), given.strip()):
            return None
        try:
            action = json.loads(request.body).get("action") or {}
        except (ValueError, AttributeError):
            return None
        card = ((action.get("data") or {}).get("card") or {}).get("id")
        return [str(card)] if card else []

    def webhook_time(self, request: WebhookRequest) -> dt.datetime | None:
        """The ``date`` of the delivery's action (``2020-03-09T19:41:51.396Z``), the same on
        Trello's retries. https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/"""
        try:
            action = json.loads(request.body).get("action") or {}
        except (ValueError, AttributeError):
            return None
        return parse_instant(action.get("date")) if isinstance(action, dict) else None

    # --- webhook registrations (syncd webhooks) --------------------------------------------------

    async def list_webhooks(self) -> list[WebhookInfo]:
        """The token's webhooks watching this member's board (``GET /tokens/{token}/webhooks``).

        Trello keeps webhooks per token, not per model: the listing holds every model the token
        watches, and only the board's are this member's.
        """
        board = await self._ready()
        found = await self.client.token_webhooks()
        if not isinstance(found, list):
            raise MemberError("webhooks: malformed answer", member=self.name)
        return [
            _webhook_info(hook)
            for hook in found
            if isinstance(hook, dict) and hook.get("id") and str(hook.get("idModel")) == board.id
        ]

    async def register_webhook(self, url: str) -> WebhookInfo:
        """Have Trello deliver the board's actions to ``url``; an existing one is returned.

        Trello sends ``HEAD url`` before creating the webhook and refuses it (400) unless the
        answer is 200; a registration made meanwhile with the same token (another run of
        ``syncd webhooks register``) makes the creation a 400 duplicate, after which the
        existing one is returned.

        Raises:
            RecordError: Trello refused the registration (the callback URL did not answer 200,
                or another 400). This one registration failed; the member's credentials and
                board are fine and its sync goes on (by polling), so it is not a MemberError.
        """
        board = await self._ready()
        existing = await self._webhook_for(url)
        if existing is not None:
            return existing
        body = {"callbackURL": url, "idModel": board.id, "description": f"syncd {self.name}"}
        status, answer = await self.client.create_webhook(body)
        if status == 400:
            text = str(answer or "")
            if DUPLICATE_WEBHOOK.casefold() in text.casefold():
                raced = await self._webhook_for(url)
                if raced is not None:
                    return raced
            if HEAD_CHECK_FAILED in text:
                raise RecordError(
                    f"Trello refused the webhook: the callback URL {url} did not answer 200 to "
                    f"Trello's HEAD check (is `syncd run` serving at service.public_url, "
                    f"reachable from the internet?); Trello said: {text}",
                    member=self.name,
                )
            raise RecordError(
                f"Trello refused the webhook for {url} on board {board.id}: {text or '400'}",
                member=self.name,
            )
        if not isinstance(answer, dict) or not answer.get("id"):
            raise RecordError("Trello did not answer with the webhook", member=self.name)
        return _webhook_info(answer)

    async def remove_webhook(self, webhook_id: str) -> None:
        """``DELETE /webhooks/{id}``; one already gone (404) is fine."""
        await self.client.send("DELETE", f"/webhooks/{quote(webhook_id, safe='')}")

    async def _webhook_for(self, url: str) -> WebhookInfo | None:
        return next((h for h in await self.list_webhooks() if h.url == url), None)

    # --- helpers -------------------------------------------------------------------------------

    async def _ready(self, *, fresh: bool = False) -> Board:
        key = (self.connection.base_url, self.settings.board, self.name)
        hit = _BOARDS.get(key)
        if not fresh and self._board is not None:
            return self._board
        if not fresh and hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            self._board = hit[1]
            return hit[1]
        found = await self.client.get(
            f"/boards/{self.settings.board}",
            {
                "fields": "name,shortLink",
                "lists": "open",
                "labels": "all",
                "customFields": "true",
            },
        )
        if not isinstance(found, dict) or not found.get("id"):
            raise MemberError(f"board {self.settings.board}: malformed answer")
        self._board = Board(
            id=str(found["id"]),
            lists={str(x["id"]): str(x.get("name", "")) for x in found.get("lists") or []},
            labels={str(x["id"]): str(x.get("name", "")) for x in found.get("labels") or []},
            fields={
                str(x.get("name", "")).casefold(): str(x["id"])
                for x in found.get("customFields") or []
            },
        )
        _BOARDS[key] = (time.monotonic(), self._board)
        return self._board

    def _wanted_fields(self) -> dict[str, str]:
        wanted = {k: v for k, v in self.settings.fields.items() if k in NUMBER_FIELDS}
        if self.settings.milestone_field:
            wanted["milestone"] = self.settings.milestone_field
        return wanted

    def _site(self, board: Board) -> Site:
        label = self.settings.milestone_label.casefold()
        milestone = next((i for i, n in board.labels.items() if n.casefold() == label), None)
        fields = {
            k: board.fields[v.casefold()]
            for k, v in self._wanted_fields().items()
            if v.casefold() in board.fields
        }
        return Site(
            lists=board.lists,
            labels=board.labels,
            milestone_label=milestone,
            status_map={k.casefold(): v for k, v in self.settings.status_map.items()},
            custom={k: v for k, v in fields.items() if k in NUMBER_FIELDS},
            milestone_field=fields.get("milestone"),
            milestones=self._milestones,
            emails={v: k.lower() for k, v in self.context.people.items()},
            timezone=self._zone,
            time_of_day=self.settings.time_of_day,
        )

    def _mapped_list(self, board: Board, status: Any) -> str | None:
        """The first open list status_map maps to the status."""
        by_name = {name.casefold(): list_id for list_id, name in board.lists.items()}
        for name, mapped in self.settings.status_map.items():
            if mapped == status and name.casefold() in by_name:
                return by_name[name.casefold()]
        return None

    def _list_for(self, board: Board, status: Any) -> str:
        """Where a new card goes: its status's list, else the first list in scope."""
        mapped = self._mapped_list(board, status)
        if mapped is not None:
            return mapped
        for list_id, name in board.lists.items():
            if not self.settings.lists or name.casefold() in {
                n.casefold() for n in self.settings.lists
            }:
                return list_id
        raise MemberError(f"board {board.id} has no open list to put cards in")

    def _move(
        self,
        board: Board,
        card: Mapping[str, Any],
        status: Any,
        body: dict[str, Any],
        unwritten: dict[str, str],
    ) -> None:
        """Move the card to its status's list, unless its list already means the status.

        Without a list for the status, an unmapped list holds todo and done (``dueComplete``);
        anything else cannot be held, and is reported.
        """
        lists = {k.casefold(): v for k, v in self.settings.status_map.items()}
        current = lists.get(board.lists.get(str(card.get("idList")), "").casefold())
        if current == status:
            return
        target = self._mapped_list(board, status)
        if target is not None:
            body["idList"] = target
        elif current is not None or status == "in_progress":
            unwritten["status"] = f"no list of the board is mapped to {status} in status_map"

    async def _label_ids(self, board: Board, kind: Kind, names: frozenset[str]) -> list[str]:
        wanted = set(names)
        if kind == "milestone":
            wanted.add(self.settings.milestone_label)
        ids = []
        for name in sorted(wanted):
            found = next((i for i, n in board.labels.items() if n == name), None)
            if found is None:
                # Writes run concurrently: without the lock, each of several new milestones
                # would add its own "Milestone" label, and only one of them marks milestones.
                async with self._label_lock:
                    found = next((i for i, n in board.labels.items() if n == name), None)
                    if found is None:
                        # The API requires a colour; one quiet colour for every label syncd adds.
                        body = {"name": name, "color": LABEL_COLOR, "idBoard": board.id}
                        made = await self.client.send("POST", "/labels", body)
                        found = str(made["id"])
                        board.labels[found] = name
            ids.append(found)
        return ids

    def _member_for(self, email: Any, unwritten: dict[str, str]) -> str | None:
        if not email:
            return None
        member = self.context.people.get(email) or next(
            (v for k, v in self.context.people.items() if k.lower() == email), None
        )
        if member is None:
            unwritten["assignee"] = f"{email} has no Trello member in people: (config)"
        return member

    def _members_with(
        self, card: Mapping[str, Any], email: Any, unwritten: dict[str, str]
    ) -> list[str] | None:
        """The card's members with the assignee replaced; the others stay untouched."""
        known = set(self.context.people.values())
        members = [str(m) for m in card.get("idMembers") or []]
        first_mapped = next((m for m in members if m in known), None)
        rest = [m for m in members if m != first_mapped]
        new = self._member_for(email, unwritten)
        if email and new is None:
            return None
        return ([new] if new else []) + [m for m in rest if m != new]

    async def _set_fields(
        self, board: Board, card: dict[str, Any], values: Values, unwritten: dict[str, str]
    ) -> dict[str, Any]:
        site = self._site(board)
        items = list(card.get("customFieldItems") or [])
        for name, field_id in site.custom.items():
            if name in values:
                body = number_item(name, values[name])
                await self.client.send(
                    "PUT", f"/cards/{card['id']}/customField/{field_id}/item", body
                )
                items = [i for i in items if i.get("idCustomField") != field_id]
                if body["value"] != "":
                    items.append({"idCustomField": field_id, "value": body["value"]})
        if site.milestone_field is not None and "milestone" in values:
            target = values["milestone"]
            title = self._milestone_name(target.uid) if target else ""
            if target and title is None:
                unwritten["milestone"] = "the milestone's card is not on the board"
            else:
                text = {"value": {"text": title}} if title else {"value": ""}
                path = f"/cards/{card['id']}/customField/{site.milestone_field}/item"
                await self.client.send("PUT", path, text)
                items = [i for i in items if i.get("idCustomField") != site.milestone_field]
                if title:
                    items.append({"idCustomField": site.milestone_field, "value": text["value"]})
        card["customFieldItems"] = items
        return card

    def _milestone_name(self, card_id: str) -> str | None:
        """The milestone card's title as shown on the board (the text a person would type)."""
        card = self._cards.get(card_id)
        if card is not None and card_id in self._milestones.values():
            return str(card.get("name", "")).strip()
        return None

    async def _get_card(self, card_id: str) -> dict[str, Any]:
        try:
            card = await self.client.get(
                f"/cards/{card_id}", {"fields": CARD_FIELDS, "customFieldItems": "true"}
            )
        except RecordError as exc:
            # Trello answers 400 "invalid id" for an id that cannot exist.
            if "invalid id" in str(exc) and not isinstance(exc, RecordNotFound):
                raise RecordNotFound(str(exc), member=self.name, external_id=card_id) from exc
            raise
        if not isinstance(card, dict):
            raise RecordError(f"card {card_id}: malformed answer", member=self.name)
        return card

    def _result(self, board: Board, card: dict[str, Any], unwritten: dict[str, str]) -> Observed:
        read = read_card(self._site(board), card)
        self._cards[read.id] = card
        observed = _observed(read)
        return replace(observed, unwritten=dict(unwritten)) if unwritten else observed


_PLAIN = frozenset({"title", "description", "due", "start", "status"})


def _no_list(card: Mapping[str, Any], member: str) -> PayloadError:
    card_id = card.get("id") if isinstance(card.get("id"), str) else None
    return PayloadError(f"card {card_id or '?'}: no list id", member=member, external_id=card_id)


def _milestone_entry(card: Mapping[str, Any], label: str | None) -> tuple[str, str] | None:
    """(casefolded name, card id) of a milestone card. A card without an id or a list of
    labels is skipped here (it fails to parse, alone), not a KeyError for the whole listing."""
    labels, card_id = card.get("idLabels"), card.get("id")
    if not isinstance(labels, list) or label not in labels or not isinstance(card_id, str):
        return None
    return str(card.get("name", "")).strip().casefold(), card_id


def _webhook_info(hook: Mapping[str, Any]) -> WebhookInfo:
    """A webhook as Trello answers it (``id``, ``callbackURL``, ``idModel``, ``active``)."""
    return WebhookInfo(
        id=str(hook["id"]),
        url=str(hook.get("callbackURL") or ""),
        scope=str(hook.get("idModel") or ""),
        active=hook.get("active") is not False,
    )


def _observed(read: CardRead) -> Observed:
    return Observed(read.kind, read.id, read.values, read.modified_at, read.url)


def capabilities_of(member: TrelloMember) -> Capabilities:
    """Tasks (with the number fields configured, and a milestone field if any) and milestones."""
    task = set(TASK_FIELDS) | {n for n in NUMBER_FIELDS if n in member.fields}
    if member.milestone_field:
        task.add("milestone")
    fields = frozenset(task)
    return Capabilities(
        kinds={
            "task": KindCapability(read=fields, write=fields),
            "milestone": KindCapability(read=MILESTONE_FIELDS, write=MILESTONE_FIELDS),
        },
        markers=False,
    )
