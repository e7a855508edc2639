"""The Asana adapter against mocked HTTP (respx): reads, events, batches, errors, webhooks."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
import respx

from adapters.asana.adapter import AsanaAdapter, forget_caches
from adapters.asana.config import AsanaConnection, AsanaMember
from adapters.base import AdapterContext, CreateItem, UpdateItem, WebhookRequest
from syncd.errors import MemberError, RecordError, RecordNotFound
from syncd.http import RetryPolicy
from syncd.model import Ref
from tests.contract.adapter_suite import run

T = TypeVar("T")
API = "https://app.asana.com/api/1.0"
PROJECT = "1200000000000001"
WORKSPACE = "1100000000000001"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    forget_caches()
    yield
    forget_caches()


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def adapter(sleep: Sleeps | None = None, **member: Any) -> AsanaAdapter:
    connection = AsanaConnection(token="asana-secret-1", requests_per_minute=100_000)
    settings = AsanaMember(connection="asana", project=PROJECT, **member)
    return AsanaAdapter(
        connection,
        settings,
        AdapterContext("asana", timezone=dt.UTC),
        retry_policy=RetryPolicy(jitter=0.0),
        sleep=sleep or Sleeps(),
    )


def task(gid: str, name: str = "Write spec", **fields: Any) -> dict[str, Any]:
    return {
        "gid": gid,
        "name": name,
        "html_notes": "<body></body>",
        "completed": False,
        "assignee": None,
        "resource_subtype": "default_task",
        "memberships": [{"project": {"gid": PROJECT}, "section": {"name": "To do"}}],
        "tags": [],
        "custom_fields": [],
        "dependencies": [],
        "num_subtasks": 0,
        "modified_at": "2026-01-10T10:00:00.000Z",
        **fields,
    }


def mock_site(
    router: respx.Router, custom: list[dict[str, Any]] | None = None, *, light: bool = False
) -> None:
    """The project's metadata; ``light``: its milestones listing (which task has which)."""
    router.get(f"{API}/projects/{PROJECT}").respond(
        json={"data": {"gid": PROJECT, "name": "Web", "workspace": {"gid": WORKSPACE}}}
    )
    router.get(f"{API}/projects/{PROJECT}/sections").respond(
        json={
            "data": [
                {"gid": "31", "name": "To do"},
                {"gid": "32", "name": "Doing"},
            ],
            "next_page": None,
        }
    )
    if light:
        query = {"opt_fields": "resource_subtype,dependencies"}
        router.get(f"{API}/projects/{PROJECT}/tasks", params=query).respond(
            json={"data": [], "next_page": None}
        )
    router.get(f"{API}/workspaces/{WORKSPACE}/users").respond(
        json={"data": [{"gid": "7", "email": "Ana@Acme.example"}], "next_page": None}
    )
    if custom is not None:
        router.get(f"{API}/projects/{PROJECT}/custom_field_settings").respond(
            json={"data": custom, "next_page": None}
        )


def body_of(call: Any) -> Any:
    return json.loads(call.request.content)


def batch_echo(request: httpx.Request) -> httpx.Response:
    """A /batch that answers each action with the task it names or makes."""
    actions = json.loads(request.content)["data"]["actions"]
    out = []
    for n, action in enumerate(actions):
        path = action["relative_path"]
        gid = path.split("/")[2] if path.startswith("/tasks/") else f"90{n:02d}"
        data = {**task(gid), **{k: v for k, v in (action.get("data") or {}).items() if k == "name"}}
        out.append(
            {"status_code": 201 if action["method"] == "post" else 200, "body": {"data": data}}
        )
    return httpx.Response(200, json={"data": out})


def test_full_read_takes_a_fresh_token_pages_and_subtasks() -> None:
    """A full read: 412 gives the sync token, tasks page by offset, subtasks under parents."""
    with respx.mock(assert_all_called=True) as router:
        mock_site(router)
        router.get(f"{API}/events").respond(412, json={"errors": [{"message": "x"}], "sync": "s1"})
        listing = router.get(f"{API}/projects/{PROJECT}/tasks").mock(
            side_effect=[
                httpx.Response(
                    200, json={"data": [task("1", num_subtasks=1)], "next_page": {"offset": "o2"}}
                ),
                httpx.Response(200, json={"data": [task("2")], "next_page": None}),
            ]
        )
        router.get(f"{API}/tasks/1/subtasks").respond(
            json={"data": [task("3", parent={"gid": "1"}, memberships=[])], "next_page": None}
        )
        obs = run(adapter().fetch(None))
    assert obs.complete
    assert obs.cursor == "s1"
    assert sorted(r.external_id for r in obs.records) == ["1", "2", "3"]
    first = listing.calls[0].request.url.params
    assert first["limit"] == "100"
    assert "custom_fields.number_value" in first["opt_fields"]
    assert listing.calls[1].request.url.params["offset"] == "o2"
    sub = next(r for r in obs.records if r.external_id == "3")
    assert sub.values["parent"] == Ref(uid="1")


def test_a_quiet_incremental_read_is_one_call() -> None:
    """With a sync token and no events, a read costs one request and is not complete."""
    with respx.mock() as router:
        mock_site(router)
        events = router.get(f"{API}/events").respond(json={"data": [], "sync": "s2"})
        member = adapter()
        run(member._ready())
        before = member.calls
        obs = run(member.fetch("s1"))
    assert member.calls - before == 1
    assert obs.cursor == "s2"
    assert not obs.complete
    assert events.calls[0].request.url.params["sync"] == "s1"


def test_events_name_the_tasks_read_by_batch_and_has_more_is_followed() -> None:
    """Changed tasks come from the events (all pages), read 10 per batch call, each with its
    dependents: the milestone among them is its milestone, and the project is not listed to
    find it."""
    changed = [
        {"action": "changed", "resource": {"gid": str(n), "resource_type": "task"}}
        for n in range(1, 13)
    ]

    def with_dependents(request: httpx.Request) -> httpx.Response:
        actions = json.loads(request.content)["data"]["actions"]
        assert all("dependents.resource_subtype" in a["options"]["fields"] for a in actions)
        answer = json.loads(batch_echo(request).content)
        for result in answer["data"]:
            data = result["body"]["data"]
            milestone = {"gid": "500", "resource_subtype": "milestone"}
            other = {"gid": "501", "resource_subtype": "default_task"}
            data["dependents"] = [milestone, other] if data["gid"] == "1" else [other]
        return httpx.Response(200, json=answer)

    with respx.mock(assert_all_called=False) as router:
        mock_site(router)
        listing = router.get(f"{API}/projects/{PROJECT}/tasks")
        router.get(f"{API}/events").mock(
            side_effect=[
                httpx.Response(200, json={"data": changed[:6], "sync": "a", "has_more": True}),
                httpx.Response(200, json={"data": changed[6:], "sync": "b", "has_more": False}),
            ]
        )
        batch = router.post(f"{API}/batch").mock(side_effect=with_dependents)
        obs = run(adapter().fetch("s0"))
    assert obs.cursor == "b"
    assert len(obs.records) == 12
    assert batch.call_count == 2
    assert listing.call_count == 0
    milestones = {r.external_id: r.values["milestone"] for r in obs.records}
    assert milestones["1"] == Ref(uid="500")
    assert milestones["2"] is None


def test_an_expired_sync_token_falls_back_to_a_complete_read() -> None:
    """412 on an incremental read: a full, complete read with the fresh token."""
    with respx.mock() as router:
        mock_site(router)
        router.get(f"{API}/events").respond(412, json={"errors": [{"message": "x"}], "sync": "f"})
        router.get(f"{API}/projects/{PROJECT}/tasks").respond(
            json={"data": [task("1")], "next_page": None}
        )
        obs = run(adapter().fetch("old"))
    assert obs.complete
    assert obs.cursor == "f"


def test_mapping_of_a_full_task() -> None:
    """Every mapped Asana field reads into its canonical value."""
    full = task(
        "5",
        html_notes="<body><strong>Do</strong> it</body>",
        assignee={"gid": "7", "email": "Ana@Acme.example"},
        start_on="2026-01-05",
        due_at="2026-01-31T23:30:00.000Z",
        tags=[{"gid": "t", "name": "web"}],
        custom_fields=[{"gid": "cf1", "number_value": 12500.5}],
        dependencies=[{"gid": "4"}],
        memberships=[{"project": {"gid": PROJECT}, "section": {"name": "Doing"}}],
    )
    custom = [{"custom_field": {"gid": "cf1", "name": "Budget", "enum_options": []}}]
    with respx.mock() as router:
        mock_site(router, custom)
        router.get(f"{API}/events").respond(412, json={"errors": [], "sync": "s"})
        router.get(f"{API}/projects/{PROJECT}/tasks").respond(
            json={"data": [full], "next_page": None}
        )
        member = adapter(status_map={"Doing": "in_progress"}, fields={"planned_cost": "Budget"})
        obs = run(member.fetch(None))
    values = obs.records[0].values
    assert values["description"] == "**Do** it"
    assert values["assignee"] == "ana@acme.example"
    assert values["status"] == "in_progress"
    assert values["start"] == dt.date(2026, 1, 5)
    assert values["due"] == dt.date(2026, 1, 31)
    assert values["labels"] == frozenset({"web"})
    assert values["planned_cost"] == Decimal("12500.5")
    assert values["depends_on"] == frozenset({Ref(uid="4")})


def test_creates_go_ten_per_batch_call_with_the_rules_asana_enforces() -> None:
    """25 creates take 3 batch calls; a start without a due date is refused for that field."""
    items = [CreateItem("task", f"u{n}", {"title": f"T{n}"}) for n in range(24)]
    items.append(CreateItem("task", "s", {"title": "S", "start": dt.date(2026, 1, 1)}))
    with respx.mock() as router:
        mock_site(router)
        batch = router.post(f"{API}/batch").mock(side_effect=batch_echo)
        results = run(adapter().create_many(items))
    assert batch.call_count == 3
    first = body_of(batch.calls[0])["data"]["actions"][0]
    assert first["relative_path"] == "/tasks"
    assert first["data"]["projects"] == [PROJECT]
    last = results[-1]
    assert not isinstance(last, RecordError)
    assert "start" in last.unwritten
    assert "start_on" not in body_of(batch.calls[2])["data"]["actions"][-1]["data"]


def test_a_milestone_is_a_task_of_subtype_milestone() -> None:
    """A milestone is created with resource_subtype milestone."""
    with respx.mock() as router:
        mock_site(router)
        batch = router.post(f"{API}/batch").mock(side_effect=batch_echo)
        run(adapter().create("milestone", {"title": "GA", "due": dt.date(2026, 5, 1)}, uid="m"))
    action = body_of(batch.calls[0])["data"]["actions"][0]
    assert action["data"]["resource_subtype"] == "milestone"
    assert action["data"]["due_on"] == "2026-05-01"


def test_in_progress_moves_the_task_to_its_section() -> None:
    """Writing in_progress adds the task to the section status_map names for it."""
    with respx.mock() as router:
        mock_site(router)
        batch = router.post(f"{API}/batch").mock(side_effect=batch_echo)
        member = adapter(status_map={"To do": "todo", "Doing": "in_progress"})
        run(member.update("task", "5", {"status": "in_progress"}))
    actions = [a for call in batch.calls for a in body_of(call)["data"]["actions"]]
    assert {
        "method": "post",
        "relative_path": "/sections/32/addTask",
        "data": {"task": "5"},
    } in actions


def test_in_progress_without_a_place_is_unwritten_and_check_says_so() -> None:
    """With no section for in_progress, that status is refused and check() names the fix."""
    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/batch").mock(side_effect=batch_echo)
        router.get(f"{API}/users/me").respond(json={"data": {"gid": "7", "email": "a@b.c"}})
        member = adapter()
        observed = run(member.update("task", "5", {"status": "in_progress"}))
        result = run(member.check())
    assert "status" in observed.unwritten
    assert any("in_progress has nowhere to go" in p.message for p in result.problems)


def test_a_missing_task_is_not_found() -> None:
    """An update of a task Asana no longer has raises RecordNotFound."""

    def gone(request: httpx.Request) -> httpx.Response:
        actions = json.loads(request.content)["data"]["actions"]
        answer = {"status_code": 404, "body": {"errors": [{"message": "task: Unknown object"}]}}
        return httpx.Response(200, json={"data": [answer for _ in actions]})

    with respx.mock() as router:
        mock_site(router)
        router.post(f"{API}/batch").mock(side_effect=gone)
        with pytest.raises(RecordNotFound, match="Unknown object"):
            run(adapter().update("task", "5", {"title": "x"}))


def test_custom_fields_on_a_free_workspace_say_it_is_a_paid_feature() -> None:
    """402 on custom fields stops the member with a message naming the cause."""
    with respx.mock(assert_all_called=False) as router:
        mock_site(router)
        router.get(f"{API}/projects/{PROJECT}/custom_field_settings").respond(
            402, json={"errors": [{"message": "Custom Fields are a premium feature"}]}
        )
        with pytest.raises(MemberError, match="paid Asana feature"):
            run(adapter(fields={"planned_cost": "Budget"}).fetch(None))


def test_throttled_calls_wait_as_told() -> None:
    """429 with Retry-After is retried after that wait."""
    sleeps = Sleeps()
    with respx.mock() as router:
        mock_site(router)
        router.get(f"{API}/events").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "1"}, json={"errors": []}),
                httpx.Response(200, json={"data": [], "sync": "s2"}),
            ]
        )
        run(adapter(sleep=sleeps).fetch("s1"))
    assert sleeps.waits[0] == pytest.approx(1, abs=0.01)


def signed(body: bytes, secret: str) -> dict[str, str]:
    return {"X-Hook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def test_signed_webhooks_name_their_tasks_and_others_are_refused() -> None:
    """Only deliveries signed with the handshake's secret are read."""
    connection = AsanaConnection(token="asana-secret-1", webhook_secret="hook-secret")
    member = AsanaAdapter(
        connection, AsanaMember(connection="asana", project=PROJECT), AdapterContext("asana")
    )
    body = json.dumps({"events": [{"resource": {"gid": "5", "resource_type": "task"}}]}).encode()
    assert member.webhook(WebhookRequest(signed(body, "hook-secret"), body)) == ["5"]
    assert member.webhook(WebhookRequest(signed(body, "other"), body)) is None
    assert member.webhook(WebhookRequest({}, body)) is None


def test_update_batches_carry_tag_changes_before_the_edit() -> None:
    """Label changes become addTag/removeTag actions, then one PUT returns the task."""
    current = task("5", tags=[{"gid": "t1", "name": "old"}])

    def tags(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"data": [{"gid": "t1", "name": "old"}, {"gid": "t2", "name": "new"}]}
        )

    with respx.mock() as router:
        mock_site(router)
        router.get(f"{API}/workspaces/{WORKSPACE}/tags").mock(side_effect=tags)
        batch = router.post(f"{API}/batch").mock(side_effect=batch_echo)
        member = adapter()
        run(member._ready())
        member._read(current, [])
        run(
            member.update_many(
                [UpdateItem("task", "5", {"labels": frozenset({"new"}), "title": "N"})]
            )
        )
    actions = [a for call in batch.calls for a in body_of(call)["data"]["actions"]]
    paths = [a["relative_path"] for a in actions]
    assert paths == ["/tasks/5/addTag", "/tasks/5/removeTag", "/tasks/5"]
    assert actions[-1]["method"] == "put"
    assert actions[-1]["data"] == {"name": "N"}


def test_a_batch_counts_each_action_in_the_rate_limit_and_in_flight() -> None:
    """Asana counts a batch of n actions as n requests: the limiter is charged n, and batches
    hold n of the writes allowed in flight, all at once, so two never deadlock on halves."""
    from adapters.asana.client import AsanaClient, Slots

    connection = AsanaConnection(token="asana-token-batch", requests_per_minute=12)
    client = AsanaClient(connection, "asana")
    actions = [{"method": "get", "relative_path": "/users/me"}] * 10
    answer = {"data": [{"status_code": 200, "body": {"data": {}}}] * 10}
    with respx.mock() as router:
        router.post("https://app.asana.com/api/1.0/batch").respond(json=answer)
        run(client.batch(actions))
    (limiter,) = client.http.limiters
    assert limiter.delay(cost=3) > 0  # 10 of 12 spent: room for 2 more only
    assert limiter.delay(cost=2) == 0

    slots = Slots(15)
    peak = 0

    async def batch(size: int) -> None:
        nonlocal peak
        async with slots.hold(size):
            peak = max(peak, slots.size - slots.free)
            await asyncio.sleep(0.01)

    async def many() -> None:
        await asyncio.wait_for(asyncio.gather(*(batch(10) for _ in range(4)), batch(3)), 5)

    run(many())
    assert peak <= 15
    assert slots.free == 15
