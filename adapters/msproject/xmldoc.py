"""MSPDI documents: safe parsing, lenient element access and edits that keep the file intact.

Microsoft Project's XML (MSPDI) is the project manager's system of record, so this module never
rewrites what it does not understand: the parsed tree keeps every element, comment, namespace
and the original indentation, and serialising an unchanged tree gives the same document.

Quirks handled here:

- Project writes ``xmlns="http://schemas.microsoft.com/project"``; the 2007 schema declares
  ``.../project/2007``, and some tools write no namespace. Elements are matched by local name
  and new ones are created in the document's own namespace.
- Real files rarely validate strictly, but the XSD's element *order* is what Project and other
  readers rely on: a new child is inserted where the schema's sequence puts it (``ORDER``).
- Parsing refuses DTDs and entities outright (billion laughs, external entities): MSPDI never
  needs them. lxml's parser runs with ``resolve_entities=False`` and ``no_network=True``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Sequence
from typing import Any

from lxml import etree

from adapters.msproject.schema import ORDER

__all__ = ["ORDER", "Document", "Element", "PlanFormatError", "parse"]
from syncd.errors import MemberError

NAMESPACES = ("http://schemas.microsoft.com/project", "http://schemas.microsoft.com/project/2007")
XINCLUDE = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# What may stand before the root element besides a DTD: the XML declaration, processing
# instructions, comments and white space (XML 1.0, production [27] Misc).
_MISC = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
# Encodings in which "<!DOCTYPE" is not those ASCII bytes (XML 1.0 appendix F), by first bytes.
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)

Element = etree._Element


class PlanFormatError(MemberError):
    """The file is not a well-formed, safe MSPDI document (names the file, line and element)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        strip_cdata=False,  # Project writes Notes as CDATA: keep it so
        collect_ids=False,
    )


def local(element: Element) -> str:
    """An element's name without its namespace."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def children(element: Element, name: str) -> Iterator[Element]:
    """The direct children called ``name`` (any namespace, or none)."""
    return element.iterchildren(f"{{*}}{name}")  # lxml matches the local name in C


def child(element: Element, name: str) -> Element | None:
    """The first direct child called ``name``, or None."""
    return next(children(element, name), None)


def text(element: Element, name: str) -> str | None:
    """The text of the first child called ``name`` (None when absent; '' when empty)."""
    found = child(element, name)
    if found is None:
        return None
    return found.text or ""


def line_of(element: Element) -> int | None:
    """The source line of an element (None for elements syncd made)."""
    return element.sourceline if isinstance(element.sourceline, int) else None


class Document:
    """One parsed MSPDI file, with the bytes of its XML declaration kept as they were."""

    def __init__(
        self, tree: etree._ElementTree, prolog: bytes, encoding: str, bom: bytes, epilogue: bytes
    ) -> None:
        self.tree = tree
        self.root: Element = tree.getroot()
        self.prolog = prolog
        self.encoding = encoding
        self.bom = bom
        self.epilogue = epilogue  # white space after the root element
        self.open_empty = False  # whether empty elements are written <X></X>
        self.closed: set[str] = set()  # ... except these, which the file writes <X/>
        qname = etree.QName(self.root)
        self.namespace: str | None = qname.namespace

    def qualified(self, name: str) -> str:
        """The tag of a new element called ``name`` in the document's namespace."""
        return f"{{{self.namespace}}}{name}" if self.namespace else name

    def section(self, name: str, *, create: bool = False) -> Element | None:
        """A top-level collection (``Tasks``, ``Resources``, ...), made when asked and absent."""
        found = child(self.root, name)
        if found is None and create:
            found = self.ensure(self.root, name, "Project")
        return found

    def ensure(self, parent: Element, name: str, kind: str) -> Element:
        """The child ``name`` of ``parent`` (of schema type ``kind``), inserted in schema order."""
        found = child(parent, name)
        if found is not None:
            return found
        element = etree.Element(self.qualified(name))
        insert_ordered(parent, element, ORDER.get(kind, ()))
        return element

    def set_text(self, parent: Element, name: str, value: str, kind: str) -> bool:
        """Set a child's text, creating the child in schema order; whether anything changed."""
        element = child(parent, name)
        if element is not None and (element.text or "") == value:
            return False
        if element is None:
            element = self.ensure(parent, name, kind)
        element.text = value
        return True

    def remove(self, parent: Element, name: str) -> bool:
        """Remove every child called ``name``; whether there was one."""
        found = list(children(parent, name))
        for element in found:
            detach(element)
        return bool(found)

    def new(self, name: str, values: Sequence[tuple[str, str]] = ()) -> Element:
        """A new element with simple text children, in the order given."""
        element = etree.Element(self.qualified(name))
        for key, value in values:
            sub = etree.SubElement(element, self.qualified(key))
            sub.text = value
        return element

    def to_bytes(self) -> bytes:
        """The document as bytes: the original declaration, then the tree as parsed and edited."""
        if self.open_empty:
            # Project writes empty elements as <Company></Company>; lxml would write <Company/>.
            for element in self.root.iter():
                if element.text is None and not len(element) and local(element) not in self.closed:
                    element.text = ""
        body = etree.tostring(self.tree, encoding=self.encoding, xml_declaration=False)
        assert isinstance(body, bytes)  # an encoding was named: lxml returns bytes
        return self.bom + self.prolog + body + self.epilogue


def insert_ordered(parent: Element, element: Element, order: Sequence[str]) -> None:
    """Insert ``element`` after the last sibling the schema puts before it (else first).

    The new element copies the indentation of its neighbours so a person reading the file in
    an editor sees the same layout.
    """
    name = local(element)
    rank = {n: i for i, n in enumerate(order)}
    mine = rank.get(name, len(order))
    anchor: Element | None = None
    for sibling in parent:
        place = rank.get(local(sibling)) if isinstance(sibling.tag, str) else None
        if place is None:
            continue  # a comment or an element the schema does not know: it stays put
        if place <= mine:
            anchor = sibling
        else:
            break
    if anchor is None:
        indent = parent.text if parent.text and parent.text.strip() == "" else None
        parent.insert(0, element)
        element.tail = indent if len(parent) > 1 else _closing(parent)
        if indent is not None:
            parent.text = indent
        return
    insert_after(anchor, element)


def insert_after(anchor: Element, element: Element) -> None:
    """Put ``element`` right after ``anchor``, each keeping the layout of the run of siblings.

    The new element takes the anchor's tail (the white space before the next sibling, or
    before the parent's end tag); the anchor gets the gap between siblings.
    """
    parent = anchor.getparent()
    anchor.addnext(element)
    tail = anchor.tail
    first = parent.text if parent is not None else None
    element.tail = tail
    anchor.tail = first if first is not None and first.strip() == "" else tail


def _closing(parent: Element) -> str | None:
    tail = parent.tail
    if tail is None or tail.strip():
        return None
    return tail


def detach(element: Element) -> None:
    """Remove an element, keeping the layout of what follows."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    tail = element.tail
    if previous is not None:
        # The removed element's tail closes the run: keep it on the previous sibling.
        previous.tail = tail
    elif tail is not None and len(parent) == 1:
        parent.text = tail
    parent.remove(element)


def indent_like(element: Element, sibling: Element | None, depth: int) -> None:
    """Pretty-print a new subtree to match a document indented with ``sibling``'s step."""
    if sibling is None:
        return
    parent = sibling.getparent()
    parent_indent = (parent.text or "") if parent is not None else ""
    if parent_indent.strip() != "" or "\n" not in parent_indent:
        return  # a one-line file: keep the new element on one line too
    unit = _indent_unit(parent_indent, depth)
    etree.indent(element, space=unit, level=depth)


def _indent_unit(indent: str, depth: int) -> str:
    spaces = indent.rsplit("\n", 1)[-1]
    if depth <= 0 or not spaces:
        return "\t"
    return spaces[: max(1, len(spaces) // depth)]


# --- parsing -------------------------------------------------------------------------------------


def parse(data: bytes, source: str, *, max_bytes: int) -> Document:
    """Parse an MSPDI file's bytes, refusing anything unsafe or not MSPDI.

    Raises:
        PlanFormatError: too large, malformed, with a DTD or entities, or not a Project file;
            the message names ``source``, the line and the element.
    """
    if len(data) > max_bytes:
        raise PlanFormatError(f"{source}: {len(data)} bytes is over the limit of {max_bytes}")
    bom, body = _split_bom(data)
    _refuse_doctype(body, source)
    try:
        tree = etree.fromstring(body, _parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else "?"
        raise PlanFormatError(f"{source}:{line}: not well-formed XML: {exc.msg}") from None
    docinfo: Any = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise PlanFormatError(f"{source}:1: a DTD is not allowed in an MSPDI file")
    root = tree.getroot()
    _refuse_xinclude(root, source)
    if local(root) != "Project":
        raise PlanFormatError(
            f"{source}:{line_of(root) or 1}: element <{local(root)}>: not a Microsoft Project"
            " XML file (the root element must be <Project>)"
        )
    namespace = etree.QName(root).namespace
    if namespace not in (*NAMESPACES, None):
        raise PlanFormatError(
            f"{source}:{line_of(root) or 1}: element <Project>: unknown namespace {namespace!r}"
            f" (expected {NAMESPACES[0]})"
        )
    prolog, encoding = _declaration(body)
    trailing = re.search(rb"\s*$", body)
    epilogue = trailing.group(0) if trailing else b""
    doc = Document(tree, prolog, encoding, bom, epilogue)
    doc.open_empty = b"></" in body
    doc.closed = {m.decode() for m in re.findall(rb"<(?:[\w.-]+:)?([\w.-]+)\s*/>", body)}
    return doc


def _split_bom(data: bytes) -> tuple[bytes, bytes]:
    for bom in (codecs.BOM_UTF8,):
        if data.startswith(bom):
            return bom, data[len(bom) :]
    return b"", data


def _refuse_doctype(body: bytes, source: str) -> None:
    # Checked before parsing as well: an entity bomb must never reach the expander. A DTD can
    # only stand before the root element, so only that prolog is looked at (a task's notes
    # may well quote "<!ENTITY" in a CDATA section). The prolog's comments and processing
    # instructions are skipped as XML reads them (a comment holding "<a" once hid a DTD from
    # this check), in the file's own encoding (a UTF-16 file once hid it too).
    root = re.search(rb"<[A-Za-z_]", body)
    prolog = body[: root.start()] if root else body
    view = _ascii_view(body)
    misc = _MISC.match(view)
    doctype = view.startswith(b"<!DOCTYPE", misc.end() if misc else 0)
    if doctype or b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise PlanFormatError(f"{source}:1: a DTD or entity declaration is not allowed in MSPDI")


def _ascii_view(body: bytes) -> bytes:
    """The document's bytes as UTF-8, for a file in UTF-16 or UTF-32 (else as they are)."""
    for start, codec in _WIDE:
        if body.startswith(start):
            return body.decode(codec, errors="replace").encode("utf-8", errors="replace")
    return body


def _refuse_xinclude(root: Element, source: str) -> None:
    # Nothing here expands XInclude, but Project never writes it: an <xi:include> in a plan
    # can only be planted, for whatever tool reads the file next to pull in another file.
    found = next(root.iter(*(f"{{{ns}}}*" for ns in XINCLUDE)), None)
    if found is not None:
        raise PlanFormatError(
            f"{source}:{line_of(found) or 1}: element <{local(found)}>: XInclude is not allowed"
            " in an MSPDI file"
        )


def _declaration(body: bytes) -> tuple[bytes, str]:
    """The declaration bytes (with what follows up to the root) and the document's encoding."""
    match = _DECLARATION.match(body)
    if match is None:
        return b"", "UTF-8"
    declared = _ENCODING.search(match.group(0))
    encoding = declared.group(1).decode("ascii") if declared else "UTF-8"
    end = match.end()
    gap = re.match(rb"\s*", body[end:])
    return body[: end + (gap.end() if gap else 0)], encoding
