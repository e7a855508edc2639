"""Descriptions: Markdown <-> Asana rich text (html_notes), exactly and safely."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from adapters.asana.richtext import html_to_markdown, markdown_to_html
from syncd.model import normalise_text
from tests.unit.jira.test_markup import DOCUMENT, TRICKY

XML_TEXT = TRICKY.map(lambda t: normalise_text(re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", t)))


@given(XML_TEXT)
def test_any_text_round_trips_through_asana_rich_text(text: str) -> None:
    """Whatever the text (XML can carry), Markdown -> html_notes -> Markdown is exact."""
    assert html_to_markdown(markdown_to_html(text)) == text


def test_characters_xml_cannot_carry_are_dropped() -> None:
    """Control characters are dropped on the way to Asana, which would refuse them."""
    assert markdown_to_html("a\x1bb") == "<body>ab</body>"


@given(DOCUMENT)
def test_structured_markdown_round_trips(text: str) -> None:
    """Real-looking Markdown comes back exactly (as structure, or else as literal text)."""
    assert html_to_markdown(markdown_to_html(text)) == text


def test_markdown_becomes_asanas_tags() -> None:
    """Headings, marks, links, lists, quotes and rules become Asana's rich-text tags."""
    html = markdown_to_html("# Plan\n\n**Ship** _now_, see [spec](https://x.example/s)\n\n- a\n- b")
    assert html == (
        "<body><h1>Plan</h1>\n\n<strong>Ship</strong> <em>now</em>, see "
        '<a href="https://x.example/s">spec</a>\n\n<ul><li>a</li><li>b</li></ul></body>'
    )
    assert markdown_to_html("a < b & c") == "<body>a &lt; b &amp; c</body>"


def test_what_markdown_cannot_say_is_kept_as_readable_text() -> None:
    """Mentions, underline, images and tables read as their text."""
    html = (
        '<body>Hi <a data-asana-gid="1" href="https://app.asana.com/0/1">@Ana</a>, '
        "<u>note</u>\n\n<table><tr><td>A</td><td>B</td></tr></table></body>"
    )
    assert html_to_markdown(html) == "Hi @Ana, note\n\n| A | B |"


def test_hostile_xml_is_refused_not_expanded() -> None:
    """Entities are never resolved (no billion laughs, no external files)."""
    bomb = (
        '<!DOCTYPE b [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<body>&b;</body>"
    )
    assert "aaaaaaaaaa" * 8 not in html_to_markdown(bomb)
    outside = '<!DOCTYPE b [<!ENTITY x SYSTEM "file:///etc/passwd">]><body>&x;</body>'
    assert "root:" not in html_to_markdown(outside)


@given(st.text(max_size=120))
def test_no_answer_makes_the_reader_raise(text: str) -> None:
    """Any string reads as normalised Markdown, never an exception."""
    read = html_to_markdown(text)
    assert read == normalise_text(read)
