"""The service's Prometheus metrics, served by ``GET /metrics`` (see `syncd.web`).

Every metric lives in the `Metrics` object's own `CollectorRegistry`, never in prometheus-client's
global one: two services (or two tests) in one process never share counts, and nothing is
registered at import time.

Label values are names from the config (group, member, connection, system), exception class
names, HTTP status codes and fixed words (status, action, outcome); never a message, a URL or
any other text that could carry a secret. A failure's message stays in the logs, where it is
redacted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from syncd.engine import RunReport

WebhookOutcome: TypeAlias = Literal["accepted", "rejected", "ignored"]

RUN_STATUSES = ("ok", "partial", "failed")
# From a no-op poll (tens of milliseconds) to a first full sync of a large group (minutes).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_UNKNOWN_CLASS = "Exception"


class Metrics:
    """The service's metrics, in a registry of their own.

    Args:
        registry: where the metrics are registered; a new `CollectorRegistry` when None.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._define_run_metrics()
        self._define_service_metrics()

    def _define_run_metrics(self) -> None:
        reg = self.registry
        self.runs = Counter(
            "syncd_runs", "Finished syncs of a group, by status.", ["group", "status"], registry=reg
        )
        self.run_duration = Histogram(
            "syncd_run_duration_seconds",
            "How long one sync of a group took.",
            ["group"],
            buckets=DURATION_BUCKETS,
            registry=reg,
        )
        self.records_written = Counter(
            "syncd_records_written",
            "Records written to a member, by action (created, updated, deleted).",
            ["group", "member", "action"],
            registry=reg,
        )
        self.conflicts = Counter(
            "syncd_conflicts", "Field conflicts resolved by policy.", ["group"], registry=reg
        )
        self.failures = Counter(
            "syncd_failures",
            "Writes that failed and members that could not be read, by exception class.",
            ["group", "member", "error_class"],
            registry=reg,
        )
        self.last_run = Gauge(
            "syncd_last_run_timestamp_seconds",
            "Unix time at which the group's last sync finished.",
            ["group"],
            registry=reg,
        )
        self.running = Gauge(
            "syncd_group_running", "1 while a sync of the group runs.", ["group"], registry=reg
        )

    def _define_service_metrics(self) -> None:
        reg = self.registry
        self.http_calls = Counter(
            "syncd_http_calls",
            "HTTP calls to a system, by status code (or 'error' when no response came).",
            ["system", "status"],
            registry=reg,
        )
        self.rate_limit_wait = Counter(
            "syncd_rate_limit_wait_seconds",
            "Time spent waiting because a system rate-limited us.",
            ["system"],
            registry=reg,
        )
        self.webhooks = Counter(
            "syncd_webhook_deliveries",
            "Webhook deliveries received, by outcome (accepted, rejected, ignored).",
            ["connection", "outcome"],
            registry=reg,
        )
        self.lease_owned = Gauge(
            "syncd_lease_owned",
            "1 while this worker holds the group's lease.",
            ["group"],
            registry=reg,
        )

    def run_started(self, group: str) -> None:
        """Mark the group as running, and make its run counters exist (at 0) from now on.

        Args:
            group: the group's name.
        """
        for status in RUN_STATUSES:
            self.runs.labels(group=group, status=status)
        self.conflicts.labels(group=group)
        self.running.labels(group=group).set(1)

    def run_finished(
        self, group: str, report: RunReport | None, seconds: float, status: str
    ) -> None:
        """Count a finished sync of a group.

        Args:
            group: the group's name.
            report: what the run did; None when the run raised (it is then counted as failed,
                whatever ``status`` says).
            seconds: how long the run took.
            status: ``ok``, ``partial`` or ``failed`` (usually ``report.status``); any other
                value (``crashed``) is counted as ``failed``, so the label keeps three values.
        """
        self.running.labels(group=group).set(0)
        counted = status if report is not None and status in RUN_STATUSES else "failed"
        self.runs.labels(group=group, status=counted).inc()
        self.run_duration.labels(group=group).observe(seconds)
        self.last_run.labels(group=group).set_to_current_time()
        if report is not None:
            self._count_report(group, report)

    def _count_report(self, group: str, report: RunReport) -> None:
        result = report.result
        for action, counts in (
            ("created", result.created),
            ("updated", result.updated),
            ("deleted", result.deleted),
        ):
            for member, count in counts.items():
                self.records_written.labels(group=group, member=member, action=action).inc(count)
        self.conflicts.labels(group=group).inc(len(report.plan.conflicts))
        for failure in result.failures:
            self.failures.labels(
                group=group, member=failure.member, error_class=failure.error_class
            ).inc()
        for member, error in report.member_errors.items():
            self.failures.labels(group=group, member=member, error_class=_class_of(error)).inc()

    def http_call(self, system: str, status: int | str) -> None:
        """Count one HTTP call to a system.

        Not wired into `syncd.http` yet: the client will call it once per response.

        Args:
            system: the connection (or adapter type) called.
            status: the response's status code, or ``"error"`` when none came.
        """
        self.http_calls.labels(system=system, status=str(status)).inc()

    def rate_limited(self, system: str, seconds: float) -> None:
        """Add time spent waiting on a system's rate limit.

        Not wired into `syncd.http` yet: the rate limiter will call it before each wait.

        Args:
            system: the connection (or adapter type) that limited us.
            seconds: how long we waited.
        """
        self.rate_limit_wait.labels(system=system).inc(seconds)

    def webhook(self, connection: str, outcome: WebhookOutcome) -> None:
        """Count one webhook delivery.

        Args:
            connection: the connection the delivery was addressed to.
            outcome: ``accepted`` (triggers a sync), ``rejected`` (bad signature or body) or
                ``ignored`` (nothing of ours changed).
        """
        self.webhooks.labels(connection=connection, outcome=outcome).inc()

    def lease(self, group: str, owned: bool) -> None:
        """Record whether this worker holds the group's lease.

        Args:
            group: the group's name.
            owned: True while this worker holds it.
        """
        self.lease_owned.labels(group=group).set(1 if owned else 0)

    def render(self) -> tuple[bytes, str]:
        """Return the exposition body and its content type (Prometheus text format)."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _class_of(member_error: str) -> str:
    """The exception class of a member error, which the engine writes as ``Class: message``.

    Anything else gives a fixed word, so that a message (which may hold a secret) never becomes
    a label value.
    """
    name = member_error.split(":", 1)[0]
    return name if name.isidentifier() else _UNKNOWN_CLASS
