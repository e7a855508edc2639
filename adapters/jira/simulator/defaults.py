"""What a fresh simulated site holds: statuses, resolutions, issue types, fields, link types.

The ids are those of a new Jira Cloud site where Jira has fixed ones (status categories 2/4/3,
link type "Blocks" 10000, "Start date" customfield_10015).
"""

from __future__ import annotations

from adapters.jira.simulator.model import (
    FieldDef,
    IssueType,
    LinkType,
    Resolution,
    State,
    Status,
    Transition,
    Workflow,
)

TO_DO, IN_PROGRESS, DONE, IN_REVIEW = "10000", "3", "10001", "10002"
DONE_RESOLUTION = "10000"
START_DATE = "customfield_10015"
PLANNED_COST = "customfield_10050"
ACTUAL_COST = "customfield_10051"

STATUSES = (
    Status(id=TO_DO, name="To Do", category="new"),
    Status(id=IN_PROGRESS, name="In Progress", category="indeterminate"),
    Status(id=DONE, name="Done", category="done"),
    Status(id=IN_REVIEW, name="In Review", category="indeterminate"),
)
RESOLUTIONS = (
    Resolution(id=DONE_RESOLUTION, name="Done", description="Work has been completed."),
    Resolution(id="10001", name="Won't Do", description="This will not be worked on."),
    Resolution(id="10002", name="Duplicate", description="The problem is a duplicate."),
    Resolution(id="10003", name="Cannot Reproduce", description="Cannot be reproduced."),
)
ISSUE_TYPES = (
    IssueType(id="10000", name="Epic", description="A big user story.", hierarchy_level=1),
    IssueType(id="10001", name="Task", description="A small, distinct piece of work."),
    IssueType(
        id="10002",
        name="Sub-task",
        description="A small piece of work that's part of a larger task.",
        subtask=True,
        hierarchy_level=-1,
    ),
    IssueType(id="10003", name="Story", description="A user story."),
    IssueType(id="10004", name="Bug", description="A problem or error."),
)
LINK_TYPES = (
    LinkType(id="10000", name="Blocks", inward="is blocked by", outward="blocks"),
    LinkType(id="10001", name="Cloners", inward="is cloned by", outward="clones"),
    LinkType(id="10002", name="Duplicate", inward="is duplicated by", outward="duplicates"),
    LinkType(id="10003", name="Relates", inward="relates to", outward="relates to"),
)

_DATEPICKER = "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"
_FLOAT = "com.atlassian.jira.plugin.system.customfieldtypes:float"
_TEXT = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
_DATETIME = "com.atlassian.jira.plugin.system.customfieldtypes:datetime"
CUSTOM_TYPES = {"date": _DATEPICKER, "number": _FLOAT, "string": _TEXT, "datetime": _DATETIME}


def _system(
    id: str,
    name: str,
    schema_type: str | None,
    *,
    kind: str = "system",
    items: str | None = None,
    editable: bool = True,
    navigable: bool = True,
    orderable: bool = True,
) -> FieldDef:
    return FieldDef.model_validate(
        {
            "id": id,
            "name": name,
            "kind": kind,
            "schema_type": schema_type,
            "items": items,
            "editable": editable,
            "navigable": navigable,
            "orderable": orderable,
        }
    )


SYSTEM_FIELDS = (
    _system("summary", "Summary", "string", kind="string"),
    _system("description", "Description", "string", kind="text", orderable=False),
    _system("issuetype", "Issue Type", "issuetype"),
    _system("project", "Project", "project", editable=False),
    _system("status", "Status", "status", editable=False),
    _system("statuscategorychangedate", "Status Category Changed", "datetime", editable=False),
    _system("resolution", "Resolution", "resolution", editable=False),
    _system("resolutiondate", "Resolved", "datetime", editable=False),
    _system("assignee", "Assignee", "user"),
    _system("reporter", "Reporter", "user"),
    _system("creator", "Creator", "user", editable=False),
    _system("labels", "Labels", "array", items="string"),
    _system("fixVersions", "Fix versions", "array", items="version"),
    _system("parent", "Parent", None, orderable=False),
    _system("subtasks", "Sub-tasks", "array", items="issuelinks", editable=False),
    _system("issuelinks", "Linked Issues", "array", items="issuelinks", editable=False),
    _system("duedate", "Due date", "date", kind="date"),
    _system("timetracking", "Time tracking", "timetracking", navigable=False),
    _system("timeoriginalestimate", "Original estimate", "number"),
    _system("timeestimate", "Remaining Estimate", "number", editable=False),
    _system("created", "Created", "datetime", editable=False),
    _system("updated", "Updated", "datetime", editable=False),
)


def custom_field(id: str, name: str, kind: str) -> FieldDef:
    """A custom field of ``kind`` ``date``, ``datetime``, ``number`` or ``string``."""
    schema_type = "date" if kind == "date" else kind
    return FieldDef.model_validate(
        {
            "id": id,
            "name": name,
            "kind": kind,
            "schema_type": schema_type,
            "custom_type": CUSTOM_TYPES[kind],
        }
    )


CUSTOM_FIELDS = (
    custom_field(START_DATE, "Start date", "date"),
    custom_field(PLANNED_COST, "Planned cost", "number"),
    custom_field(ACTUAL_COST, "Actual cost", "number"),
)


def default_workflow(*, review: bool = False) -> Workflow:
    """To Do -> In Progress -> Done, Done -> To Do ("Reopen"); with ``review``, an In Review
    status between In Progress and Done. Transitions into Done offer a resolution screen and
    set "Done" when none is given."""
    transitions = [
        Transition(id="11", name="Start Progress", to=IN_PROGRESS, sources=[TO_DO]),
        Transition(id="31", name="Stop Progress", to=TO_DO, sources=[IN_PROGRESS]),
        Transition(id="41", name="Reopen", to=TO_DO, sources=[DONE]),
    ]
    done_from = [IN_REVIEW] if review else [IN_PROGRESS]
    transitions.append(_to_done("21", "Done", done_from))
    if review:
        transitions += [
            Transition(id="51", name="Review", to=IN_REVIEW, sources=[IN_PROGRESS]),
            Transition(id="61", name="Request Changes", to=IN_PROGRESS, sources=[IN_REVIEW]),
        ]
    return Workflow(initial=TO_DO, transitions=transitions)


def _to_done(id: str, name: str, sources: list[str]) -> Transition:
    return Transition(
        id=id,
        name=name,
        to=DONE,
        sources=sources,
        resolution="optional",
        default_resolution=DONE_RESOLUTION,
    )


def seed(state: State) -> None:
    """Put a fresh site's configuration into ``state``."""
    state.statuses.update({s.id: s for s in STATUSES})
    state.resolutions.update({r.id: r for r in RESOLUTIONS})
    state.issue_types.update({t.id: t for t in ISSUE_TYPES})
    state.link_types.update({t.id: t for t in LINK_TYPES})
    state.fields.update({f.id: f for f in (*SYSTEM_FIELDS, *CUSTOM_FIELDS)})
