"""Hostile API payloads: each HTTP adapter (Jira Cloud, Asana, Trello) is served a listing in
which one record is malformed (a required field missing, a wrong type, nulls, unknown enum
values, impossible dates) and the others are fine. The bad record fails alone, as a per-record
error carrying its id when it has one; every healthy record is read; nothing raises out of
``fetch``. Huge strings and HTML/script in text fields are not errors: they are carried as the
literal, inert text they are. Through the engine, a record that failed to parse is neither
taken as deleted nor written anywhere, while a healthy record's edit travels.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from adapters.asana.adapter import forget_caches as forget_asana
from adapters.base import Adapter, AdapterContext, Observation
from adapters.jira.adapter import forget_recent_writes
from adapters.jira.site import forget_sites
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend
from adapters.memory.config import MemoryConnection, MemoryMember
from adapters.trello.adapter import forget_caches as forget_trello
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.errors import MemberError, PayloadError
from syncd.model import Values
from syncd.plan import Policy
from syncd.store import Store
from tests.syncing import open_store
from tests.unit.asana import test_asana_adapter as asana
from tests.unit.jira import test_jira_adapter as jira
from tests.unit.trello import test_trello_adapter as trello

Json = dict[str, Any]
BIG = "x" * (1 << 20)  # 1 MiB: past every vendor's own limit on a title or a description
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """No site, board, project or recent-write cache survives a test."""
    forget = (forget_sites, forget_recent_writes, forget_asana, forget_trello)
    for each in forget:
        each()
    yield
    for each in forget:
        each()


# --- the three APIs, served by respx: one listing, whatever it holds now -------------------------


@dataclass
class Api:
    """One vendor: its adapter, its records, and a respx router serving ``listing``."""

    member: str
    ids: tuple[str, str, str]  # healthy, hostile, healthy
    build: Callable[..., Json]  # the unit tests' record builder: (id, title, **fields)
    adapter: Callable[[], Adapter]
    serve: Callable[[respx.Router, Api], None]
    listing: list[Json] = field(default_factory=list)

    def record(self, n: int, title: str | None = None, **fields: Any) -> Json:
        return self.build(self.ids[n], *([title] if title else []), **fields)

    def hostile(self, spoil: Callable[[Json], None], title: str | None = None) -> Json:
        """The middle record, spoiled in place by ``spoil``."""
        record = copy.deepcopy(self.record(1, title))
        spoil(record)
        return record

    def fetch(self, hostile: Json) -> Observation:
        """A full fetch of a listing holding ``hostile`` between two healthy records."""
        self.listing = [self.record(0), hostile, self.record(2)]
        with respx.mock() as router:
            self.serve(router, self)
            return asyncio.run(self._fetch())

    async def _fetch(self) -> Observation:
        async with self.adapter() as member:
            return await member.fetch(None)


def _serve_jira(router: respx.Router, api: Api) -> None:
    jira.mock_site(router)
    router.post(f"{jira.API}/search/jql").mock(
        side_effect=lambda _: httpx.Response(200, json={"issues": api.listing, "isLast": True})
    )
    router.get(f"{jira.API}/project/WEB/versions").respond(json=[])


def _serve_asana(router: respx.Router, api: Api) -> None:
    asana.mock_site(router)
    router.get(f"{asana.API}/events").respond(412, json={"errors": [], "sync": "s1"})
    router.get(f"{asana.API}/projects/{asana.PROJECT}/tasks").mock(
        side_effect=lambda _: httpx.Response(200, json={"data": api.listing, "next_page": None})
    )


def _serve_trello(router: respx.Router, api: Api) -> None:
    trello.mock_board(router)
    router.get(f"{trello.API}/boards/{trello.BOARD}/cards/open").mock(
        side_effect=lambda _: httpx.Response(200, json=api.listing)
    )
    router.get(f"{trello.API}/boards/{trello.BOARD}/actions").respond(json=[{"id": "a" * 24}])


def jira_api() -> Api:
    return Api("jira", ("1", "2", "3"), jira.issue, jira.adapter, _serve_jira)


def asana_api() -> Api:
    return Api("asana", ("1", "2", "3"), asana.task, asana.adapter, _serve_asana)


def trello_api() -> Api:
    return Api("trello", ("c1", "c2", "c3"), trello.card, trello.adapter, _serve_trello)


APIS = {"jira": jira_api, "asana": asana_api, "trello": trello_api}


# --- the variants --------------------------------------------------------------------------------


def pop(*path: str) -> Callable[[Json], None]:
    """Remove the value at ``path`` (``fields``, ``summary``: ``record["fields"]["summary"]``)."""
    return lambda record: _parent(record, path).pop(path[-1])


def put(*path: str, value: Any) -> Callable[[Json], None]:
    """Set the value at ``path``."""
    return lambda record: _parent(record, path).__setitem__(path[-1], value)


def put_all(*path: str, **values: Any) -> Callable[[Json], None]:
    """Set several values under ``path``."""
    return lambda record: _parent(record, (*path, "")).update(values)


def nulls(*path: str, keep: tuple[str, ...] = ()) -> Callable[[Json], None]:
    """Every value under ``path`` null, but those in ``keep``."""

    def spoil(record: Json) -> None:
        holder = _parent(record, (*path, ""))
        holder.update({k: None for k in holder if k not in keep})

    return spoil


def both(*spoils: Callable[[Json], None]) -> Callable[[Json], None]:
    """Each of ``spoils``, in turn."""

    def spoil(record: Json) -> None:
        for one in spoils:
            one(record)

    return spoil


def _parent(record: Json, path: tuple[str, ...]) -> Json:
    for key in path[:-1]:
        record = record[key]
    return record


@dataclass(frozen=True)
class Fails:
    """The record is skipped with a per-record error carrying ``external_id``, saying ``says``."""

    spoil: Callable[[Json], None]
    external_id: str | None
    says: str


@dataclass(frozen=True)
class Reads:
    """The record is tolerated: it reads as the healthy record but for ``values`` (and the
    Observed attributes in ``attrs``); ``why`` says why that is right, not garbage."""

    spoil: Callable[[Json], None]
    values: Values
    why: str
    attrs: Mapping[str, Any] = field(default_factory=dict)


def adf(text: str) -> Json:
    return {"type": "doc", "version": 1, "content": [_paragraph(text)]}


def _paragraph(text: str) -> Json:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


JIRA_FAILS = {
    "no id": Fails(pop("id"), None, "WEB-2"),
    "id is an object": Fails(put("id", value={"id": "2"}), None, "WEB-2"),
    "no fields": Fails(pop("fields"), "2", "WEB-2: no id or no fields"),
    "fields is a string": Fails(put("fields", value="summary"), "2", "no id or no fields"),
    "no summary": Fails(pop("fields", "summary"), "2", "summary is NoneType"),
    "status is a string": Fails(put("fields", "status", value="Done"), "2", "WEB-2"),
    "summary is a list": Fails(put("fields", "summary", value=["Write"]), "2", "summary is list"),
    "labels is a string": Fails(put("fields", "labels", value="ops"), "2", "labels is str"),
    "duedate is a number": Fails(put("fields", "duedate", value=20260131), "2", "not a date"),
    "description has no content": Fails(
        put("fields", "description", value={"type": "doc", "content": "text"}),
        "2",
        "ADF document without content",
    ),
    "every value null": Fails(nulls("fields"), "2", "summary is NoneType"),
    "duedate 2024-13-45": Fails(put("fields", "duedate", value="2024-13-45"), "2", "month"),
    "duedate yesterday": Fails(put("fields", "duedate", value="yesterday"), "2", "yesterday"),
}
JIRA_READS = {
    "no key": Reads(
        pop("key"), {}, "the key only names the issue in a URL: the id identifies it", {"url": None}
    ),
    "optional values null": Reads(
        put_all(
            "fields",
            description=None,
            duedate=None,
            assignee=None,
            labels=None,
            parent=None,
            issuelinks=None,
            fixVersions=None,
            timeoriginalestimate=None,
        ),
        {
            "description": "",
            "due": None,
            "assignee": None,
            "labels": frozenset(),
            "parent": None,
            "depends_on": frozenset(),
            "milestone": None,
            "estimate_hours": None,
        },
        "Jira writes an empty optional field as null: it means no value",
    ),
    "1 MB summary and description": Reads(
        put_all("fields", summary=BIG, description=adf(BIG)),
        {"title": BIG, "description": BIG},
        "a long text is still the issue's text: carried exactly, never cut or made up",
    ),
    "unknown status category": Reads(
        put("fields", "status", value={"name": "Purple", "statusCategory": {"key": "purple"}}),
        {"status": "todo"},
        "Jira has statuses of no category ('undefined'): unmapped, they are not started",
    ),
    "updated yesterday": Reads(
        put("fields", "updated", value="yesterday"),
        {},
        "updated is not synced: without it, the issue only loses last-writer-wins ties",
        {"modified_at": None},
    ),
    "script and img": Reads(
        put_all("fields", summary=SCRIPT, description=adf(IMG)),
        {"title": SCRIPT, "description": IMG},
        "markup typed into Jira is text: kept literally, interpreted by nothing",
    ),
}

ASANA_FAILS = {
    "no gid": Fails(pop("gid"), None, "task without gid"),
    "no gid, with subtasks": Fails(
        both(pop("gid"), put("num_subtasks", value=2)), None, "task without gid"
    ),
    "gid is a list": Fails(put("gid", value=["2"]), None, "task without gid"),
    "no name": Fails(pop("name"), "2", "name is NoneType"),
    "assignee is a string": Fails(put("assignee", value="ana@acme.example"), "2", "task 2"),
    "name is a list": Fails(put("name", value=["Write"]), "2", "name is list"),
    "tags is a string": Fails(put("tags", value="ops"), "2", "task 2"),
    "due_on is a number": Fails(put("due_on", value=20260131), "2", "not a day"),
    "every value null": Fails(nulls(keep=("gid",)), "2", "name is NoneType"),
    "due_on 2024-13-45": Fails(put("due_on", value="2024-13-45"), "2", "month"),
    "due_on yesterday": Fails(put("due_on", value="yesterday"), "2", "yesterday"),
    "due_at yesterday": Fails(put("due_at", value="yesterday"), "2", "due_at is not a time"),
}
ASANA_READS = {
    "optional values null": Reads(
        put_all(
            html_notes=None,
            assignee=None,
            due_on=None,
            due_at=None,
            start_on=None,
            tags=None,
            custom_fields=None,
            dependencies=None,
            parent=None,
            memberships=None,
        ),
        {
            "description": "",
            "assignee": None,
            "due": None,
            "start": None,
            "labels": frozenset(),
            "depends_on": frozenset(),
            "parent": None,
            "status": "todo",
        },
        "Asana writes an empty optional field as null: it means no value",
    ),
    "1 MB name and notes": Reads(
        put_all(name=BIG, html_notes=f"<body>{BIG}</body>"),
        {"title": BIG, "description": BIG},
        "a long text is still the task's text: carried exactly, never cut or made up",
    ),
    "unknown resource_subtype": Reads(
        put("resource_subtype", value="wizard"),
        {},
        "Asana adds subtypes (approval, ...): anything not a milestone is a task",
    ),
    "unknown section": Reads(
        put("memberships", value=[{"project": {"gid": asana.PROJECT}, "section": {"name": "?"}}]),
        {"status": "todo"},
        "a section status_map does not name says nothing but 'not done'",
    ),
    "escaped script and img": Reads(
        put_all(name=SCRIPT, html_notes="<body>&lt;img src=x onerror=alert(1)&gt;</body>"),
        {"title": SCRIPT, "description": IMG},
        "markup typed into Asana arrives escaped: it is text, kept literally",
    ),
    "script and img elements": Reads(
        put("html_notes", value='<body><script>alert(1)</script><img src="x"/></body>'),
        {"description": "alert(1)\n\nx"},
        "elements outside Asana's rich text read as their text (an image as its src): "
        "nothing of the markup is kept, so nothing can run",
    ),
    "notes that are not XML": Reads(
        put("html_notes", value=IMG),
        {"description": IMG},
        "a body that is not Asana's XML reads as the literal text it holds",
    ),
}

TRELLO_FAILS = {
    "no id": Fails(pop("id"), None, "card without id"),
    "no id, milestone label": Fails(
        both(pop("id"), put("idLabels", value=["lab-m"])), None, "card without id"
    ),
    "id is a list": Fails(put("id", value=["c2"]), None, "card without id"),
    "no name": Fails(pop("name"), "c2", "name is NoneType"),
    "no list id": Fails(pop("idList"), "c2", "card c2: no list id"),
    "custom field item is a string": Fails(put("customFieldItems", value=["12"]), "c2", "c2"),
    "name is a list": Fails(put("name", value=["Card"]), "c2", "name is list"),
    "desc is a list": Fails(put("desc", value=["text"]), "c2", "desc is list"),
    "idLabels is a string": Fails(put("idLabels", value="lab-w"), "c2", "idLabels is str"),
    "a milestone's idMembers is a string": Fails(
        put_all(idLabels=["lab-m"], idMembers="mem-ana"), "c2", "idMembers is str"
    ),
    "due is a number": Fails(put("due", value=1767225600000), "c2", "not a time"),
    "every value null": Fails(nulls(keep=("id",)), "c2", "no list id"),
    "due 2024-13-45": Fails(put("due", value="2024-13-45T17:00:00.000Z"), "c2", "not a time"),
    "due yesterday": Fails(put("due", value="yesterday"), "c2", "not a time"),
    "start 2024-13-45": Fails(put("start", value="2024-13-45"), "c2", "not a time"),
}
TRELLO_READS = {
    "optional values null": Reads(
        put_all(
            desc=None,
            due=None,
            start=None,
            idMembers=None,
            idLabels=None,
            customFieldItems=None,
            dueComplete=None,
        ),
        {
            "description": "",
            "due": None,
            "start": None,
            "assignee": None,
            "labels": frozenset(),
            "status": "todo",
        },
        "an empty optional field sent as null means no value",
    ),
    "1 MB name and desc": Reads(
        put_all(name=BIG, desc=BIG),
        {"title": BIG, "description": BIG},
        "a long text is still the card's text: carried exactly, never cut or made up",
    ),
    "unknown label id": Reads(
        put("idLabels", value=["lab-zz"]),
        {"labels": frozenset()},
        "labels are read by the board's names: an id the board lacks names nothing",
    ),
    "script and img": Reads(
        put_all(name=SCRIPT, desc=IMG),
        {"title": SCRIPT, "description": IMG},
        "Trello's desc is Markdown kept byte for byte: markup in it is literal text",
    ),
}


def _params(variants: Mapping[str, Mapping[str, Fails | Reads]]) -> list[Any]:
    return [
        pytest.param(api, variant, id=f"{api}-{name}")
        for api, named in variants.items()
        for name, variant in named.items()
    ]


# --- one record at a time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_name", "variant"),
    _params({"jira": JIRA_FAILS, "asana": ASANA_FAILS, "trello": TRELLO_FAILS}),
)
def test_a_malformed_record_fails_alone_with_its_id(api_name: str, variant: Fails) -> None:
    """The bad record is one per-record error (with its id when known); the rest is read."""
    api = APIS[api_name]()
    obs = api.fetch(api.hostile(variant.spoil))
    first, _, last = api.ids
    assert sorted(r.external_id for r in obs.records) == [first, last]
    [error] = obs.errors
    assert isinstance(error, PayloadError)
    assert (error.member, error.external_id) == (api.member, variant.external_id)
    assert variant.says in str(error)
    # Without an id the record cannot be told from a deleted one: no absence is vouched for.
    assert obs.complete is (variant.external_id is not None)


@pytest.mark.parametrize(
    ("api_name", "variant"),
    _params({"jira": JIRA_READS, "asana": ASANA_READS, "trello": TRELLO_READS}),
)
def test_a_tolerated_record_reads_as_exactly_its_canonical_value(
    api_name: str, variant: Reads
) -> None:
    """A variant with a sound reading (``why``) reads as it, field for field, with no error."""
    api = APIS[api_name]()
    obs = api.fetch(api.hostile(variant.spoil))
    assert obs.errors == []
    assert obs.complete
    by_id = {r.external_id: r for r in obs.records}
    assert sorted(by_id) == sorted(api.ids)
    read = by_id[api.ids[1]]
    assert (read.kind, read.values) == ("task", {**by_id[api.ids[0]].values, **variant.values})
    assert {name: getattr(read, name) for name in variant.attrs} == variant.attrs


@pytest.mark.parametrize("api_name", ["jira", "asana", "trello"])
@pytest.mark.parametrize("item", ["garbage", 12, None, ["a", "list"]])
def test_a_listed_item_that_is_not_an_object_fails_the_listing(api_name: str, item: Any) -> None:
    """An item that is not an object has no id: it cannot be told apart from a deleted record,
    so the listing is refused whole (a member error: nothing concluded, nothing deleted).
    Asana and Trello used to drop it silently and call the listing complete."""
    api = APIS[api_name]()
    with pytest.raises(MemberError):
        api.fetch(item)


def test_a_trello_card_in_a_list_the_board_lacks_is_out_of_scope() -> None:
    """A list id the board does not list open reads like an archived list: out of scope.

    Trello lists cards of archived lists among the open cards, and the board (read fresh with
    each full listing) names only open lists; an unknown id is one of those, so the card is
    left out, neither read nor an error, as any card outside the member's lists.
    """
    api = trello_api()
    obs = api.fetch(api.hostile(put("idList", value="l-unknown")))
    assert sorted(r.external_id for r in obs.records) == ["c1", "c3"]
    assert obs.errors == []
    assert obs.complete


# --- through the engine --------------------------------------------------------------------------


@dataclass
class Pair:
    """An HTTP member and a memory member in one group, synced through one state store."""

    store: Store
    api: Api
    memory: MemoryBackend = field(default_factory=MemoryBackend)

    def sync(self, **options: Any) -> RunReport:
        return asyncio.run(self._sync(SyncOptions(**options)))

    async def _sync(self, options: SyncOptions) -> RunReport:
        memory = MemoryAdapter(
            MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), self.memory
        )
        members: dict[str, Adapter] = {"mem": memory, self.api.member: self.api.adapter()}
        async with contextlib.AsyncExitStack() as stack:
            for adapter in members.values():
                await stack.enter_async_context(adapter)
            policy = Policy(max_delete_ratio=1.0)  # no breaker: any deletion would happen
            return await sync_group(self.store, "g", members, policy, options)

    def held(self) -> dict[str, tuple[Values, bool]]:
        """The memory member's records by title: (fields, archived)."""
        return {
            rec.fields["title"]: (dict(rec.fields), rec.archived)
            for rec in self.memory.records.values()
        }


SPOILS = {  # with how the run report names the failed record: "<external id>: <error>"
    "jira": {
        "wrong type": (put("fields", "summary", value=["Beta"]), "2: issue WEB-2:"),
        "no id": (pop("id"), "None: issue WEB-2:"),
    },
    "asana": {
        "wrong type": (put("name", value=["Beta"]), "2: task 2:"),
        "no id": (pop("gid"), "None: task without gid"),
    },
    "trello": {
        "wrong type": (put("name", value=["Beta"]), "c2: card c2:"),
        "no id": (pop("id"), "None: card without id"),
    },
}


@pytest.mark.parametrize(
    ("api_name", "spoil", "reported"),
    [
        pytest.param(a, spoil, reported, id=f"{a}-{n}")
        for a, named in SPOILS.items()
        for n, (spoil, reported) in named.items()
    ],
)
def test_a_record_that_fails_to_parse_is_neither_deleted_nor_written_from(
    tmp_path: Path, api_name: str, spoil: Callable[[Json], None], reported: str
) -> None:
    """After a clean sync, a full sync whose listing spoils one record reports it, leaves the
    memory member's copy as it was (not archived, not cleared), and carries a healthy edit."""
    api = APIS[api_name]()
    pair = Pair(open_store(tmp_path), api)
    with respx.mock() as router:  # reads only: a write to the HTTP member would be unmocked
        api.serve(router, api)
        api.listing = [api.record(0, "Alpha"), api.record(1, "Beta")]
        first = pair.sync()
        assert first.status == "ok", first.result.failures
        before = pair.held()
        assert sorted(before) == ["Alpha", "Beta"]

        edited = api.record(0, "Alpha v2")
        if api_name == "jira":  # the edit as Jira stamps it
            edited["fields"]["updated"] = "2026-01-10T11:00:00.000+0000"
        api.listing = [edited, api.hostile(spoil, "Beta")]
        second = pair.sync(full=True)

    after = pair.held()
    assert after["Beta"] == before["Beta"]
    assert after["Alpha v2"][1] is False
    assert sorted(after) == ["Alpha v2", "Beta"]
    assert second.result.deleted == {}
    assert second.result.failures == []
    [failure] = second.read_errors[api.member]
    assert failure.startswith(reported)
    assert list(second.read_errors) == [api.member]
    assert second.status == "partial"
    assert dict(second.result.updated) == {"mem": 1}
