"""What a vendor-API handler receives (`Call`) and returns (`Reply`), and the endpoint table.

Handlers are plain synchronous functions: the app authenticates, reads the body, serialises
access to the state, and turns a raised `AsanaError` into Asana's error answer. The same
handlers serve the Batch API's actions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adapters.asana.simulator.errors import bad_request
from adapters.asana.simulator.model import User

if TYPE_CHECKING:
    from adapters.asana.simulator.core import AsanaSimulator


@dataclass
class Call:
    """One authenticated request (or one batch action) to the vendor API.

    ``path`` is below ``/api/1.0``; ``query`` maps each parameter to its (last) value.
    """

    sim: AsanaSimulator
    user: User
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    base_url: str
    extras: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return self.params[name]

    def data(self) -> dict[str, Any]:
        """The request's ``data`` envelope, which must hold an object.
        https://developers.asana.com/docs/inputoutput-options"""
        data = self.body.get("data") if isinstance(self.body, dict) else None
        if not isinstance(data, dict):
            raise bad_request("data: Missing input")
        return data

    def opt_fields(self) -> list[str] | None:
        """The ``opt_fields`` asked for (comma-separated), or None."""
        raw = self.query.get("opt_fields")
        if raw is None:
            return None
        return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass
class Reply:
    """A JSON answer (already enveloped)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]
Prepare = Callable[[Call], Awaitable[None]]


@dataclass(frozen=True)
class Endpoint:
    """One operation: ``path`` below ``/api/1.0`` in Asana's template syntax
    (``/tasks/{task_gid}``). ``prepare`` runs first, outside the lock (a webhook's handshake)."""

    method: str
    path: str
    handler: Handler
    prepare: Prepare | None = None

    @property
    def writes(self) -> bool:
        return self.method != "GET"
