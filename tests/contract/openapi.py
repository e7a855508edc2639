"""Check HTTP requests and responses against a vendor's OpenAPI 3.0 description.

The vendors' descriptions live outside the project, in ``../shared/specs/`` (see its README);
they are read in place and never copied. A simulator that answers something its vendor does not
describe (a path, a method, a status or a body shape) fails the check: simulators must not invent
endpoints.

    spec = OpenApiSpec.load(SPECS_DIR / "jira_cloud_platform_swagger-v3.v3.json")
    spec.check_response("GET", "/rest/api/3/issue/DEMO-1", 200, body)

The descriptions have known defects (a map declared as holding only objects, a list declared as a
single object...). Each is corrected in memory, in one place, `KNOWN_DEFECTS`, with the reason;
nothing else is loosened. Parsed descriptions are cached per process (the Cloud file is 2.4 MB).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPECS_DIR = Path(__file__).parents[2].parent / "shared" / "specs"
JIRA_CLOUD = "jira_cloud_platform_swagger-v3.v3.json"
JIRA_DC = "jira_dc_10.3_swagger.v3.json"
ASANA = "asana_oas.yaml"
TRELLO = "trello_swagger.v3.json"
_ANY = "*"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_BASE_URI = "urn:syncd:openapi"


@dataclass(frozen=True)
class Patch:
    """A node of a description replaced (or added) at a JSON pointer, because it is wrong."""

    spec: str
    pointer: str
    value: Any
    why: str


@dataclass(frozen=True)
class ExtraStatus:
    """A status an operation answers in reality though its description omits it.

    ``method`` and ``path`` (a templated path as written in the description) may be ``"*"``;
    ``schema`` is the body's schema, or None when the body is not checked.
    """

    spec: str
    status: str
    why: str
    method: str = _ANY
    path: str = _ANY
    schema: Any = None


@dataclass(frozen=True)
class NullableAllOf:
    """Every ``allOf`` one of whose members says ``nullable: true`` also accepts null.

    OpenAPI 3.0 ignores ``nullable`` without a ``type`` beside it, and a null never matches the
    other (``$ref``) members, so the description's intent (a nullable reference) needs this.
    """

    spec: str
    why: str


@dataclass(frozen=True)
class BodyFromQuery:
    """Writes (POST/PUT) that a description gives only query parameters also take those
    parameters as a JSON body; the body's schema is made from the query parameters' own, each
    also accepting null (how a JSON body clears a field, e.g. ``"due": null``)."""

    spec: str
    why: str


_ERRORS = {"$ref": "#/components/schemas/ErrorCollection"}
_TRELLO_INSTANT = {"type": "string", "format": "date-time", "nullable": True}
# A custom field item as Trello takes it: every value a string (numbers too), "" to clear.
# https://developer.atlassian.com/cloud/trello/guides/rest-api/getting-started-with-custom-fields/
_TRELLO_ITEM = {
    "type": "object",
    "properties": {
        "value": {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        key: {"type": "string"} for key in ("text", "checked", "date", "number")
                    },
                },
                {"type": "string", "enum": [""]},
            ]
        },
        "idValue": {
            "oneOf": [{"$ref": "#/components/schemas/TrelloID"}, {"type": "string", "enum": [""]}]
        },
    },
}
_ASANA_ERRORS = {"$ref": "#/components/schemas/ErrorResponse"}


def _list_of(schema: str) -> dict[str, Any]:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}}


# The vendors' descriptions' known defects. Each entry says why; do not add one to make a
# simulator's invention pass.
KNOWN_DEFECTS: tuple[Patch | ExtraStatus | NullableAllOf | BodyFromQuery, ...] = (
    # --- Jira Data Center 10.3 ----------------------------------------------------------------
    Patch(
        JIRA_DC,
        "/components/schemas/IssueBean/properties/fields/additionalProperties",
        {},
        "The fields map is open-ended: its values are strings, numbers, arrays, objects or null "
        "(summary is a string, labels an array), not only objects.",
    ),
    Patch(
        JIRA_DC,
        "/components/schemas/IssueUpdateBean/properties/fields/additionalProperties",
        {},
        "Likewise in requests: {'summary': 'text'} is how Jira's own docs set a summary.",
    ),
    Patch(
        JIRA_DC,
        "/components/schemas/EntityPropertyBean/properties/value",
        {},
        "An entity property's value is any JSON value, not a string.",
    ),
    Patch(
        JIRA_DC,
        "/paths/~1api~12~1issue~1{issueIdOrKey}~1properties~1{propertyKey}/put/requestBody"
        "/content/application~1json/schema",
        {},
        "The request body is the property's JSON value itself (any JSON), not a string.",
    ),
    Patch(
        JIRA_DC,
        "/paths/~1api~12~1user~1search/get/responses/200/content/application~1json/schema",
        _list_of("UserBean"),
        "User search returns a list of users, declared as a single user.",
    ),
    Patch(
        JIRA_DC,
        "/paths/~1api~12~1field/get/responses/200/content/application~1json/schema",
        _list_of("FieldBean"),
        "GET /field returns a list of fields, declared as a single field.",
    ),
    Patch(
        JIRA_DC,
        "/paths/~1api~12~1project~1{projectIdOrKey}~1versions/get/responses/200/content"
        "/application~1json/schema",
        _list_of("VersionBean"),
        "GET /project/{key}/versions returns a list of versions, declared as a single version.",
    ),
    Patch(
        JIRA_DC,
        "/paths/~1api~12~1project~1{projectIdOrKey}~1statuses/get/responses/200/content"
        "/application~1json/schema",
        _list_of("IssueTypeWithStatusJsonBean"),
        "GET /project/{key}/statuses returns a list of issue types with their statuses, "
        "declared as a single one.",
    ),
    Patch(
        JIRA_DC,
        "/paths/~1api~12~1version~1{id}/delete",
        {
            "parameters": [{"name": "id", "in": "path", "required": True}],
            "responses": {
                "204": {"description": "Deleted."},
                "403": {"description": "No permission."},
                "404": {"description": "No such version."},
            },
        },
        "DELETE /rest/api/2/version/{id} (deprecated in favour of removeAndSwap) is served by "
        "Jira Server/DC and listed in its REST docs; the 10.3 description omits it.",
    ),
    ExtraStatus(
        JIRA_DC,
        "404",
        "Editing an issue that does not exist answers 404 with Jira's error collection, as every "
        "other issue operation of the same description declares; PUT omits it.",
        method="put",
        path="/api/2/issue/{issueIdOrKey}",
        schema=_ERRORS,
    ),
    # --- Jira Cloud -----------------------------------------------------------------------------
    ExtraStatus(
        JIRA_CLOUD,
        "410",
        "The old search answers 410 Gone since its removal (CHANGE-2046) though still described: "
        "https://developer.atlassian.com/changelog/#CHANGE-2046",
        path="/rest/api/3/search",
        schema=_ERRORS,
    ),
    # --- Asana ---------------------------------------------------------------------------------
    Patch(
        ASANA,
        "/components/schemas/TaskRequestBase/allOf/1/properties/custom_fields/additionalProperties",
        {},
        "A task's custom field values are strings, numbers, enum gids, arrays or null, as the "
        "property's own description says (and https://developers.asana.com/docs/custom-fields-"
        "guide); the schema declares strings only.",
    ),
    Patch(
        ASANA,
        "/components/schemas/TaskSetParentRequest/properties/parent/nullable",
        True,
        "setParent takes null for no parent, as the property's own description says; the "
        "schema omits nullable.",
    ),
    *(
        Patch(
            ASANA,
            f"/components/schemas/EventResponse/properties/{name}/allOf/1/nullable",
            True,
            f"An event's {name} may be null, as the schema's own description says (the parent "
            "of events other than added/removed; the user of system events): "
            "https://developers.asana.com/reference/events",
        )
        for name in ("parent", "user")
    ),
    # (after the patches above: it rewrites the allOf their pointers go through)
    NullableAllOf(
        ASANA,
        "References Asana answers as null (a task's assignee and parent, an unset enum_value) "
        "are written allOf[{$ref}, {nullable: true}], which OpenAPI 3.0 reads as not nullable.",
    ),
    ExtraStatus(
        ASANA,
        "402",
        "Setting custom field values in a free workspace answers 402 Payment Required, as every "
        "premium-only write has since 2018: https://forum.asana.com/t/premium-only-api-error-"
        "changes/17088 (the description declares 402 only for dependencies).",
        path="/tasks/{task_gid}",
        method="put",
        schema=_ASANA_ERRORS,
    ),
    ExtraStatus(
        ASANA,
        "402",
        "Likewise when creating a task with custom field values in a free workspace.",
        path="/tasks",
        method="post",
        schema=_ASANA_ERRORS,
    ),
    # --- Trello --------------------------------------------------------------------------------
    Patch(
        TRELLO,
        "/components/schemas/Card/properties/due",
        _TRELLO_INSTANT,
        "A card's due is an instant (2024-01-31T17:00:00.000Z), declared as a date: "
        "https://developer.atlassian.com/cloud/trello/guides/rest-api/object-definitions/",
    ),
    Patch(
        TRELLO,
        "/components/schemas/Card/properties/start",
        _TRELLO_INSTANT,
        "Cards have a start instant (null when unset), which the Card schema omits.",
    ),
    Patch(
        TRELLO,
        "/components/schemas/Card/properties/dueComplete",
        {"type": "boolean"},
        "Cards say whether their due date is complete (dueComplete), which the schema omits.",
    ),
    Patch(
        TRELLO,
        "/components/schemas/Card/properties/labels",
        {"type": "array", "items": {"$ref": "#/components/schemas/Label"}},
        "A card's labels are label objects (idLabels holds their ids), declared as ids.",
    ),
    Patch(
        TRELLO,
        "/components/schemas/Color/enum",
        [
            "yellow",
            "purple",
            "blue",
            "red",
            "green",
            "orange",
            "black",
            "sky",
            "pink",
            "lime",
            None,
        ],
        "A label may have no colour (null), as the schema's nullable and the Label description "
        "say; OpenAPI 3.0 validators need null in the enum as well.",
    ),
    Patch(
        TRELLO,
        "/components/schemas/Board/properties/memberships",
        {"type": "array", "items": {"type": "object"}},
        "A board's memberships are a list of {id, idMember, memberType}, declared as a string.",
    ),
    Patch(
        TRELLO,
        "/paths/~1cards~1{idCard}~1customField~1{idCustomField}~1item/put/requestBody/content"
        "/application~1json/schema",
        _TRELLO_ITEM,
        "Custom field values are sent as strings ({'number': '12500'}, {'checked': 'true'}) and "
        "cleared with {'value': ''}, as Trello's custom fields guide shows; the description "
        "declares a JSON number and a boolean, which Trello refuses.",
    ),
    *(
        ExtraStatus(
            TRELLO,
            status,
            "Every Trello operation answers 400 (invalid id, invalid value for <param>) and 404 "
            "(The requested resource was not found.) in plain text; most declare only 200.",
        )
        for status in ("400", "404")
    ),
    BodyFromQuery(
        TRELLO,
        "Trello reads a write's parameters from a JSON body as well as from the query string "
        "(its own clients send JSON); the description lists them as query parameters only. "
        "syncd sends bodies: a card's description can be 16 KB, too long for a URL.",
    ),
    # --- Any description ------------------------------------------------------------------------
    ExtraStatus(
        _ANY,
        "429",
        "Any operation may be rate limited, though few declare 429: "
        "https://developer.atlassian.com/cloud/jira/platform/rate-limiting/",
    ),
    ExtraStatus(_ANY, "401", "Any operation answers 401 to a request without valid credentials."),
    *(
        ExtraStatus(_ANY, status, "Any operation may fail on the server side or in a proxy.")
        for status in ("500", "502", "503", "504")
    ),
)


class OpenApiSpec:
    """One vendor description, with its operations found by concrete path."""

    def __init__(self, name: str, document: dict[str, Any], prefix: str) -> None:
        self.name = name
        self.document = document
        self.prefix = prefix
        self._registry: Registry[Any] = Registry().with_resource(
            _BASE_URI, Resource.from_contents(document, default_specification=DRAFT4)
        )
        self._routes = sorted(_routes(document, prefix), key=lambda r: r.rank)
        self._validators: dict[tuple[str, bool], Any] = {}

    @classmethod
    def load(cls, path: Path | str, prefix: str | None = None) -> OpenApiSpec:
        """Read (once per process) a description in JSON or YAML, its known defects corrected.

        Args:
            path: the file.
            prefix: what a concrete path starts with before the description's templated paths
                (``"/rest"`` for Jira DC, whose paths read ``/api/2/...``); None takes the path
                of the description's first server URL.

        Raises:
            FileNotFoundError: the file does not exist.
        """
        return _load(str(Path(path).resolve()), prefix)

    # --- checks ---------------------------------------------------------------------------------

    def check_request(self, method: str, path: str, body: Any) -> None:
        """Assert that ``body`` (decoded JSON, or None) is what the operation accepts.

        Raises:
            AssertionError: unknown operation, an unexpected or missing body, or a body that
                does not validate (the message names the JSON pointer of each failure).
        """
        route, op = self._operation(method, path)
        where = f"{method.upper()} {path} (request)"
        spec_body = op.get("requestBody")
        if spec_body is None:
            if body is not None:
                raise AssertionError(f"{where}: the operation takes no body in {self.name}")
            return
        if body is None:
            if spec_body.get("required"):
                raise AssertionError(f"{where}: the operation requires a body")
            return
        pointer = _json_content(spec_body, route.pointer(method.lower(), "requestBody"))
        if pointer is not None:
            self._validate(pointer, body, write=True, where=where)

    def check_response(self, method: str, path: str, status: int, body: Any) -> None:
        """Assert that the operation may answer ``status`` with ``body`` (decoded JSON or None).

        Raises:
            AssertionError: unknown operation, undeclared status, or a body that does not
                validate (the message names the JSON pointer of each failure).
        """
        route, op = self._operation(method, path)
        where = f"{method.upper()} {path} -> {status}"
        responses: dict[str, Any] = op.get("responses", {})
        candidates = (str(status), f"{str(status)[0]}XX", "default")
        key = next((k for k in candidates if k in responses), None)
        if key is None:
            declared = ", ".join(sorted(responses))
            raise AssertionError(f"{where}: status not declared in {self.name} ({declared})")
        base = route.pointer(method.lower(), "responses", key)
        pointer = _json_content(responses[key], base)
        if pointer is not None:
            self._validate(pointer, body, write=False, where=where)

    # --- internals ------------------------------------------------------------------------------

    def _operation(self, method: str, path: str) -> tuple[_Route, dict[str, Any]]:
        matching = [r for r in self._routes if r.regex.fullmatch(path)]
        for route in matching:
            op = route.item.get(method.lower())
            if isinstance(op, dict):
                return route, op
        if matching:
            raise AssertionError(
                f"{method.upper()} {path}: method not described for {matching[0].template} "
                f"in {self.name}"
            )
        raise AssertionError(f"{method.upper()} {path}: no such path in {self.name}")

    def _validate(self, pointer: str, instance: Any, *, write: bool, where: str) -> None:
        validator = self._validator(pointer, write)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"{where}: does not match {self.name}#{pointer}"]
            lines += [_describe(error) for error in _leaves(errors)][:10]
            raise AssertionError("\n  ".join(lines))

    def _validator(self, pointer: str, write: bool) -> Any:
        key = (pointer, write)
        if key not in self._validators:
            cls = OAS30WriteValidator if write else OAS30ReadValidator
            # No format checker: Jira's timestamps ("2024-01-31T14:05:07.123+0000") are not
            # RFC 3339 though declared "date-time"; formats stay annotations, as JSON Schema says.
            self._validators[key] = cls({"$ref": f"{_BASE_URI}#{pointer}"}, registry=self._registry)
        return self._validators[key]


@dataclass(frozen=True)
class _Route:
    declared: str  # the templated path as the description writes it
    template: str  # with the prefix
    regex: re.Pattern[str]
    item: dict[str, Any]
    rank: tuple[int, int]

    def pointer(self, *parts: str) -> str:
        return "/" + "/".join(_escape(p) for p in ("paths", self.declared, *parts))


def _routes(document: dict[str, Any], prefix: str) -> Iterator[_Route]:
    for template, item in document.get("paths", {}).items():
        if not isinstance(item, dict):
            continue
        full = prefix + template
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", full)
            if part
        )
        literals = sum(1 for seg in full.split("/") if seg and not seg.startswith("{"))
        yield _Route(template, full, re.compile(pattern), item, (-literals, -full.count("/")))


def _json_content(holder: dict[str, Any], base: str) -> str | None:
    """The pointer to the JSON schema of a request body or response, if one is declared."""
    content = holder.get("content") or {}
    for media in content:
        is_json = media == "application/json" or media.endswith("+json") or media == "*/*"
        if is_json and "schema" in content[media]:
            return f"{base}/content/{_escape(media)}/schema"
    return None


def _leaves(errors: list[Any]) -> Iterator[Any]:
    """The innermost errors: an anyOf/allOf failure is explained by its context."""
    for error in errors:
        if error.context:
            yield from _leaves(sorted(error.context, key=lambda e: list(e.absolute_path)))
        else:
            yield error


def _describe(error: Any) -> str:  # a jsonschema ValidationError
    pointer = "/" + "/".join(_escape(str(p)) for p in error.absolute_path)
    message = error.message if len(error.message) <= 240 else error.message[:237] + "..."
    return f"at {pointer}: {message}"


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


# --- loading ------------------------------------------------------------------------------------


@functools.cache
def _load(path: str, prefix: str | None) -> OpenApiSpec:
    name = Path(path).name
    text = Path(path).read_text(encoding="utf-8")
    if name.endswith((".yaml", ".yml")):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        parsed = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        # YAML reads ``200:`` as an integer; JSON (and the checks) key statuses by string.
        document = cast(dict[str, Any], _string_keys(parsed))
    else:
        document = cast(dict[str, Any], json.loads(text))
    _correct(document, name)
    if prefix is None:
        servers = document.get("servers") or [{"url": ""}]
        prefix = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
    return OpenApiSpec(name, document, prefix)


def _string_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(key): _string_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_string_keys(item) for item in node]
    return node


def _correct(document: dict[str, Any], name: str) -> None:
    for defect in KNOWN_DEFECTS:
        if defect.spec not in (name, _ANY):
            continue
        if isinstance(defect, Patch):
            _set(document, defect.pointer, copy.deepcopy(defect.value))
        elif isinstance(defect, NullableAllOf):
            _nullable_all_of(document)
        elif isinstance(defect, BodyFromQuery):
            _body_from_query(document)
        else:
            _add_status(document, defect)


def _body_from_query(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for method in ("post", "put"):
            op = operations.get(method)
            if not isinstance(op, dict) or "requestBody" in op:
                continue
            query = [p for p in op.get("parameters", []) if p.get("in") == "query"]
            if not query:
                continue
            schema = {
                "type": "object",
                "properties": {p["name"]: {**p.get("schema", {}), "nullable": True} for p in query},
                "additionalProperties": False,
            }
            op["requestBody"] = {"content": {"application/json": {"schema": schema}}}


def _nullable_all_of(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _nullable_all_of(item)
    if not isinstance(node, dict):
        return
    for value in node.values():
        _nullable_all_of(value)
    members = node.get("allOf")
    if isinstance(members, list) and any(
        isinstance(m, dict) and m.get("nullable") for m in members
    ):
        node["anyOf"] = [{"allOf": node.pop("allOf")}, {"enum": [None]}]


def _set(document: dict[str, Any], pointer: str, value: Any) -> None:
    *parents, last = [_unescape(p) for p in pointer.lstrip("/").split("/")]
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _add_status(document: dict[str, Any], extra: ExtraStatus) -> None:
    for template, item in document.get("paths", {}).items():
        if extra.path not in (_ANY, template) or not isinstance(item, dict):
            continue
        for method in _METHODS:
            op = item.get(method)
            if extra.method not in (_ANY, method) or not isinstance(op, dict):
                continue
            responses = op.setdefault("responses", {})
            if extra.status not in responses:
                response: dict[str, Any] = {"description": extra.why}
                if extra.schema is not None:
                    response["content"] = {"application/json": {"schema": extra.schema}}
                responses[extra.status] = response


# --- test helpers -------------------------------------------------------------------------------


def spec_or_skip(name: str, prefix: str | None = None) -> OpenApiSpec:
    """The description ``name`` from ``../shared/specs/``, or skip the test when it is absent."""
    path = SPECS_DIR / name
    if not path.is_file():
        pytest.skip(f"vendor description {name} not found in {SPECS_DIR} (see its README)")
    return OpenApiSpec.load(path, prefix)


def spec_if_present(name: str, prefix: str | None = None) -> OpenApiSpec | None:
    """The description ``name`` from ``../shared/specs/``, or None when it is absent.

    For tests whose behaviour stands without the description: they check against it when it
    is there and still run (unchecked) in a clone without ``../shared/specs``.
    """
    path = SPECS_DIR / name
    return OpenApiSpec.load(path, prefix) if path.is_file() else None


EventHook = Callable[..., Awaitable[None]]
# Send a deliberately invalid request with ``extensions={UNCHECKED_REQUEST: True}``; its
# response is still checked.
UNCHECKED_REQUEST = "openapi_unchecked_request"


def checking_hooks(
    spec: OpenApiSpec | None, *, ignore: str = "/_sim/"
) -> dict[str, list[EventHook]]:
    """httpx ``event_hooks`` that check every request and response against ``spec``.

    Paths starting with ``ignore`` (a simulator's own control API) are not checked; with no
    ``spec`` (the description is absent), nothing is.
    """
    if spec is None:
        return {}

    async def on_request(request: httpx.Request) -> None:
        if request.url.path.startswith(ignore) or request.extensions.get(UNCHECKED_REQUEST):
            return
        spec.check_request(request.method, request.url.path, _decode(request.content))

    async def on_response(response: httpx.Response) -> None:
        request = response.request
        if request.url.path.startswith(ignore):
            return
        await response.aread()
        body = _decode(response.content) if _is_json(response) else response.text or None
        spec.check_response(request.method, request.url.path, response.status_code, body)

    return {"request": [on_request], "response": [on_response]}


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "")


def _decode(content: bytes) -> Any:
    return json.loads(content) if content else None


class CheckedTransport(httpx.AsyncBaseTransport):
    """Checks every request the adapter sends, and every answer, against the vendor's spec."""

    def __init__(self, inner: httpx.AsyncBaseTransport, spec: OpenApiSpec) -> None:
        self.inner = inner
        self.spec = spec
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.spec.check_request(request.method, request.url.path, body)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        answer = json.loads(content) if content and b"json" in _type(response) else None
        self.spec.check_response(request.method, request.url.path, response.status_code, answer)
        self.checked += 1
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )


def _type(response: httpx.Response) -> bytes:
    return str(response.headers.get("content-type", "")).encode()
