"""Every error syncd raises on purpose, in one tree.

```
SyncdError
├── ConfigError                 bad config: names the file, line and key; exit code 2
├── StoreError                  the state store cannot be opened, migrated or read
│   └── StoreCorrupt            the database file is not a syncd state store, or is damaged
├── AdapterError                something an adapter met; carries the member name
│   ├── MemberError             the whole member is unusable this run (auth, scope, outage)
│   │   ├── RateLimited         the vendor asked us to wait longer than we may
│   │   └── Replan              its data changed under syncd (a file saved meanwhile): read
│   │                           it again and plan again, at once
│   ├── RecordError             one record failed (read or write); the run goes on
│   │   ├── RecordNotFound      the record is gone from the system
│   │   └── PayloadError        the system sent a record we cannot parse
│   └── Unsupported             the system cannot do what was asked (a missing capability)
├── SafetyRefusal               syncd refused to do something that would be unsafe
│   ├── MassDeleteRefused       a listing would delete more than max_delete_ratio
│   └── StalePlan               a saved plan no longer matches what the systems hold
└── SimulatedCrash              raised by fault injection to stand for a killed process
```

Messages never contain secrets: adapters build them from ids and vendor error texts, and the
logging layer redacts whatever slips through.
"""

from __future__ import annotations


class SyncdError(Exception):
    """The root of syncd's own errors."""


class ConfigError(SyncdError):
    """The configuration is invalid. ``problems`` holds one line per problem, with its place."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class StoreError(SyncdError):
    """The state store could not be used."""


class LinkTaken(StoreError):
    """An external id is already linked to another record of the group in that member."""


class StoreCorrupt(StoreError):
    """The state database is damaged or not ours."""


class AdapterError(SyncdError):
    """An error met by an adapter while talking to its system."""

    def __init__(self, message: str, *, member: str | None = None) -> None:
        self.member = member
        super().__init__(message)


class MemberError(AdapterError):
    """The member cannot be used this run: nothing of it is read or written."""


class RateLimited(MemberError):
    """The system throttled us for longer than we are willing to wait."""

    def __init__(self, message: str, *, member: str | None = None, retry_after: float = 0) -> None:
        self.retry_after = retry_after
        super().__init__(message, member=member)


class Replan(MemberError):
    """The member's data changed while syncd planned (a person saved the plan file): nothing
    of the write was made, and the engine reads the member again and re-plans in the same
    sync, instead of overwriting the person's work."""


class RecordError(AdapterError):
    """One record could not be read or written; the others go on."""

    def __init__(
        self, message: str, *, member: str | None = None, external_id: str | None = None
    ) -> None:
        self.external_id = external_id
        super().__init__(message, member=member)


class RecordNotFound(RecordError):
    """The record does not exist (any more) in the system."""


class PayloadError(RecordError):
    """The system sent a record that does not parse; it is skipped, never written from."""


class OutcomeUnknown(RecordError):
    """A write that may or may not have happened: it timed out, its connection dropped, the
    vendor answered 500/502/504, or its answer could not be read. A create's intent stays
    pending, so the next run looks for the record (by marker, else kind and title) before it
    would create it again."""


class Unsupported(AdapterError):
    """The system cannot represent or perform what was asked."""


class SafetyRefusal(SyncdError):
    """syncd refused an operation that would risk data."""


class MassDeleteRefused(SafetyRefusal):
    """A complete listing would delete too large a share of a member's records."""


class StalePlan(SafetyRefusal):
    """A saved plan's records changed since it was made."""


class SimulatedCrash(SyncdError):
    """Fault injection's stand-in for a process killed at this point (tests only)."""
