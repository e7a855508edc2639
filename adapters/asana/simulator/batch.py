"""The Batch API: ``POST /batch`` runs up to 10 actions through the same handlers.

Each action is ``{relative_path, method, data, options}``; the answer is 200 with one
``{status_code, headers, body}`` per action, a failing action failing alone.
https://developers.asana.com/docs/batch-requests
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from adapters.asana.simulator.call import Call, Endpoint, Reply
from adapters.asana.simulator.errors import AsanaError, bad_request

MAX_ACTIONS = 10
NO_ROUTE = "No matching route for request"


class Router:
    """Finds the endpoint of a method and a path below ``/api/1.0`` (for batch actions)."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        ordered = sorted(endpoints, key=lambda e: e.path.count("{"))
        self._routes = [(e, re.compile(_pattern(e.path))) for e in ordered]

    def find(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        for endpoint, regex in self._routes:
            match = regex.fullmatch(path)
            if match and endpoint.method == method:
                return endpoint, match.groupdict()
        return None


def _pattern(template: str) -> str:
    parts = re.split(r"\{(\w+)\}", template)
    return "".join(f"(?P<{p}>[^/]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts))


def run_batch(call: Call) -> Reply:
    actions = call.data().get("actions")
    if not isinstance(actions, list) or not actions:
        raise bad_request("actions: Missing input")
    if len(actions) > MAX_ACTIONS:
        raise bad_request(f"actions: At most {MAX_ACTIONS} actions are allowed in a batch")
    return Reply(200, {"data": [_run(call, action) for action in actions]})


def _run(call: Call, action: Any) -> dict[str, Any]:
    try:
        reply = _dispatch(call, action)
    except AsanaError as error:
        return {"status_code": error.status, "headers": error.headers, "body": error.body()}
    return {"status_code": reply.status, "headers": reply.headers, "body": reply.body}


def _dispatch(call: Call, action: Any) -> Reply:
    if not isinstance(action, dict) or "relative_path" not in action or "method" not in action:
        raise bad_request("action: relative_path and method are required")
    split = urlsplit(str(action["relative_path"]))
    method = str(action["method"]).upper()
    found = call.sim.router.find(method, split.path)
    if found is None or found[0].path == "/batch" or found[0].prepare is not None:
        raise AsanaError(404, NO_ROUTE)
    endpoint, params = found
    query = dict(parse_qsl(split.query)) | _options(action.get("options") or {})
    body = {"data": action["data"]} if action.get("data") is not None else None
    inner = Call(call.sim, call.user, split.path, params, query, body, call.base_url)
    return endpoint.handler(inner)


def _options(options: dict[str, Any]) -> dict[str, str]:
    """``options: {limit, offset, fields}`` as the query parameters they stand for."""
    query = {k: str(options[k]) for k in ("limit", "offset") if options.get(k) is not None}
    if options.get("fields"):
        query["opt_fields"] = ",".join(options["fields"])
    return query


ENDPOINTS = (Endpoint("POST", "/batch", run_batch),)
