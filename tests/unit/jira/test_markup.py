"""Descriptions: Markdown <-> ADF (Cloud) and wiki markup (Data Center), exactly and safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.jira.adf import adf_to_markdown, markdown_to_adf
from adapters.jira.wiki import markdown_to_wiki, wiki_to_markdown
from syncd.model import normalise_text

SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "specs"

# Text rich in what Markdown, ADF and wiki markup treat as syntax.
TRICKY = st.text(
    st.sampled_from(list("ab 1.#-*_~`[]()|{}!\\>+^?\n")) | st.characters(codec="utf-8"),
    max_size=80,
).map(normalise_text)

WORD = st.text(st.sampled_from(list("abcdefghij")), min_size=1, max_size=6)
PHRASE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
INLINE = st.one_of(
    PHRASE,
    PHRASE.map(lambda p: f"**{p}**"),
    PHRASE.map(lambda p: f"_{p}_"),
    PHRASE.map(lambda p: f"~~{p}~~"),
    WORD.map(lambda w: f"`{w}`"),
    PHRASE.map(lambda p: f"[{p}](https://acme.example/{p.replace(' ', '-')})"),
)
LINE = st.lists(INLINE, min_size=1, max_size=4).map(" ".join)
BLOCK = st.one_of(
    st.lists(LINE, min_size=1, max_size=3).map("\n".join),
    st.tuples(st.integers(1, 6), LINE).map(lambda t: "#" * t[0] + " " + t[1]),
    st.lists(LINE, min_size=1, max_size=3).map(lambda ls: "\n".join(f"- {x}" for x in ls)),
    st.lists(LINE, min_size=1, max_size=3).map(
        lambda ls: "\n".join(f"{n}. {x}" for n, x in enumerate(ls, 1))
    ),
    st.tuples(LINE, LINE).map(lambda t: f"- {t[0]}\n  - {t[1]}"),
    st.tuples(WORD, st.lists(PHRASE, max_size=3)).map(
        lambda t: f"```{t[0]}\n" + "\n".join(t[1]) + "\n```"
    ),
    LINE.map(lambda x: f"> {x}"),
    st.just("---"),
)
DOCUMENT = st.lists(BLOCK, min_size=1, max_size=5).map("\n\n".join)


@given(TRICKY)
def test_any_text_round_trips_through_adf(text: str) -> None:
    """Whatever the text, Markdown -> ADF -> Markdown gives it back exactly."""
    assert adf_to_markdown(markdown_to_adf(text)) == text


@given(TRICKY)
def test_any_text_round_trips_through_wiki_markup(text: str) -> None:
    """Whatever the text, Markdown -> wiki -> Markdown gives it back exactly."""
    assert wiki_to_markdown(markdown_to_wiki(text)) == text


@given(DOCUMENT)
def test_structured_markdown_keeps_its_structure_in_adf(text: str) -> None:
    """Real-looking Markdown becomes real ADF structure (not literal text), and comes back."""
    doc = markdown_to_adf(text)
    assert doc is not None
    assert adf_to_markdown(doc) == text
    assert markdown_to_adf(adf_to_markdown(doc)) == doc
    if text.startswith("# "):
        assert doc["content"][0]["type"] == "heading"


@given(DOCUMENT)
def test_structured_markdown_keeps_its_structure_in_wiki(text: str) -> None:
    """Real-looking Markdown becomes structured wiki markup, and comes back."""
    wiki = markdown_to_wiki(text)
    assert "\\" not in wiki or "\\" in text
    assert wiki_to_markdown(wiki) == text
    assert markdown_to_wiki(wiki_to_markdown(wiki)) == wiki


def test_markdown_becomes_the_adf_jira_expects() -> None:
    """Headings, marks, links, lists and code become ADF nodes with Jira's attributes."""
    doc = markdown_to_adf("## Plan\n\nShip **now**, see [spec](https://x.example/s)\n\n1. a")
    assert doc == {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "heading",
                "attrs": {"level": 2},
                "content": [{"type": "text", "text": "Plan"}],
            },
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Ship "},
                    {"type": "text", "text": "now", "marks": [{"type": "strong"}]},
                    {"type": "text", "text": ", see "},
                    {
                        "type": "text",
                        "text": "spec",
                        "marks": [{"type": "link", "attrs": {"href": "https://x.example/s"}}],
                    },
                ],
            },
            {
                "type": "orderedList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [
                            {"type": "paragraph", "content": [{"type": "text", "text": "a"}]}
                        ],
                    }
                ],
            },
        ],
    }
    assert markdown_to_adf("") is None


def test_wiki_markup_of_a_data_center_description_reads_as_markdown() -> None:
    """h1., *bold*, _em_, -strike-, {{code}}, links, nested lists and code blocks are read."""
    wiki = (
        "h2. Steps\n\n"
        "Run *fast* and _well_, not -slowly-; use {{make}} [docs|https://x.example]\n\n"
        "* one\n** deeper\n* two\n\n"
        "{code:python}\nprint(1)\n{code}"
    )
    assert wiki_to_markdown(wiki) == (
        "## Steps\n\n"
        "Run **fast** and _well_, not ~~slowly~~; use `make` [docs](https://x.example)\n\n"
        "- one\n  - deeper\n- two\n\n"
        "```python\nprint(1)\n```"
    )


def test_nodes_without_a_markdown_form_are_kept_as_readable_text() -> None:
    """Mentions, emoji, dates, status, cards, panels and tables become text, not nothing."""
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "mention", "attrs": {"id": "1", "text": "@Ana"}},
                    {"type": "text", "text": " "},
                    {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
                    {"type": "text", "text": " "},
                    {"type": "date", "attrs": {"timestamp": "1767225600000"}},
                    {"type": "text", "text": " "},
                    {"type": "status", "attrs": {"text": "BLOCKED", "color": "red"}},
                    {"type": "text", "text": " "},
                    {"type": "inlineCard", "attrs": {"url": "https://x.example/c"}},
                ],
            },
            {
                "type": "panel",
                "attrs": {"panelType": "info"},
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Note"}]}],
            },
            {
                "type": "table",
                "content": [
                    {
                        "type": "tableRow",
                        "content": [
                            {"type": "tableHeader", "content": [_para("A")]},
                            {"type": "tableHeader", "content": [_para("B")]},
                        ],
                    }
                ],
            },
        ],
    }
    assert adf_to_markdown(doc) == (
        "@Ana 😄 2026-01-01 BLOCKED https://x.example/c\n\nNote\n\n| A | B |"
    )


def _para(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["type", "content", "text", "attrs", "marks"]), inner)
    ),
    max_leaves=30,
)


@given(JSON)
def test_no_server_answer_makes_the_adf_reader_raise(value: Any) -> None:
    """Any JSON at all reads as some normalised Markdown, never an exception."""
    text = adf_to_markdown(value)
    assert text == normalise_text(text)


@given(st.text(max_size=120))
def test_no_wiki_text_makes_the_reader_raise(text: str) -> None:
    """Any wiki string reads as normalised Markdown, never an exception."""
    read = wiki_to_markdown(text)
    assert read == normalise_text(read)


def test_the_vendors_own_adf_examples_read_as_their_text() -> None:
    """The ADF descriptions in Atlassian's published examples read as their plain text."""
    path = SPECS / "jira_cloud_examples_extracted.json"
    if not path.exists():
        pytest.skip(f"{path} not present: the vendor's examples live in ../shared/specs")
    request = json.loads(path.read_text())["operations"]["POST /rest/api/3/issue"]["request"]
    fields = request["fields"]
    assert adf_to_markdown(fields["description"]) == "Order entry fails when selecting supplier."
    assert adf_to_markdown(fields["environment"]) == "UAT"
