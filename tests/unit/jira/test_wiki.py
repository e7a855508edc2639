"""Markdown <-> Jira wiki markup: exact for every text, structured when it can be, any wiki read."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.jira.adf import adf_to_markdown
from adapters.jira.wiki import markdown_to_wiki, wiki_to_markdown
from syncd.model import normalise_text
from tests.unit.jira.test_adf import ANY_TEXT, CANONICAL_ADF


@given(ANY_TEXT)
def test_any_canonical_text_comes_back_exactly_from_wiki(text: str) -> None:
    """Every normalised string reads back from its wiki markup unchanged, and rewrites the same."""
    wiki = markdown_to_wiki(text)
    assert wiki_to_markdown(wiki) == text
    assert markdown_to_wiki(wiki_to_markdown(wiki)) == wiki


@given(CANONICAL_ADF)
def test_structured_descriptions_come_back_exactly_from_wiki(doc: dict[str, Any]) -> None:
    """What Jira Cloud's structures say in Markdown also survives Data Center's wiki markup."""
    text = adf_to_markdown(doc)
    assert wiki_to_markdown(markdown_to_wiki(text)) == text


def test_markdown_becomes_the_wiki_markup_jira_renders() -> None:
    """Each construct of the dialect becomes its wiki markup; literal text is escaped."""
    text = (
        "## Plan\n\n**b** _e_ ~~s~~ `c` [l](https://x.example) *not* 2-3\nnext\n\n"
        "- a\n  1. b\n\n```sql\nx\n```\n\n```\n{code}\n```\n\n> q\n\n---"
    )
    assert markdown_to_wiki(text) == (
        "h2. Plan\n\n*b* _e_ -s- {{c}} [l|https://x.example] \\*not\\* 2\\-3\nnext\n\n"
        "* a\n*# b\n\n{code:sql}\nx\n{code}\n\n{noformat}\n{code}\n{noformat}\n\n"
        "{quote}\nq\n{quote}\n\n----"
    )


def test_text_wiki_cannot_structure_is_written_as_escaped_lines() -> None:
    """A text without an exact wiki structure is escaped literal lines, never a {noformat} box."""
    text = "3. a\n4. b\n\n\nh1. C:\\Users & &amp; {noformat}"
    wiki = markdown_to_wiki(text)
    assert wiki == "3. a\n4. b\n\n\nh1\\. C:&#92;Users & &amp;amp; \\{noformat\\}"
    assert wiki_to_markdown(wiki) == text


def test_backslashes_escapes_and_entities_read_as_jira_shows_them() -> None:
    """A backslash before a letter stays, before a markup character escapes it; entities decode."""
    wiki = "C:\\Users\\me, 50\\% \\*done\\* &amp; &copy; &bogus; then\\\\next"
    assert wiki_to_markdown(wiki) == "C:\\Users\\me, 50% *done* & © &bogus; then\nnext"


def test_data_center_blocks_read_as_their_markdown() -> None:
    """Headings, quotes, mixed lists, noformat and code blocks of real wiki text are read."""
    wiki = (
        "h3. Done when\n\nbq. quoted _well_\n\n# one\n#* sub {{x}}\n# two\n\n"
        "{noformat}\nraw *text*\n{noformat}\n\n{code:java}\nint x;\n{code}\n\n----"
    )
    assert wiki_to_markdown(wiki) == (
        "### Done when\n\n> quoted _well_\n\n1. one\n  - sub `x`\n2. two\n\n"
        "```\nraw *text*\n```\n\n```java\nint x;\n```\n\n---"
    )


def test_blank_lines_beyond_one_are_kept() -> None:
    """Leading blank lines and runs of them between paragraphs read as that many."""
    assert wiki_to_markdown("\n\na\n\n\n\nb\n\nc") == "\n\na\n\n\n\nb\n\nc"


WIKI_TOKENS = [
    *"ab *_-+^~{}[]|!#?\\&;.:h1\n",
    *["{code}", "{code:java}", "{noformat}", "{quote}", "{{", "}}", "h1. ", "bq. ", "* ", "# "],
    *["[a|https://x]", "----", "\\\\", "&amp;", "&#92;", "&#99999999;", "||"],
]


@given(st.lists(st.sampled_from(WIKI_TOKENS) | st.characters(), max_size=40).map("".join))
def test_no_wiki_text_makes_the_reader_raise(text: str) -> None:
    """Any wiki string, however broken, reads as normalised Markdown without an exception."""
    read = wiki_to_markdown(text)
    assert read == normalise_text(read)
