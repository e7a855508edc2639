"""People working in each tool of ``syncd demo``, for the fault-injection tests.

Each user acts as a person does: through the tool's own REST API over real HTTP (the Jira,
Asana and Trello stand-ins), or by editing the plan file the way Microsoft Project saves it.
Nothing goes through syncd's adapters, so a test sees syncd's work from the outside.

- ``tasks()`` lists every live task-kind record as the person sees it: no milestones, nothing
  archived, closed or trashed. It is a list, so a duplicate shows twice.
- ``create``, ``set_due``, ``set_status`` and ``delete`` are one ordinary edit each. Every
  record except a new one is found by its title.

A title that names no record, or names two, raises LookupError (callers keep titles unique).
Deleting a record that has subtasks deletes them too, as each tool does: Jira's delete dialog,
Asana's trash and Project's summary rows all take the subtree with them.

Statuses are canonical (todo, in_progress, done), read through the member's config: Jira's
``status_map`` then the status category, Asana's ``completed`` then the section's
``status_map``, Trello's list in ``status_map``, the plan's % complete. A section or list that
the config does not map reads as None (where syncd's adapters read todo, or Trello's
``dueComplete``).
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from adapters.base import DemoSite
from syncd.demo import TIMEZONE
from tests.faults.users.asana import AsanaUser
from tests.faults.users.common import Seen, User
from tests.faults.users.jira import JiraUser
from tests.faults.users.plan import PlanUser
from tests.faults.users.trello import TrelloUser

__all__ = ["Seen", "User", "users"]


def users(sites: Mapping[str, DemoSite], *, timezone: str = TIMEZONE) -> dict[str, User]:
    """A user for each site, keyed like ``sites``.

    Args:
        timezone: the group's time zone, in which Trello and Asana due instants fall on a day
            (``syncd demo``'s by default).

    Raises:
        ValueError: a site of a tool (or a configuration) these users do not work with.
    """
    made: dict[str, User] = {}
    for name, site in sites.items():
        kind = site.connection["type"]
        if kind == "msproject":
            made[name] = PlanUser(name, site)
        elif kind == "jira":
            made[name] = JiraUser(name, site)
        elif kind == "asana":
            made[name] = AsanaUser(name, site, ZoneInfo(timezone))
        elif kind == "trello":
            made[name] = TrelloUser(name, site, timezone)
        else:
            raise ValueError(f"no simulated user works in {kind!r} ({name})")
    return made
