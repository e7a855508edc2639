"""The structure of one MSPDI plan: its tasks in outline order, resources and assignments.

A ``Schedule`` indexes a parsed ``Document`` and performs the structural edits syncd needs
(adding, moving and removing tasks, people and assignments) the way Microsoft Project would:

- ``UID`` is the stable id and never changes; ``ID`` is the row number, renumbered after a
  structural change. UID 0 is the project summary task (``OutlineLevel`` 0).
- The outline is the order of ``<Task>`` elements plus ``OutlineLevel``: a task's parent is the
  nearest task above it one level up. ``OutlineNumber`` (and ``WBS`` where it follows the
  outline) are derived from it and rewritten only where they change.
- Summary tasks roll up dates, work and costs from their subtasks; syncd never writes those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from adapters.msproject import xmldoc
from adapters.msproject.schema import ORDER
from adapters.msproject.xmldoc import Document, Element, child, children, text

# Project's own FieldIDs of the task text fields (pjCustomTaskText1..30): the ids are not
# sequential, and a file only defines the ones it uses in <ExtendedAttributes>.
TEXT_FIELD_IDS: dict[str, int] = {
    "Text1": 188743731,
    "Text2": 188743734,
    "Text3": 188743737,
    "Text4": 188743740,
    "Text5": 188743743,
    "Text6": 188743746,
    "Text7": 188743747,
    "Text8": 188743748,
    "Text9": 188743749,
    "Text10": 188743750,
    **{f"Text{n}": 188743997 + n - 11 for n in range(11, 31)},
}
NO_RESOURCE = -65535  # an assignment's ResourceUID when the task has no resource (Project's own)


@dataclass
class Node:
    """One task's place in the outline."""

    element: Element
    uid: int
    level: int
    parent: int | None = None  # the parent's UID (None for the project summary task)
    kids: list[int] = field(default_factory=list)
    kind: Literal["task", "milestone"] | None = None  # None: the row is not a record

    def classify(self) -> None:
        """Read what kind of record the task is (kept so listings need no XML look-ups)."""
        element = self.element
        if flag(element, "IsNull") or flag(element, "ExternalTask"):
            self.kind = None  # blank rows and links to other projects' tasks are not records
        elif (text(element, "Active") or "1").strip() == "0":
            self.kind = None  # inactive (archived) tasks
        else:
            self.kind = "milestone" if flag(element, "Milestone") else "task"


FINISH_TO_START = "1"


def link_type(link: Element) -> str:
    """A PredecessorLink's type: 0=FF, 1=FS, 2=SF, 3=SS; Project omits its default, FS."""
    return (text(link, "Type") or FINISH_TO_START).strip()


def int_of(element: Element, name: str, default: int | None = None) -> int | None:
    """A child's integer value (``default`` when absent or not a number)."""
    raw = text(element, name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        return default


def flag(element: Element, name: str) -> bool:
    """A child's boolean value (MSPDI writes 0/1; some tools write true/false)."""
    return (text(element, name) or "").strip().lower() in ("1", "true")


def parse_datetime(raw: str | None) -> dt.datetime | None:
    """An MSPDI date-time (local, no zone): ``2018-10-18T08:00:00``."""
    if raw is None or raw.strip() == "":
        return None
    return dt.datetime.fromisoformat(raw.strip()).replace(tzinfo=None)


def format_datetime(value: dt.datetime) -> str:
    """A date-time as Project writes it."""
    return value.strftime("%Y-%m-%dT%H:%M:%S")


class Schedule:
    """The tasks, resources and assignments of one document, indexed."""

    def __init__(self, doc: Document, uid_field: str = "Text30", retired: int = 0) -> None:
        self.doc = doc
        self.uid_field = uid_field
        # The highest task UID the plan is known to have had (a task deleted since keeps its
        # UID out of use): a new task never takes the UID of a task syncd still links.
        self.retired = retired
        self.reindex()

    # -- indexes ------------------------------------------------------------------------------

    def reindex(self) -> None:
        """Rebuild every index from the tree (after a structural change)."""
        self.generation = getattr(self, "generation", 0) + 1
        tasks = self.doc.section("Tasks")
        self.nodes: dict[int, Node] = {}
        self.order: list[int] = []
        self.milestones: set[int] = set()
        stack: list[Node] = []
        for element in children(tasks, "Task") if tasks is not None else ():
            uid = int_of(element, "UID")
            if uid is None or uid in self.nodes:
                continue  # no (or a repeated) UID: not addressable, kept untouched
            level = _level(element, uid)
            node = Node(element, uid, level)
            node.classify()
            while stack and stack[-1].level >= level:
                stack.pop()
            if stack:
                node.parent = stack[-1].uid
                stack[-1].kids.append(uid)
            stack.append(node)
            self.nodes[uid] = node
            self.order.append(uid)
            if node.kind == "milestone":
                self.milestones.add(uid)
        self.relink()

    def relink(self) -> None:
        """Rebuild the indexes of people, assignments and milestone links (not the outline)."""
        self.resources = self._index("Resources", "Resource")
        self.assignments = self._index("Assignments", "Assignment")
        self.by_task: dict[int, list[Element]] = {}  # a task's assignments, in file order
        for assignment in self.assignments.values():
            task = int_of(assignment, "TaskUID")
            if task is not None:
                self.by_task.setdefault(task, []).append(assignment)
        self.milestone_of: dict[int, int] = {}  # task -> the milestone it leads to (FS link)
        for uid in sorted(self.milestones, key=self.order.index):
            element = self.nodes[uid].element
            for link in children(element, "PredecessorLink"):
                source = int_of(link, "PredecessorUID")
                if source is not None and source != uid and link_type(link) == FINISH_TO_START:
                    self.milestone_of.setdefault(source, uid)

    def _index(self, section: str, name: str) -> dict[int, Element]:
        found = self.doc.section(section)
        out: dict[int, Element] = {}
        for element in children(found, name) if found is not None else ():
            uid = int_of(element, "UID")
            if uid is not None and uid not in out:
                out[uid] = element
        return out

    def task(self, uid: int) -> Element | None:
        """The task with this UID."""
        node = self.nodes.get(uid)
        return node.element if node else None

    def by_outline(self, number: str) -> Node | None:
        """The task with this outline number."""
        for node in self.nodes.values():
            if (text(node.element, "OutlineNumber") or "").strip() == number:
                return node
        return None

    def descendants(self, uid: int) -> Iterator[int]:
        """Every task under ``uid``, in outline order."""
        for kid in self.nodes[uid].kids:
            yield kid
            yield from self.descendants(kid)

    def is_summary(self, uid: int) -> bool:
        """Whether the task rolls up others (it has subtasks, or says it is a summary)."""
        node = self.nodes[uid]
        return bool(node.kids) or flag(node.element, "Summary")

    # -- the header ---------------------------------------------------------------------------

    def header(self, name: str) -> str | None:
        """A project-level value (``CurrencyCode``, ``DefaultStartTime``, ...)."""
        return text(self.doc.root, name)

    def header_time(self, name: str, default: dt.time) -> dt.time:
        """A project-level time of day such as ``DefaultStartTime``."""
        raw = self.header(name)
        try:
            return dt.time.fromisoformat(raw.strip()) if raw else default
        except ValueError:
            return default

    # -- the uid marker (an extended attribute) -----------------------------------------------

    def marker_field_id(self) -> int:
        """The FieldID of the member's uid field: as the file defines it, else Project's."""
        definitions = self.doc.section("ExtendedAttributes")
        for definition in (
            children(definitions, "ExtendedAttribute") if definitions is not None else ()
        ):
            if (text(definition, "FieldName") or "").strip() == self.uid_field:
                found = int_of(definition, "FieldID")
                if found is not None:
                    return found
        return TEXT_FIELD_IDS[self.uid_field]

    def define_marker_field(self) -> None:
        """Declare the uid field in ``<ExtendedAttributes>`` (with an alias) if it is not."""
        field_id = self.marker_field_id()
        definitions = self.doc.section("ExtendedAttributes", create=True)
        assert definitions is not None
        for definition in children(definitions, "ExtendedAttribute"):
            if int_of(definition, "FieldID") == field_id:
                return
        new = self.doc.new(
            "ExtendedAttribute",
            [("FieldID", str(field_id)), ("FieldName", self.uid_field), ("Alias", "syncd uid")],
        )
        self.append(definitions, new, depth=2)

    def marker(self, task: Element) -> str | None:
        """syncd's uid kept on a task, if any."""
        attribute = self._marker_attribute(task)
        value = text(attribute, "Value") if attribute is not None else None
        return value.strip() if value and value.strip() else None

    def set_marker(self, task: Element, uid: str) -> None:
        """Keep syncd's uid on a task."""
        self.define_marker_field()
        attribute = self._marker_attribute(task)
        if attribute is None:
            attribute = self.doc.new(
                "ExtendedAttribute", [("FieldID", str(self.marker_field_id())), ("Value", uid)]
            )
            self.insert(task, attribute, "Task")
            return
        self.doc.set_text(attribute, "Value", uid, "TaskExtendedAttribute")

    def _marker_attribute(self, task: Element) -> Element | None:
        field_id = self.marker_field_id()
        for attribute in children(task, "ExtendedAttribute"):
            if int_of(attribute, "FieldID") == field_id:
                return attribute
        return None

    # -- structural edits ---------------------------------------------------------------------

    def insert(self, parent: Element, element: Element, kind: str) -> None:
        """Insert a new child in schema order, laid out like its siblings."""
        depth = _depth(parent) + 1
        xmldoc.insert_ordered(parent, element, ORDER.get(kind, ()))
        xmldoc.indent_like(element, _sibling(parent, element), depth)

    def append(self, parent: Element, element: Element, *, depth: int) -> None:
        """Append a new repeated element (a Task, Resource, ...) after its last sibling."""
        last = parent[-1] if len(parent) else None
        if last is None:
            parent.append(element)
            return
        xmldoc.insert_after(last, element)
        xmldoc.indent_like(element, last, depth)

    def place_task(self, element: Element, parent: int | None, after: int | None) -> None:
        """Put a new task element right after task ``after`` (the end of ``parent``'s subtree,
        or first), and give it its row number and outline number."""
        tasks = self.doc.section("Tasks", create=True)
        assert tasks is not None
        anchor = self.task(after) if after is not None else None
        if anchor is None:
            if len(tasks):
                self._before_first(tasks, element)
            else:
                self.append(tasks, element, depth=2)
            self.reindex()
            self.renumber()
            return
        xmldoc.insert_after(anchor, element)
        xmldoc.indent_like(element, anchor, 2)
        self._index_new(element, parent, self.order.index(after) + 1)  # type: ignore[arg-type]

    def _index_new(self, element: Element, parent: int | None, position: int) -> None:
        """Index a task just placed at the end of ``parent``'s subtree, and number it.

        Only the new task's numbers are made and the rows below it move down one: a full
        renumbering would visit every task of a large plan for each task added.
        """
        uid = int_of(element, "UID")
        assert uid is not None
        node = Node(element, uid, int_of(element, "OutlineLevel", 1) or 1, parent)
        node.classify()
        self.nodes[uid] = node
        self.order.insert(position, uid)
        self.generation += 1
        if node.kind == "milestone":
            self.milestones.add(uid)
        above = self.nodes[self.order[position - 1]].element
        self._set_if(element, "ID", str((int_of(above, "ID", position - 1) or 0) + 1))
        for later in self.order[position + 1 :]:
            row = self.nodes[later].element
            self._set_if(row, "ID", str((int_of(row, "ID", 0) or 0) + 1))
        siblings = self.nodes[parent].kids if parent is not None else self._top_level()
        if parent is not None:
            siblings.append(uid)
        prefix = text(self.nodes[parent].element, "OutlineNumber") if parent is not None else None
        count = len(siblings)  # the new task is the last of them
        number = str(count) if prefix in (None, "", "0") else f"{prefix}.{count}"
        self._set_if(element, "OutlineNumber", number)
        if parent is not None and parent != 0:
            holder = self.nodes[parent].element
            if child(holder, "Summary") is not None:
                self.doc.set_text(holder, "Summary", "1", "Task")

    def _top_level(self) -> list[int]:
        return [u for u in self.order if self.nodes[u].parent is None and self.nodes[u].level == 1]

    def _before_first(self, tasks: Element, element: Element) -> None:
        first = tasks[0]
        first.addprevious(element)
        element.tail = tasks.text if tasks.text and tasks.text.strip() == "" else first.tail
        xmldoc.indent_like(element, first, 2)

    def subtree_end(self, uid: int) -> int:
        """The last task of ``uid``'s subtree (``uid`` itself when it has none)."""
        last = uid
        for last in self.descendants(uid):  # noqa: B007  # the loop finds the last one
            pass
        return last

    def remove_task(self, uid: int) -> None:
        """Remove a task, its assignments and every link to it; its subtasks move up a level."""
        node = self.nodes[uid]
        for kid in self.descendants(uid):
            element = self.nodes[kid].element
            level = int_of(element, "OutlineLevel", 1) or 1
            self.doc.set_text(element, "OutlineLevel", str(max(1, level - 1)), "Task")
        xmldoc.detach(node.element)
        for other in self.nodes.values():
            for link in list(children(other.element, "PredecessorLink")):
                if int_of(link, "PredecessorUID") == uid:
                    xmldoc.detach(link)
        for assignment in list(self.assignments.values()):
            if int_of(assignment, "TaskUID") == uid:
                xmldoc.detach(assignment)
        self.reindex()
        self.renumber()

    def move_task(self, uid: int, parent: int | None) -> None:
        """Move a task (with its subtree) to the end of ``parent``'s subtasks (None: the top)."""
        node = self.nodes[uid]
        block = [uid, *self.descendants(uid)]
        level = self.nodes[parent].level + 1 if parent is not None else 1
        shift = level - node.level
        elements = [self.nodes[u].element for u in block]
        for element in elements:
            old = int_of(element, "OutlineLevel", 1) or 1
            self.doc.set_text(element, "OutlineLevel", str(old + shift), "Task")
        for element in elements:
            xmldoc.detach(element)
        self.reindex()
        anchor = self.subtree_end(parent) if parent is not None else self.order[-1]
        target = self.nodes[anchor].element
        for element in elements:
            xmldoc.insert_after(target, element)
            target = element
        self.reindex()
        self.renumber()

    def renumber(self) -> None:
        """Rewrite ``ID``, ``OutlineNumber``, ``WBS`` and ``Summary`` where the outline moved."""
        next_id = 0 if 0 in self.nodes else 1
        counters: dict[int | None, int] = {}
        numbers: dict[int, str] = {}
        for uid in self.order:
            node = self.nodes[uid]
            element = node.element
            self._set_if(element, "ID", str(next_id))
            next_id += 1
            if node.level == 0:
                numbers[uid] = "0"
                continue
            counters[node.parent] = counters.get(node.parent, 0) + 1
            prefix = numbers.get(node.parent) if node.parent is not None else None
            number = (
                str(counters[node.parent])
                if prefix in (None, "0")
                else f"{prefix}.{counters[node.parent]}"
            )
            numbers[uid] = number
            old = text(element, "OutlineNumber")
            if old is not None and old != number and (text(element, "WBS") or "") == old:
                self.doc.set_text(element, "WBS", number, "Task")  # WBS that follows the outline
            self._set_if(element, "OutlineNumber", number)
            if child(element, "Summary") is not None and uid != 0:
                self.doc.set_text(element, "Summary", "1" if node.kids else "0", "Task")

    def _set_if(self, element: Element, name: str, value: str) -> None:
        self.doc.set_text(element, name, value, "Task")

    def next_uid(self, values: Iterable[int], floor: int = 0) -> int:
        """A UID not used yet among ``values``, above ``floor``."""
        return max(max(values, default=0), floor) + 1


def _level(element: Element, uid: int) -> int:
    """A task's outline level; from its outline number when a tool left the level out."""
    level = int_of(element, "OutlineLevel")
    if level is not None:
        return max(level, 0)
    number = (text(element, "OutlineNumber") or "").strip()
    if uid == 0 or number in ("", "0"):
        return 0 if uid == 0 else 1
    return number.count(".") + 1


def _depth(element: Element) -> int:
    depth = 0
    parent = element.getparent()
    while parent is not None:
        depth += 1
        parent = parent.getparent()
    return depth


def _sibling(parent: Element, element: Element) -> Element | None:
    for other in parent:
        if other is not element and isinstance(other.tag, str):
            return other
    return None


__all__ = ["NO_RESOURCE", "TEXT_FIELD_IDS", "Node", "Schedule"]
