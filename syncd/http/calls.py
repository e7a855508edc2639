"""Counting HTTP calls: every attempt is counted by method and status, and offered to hooks.

`HttpClient.calls` is a `CallCounter`. Tests read it to assert how many calls a flow makes;
the metrics module registers a hook (``counter.hooks.append(fn)``) to export them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, as counted.

    Attributes:
        method: the HTTP method, upper case.
        url: the URL, redacted.
        status: the response status, or None when no response came.
        error: the exception's class name when no response came.
        elapsed: seconds from sending to the response or the error.
    """

    method: str
    url: str
    status: int | None
    error: str | None
    elapsed: float

    @property
    def outcome(self) -> str:
        """The status as text (``"200"``), or the error's name (``"ReadTimeout"``)."""
        return str(self.status) if self.status is not None else (self.error or "unknown")


CallHook = Callable[[CallRecord], None]

OBSERVERS: list[CallHook] = []
"""Hooks called for every attempt of every client in the process (the service's metrics)."""


class CallCounter:
    """Counts of HTTP attempts by (method, outcome), and hooks called for each attempt."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.hooks: list[CallHook] = []

    def record(self, call: CallRecord) -> None:
        """Count one attempt and pass it to every hook.

        Args:
            call: the attempt.
        """
        self.counts[(call.method, call.outcome)] += 1
        for hook in (*self.hooks, *OBSERVERS):
            hook(call)

    def count(self, method: str | None = None, status: int | str | None = None) -> int:
        """Return how many attempts matched a method and/or outcome.

        Args:
            method: the HTTP method, or None for any.
            status: a status (``200`` or ``"200"``) or an error name, or None for any.

        Returns:
            The number of attempts counted.
        """
        wanted_method = method.upper() if method is not None else None
        wanted_status = str(status) if status is not None else None
        return sum(
            n
            for (m, s), n in self.counts.items()
            if wanted_method in (None, m) and wanted_status in (None, s)
        )

    @property
    def total(self) -> int:
        """All attempts counted."""
        return sum(self.counts.values())
