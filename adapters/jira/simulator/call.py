"""What a vendor-API handler receives (`Call`) and returns (`Reply`), and the endpoint table.

Handlers are plain synchronous functions: the app authenticates, reads the body, serialises
access to the state, and turns a raised `JiraError` into Jira's error answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from adapters.jira.simulator.errors import JiraError
from adapters.jira.simulator.model import Flavor, User
from adapters.jira.simulator.render import Renderer
from adapters.jira.simulator.webhooks import Outgoing

if TYPE_CHECKING:
    from adapters.jira.simulator.core import JiraSimulator


@dataclass
class Call:
    """One authenticated request to the vendor API."""

    sim: JiraSimulator
    user: User
    params: Mapping[str, str]
    query: QueryParams
    body: Any
    render: Renderer
    events: list[Outgoing] = field(default_factory=list)

    def param(self, name: str) -> str:
        return self.params[name]

    def flag(self, name: str) -> bool:
        """A boolean query parameter (``?returnIssue=true``)."""
        return self.query.get(name, "").lower() == "true"

    def listed(self, name: str) -> list[str]:
        """A list from a query parameter given comma-separated and/or repeated."""
        return [
            part.strip()
            for raw in self.query.getlist(name)
            for part in raw.split(",")
            if part.strip()
        ]

    def integer(self, name: str, default: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise JiraError(400, f"The value '{raw}' is not valid for '{name}'.") from None

    def object_body(self) -> dict[str, Any]:
        """The JSON body, which must be an object."""
        if not isinstance(self.body, dict):
            raise JiraError(400, "The request body must be a JSON object.")
        return self.body


@dataclass
class Reply:
    """A JSON answer; ``body`` None sends no body."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Endpoint:
    """One operation: ``path`` below the API prefix (``/rest/api/3`` or ``/rest/api/2``), in the
    vendor's template syntax (``/issue/{issueIdOrKey}``); ``root`` replaces that prefix for the
    APIs that live elsewhere (the admin webhooks' ``/rest/webhooks/1.0``)."""

    method: str
    path: str
    handler: Handler
    flavors: Sequence[Flavor] = ("cloud", "dc")
    writes_issue: bool = False
    root: str | None = None

    def template(self, api: str) -> str:
        """The full path template, given the flavor's REST prefix."""
        return (self.root if self.root is not None else api) + self.path
