"""The service's Prometheus metrics: what a run, a call, a webhook and a lease count."""

from __future__ import annotations

import time
from collections import Counter

import prometheus_client
import pytest

from syncd.actions import Plan
from syncd.apply import ApplyResult, Failure
from syncd.engine import RunReport
from syncd.metrics import Metrics
from syncd.state import Conflict

TOKEN = "trello-TOKEN-0a1b2c3d4e"


def _report(group: str = "web") -> RunReport:
    conflict = Conflict(
        "r1", "task", "status", {"jira": "done", "asana": "todo"}, "todo", "jira", "authority"
    )
    result = ApplyResult(
        created=Counter({"jira": 2, "asana": 1}),
        updated=Counter({"jira": 3}),
        deleted=Counter({"trello": 1}),
        failures=[
            Failure("asana", "r7", "update", f"400 Bad Request token={TOKEN}", "RecordError"),
            Failure("asana", "r8", "create", "400 Bad Request", "RecordError"),
        ],
    )
    report = RunReport(group, Plan(group, conflicts=[conflict, conflict]), run_id=1, result=result)
    report.member_errors = {"trello": f"ReadTimeout: GET https://api.trello.com/1?token={TOKEN}"}
    return report


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_a_run_counts_writes_conflicts_and_failures_by_label() -> None:
    """A finished run counts its writes per member and action, its conflicts and its failures."""
    metrics = Metrics()
    metrics.run_started("web")
    metrics.run_finished("web", _report(), 1.5, "partial")
    assert _value(metrics, "syncd_runs_total", group="web", status="partial") == 1
    assert _value(metrics, "syncd_runs_total", group="web", status="ok") == 0
    written = "syncd_records_written_total"
    assert _value(metrics, written, group="web", member="jira", action="created") == 2
    assert _value(metrics, written, group="web", member="asana", action="created") == 1
    assert _value(metrics, written, group="web", member="jira", action="updated") == 3
    assert _value(metrics, written, group="web", member="trello", action="deleted") == 1
    assert _value(metrics, "syncd_conflicts_total", group="web") == 2
    failures = "syncd_failures_total"
    assert _value(metrics, failures, group="web", member="asana", error_class="RecordError") == 2
    assert _value(metrics, failures, group="web", member="trello", error_class="ReadTimeout") == 1


def test_run_duration_lands_in_its_bucket() -> None:
    """The run's duration is observed in the group's histogram."""
    metrics = Metrics()
    metrics.run_finished("web", _report(), 1.5, "partial")
    name = "syncd_run_duration_seconds"
    assert _value(metrics, f"{name}_count", group="web") == 1
    assert _value(metrics, f"{name}_sum", group="web") == 1.5
    assert _value(metrics, f"{name}_bucket", group="web", le="1.0") == 0
    assert _value(metrics, f"{name}_bucket", group="web", le="2.5") == 1
    assert _value(metrics, f"{name}_bucket", group="web", le="600.0") == 1


def test_running_gauge_and_last_run_time_follow_the_run() -> None:
    """A group is running between start and finish; the finish time is recorded."""
    metrics = Metrics()
    metrics.run_started("web")
    assert _value(metrics, "syncd_group_running", group="web") == 1
    before = time.time()
    metrics.run_finished("web", _report(), 0.2, "ok")
    after = time.time()
    assert _value(metrics, "syncd_group_running", group="web") == 0
    finished = _value(metrics, "syncd_last_run_timestamp_seconds", group="web")
    assert finished is not None
    assert before <= finished <= after


def test_started_group_shows_every_run_status_at_zero() -> None:
    """Starting a run makes each status series exist at 0, so rates work from the first run."""
    metrics = Metrics()
    metrics.run_started("web")
    for status in ("ok", "partial", "failed"):
        assert _value(metrics, "syncd_runs_total", group="web", status=status) == 0
    assert _value(metrics, "syncd_conflicts_total", group="web") == 0


@pytest.mark.parametrize("status", ["ok", "failed", "crashed"])
def test_a_run_that_raised_counts_as_failed(status: str) -> None:
    """A run without a report is counted as failed whatever status is passed, and writes nothing."""
    metrics = Metrics()
    metrics.run_started("web")
    metrics.run_finished("web", None, 0.3, status)
    assert _value(metrics, "syncd_runs_total", group="web", status="failed") == 1
    assert _value(metrics, "syncd_runs_total", group="web", status="ok") == 0
    assert _value(metrics, "syncd_group_running", group="web") == 0
    assert b"syncd_records_written_total{" not in metrics.render()[0]


def test_unknown_status_is_counted_as_failed() -> None:
    """A status other than ok, partial and failed never becomes a label value."""
    metrics = Metrics()
    metrics.run_finished("web", _report(), 0.3, "crashed")
    assert _value(metrics, "syncd_runs_total", group="web", status="failed") == 1
    assert b'status="crashed"' not in metrics.render()[0]


def test_no_message_reaches_the_exposition() -> None:
    """Failure messages (which may hold a token) never become label values."""
    metrics = Metrics()
    report = _report()
    report.member_errors["plan"] = f"the file at /data/{TOKEN}.xml is gone"
    metrics.run_finished("web", report, 1.0, "partial")
    body = metrics.render()[0].decode()
    assert TOKEN not in body
    failures = "syncd_failures_total"
    assert _value(metrics, failures, group="web", member="plan", error_class="Exception") == 1


def test_http_calls_rate_limits_webhooks_and_leases() -> None:
    """The service-level methods count under the documented names and labels."""
    metrics = Metrics()
    metrics.http_call("acme-jira", 200)
    metrics.http_call("acme-jira", 200)
    metrics.http_call("acme-jira", "error")
    metrics.rate_limited("acme-asana", 1.25)
    metrics.rate_limited("acme-asana", 0.75)
    metrics.webhook("acme-trello", "accepted")
    metrics.webhook("acme-trello", "rejected")
    metrics.lease("web", True)
    metrics.lease("ops", False)
    assert _value(metrics, "syncd_http_calls_total", system="acme-jira", status="200") == 2
    assert _value(metrics, "syncd_http_calls_total", system="acme-jira", status="error") == 1
    assert _value(metrics, "syncd_rate_limit_wait_seconds_total", system="acme-asana") == 2.0
    webhooks = "syncd_webhook_deliveries_total"
    assert _value(metrics, webhooks, connection="acme-trello", outcome="accepted") == 1
    assert _value(metrics, webhooks, connection="acme-trello", outcome="rejected") == 1
    assert _value(metrics, webhooks, connection="acme-trello", outcome="ignored") is None
    assert _value(metrics, "syncd_lease_owned", group="web") == 1
    assert _value(metrics, "syncd_lease_owned", group="ops") == 0


def test_render_gives_prometheus_text() -> None:
    """render returns the text exposition and its content type."""
    metrics = Metrics()
    metrics.run_finished("web", _report(), 1.0, "partial")
    body, content_type = metrics.render()
    assert content_type == prometheus_client.CONTENT_TYPE_LATEST
    assert content_type.startswith("text/plain")
    assert "# TYPE syncd_runs_total counter" in body.decode()
    assert 'syncd_runs_total{group="web",status="partial"} 1.0' in body.decode()


def test_two_instances_do_not_share_counts() -> None:
    """Each Metrics has its own registry, and none touches the global one."""
    first, second = Metrics(), Metrics()
    first.run_finished("web", _report(), 1.0, "ok")
    assert _value(first, "syncd_runs_total", group="web", status="ok") == 1
    assert _value(second, "syncd_runs_total", group="web", status="ok") is None
    labels = {"group": "web", "status": "ok"}
    assert prometheus_client.REGISTRY.get_sample_value("syncd_runs_total", labels) is None


def test_a_given_registry_is_used() -> None:
    """A registry passed in receives the metrics."""
    registry = prometheus_client.CollectorRegistry()
    metrics = Metrics(registry)
    metrics.webhook("acme-jira", "ignored")
    labels = {"connection": "acme-jira", "outcome": "ignored"}
    assert registry.get_sample_value("syncd_webhook_deliveries_total", labels) == 1
