"""The simulated Trello's state: plain pydantic records, saved and loaded as JSON.

Records refer to each other by id (24 hex digits, a MongoDB ObjectId whose first 8 digits are
the creation time). A deleted card is gone; an archived one stays with ``closed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

FieldType = Literal["number", "text", "list", "date", "checkbox"]


class Member(BaseModel):
    id: str
    username: str
    full_name: str
    email: str | None = None


class App(BaseModel):
    """An API key and the secret that signs its webhooks' deliveries."""

    key: str
    secret: str


class Token(BaseModel):
    """A token a member granted to an app (``key``)."""

    token: str
    member: str
    key: str


class Board(BaseModel):
    id: str
    short_link: str
    name: str
    desc: str = ""
    closed: bool = False
    members: list[str] = Field(default_factory=list)
    organization: str
    creator: str | None = None
    last_activity: datetime
    next_id_short: int = 1


class TrelloList(BaseModel):
    id: str
    name: str
    board: str
    closed: bool = False
    pos: float


class Label(BaseModel):
    id: str
    name: str = ""
    color: str | None = None
    board: str


class FieldOption(BaseModel):
    id: str
    text: str
    color: str = "none"
    pos: float


class CustomField(BaseModel):
    id: str
    board: str
    name: str
    type: FieldType
    pos: float
    options: list[FieldOption] = Field(default_factory=list)


class FieldValue(BaseModel):
    """A card's custom field item: ``value`` (``{"number": "12"}``) or ``id_value`` (lists)."""

    id: str
    value: dict[str, str] | None = None
    id_value: str | None = None


class Card(BaseModel):
    id: str
    short_link: str
    id_short: int
    name: str = ""
    desc: str = ""
    closed: bool = False
    id_list: str
    board: str
    members: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    due: datetime | None = None
    due_complete: bool = False
    start: datetime | None = None
    pos: float
    last_activity: datetime
    custom: dict[str, FieldValue] = Field(default_factory=dict)


class Action(BaseModel):
    """One change, with the models (board, list, card, member ids) whose webhooks see it."""

    id: str
    type: str
    date: datetime
    member_creator: str
    board: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    models: list[str] = Field(default_factory=list)


class Webhook(BaseModel):
    id: str
    description: str = ""
    id_model: str
    callback_url: str
    token: str
    key: str
    active: bool = True
    consecutive_failures: int = 0
    first_consecutive_fail_date: datetime | None = None


class State(BaseModel):
    """Everything the simulator knows; ``last_id`` keeps new ids increasing."""

    last_id: int = 0
    members: dict[str, Member] = Field(default_factory=dict)
    apps: dict[str, App] = Field(default_factory=dict)
    tokens: dict[str, Token] = Field(default_factory=dict)
    boards: dict[str, Board] = Field(default_factory=dict)
    lists: dict[str, TrelloList] = Field(default_factory=dict)
    labels: dict[str, Label] = Field(default_factory=dict)
    custom_fields: dict[str, CustomField] = Field(default_factory=dict)
    cards: dict[str, Card] = Field(default_factory=dict)
    actions: list[Action] = Field(default_factory=list)
    webhooks: dict[str, Webhook] = Field(default_factory=dict)
