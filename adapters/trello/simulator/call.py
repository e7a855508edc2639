"""What a vendor-API handler receives (`Call`) and returns (`Reply`), and the endpoint table.

Handlers are plain synchronous functions: the app authenticates, reads the parameters (Trello
takes them in the query string or in a JSON or form body alike), serialises access to the
state, and turns a raised `TrelloError` into Trello's error answer. The same handlers serve
``GET /1/batch``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adapters.trello.simulator.model import Member, Token

if TYPE_CHECKING:
    from adapters.trello.simulator.core import TrelloSimulator


@dataclass
class Call:
    """One authenticated request (or one URL of a batch) to the vendor API.

    ``path`` is below ``/1``; ``args`` holds the query parameters, overridden by the body's.
    """

    sim: TrelloSimulator
    member: Member
    token: Token
    path: str
    params: Mapping[str, str]
    args: Mapping[str, Any]
    base_url: str
    extras: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return self.params[name]

    def arg(self, name: str) -> Any:
        """A parameter's value (a string from the query, any JSON from a body), or None."""
        return self.args.get(name)

    def flag(self, name: str) -> bool:
        """A boolean query parameter such as ``customFieldItems=true``."""
        return str(self.args.get(name, "")).lower() == "true"


@dataclass
class Reply:
    """A JSON answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]
Prepare = Callable[[Call], Awaitable[None]]


@dataclass(frozen=True)
class Endpoint:
    """One operation: ``path`` below ``/1`` as Trello's description writes it
    (``/cards/{id}``). ``prepare`` runs first, outside the lock (a webhook's HEAD check)."""

    method: str
    path: str
    handler: Handler
    prepare: Prepare | None = None
