"""Check MSPDI files (Microsoft Project's XML) against Microsoft's schema, write by write.

The rule for the MS Project adapter: a write never makes a file less valid. Real files rarely
validate strictly (of the samples in ``../shared/specs/mspdi/``, only ``mpxj_mspdirelations.xml``
does; see ``../shared/specs/README.md``), so the check is relative: the schema errors of the file
after a write must be a subset of those before it.

    assert not new_errors(before, after)

The schema (``mspdi_pj15-correct.xsd``) and the samples are read in place, never copied. Files in
``http://schemas.microsoft.com/project`` (the schema's target namespace, what Project writes) and
in ``http://schemas.microsoft.com/project/2007`` are both checked: a 2007 file is validated after
its elements are moved, in the parsed tree, to the target namespace.

Normalisation: each error is a `SchemaError` whose identity is

* ``path``: the offending element's path from the root by local names, each record identified by
  its key child rather than its position (``Project/Tasks/Task[UID=3]/PercentComplete``; UID for
  tasks, resources, assignments and calendars, FieldID for extended attributes and outline codes,
  PredecessorUID for links, Number for baselines, Type and Start for timephased data, DayType for
  week days); other repeated elements by their position among same-named siblings
  (``WorkingTime[2]``), and records sharing a key by their rank among them (``Task[UID=3][2]``);
* ``kind``: libxml2's error type (``SCHEMAV_ELEMENT_CONTENT``,
  ``SCHEMAV_CVC_DATATYPE_VALID_1_2_1``...);
* ``message``: libxml2's message without the ``Element '...':`` prefix (the path says which
  element), without the ``Expected is ( ... )`` list, and without the MSPDI namespace. The
  offending value stays in it (``'abc' is not a valid value of the atomic type 'xs:integer'.``).

No line number takes part (a write that adds lines shifts them all), nor the list of expected
elements (it changes when a write inserts an element that is allowed there, while the problem is
the same). The element of an error is found from its XPath (``error.path``) in the validated tree.

Hidden errors, and how far this reduces them: libxml2 stops checking a parent's content after its
first unexpected child, and validates neither that child nor any later sibling, whole subtrees
included: in five samples of six, one unexpected element in the ``Project`` header hides the rest
of the file (every task, resource, assignment and calendar). An error a write adds behind an
existing one would stay unseen. So, after validating the document, each element thus skipped is
validated on its own against its declaration in the schema (the schema's local declarations are
promoted, in memory and under unique names, to global ones; the element is validated as a renamed
copy), recursively; and a skipped element that its parent does not declare at all is reported as
"This element is not expected." (libxml2's own, normalised message for it, so the error compares
equal whichever way it was found). What this still misses: ORDER and COUNT errors among the later
siblings of one parent, behind an earlier unexpected child of the same parent (a known element
placed after the wrong sibling, repeated too often, or a required one removed): only that
parent's first content error is ever seen. Conversely, an edit that fixes the first
error of a parent lets libxml2 check its later siblings' order again, which can reveal errors
that were there before: they are reported as new (they are real, and the edit touched them).

Other limits: identity constraints and attributes play no part (the schema declares none);
a malformed file raises `lxml.etree.XMLSyntaxError` rather than returning errors.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.contract.openapi import SPECS_DIR

MSPDI_DIR: Path = SPECS_DIR / "mspdi"
XSD_NAME = "mspdi_pj15-correct.xsd"
MSPDI_NS = "http://schemas.microsoft.com/project"  # the schema's target namespace
MSPDI_2007_NS = "http://schemas.microsoft.com/project/2007"
_XSD_NS = "http://www.w3.org/2001/XMLSchema"
_XS = f"{{{_XSD_NS}}}"
_MSPDI_NAMESPACES = (MSPDI_NS, MSPDI_2007_NS)
# The child (or children) that identify a repeated element; any other element with a UID child
# is identified by it.
_RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "ExtendedAttribute": ("FieldID",),
    "OutlineCode": ("FieldID",),
    "PredecessorLink": ("PredecessorUID",),
    "Baseline": ("Number",),
    "TimephasedData": ("Type", "Start"),
    "WeekDay": ("DayType",),
}
_DEFAULT_KEY = ("UID",)
_NOT_EXPECTED = "This element is not expected."
_ELEMENT_PREFIX = re.compile(r"^Element '[^']*'(?P<attribute>, attribute '[^']*')?: ")
_EXPECTED_LIST = re.compile(r"\s*Expected is\b.*$", re.DOTALL)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class SchemaError:
    """One schema error, comparable across writes: equal when it is the same problem.

    ``line`` and ``raw`` (libxml2's message as given) are for reading only and do not take part in
    comparisons.
    """

    path: str
    kind: str
    message: str
    line: int = field(default=0, compare=False)
    raw: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.kind}] (line {self.line})"


# --- the samples and the schema -----------------------------------------------------------------


def samples() -> list[Path]:
    """The real sample MSPDI files of ``../shared/specs/mspdi/``, sorted; [] when absent."""
    if not MSPDI_DIR.is_dir():
        return []
    return sorted(path for path in MSPDI_DIR.glob("*.xml") if path.is_file())


def sample_params() -> list[Any]:
    """One ``pytest.param(path, id=name)`` per sample, or one skipped param when there are none."""
    found = samples()
    if found:
        return [pytest.param(path, id=path.name) for path in found]
    reason = (
        f"../shared/specs/mspdi not found: no sample .xml in {MSPDI_DIR} "
        "(see ../shared/specs/README.md)"
    )
    return [pytest.param(None, id="no-mspdi-samples", marks=pytest.mark.skip(reason=reason))]


def schema_or_skip() -> etree.XMLSchema:
    """Microsoft's MSPDI schema, compiled once per process; skips the test when it is absent."""
    return _checker_or_skip().schema


def _checker_or_skip() -> _Checker:
    path = MSPDI_DIR / XSD_NAME
    if not path.is_file():
        pytest.skip(
            f"../shared/specs/mspdi not found: no {XSD_NAME} in {MSPDI_DIR} "
            "(see ../shared/specs/README.md)"
        )
    return _checker(str(path.resolve()))


# --- the check ----------------------------------------------------------------------------------


def schema_errors(data: bytes) -> frozenset[SchemaError]:
    """The normalised schema errors of an MSPDI document (skips the test without the schema).

    Raises:
        lxml.etree.XMLSyntaxError: ``data`` is not well-formed XML.
    """
    checker = _checker_or_skip()
    root = etree.fromstring(data, _parser())
    _to_target_namespace(root)
    return checker.errors(root)


def new_errors(before: bytes, after: bytes) -> frozenset[SchemaError]:
    """The errors of ``after`` that ``before`` does not have (a write must leave this empty)."""
    return schema_errors(after) - schema_errors(before)


def _to_target_namespace(root: Any) -> None:
    """Move every element of the 2007 namespace to the schema's target namespace, in place."""
    for element in root.iter(etree.Element):
        qname = etree.QName(element)
        if qname.namespace == MSPDI_2007_NS:
            element.tag = f"{{{MSPDI_NS}}}{qname.localname}"


@dataclass(frozen=True)
class _Declaration:
    """An element declaration of the schema: its name, global name and declared children."""

    name: str
    global_name: str  # its own name if global, else the unique name it is promoted under
    children: dict[str, int]  # child local name -> declaration index


class _Checker:
    """The schema as given, plus a copy in which every local declaration is also global."""

    def __init__(self, xsd: Any) -> None:
        self.schema = etree.XMLSchema(xsd)
        root = xsd.getroot()
        named = [e for e in root.iter(f"{_XS}element") if e.get("name")]
        index = {id(e): i for i, e in enumerate(named)}
        types = {t.get("name"): t for t in root.iterfind(f"{_XS}complexType")}
        self.declarations: list[_Declaration] = []
        promoted = copy.deepcopy(root)
        for i, element in enumerate(named):
            name = element.get("name")
            is_global = element.getparent() is root
            global_name = name if is_global else f"{name}.syncd{i}"
            content = element.find(f"{_XS}complexType")
            if content is None and element.get("type"):
                content = types.get(element.get("type", "").rpartition(":")[2])
            children: dict[str, int] = {}
            if content is not None:
                for child in _child_declarations(content):
                    children.setdefault(child.get("name", ""), index[id(child)])
            self.declarations.append(_Declaration(name, global_name, children))
            if not is_global:
                twin = copy.deepcopy(element)
                for attribute in ("minOccurs", "maxOccurs", "form"):
                    twin.attrib.pop(attribute, None)
                twin.set("name", global_name)
                promoted.append(twin)
        for annotation in list(promoted.iter(f"{_XS}annotation")):
            annotation.getparent().remove(annotation)
        self.promoted = etree.XMLSchema(promoted)
        self.root = next(
            i for i, e in enumerate(named) if e.getparent() is root and e.get("name") == "Project"
        )

    def errors(self, root: Any) -> frozenset[SchemaError]:
        run = _Run(_prefixes(root))
        self.schema.validate(root)
        self._collect(run, root, self.root, self.schema.error_log, promoted_tag=None)
        done: set[Any] = set()  # the elements themselves: an id() could be reused
        while run.pending:
            element, declaration = run.pending.pop()
            if element in done:
                continue
            done.add(element)
            twin = copy.deepcopy(element)
            promoted_tag = f"{{{MSPDI_NS}}}{self.declarations[declaration].global_name}"
            twin.tag = promoted_tag
            self.promoted.validate(twin)
            self._collect(run, element, declaration, self.promoted.error_log, promoted_tag)
        return frozenset(run.found)

    def _collect(
        self, run: _Run, base: Any, declaration: int, log: Any, promoted_tag: str | None
    ) -> None:
        """Record the errors of ``base`` (validated as ``declaration``); queue what they hid.

        ``promoted_tag``: the tag a copy of ``base`` was validated under, None when ``base`` is
        the document's root, validated in place.
        """
        for entry in log:
            element = _locate(base, entry, run.namespaces, relative=promoted_tag is not None)
            raw = str(entry.message)
            if promoted_tag is not None:
                raw = raw.replace(promoted_tag, f"{{{MSPDI_NS}}}{etree.QName(base).localname}")
            path = run.path(element) if element is not None else f"?/{_message_name(raw)}"
            run.found.add(SchemaError(path, entry.type_name, _normalise(raw), entry.line, raw))
            if element is None or _NOT_EXPECTED not in raw:
                continue
            parent = element.getparent()
            if parent is None:
                continue
            parent_declaration = declaration if parent is base else self._declaration_of(parent)
            if parent_declaration is not None:
                self._skipped(run, element, self.declarations[parent_declaration], entry.type_name)

    def _skipped(self, run: _Run, first: Any, parent: _Declaration, kind: str) -> None:
        """Queue ``first`` (libxml2's unexpected element) and its later siblings, which libxml2
        did not validate; report those the parent does not declare at all."""
        for sibling in (first, *first.itersiblings(etree.Element)):
            qname = etree.QName(sibling)
            child = parent.children.get(qname.localname) if qname.namespace == MSPDI_NS else None
            if child is not None:
                run.pending.append((sibling, child))
            elif sibling is not first:
                line = sibling.sourceline or 0
                raw = f"(skipped by libxml2) {_NOT_EXPECTED}"
                run.found.add(SchemaError(run.path(sibling), kind, _NOT_EXPECTED, line, raw))

    def _declaration_of(self, element: Any) -> int | None:
        """The declaration ``element`` has in the schema, following its ancestors from Project."""
        chain = [element, *element.iterancestors()]
        chain.reverse()
        if etree.QName(chain[0]) != etree.QName(MSPDI_NS, "Project"):
            return None
        declaration = self.root
        for step in chain[1:]:
            qname = etree.QName(step)
            if qname.namespace != MSPDI_NS:
                return None
            found = self.declarations[declaration].children.get(qname.localname)
            if found is None:
                return None
            declaration = found
        return declaration


def _child_declarations(node: Any) -> Iterator[Any]:
    """The element declarations of a complex type's content (not those nested in them)."""
    for child in node:
        if child.tag == f"{_XS}element":
            yield child
        elif child.tag in (f"{_XS}sequence", f"{_XS}choice", f"{_XS}all"):
            yield from _child_declarations(child)


@functools.cache
def _checker(path: str) -> _Checker:
    return _Checker(etree.parse(path, _parser()))


# --- normalisation -------------------------------------------------------------------------------


def _prefixes(root: Any) -> dict[str, str]:
    """The namespace prefixes of the document, for the XPaths libxml2 writes with them."""
    found: dict[str, str] = {}
    for element in root.iter(etree.Element):
        for prefix, uri in element.nsmap.items():
            if prefix:
                found.setdefault(prefix, uri)
    return found


def _locate(base: Any, entry: Any, namespaces: dict[str, str], *, relative: bool) -> Any:
    """The element an error is about, from its XPath; None when it cannot be found."""
    path = entry.path
    if not path:
        return None
    try:
        if relative:  # validated as a copy: its first step is that copy, i.e. ``base``
            rest = path[path.find("/", 1) :] if path.find("/", 1) > 0 else ""
            hits = base.xpath("." + rest, namespaces=namespaces) if rest else [base]
        else:
            hits = base.getroottree().xpath(path, namespaces=namespaces)
    except etree.XPathError:
        return None
    elements = [hit for hit in hits if isinstance(hit, etree._Element)]
    return elements[0] if len(elements) == 1 else None


def _normalise(message: str) -> str:
    match = _ELEMENT_PREFIX.match(message)
    if match:
        attribute = match.group("attribute")
        message = (attribute.lstrip(", ") + ": " if attribute else "") + message[match.end() :]
    message = _EXPECTED_LIST.sub("", message)
    for namespace in _MSPDI_NAMESPACES:
        message = message.replace(f"{{{namespace}}}", "")
    return message.strip()


def _message_name(message: str) -> str:
    match = re.match(r"^Element '([^']*)'", message)
    return match.group(1).replace(f"{{{MSPDI_NS}}}", "") if match else "?"


def _step_name(element: Any) -> str:
    qname = etree.QName(element)
    if qname.namespace in (*_MSPDI_NAMESPACES, None):
        return qname.localname
    return qname.text


class _Run:
    """The state of one check: what was found, what is left to validate, record keys seen."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.namespaces = namespaces
        self.found: set[SchemaError] = set()
        self.pending: list[tuple[Any, int]] = []  # (element libxml2 skipped, its declaration)
        self._keys: dict[Any, str] = {}

    def key(self, element: Any) -> str:
        """``[UID=3]`` for a record with a key child, '' otherwise."""
        if element not in self._keys:
            self._keys[element] = _key(element)
        return self._keys[element]

    def path(self, element: Any) -> str:
        """The element's path from the root, with records identified by their keys."""
        steps = []
        node = element
        while node is not None:
            parent = node.getparent()
            name = _step_name(node)
            if parent is None:
                steps.append(name)
                break
            key = self.key(node)
            rank = 1 + sum(
                1
                for sibling in node.itersiblings(etree.Element, preceding=True)
                if _step_name(sibling) == name and self.key(sibling) == key
            )
            steps.append(f"{name}{key}" + (f"[{rank}]" if rank > 1 else ""))
            node = parent
        return "/".join(reversed(steps))


def _key(element: Any) -> str:
    local = etree.QName(element).localname
    parts = []
    for name in _RECORD_KEYS.get(local, _DEFAULT_KEY):
        child = next(
            (
                c
                for c in element.iterchildren(etree.Element)
                if etree.QName(c).localname == name
                and etree.QName(c).namespace in _MSPDI_NAMESPACES
            ),
            None,
        )
        if child is not None:
            parts.append(f"{name}={(child.text or '').strip()}")
    return f"[{','.join(parts)}]" if parts else ""
