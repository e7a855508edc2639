"""Kill a sync at a chosen write, in the manner of mbsync's test harness.

A sync's durable effects are of two sorts: its journal writes (every `Store` method that
writes: a run begun or finished, observations committed, an intent added or completed,
changes, conflicts and refusals recorded) and its vendor writes (every HTTP call but a GET,
and every write of a plan file). `KillSwitch` numbers them as they happen and sends SIGKILL to
its own process right before or right after the chosen one; with no target it only records
their sequence, to learn how many points an uninterrupted run passes.

Nothing of this is in syncd itself: the switch wraps the methods from outside, in the
process (a fork of the test) that is to die.
"""

from __future__ import annotations

import functools
import os
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from adapters.msproject.files import LocalPlanFile
from syncd.http.client import HttpClient
from syncd.store import Store

When = Literal["before", "after"]

JOURNAL = (
    "begin_run",
    "finish_run",
    "commit_observed",
    "save_refusals",
    "forget_records",
    "record_changes",
    "record_conflicts",
    "add_intent",
    "complete_intent",
    "set_intent_status",
)


@dataclass
class KillSwitch:
    """Kill this process at write number ``at`` (from 0), ``when`` it is about to happen or
    has just happened; None: only record the writes in ``seen``. Writes to different
    members run concurrently, so two runs may number them in a different order: each number
    is still a point between two durable effects."""

    at: int | None = None
    when: When = "before"
    seen: list[str] = field(default_factory=list)

    def _before(self, name: str) -> int:
        """A write is about to happen: its number (kill here if it is the chosen one)."""
        number = len(self.seen)
        self.seen.append(name)
        if number == self.at and self.when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        return number

    def _after(self, number: int) -> None:
        """Write ``number`` has happened (other writes may have begun meanwhile)."""
        if number == self.at and self.when == "after":
            os.kill(os.getpid(), signal.SIGKILL)

    @contextmanager
    def installed(self) -> Iterator[KillSwitch]:
        """The journal, HTTP and plan-file writes pass through the switch while inside."""
        saved: list[tuple[type, str, Any]] = []

        def wrap(owner: type, name: str, make: Callable[[Any], Any]) -> None:
            original = getattr(owner, name)
            saved.append((owner, name, owner.__dict__.get(name)))
            setattr(owner, name, functools.wraps(original)(make(original)))

        for name in JOURNAL:
            wrap(Store, name, lambda original, name=name: self._sync_wrapper(original, name))
        wrap(LocalPlanFile, "write", lambda original: self._sync_wrapper(original, "plan file"))
        wrap(HttpClient, "request", self._http_wrapper)
        try:
            yield self
        finally:
            for owner, name, previous in reversed(saved):
                if previous is None:
                    delattr(owner, name)
                else:
                    setattr(owner, name, previous)

    def _sync_wrapper(self, original: Callable[..., Any], name: str) -> Callable[..., Any]:
        label = "vendor plan file" if name == "plan file" else f"journal {name}"

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            number = self._before(label)
            result = original(*args, **kwargs)
            self._after(number)
            return result

        return wrapper

    def _http_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(client: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if method.upper() == "GET" or _READS.search(url):
                return await original(client, method, url, *args, **kwargs)
            number = self._before(f"vendor {method.upper()} {url}")
            response = await original(client, method, url, *args, **kwargs)
            self._after(number)
            return response

        return wrapper


# POSTs that only read: Jira's JQL search (Cloud's /search/jql, Data Center's /search).
_READS = re.compile(r"/rest/api/\d/search(/jql)?$")
