"""The state with its indexes, lookups, permission checks and the writes every handler uses.

Stored issues are replaced, never changed in place (`Store.put_issue`); each write is reported
to ``on_issue_write`` (the search index keeps the previous version for a while).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.jira.simulator.errors import JiraError, issue_not_found
from adapters.jira.simulator.model import (
    FieldDef,
    Issue,
    IssueType,
    Link,
    LinkType,
    Project,
    Resolution,
    State,
    Status,
    User,
    Version,
)
from adapters.simulation import Clock, system_clock

IssueWrite = Callable[[int, Issue | None, Issue | None], None]


class Store:
    """The site's data. Not thread-safe by itself: the simulator serialises access."""

    def __init__(self, state: State, clock: Clock = system_clock) -> None:
        self.state = state
        self.clock = clock
        self.on_issue_write: IssueWrite | None = None
        self._keys: dict[str, int] = {}
        self._children: defaultdict[int, set[int]] = defaultdict(set)
        self._links: defaultdict[int, set[int]] = defaultdict(set)
        self._reindex()

    def _reindex(self) -> None:
        self._keys = {issue.key: issue.id for issue in self.state.issues.values()}
        for issue in self.state.issues.values():
            if issue.parent_id is not None:
                self._children[issue.parent_id].add(issue.id)
        for link in self.state.links.values():
            self._links[link.inward_id].add(link.id)
            self._links[link.outward_id].add(link.id)

    # --- time and ids ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock's time, to the millisecond as Jira stores it."""
        now = self.clock().astimezone(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def next_id(self, kind: str, start: int = 10000) -> int:
        """The next id of ``kind`` (issues, versions, links...): increasing integers."""
        value = self.state.next_ids.get(kind, start)
        self.state.next_ids[kind] = value + 1
        return value

    # --- lookups --------------------------------------------------------------------------------

    def user(self, account_id: str | None) -> User | None:
        return self.state.users.get(account_id) if account_id else None

    def user_by_name(self, name: str) -> User | None:
        """A user by Data Center username (or key), case-insensitively."""
        wanted = name.casefold()
        return next(
            (
                u
                for u in self.state.users.values()
                if wanted in (u.name.casefold(), u.key.casefold())
            ),
            None,
        )

    def authenticate(self, login: str | None, secret: str) -> User | None:
        """The user a basic pair (``login`` set) or a bearer token (``login`` None) belongs to."""
        for cred in self.state.credentials:
            if cred.secret == secret and _same_login(cred.login, login):
                return self.user(cred.account_id)
        return None

    def project(self, id_or_key: str | int | None) -> Project | None:
        if id_or_key is None:
            return None
        text = str(id_or_key)
        if text.isdigit():
            return self.state.projects.get(int(text))
        wanted = text.upper()
        return next((p for p in self.state.projects.values() if p.key == wanted), None)

    def issue(self, id_or_key: str | int | None) -> Issue | None:
        if id_or_key is None:
            return None
        text = str(id_or_key)
        if text.isdigit():
            return self.state.issues.get(int(text))
        found = self._keys.get(text.upper())
        return self.state.issues.get(found) if found is not None else None

    def status(self, status_id: str) -> Status:
        return self.state.statuses[status_id]

    def issue_type(self, type_id: str) -> IssueType:
        return self.state.issue_types[type_id]

    def project_issue_types(self, project: Project) -> list[IssueType]:
        return [self.state.issue_types[t] for t in project.issue_type_ids]

    def resolution(self, resolution_id: str | None) -> Resolution | None:
        return self.state.resolutions.get(resolution_id) if resolution_id else None

    def field(self, field_id: str) -> FieldDef | None:
        return self.state.fields.get(field_id)

    def link_type(self, id_or_name: str) -> LinkType | None:
        wanted = id_or_name.casefold()
        return next(
            (t for t in self.state.link_types.values() if wanted in (t.id, t.name.casefold())),
            None,
        )

    def version(self, version_id: str | int | None) -> Version | None:
        text = str(version_id)
        return self.state.versions.get(int(text)) if text.isdigit() else None

    def project_versions(self, project: Project) -> list[Version]:
        found = [v for v in self.state.versions.values() if v.project_id == project.id]
        return sorted(found, key=lambda v: v.id)

    def children(self, issue_id: int) -> list[Issue]:
        """The sub-tasks (or, for an epic, the child issues) of an issue, by id."""
        return [self.state.issues[i] for i in sorted(self._children.get(issue_id, ()))]

    def links_of(self, issue_id: int) -> list[Link]:
        return [self.state.links[i] for i in sorted(self._links.get(issue_id, ()))]

    def statuses_of(self, project: Project) -> list[Status]:
        ids = {project.workflow.initial, *(t.to for t in project.workflow.transitions)}
        return [self.state.statuses[s] for s in sorted(ids)]

    # --- permissions ----------------------------------------------------------------------------

    def allowed(self, user: User, project: Project, permission: str) -> bool:
        """Whether ``user`` holds ``permission`` in ``project``."""
        granted = user.project_permissions.get(project.key, user.permissions)
        return permission in granted

    def visible_issue(self, user: User, id_or_key: str | int | None) -> Issue:
        """The issue, if it exists and ``user`` may browse it; Jira's 404 otherwise."""
        issue = self.issue(id_or_key)
        if issue is None or not self.allowed(user, self.project_of(issue), "BROWSE_PROJECTS"):
            raise issue_not_found()
        return issue

    def project_of(self, issue: Issue) -> Project:
        return self.state.projects[issue.project_id]

    def visible_project(self, user: User, id_or_key: str | None) -> Project:
        project = self.project(id_or_key)
        if project is None or not self.allowed(user, project, "BROWSE_PROJECTS"):
            key = id_or_key or ""
            raise JiraError(404, f"No project could be found with key '{key}'.")
        return project

    # --- writes ---------------------------------------------------------------------------------

    def put_issue(self, issue: Issue) -> None:
        """Store a new or changed issue (a copy: never change a stored one in place)."""
        before = self.state.issues.get(issue.id)
        if before is not None and before.parent_id is not None:
            self._children[before.parent_id].discard(issue.id)
        if issue.parent_id is not None:
            self._children[issue.parent_id].add(issue.id)
        self.state.issues[issue.id] = issue
        self._keys[issue.key] = issue.id
        self._written(issue.id, before, issue)

    def delete_issue(self, issue: Issue) -> None:
        """Remove an issue and its links."""
        for link in self.links_of(issue.id):
            self.delete_link(link)
        if issue.parent_id is not None:
            self._children[issue.parent_id].discard(issue.id)
        self._children.pop(issue.id, None)
        del self.state.issues[issue.id]
        self._keys.pop(issue.key, None)
        self._written(issue.id, issue, None)

    def add_link(self, link: Link) -> None:
        self.state.links[link.id] = link
        self._links[link.inward_id].add(link.id)
        self._links[link.outward_id].add(link.id)

    def delete_link(self, link: Link) -> None:
        self.state.links.pop(link.id, None)
        self._links[link.inward_id].discard(link.id)
        self._links[link.outward_id].discard(link.id)

    def _written(self, issue_id: int, before: Issue | None, after: Issue | None) -> None:
        if self.on_issue_write is not None:
            self.on_issue_write(issue_id, before, after)


def _same_login(expected: str | None, given: str | None) -> bool:
    if expected is None or given is None:
        return expected is None and given is None
    return expected.casefold() == given.casefold()
