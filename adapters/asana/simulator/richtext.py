"""Asana's rich text: ``html_notes`` is XML under a ``<body>`` root with a small set of tags,
and ``notes`` is its plain text (writing either rewrites the other).
https://developers.asana.com/docs/rich-text
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from adapters.asana.simulator.errors import bad_request

ALLOWED_TAGS = frozenset(
    {
        "body", "strong", "em", "u", "s", "code", "ol", "ul", "li", "a", "h1", "h2", "pre",
        "blockquote", "hr", "img", "table", "tr", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {
        "href",
        "data-asana-gid",
        "data-asana-type",
        "data-asana-dynamic",
        "data-asana-accessible",
    },
    "img": {"data-asana-gid", "data-src-width", "data-src-height", "data-thumbnail-url", "alt"},
    "li": {"data-asana-checked"},
}
_BLOCKS = frozenset({"ul", "ol", "li", "h1", "h2", "pre", "blockquote", "hr", "tr"})


def parse_html_notes(text: str) -> ET.Element:
    """The parsed rich text, or Asana's 400 ("XML is invalid", an unknown tag or attribute)."""
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise bad_request("html_notes: XML is invalid")
    try:
        root = ET.fromstring(text)  # noqa: S314 - no DTD, hence no entity expansion
    except ET.ParseError:
        raise bad_request("html_notes: XML is invalid") from None
    if root.tag != "body":
        raise bad_request("html_notes: The root element must be <body>")
    for element in root.iter():
        _check_element(element)
    return root


def _check_element(element: ET.Element) -> None:
    if element.tag not in ALLOWED_TAGS:
        raise bad_request(f"html_notes: Unsupported tag <{element.tag}>")
    allowed = ALLOWED_ATTRIBUTES.get(element.tag, set())
    for attribute in element.attrib:
        if attribute not in allowed:
            raise bad_request(f"html_notes: Unsupported attribute {attribute} on <{element.tag}>")


def to_text(root: ET.Element) -> str:
    """The plain text of rich text: block elements end lines."""
    return "".join(_text(root)).strip("\n")


def _text(element: ET.Element) -> Iterator[str]:
    if element.tag in _BLOCKS and element.tag != "li":
        yield "\n"
    yield element.text or ""
    for child in element:
        yield from _text(child)
        yield child.tail or ""
    if element.tag in _BLOCKS:
        yield "\n"


def from_text(notes: str) -> str:
    """The rich text of plain text (escaped inside ``<body>``)."""
    return f"<body>{html.escape(notes, quote=False)}</body>"
