"""Writing issue fields as Jira does: ``fields`` (set) and ``update`` (add/remove/set operations).

Every refusal is collected by field and answered at once as Jira does:
``400 {"errorMessages": [], "errors": {"summary": "...", "labels": "..."}}``.
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from adapters.jira.simulator.errors import FieldProblem, JiraError
from adapters.jira.simulator.model import Flavor, Issue, Project, User
from adapters.jira.simulator.store import Store

Json = dict[str, Any]
Setter = Callable[["IssueWriter", Issue, Any], None]
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhm])", re.IGNORECASE)
_UNIT_SECONDS = {"w": 5 * 8 * 3600, "d": 8 * 3600, "h": 3600, "m": 60}


def cannot_set(field_id: str) -> str:
    """Jira's refusal of a field that is read-only, unknown, or not on the screen."""
    return f"Field '{field_id}' cannot be set. It is not on the appropriate screen, or unknown."


def parse_duration(text: str) -> int:
    """Seconds of a Jira duration (``1w 2d 3h 30m``; a bare number is minutes).

    Raises:
        ValueError: not a duration.
    """
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return int(text) * 60
    if not text or _DURATION.sub("", text).strip():
        raise ValueError(text)
    return int(sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in _DURATION.findall(text)))


@dataclass
class PendingLink:
    """An ``update.issuelinks`` add, made once the issue exists."""

    type_id: str
    other_id: int
    this_is_outward: bool


@dataclass
class IssueWriter:
    """Applies one request's fields and update operations to a draft issue."""

    store: Store
    flavor: Flavor
    user: User
    errors: dict[str, str] = field(default_factory=dict)
    links: list[PendingLink] = field(default_factory=list)

    # --- the two requests ----------------------------------------------------------------------

    def create(self, body: Json) -> Issue:
        """A new issue (without id or key yet) from a ``POST /issue`` body.

        Raises:
            JiraError: 400 with the refusals by field.
        """
        fields, update = _parts(body)
        project = self._project(fields.get("project"))
        draft = self._new_issue(project, fields.get("issuetype"))
        for field_id, value in fields.items():
            if field_id not in ("project", "issuetype"):
                self._set(draft, field_id, value)
        self._apply_update(draft, update, set(fields))
        self._check_required(draft)
        self._raise_if_refused()
        draft.properties.update(_properties(body))
        return draft

    def edit(self, issue: Issue, body: Json) -> Issue:
        """A changed copy of ``issue`` after a ``PUT /issue/{id}`` body.

        Raises:
            JiraError: 400 with the refusals by field.
        """
        fields, update = _parts(body)
        draft = issue.model_copy(deep=True)
        for field_id, value in fields.items():
            if field_id == "project":
                self.errors[field_id] = cannot_set(field_id)
            elif field_id == "issuetype":
                self._change_type(draft, value)
            else:
                self._set(draft, field_id, value)
        self._apply_update(draft, update, set(fields))
        self._raise_if_refused()
        draft.properties.update(_properties(body))
        return draft

    def _raise_if_refused(self) -> None:
        if self.errors:
            raise JiraError(400, errors=self.errors)

    # --- project and type ---------------------------------------------------------------------

    def _project(self, ref: Any) -> Project | None:
        ident = _ref(ref, "id", "key")
        project = self.store.project(ident)
        if project is None or not self.store.allowed(self.user, project, "BROWSE_PROJECTS"):
            self.errors["project"] = "Specify a valid project ID or key"
            return None
        if not self.store.allowed(self.user, project, "CREATE_ISSUES"):
            self.errors["project"] = "You do not have permission to create issues in this project."
        return project

    def _new_issue(self, project: Project | None, type_ref: Any) -> Issue:
        now = self.store.now()
        issue_type = self._issue_type(project, type_ref) if project else None
        return Issue(
            id=0,
            key="",
            project_id=project.id if project else 0,
            type_id=issue_type or "",
            status_id=project.workflow.initial if project else "",
            reporter=self.user.account_id,
            creator=self.user.account_id,
            created=now,
            updated=now,
            status_changed=now,
        )

    def _issue_type(self, project: Project, ref: Any) -> str | None:
        if ref is None:
            self.errors["issuetype"] = "Specify an issue type"
            return None
        wanted = _ref(ref, "id", "name")
        for issue_type in self.store.project_issue_types(project):
            if wanted is not None and wanted.casefold() in (
                issue_type.id,
                issue_type.name.casefold(),
            ):
                return issue_type.id
        self.errors["issuetype"] = "The issue type selected is invalid."
        return None

    def _change_type(self, draft: Issue, ref: Any) -> None:
        new = self._issue_type(self.store.project_of(draft), ref)
        if new is None:
            return
        old_level = self.store.issue_type(draft.type_id).hierarchy_level
        if self.store.issue_type(new).hierarchy_level != old_level:
            self.errors["issuetype"] = "The issue type selected is invalid."
            return
        draft.type_id = new

    def _check_required(self, draft: Issue) -> None:
        if not draft.values.get("summary") and "summary" not in self.errors:
            self.errors["summary"] = "You must specify a summary of the issue."
        subtask = bool(draft.type_id) and self.store.issue_type(draft.type_id).subtask
        if subtask and draft.parent_id is None and "parent" not in self.errors:
            self.errors["parent"] = (
                "Issue type is a sub-task but parent issue key or id not specified."
            )

    # --- fields ---------------------------------------------------------------------------------

    def _set(self, draft: Issue, field_id: str, value: Any) -> None:
        setter = _SETTERS.get(field_id)
        definition = self.store.field(field_id)
        if setter is None and definition is not None and definition.custom:
            setter = _CUSTOM_SETTERS[definition.kind](field_id)
        if setter is None or definition is None or not definition.editable:
            self.errors[field_id] = cannot_set(field_id)
            return
        try:
            setter(self, draft, value)
        except FieldProblem as problem:
            self.errors[field_id] = str(problem)

    def _apply_update(self, draft: Issue, update: Json, in_fields: set[str]) -> None:
        for field_id, operations in update.items():
            if field_id in in_fields:
                self.errors[field_id] = (
                    f"Field '{field_id}' cannot be set in both fields and update."
                )
                continue
            if not isinstance(operations, list):
                self.errors[field_id] = "Operations must be a list."
                continue
            for operation in operations:
                self._operate(draft, field_id, operation)

    def _operate(self, draft: Issue, field_id: str, operation: Any) -> None:
        if not isinstance(operation, dict) or len(operation) != 1:
            self.errors[field_id] = "Each operation must name one verb: add, remove or set."
            return
        ((verb, value),) = operation.items()
        if verb == "set":
            self._set(draft, field_id, value)
            return
        handler = _LIST_OPERATIONS.get(field_id)
        if handler is None or verb not in ("add", "remove"):
            self.errors[field_id] = f"Field '{field_id}' does not support operation '{verb}'."
            return
        try:
            handler(self, draft, verb, value)
        except FieldProblem as problem:
            self.errors[field_id] = str(problem)

    # --- references -----------------------------------------------------------------------------

    def user_ref(self, value: Any) -> str | None:
        """The account id of a user reference (``{"accountId"}`` on Cloud, ``{"name"}`` on DC)."""
        if value is None:
            return None
        keys = ("accountId", "id") if self.flavor == "cloud" else ("name", "key")
        if not isinstance(value, dict):
            raise FieldProblem(f"expected an object with '{keys[0]}'")
        ident = next((value[k] for k in keys if k in value), None)
        if ident is None:
            return None
        user = (
            self.store.user(str(ident))
            if self.flavor == "cloud"
            else self.store.user_by_name(str(ident))
        )
        if user is None:
            raise FieldProblem(f"User '{ident}' does not exist.")
        if not user.active:
            raise FieldProblem(f"User '{ident}' cannot be assigned issues.")
        return user.account_id

    def version_ref(self, draft: Issue, value: Any) -> int:
        if not isinstance(value, dict):
            raise FieldProblem("Versions are objects with an id or a name.")
        if "id" in value:
            version = self.store.version(value["id"])
            problem = f"Version id '{value['id']}' is not valid"
        else:
            name = str(value.get("name", ""))
            project = self.store.state.projects.get(draft.project_id)
            found = self.store.project_versions(project) if project else []
            version = next((v for v in found if v.name == name), None)
            problem = f"Version name '{name}' is not valid"
        if version is None or version.project_id != draft.project_id:
            raise FieldProblem(problem)
        return version.id

    def issue_ref(self, value: Any) -> Issue:
        ident = _ref(value, "id", "key")
        issue = self.store.issue(ident)
        if issue is None or not self.store.allowed(
            self.user, self.store.project_of(issue), "BROWSE_PROJECTS"
        ):
            raise FieldProblem(
                f"Issue '{ident}' does not exist or you do not have permission to see it."
            )
        return issue


def _parts(body: Json) -> tuple[Json, Json]:
    fields = body.get("fields") or {}
    update = body.get("update") or {}
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise JiraError(400, "Can not deserialize 'fields' or 'update': expected objects.")
    return fields, update


def _properties(body: Json) -> Json:
    """The ``properties`` of a create or edit body: ``[{"key": ..., "value": ...}]``."""
    listed = body.get("properties") or []
    if not isinstance(listed, list) or not all(
        isinstance(p, dict) and p.get("key") for p in listed
    ):
        raise JiraError(400, "properties must be a list of {key, value} objects.")
    return {str(p["key"]): p.get("value") for p in listed}


def _ref(value: Any, *keys: str) -> str | None:
    if isinstance(value, dict):
        found = next((value[k] for k in keys if value.get(k) is not None), None)
        return str(found) if found is not None else None
    return None


# --- setters ------------------------------------------------------------------------------------


def _summary(w: IssueWriter, draft: Issue, value: Any) -> None:
    if not isinstance(value, str):
        raise FieldProblem("Operation value must be a string")
    if not value.strip():
        raise FieldProblem("You must specify a summary of the issue.")
    if len(value) > 255:
        raise FieldProblem("Summary must be less than 255 characters.")
    draft.values["summary"] = value


def _description(w: IssueWriter, draft: Issue, value: Any) -> None:
    if w.flavor == "cloud":
        # REST v3 takes descriptions in Atlassian Document Format only.
        # https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
        if value is not None and not _is_adf(value):
            raise FieldProblem(
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
    elif value is not None and not isinstance(value, str):
        raise FieldProblem("Operation value must be a string")
    draft.values["description"] = value


def _is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def _date(field_id: str) -> Setter:
    def setter(w: IssueWriter, draft: Issue, value: Any) -> None:
        if value is not None:
            try:
                date.fromisoformat(value if isinstance(value, str) and len(value) == 10 else "")
            except ValueError:
                raise FieldProblem(f"Error parsing date string: {value}") from None
        draft.values[field_id] = value

    return setter


def _user_field(attribute: str) -> Setter:
    def setter(w: IssueWriter, draft: Issue, value: Any) -> None:
        setattr(draft, attribute, w.user_ref(value))

    return setter


def _labels(w: IssueWriter, draft: Issue, value: Any) -> None:
    if not isinstance(value, list):
        raise FieldProblem("Labels are a list of strings.")
    draft.labels = _valid_labels(value)


def _valid_labels(values: list[Any]) -> list[str]:
    for label in values:
        if not isinstance(label, str) or not label:
            raise FieldProblem("Labels are non-empty strings.")
        if any(c.isspace() for c in label):
            raise FieldProblem(f"The label '{label}' contains spaces which is invalid.")
        if len(label) > 255:
            raise FieldProblem(
                f"The label '{label}' exceeds the maximum length for a single label "
                "of 255 characters."
            )
    return sorted(set(values))


def _fix_versions(w: IssueWriter, draft: Issue, value: Any) -> None:
    if not isinstance(value, list):
        raise FieldProblem("Fix versions are a list of versions.")
    draft.fix_version_ids = sorted({w.version_ref(draft, v) for v in value})


def _parent(w: IssueWriter, draft: Issue, value: Any) -> None:
    level = w.store.issue_type(draft.type_id).hierarchy_level if draft.type_id else 0
    if value is None or _ref(value, "id", "key") is None:
        if level < 0:
            raise FieldProblem("A sub-task must have a parent.")
        draft.parent_id = None
        return
    if w.flavor == "dc" and level >= 0:
        # On Data Center, only sub-tasks have a parent (epics use the Epic Link field).
        raise FieldProblem(cannot_set("parent"))
    parent = w.issue_ref(value)
    if w.store.issue_type(parent.type_id).hierarchy_level != level + 1 or parent.id == draft.id:
        raise FieldProblem("Given parent work item does not belong to appropriate hierarchy.")
    if level < 0 and parent.project_id != draft.project_id:
        raise FieldProblem("A sub-task must be in the same project as its parent.")
    draft.parent_id = parent.id


def _timetracking(w: IssueWriter, draft: Issue, value: Any) -> None:
    if not isinstance(value, dict):
        raise FieldProblem("Time tracking is an object.")
    original = value.get("originalEstimate", value.get("remainingEstimate"))
    if original is None:
        draft.original_estimate = None
        return
    try:
        draft.original_estimate = parse_duration(str(original))
    except ValueError:
        raise FieldProblem("The original estimate specified is not valid.") from None


def _original_estimate(w: IssueWriter, draft: Issue, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise FieldProblem("The original estimate specified is not valid.")
    draft.original_estimate = value


def _number(field_id: str) -> Setter:
    def setter(w: IssueWriter, draft: Issue, value: Any) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise FieldProblem("Operation value must be a number")
        draft.values[field_id] = float(value) if value is not None else None

    return setter


def _text(field_id: str) -> Setter:
    def setter(w: IssueWriter, draft: Issue, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise FieldProblem("Operation value must be a string")
        if isinstance(value, str) and len(value) > 255:
            raise FieldProblem(
                "The entered text is too long. It exceeds the allowed limit of 255 characters."
            )
        draft.values[field_id] = value

    return setter


# --- update operations (add/remove) ------------------------------------------------------------


def _labels_op(w: IssueWriter, draft: Issue, verb: str, value: Any) -> None:
    (label,) = _valid_labels([value])
    kept = [x for x in draft.labels if x != label]
    draft.labels = sorted({*kept, label}) if verb == "add" else kept


def _versions_op(w: IssueWriter, draft: Issue, verb: str, value: Any) -> None:
    version_id = w.version_ref(draft, value)
    kept = [x for x in draft.fix_version_ids if x != version_id]
    draft.fix_version_ids = sorted({*kept, version_id}) if verb == "add" else kept


def _links_op(w: IssueWriter, draft: Issue, verb: str, value: Any) -> None:
    """``{"add": {"type": {"name": "Blocks"}, "outwardIssue": {"key": "X"}}}``: this blocks X."""
    if verb != "add" or not isinstance(value, dict):
        raise FieldProblem("Links are added with {'add': {type, inwardIssue|outwardIssue}}.")
    link_type = w.store.link_type(str(_ref(value.get("type"), "id", "name")))
    if link_type is None:
        raise FieldProblem("No issue link type with that name or id.")
    outward = "outwardIssue" in value
    other = w.issue_ref(value.get("outwardIssue" if outward else "inwardIssue"))
    w.links.append(PendingLink(link_type.id, other.id, this_is_outward=outward))


ListOperation = Callable[[IssueWriter, Issue, str, Any], None]
_LIST_OPERATIONS: dict[str, ListOperation] = {
    "labels": _labels_op,
    "fixVersions": _versions_op,
    "issuelinks": _links_op,
}
_CUSTOM_SETTERS: dict[str, Callable[[str], Setter]] = {
    "date": _date,
    "number": _number,
    "string": _text,
    "datetime": _text,
}
_SETTERS: dict[str, Setter] = {
    "summary": _summary,
    "description": _description,
    "duedate": _date("duedate"),
    "assignee": _user_field("assignee"),
    "reporter": _user_field("reporter"),
    "labels": _labels,
    "fixVersions": _fix_versions,
    "parent": _parent,
    "timetracking": _timetracking,
    "timeoriginalestimate": _original_estimate,
}
