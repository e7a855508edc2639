"""Canonical Markdown <-> Asana rich text (``html_notes``).

Asana's rich text is XML rooted at ``<body>``: text with ``\\n`` line breaks, ``<strong>``,
``<em>``, ``<u>``, ``<s>``, ``<code>``, ``<a href>``, ``<h1>``/``<h2>``, ``<ul>``/``<ol>``/``<li>``,
``<blockquote>``, ``<pre>``, ``<hr/>`` (and mentions, images and tables we only read).
https://developers.asana.com/docs/rich-text

Writing goes through `syncd.markdown`: paragraphs are text separated by a blank line, block
elements stand between them. A text the subset cannot carry exactly (a third-level heading, a
code block's language, two blank lines) is written as literal text, which reads back as itself.
Reading never raises: the parser resolves no entities and fetches nothing, and a body that is
not XML reads as its text.
"""

from __future__ import annotations

import re
from html import escape

from lxml import etree

from syncd import markdown as md
from syncd.model import normalise_text

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)
_MARKS = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "s": "strike", "code": "code"}
_TAGS = {"strong": "strong", "em": "em", "strike": "s", "code": "code"}


# Characters XML 1.0 cannot carry at all (not even as references): Asana cannot store them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def markdown_to_html(text: str) -> str:
    """A canonical description as ``html_notes`` (``<body></body>`` for "").

    Control characters XML cannot carry are dropped (Asana answers 400 to them); the engine
    then adopts the text as Asana stored it.
    """
    text = _NOT_XML.sub("", text)
    blocks = md.parse_exact(text)
    html = _html(blocks)
    if html_to_markdown(html) == text:
        return html
    return _html(md.literal(text))


def html_to_markdown(html: str | None) -> str:
    """``html_notes`` as canonical Markdown; never raises."""
    if not html:
        return ""
    try:
        root = etree.fromstring(html.encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return normalise_text(html)  # not Asana's XML: keep what it says
    return normalise_text(md.render(_blocks(root)))


# --- writing ------------------------------------------------------------------------------------


def _html(blocks: list[md.Block]) -> str:
    return "<body>" + "\n\n".join(_block(b) for b in blocks) + "</body>"


def _block(block: md.Block) -> str:
    if isinstance(block, md.Paragraph):
        return _inlines(block.inlines)
    if isinstance(block, md.Heading):
        tag = f"h{min(block.level, 2)}"  # Asana has h1 and h2 (the check catches h3+)
        return f"<{tag}>{_inlines(block.inlines)}</{tag}>"
    if isinstance(block, md.Code):
        return f"<pre>{escape(block.text, quote=False)}</pre>"
    if isinstance(block, md.Quote):
        return f"<blockquote>{_inlines(block.inlines)}</blockquote>"
    if isinstance(block, md.Rule):
        return "<hr/>"
    return _list(block)


def _list(block: md.ListBlock) -> str:
    tag = "ol" if block.ordered else "ul"
    items = []
    for item in block.items:
        inner = _inlines(item.inlines) + (_list(item.children) if item.children else "")
        items.append(f"<li>{inner}</li>")
    return f"<{tag}>{''.join(items)}</{tag}>"


def _inlines(inlines: list[md.Inline]) -> str:
    out = []
    for node in inlines:
        if isinstance(node, md.Break):
            out.append("\n")
            continue
        text = escape(node.text, quote=False)
        for mark in ("code", "strike", "em", "strong"):
            if mark in node.marks:
                text = f"<{_TAGS[mark]}>{text}</{_TAGS[mark]}>"
        link = next((m[5:] for m in node.marks if m.startswith("link:")), None)
        out.append(f'<a href="{escape(link)}">{text}</a>' if link else text)
    return "".join(out)


# --- reading ------------------------------------------------------------------------------------

_BLOCK_TAGS = {"h1", "h2", "h3", "ul", "ol", "blockquote", "pre", "hr", "table", "img"}


def _blocks(root: etree._Element) -> list[md.Block]:
    """The body's children: text runs (paragraphs) and block elements."""
    out: list[md.Block] = []
    pending: list[md.Inline] = []
    parts: list[str | etree._Element] = [root.text] if root.text else []
    for child in root:
        parts.append(child)
        if child.tail:
            parts.append(child.tail)
    for n, part in enumerate(parts):
        if not isinstance(part, str):
            if _tag(part) in _BLOCK_TAGS:
                _paragraphs(pending, out)
                out.append(_block_of(part))
            else:
                pending.extend(_inline(part, frozenset()))
            continue
        # The blank line that separates a block element from the text around it.
        if n > 0 and _is_block(parts[n - 1]):
            part = part.removeprefix("\n\n")
        if n + 1 < len(parts) and _is_block(parts[n + 1]):
            part = part.removesuffix("\n\n")
        pending.extend(_text(part, frozenset()))
    _paragraphs(pending, out)
    return out


def _is_block(part: str | etree._Element) -> bool:
    return not isinstance(part, str) and _tag(part) in _BLOCK_TAGS


def _paragraphs(pending: list[md.Inline], out: list[md.Block]) -> None:
    """Split gathered inline content into paragraphs at blank lines."""
    if not pending:
        return
    paragraph: list[md.Inline] = []
    breaks = 0
    for node in pending:
        if isinstance(node, md.Break):
            breaks += 1
            continue
        if breaks:
            if breaks >= 2 and paragraph:
                out.append(md.Paragraph(md.merge(paragraph)))
                paragraph = [md.Break()] * (breaks - 2)
            else:
                paragraph.extend([md.Break()] * breaks)
            breaks = 0
        paragraph.append(node)
    paragraph.extend([md.Break()] * breaks)
    if paragraph:
        out.append(md.Paragraph(md.merge(paragraph)))
    pending.clear()


def _tag(node: object) -> str:
    tag = getattr(node, "tag", "")
    return tag.lower() if isinstance(tag, str) else ""


def _block_of(node: etree._Element) -> md.Block:
    tag = _tag(node)
    if tag in ("h1", "h2", "h3"):
        return md.Heading(int(tag[1]), _children(node, frozenset()))
    if tag == "pre":
        return md.Code("", _all_text(node))
    if tag == "blockquote":
        return md.Quote(_children(node, frozenset()))
    if tag == "hr":
        return md.Rule()
    if tag in ("ul", "ol"):
        return _read_list(node)
    if tag == "img":
        return md.Paragraph([md.Text(str(node.get("src") or "[image]"))])
    rows = [" | ".join(" ".join(_all_text(c).split()) for c in row) for row in node.iter("tr")]
    lines: list[md.Inline] = []
    for row in rows:
        if lines:
            lines.append(md.Break())
        lines.append(md.Text(f"| {row} |"))
    return md.Paragraph(lines)


def _all_text(node: etree._Element) -> str:
    return "".join(str(t) for t in node.itertext())


def _read_list(node: etree._Element) -> md.ListBlock:
    block = md.ListBlock(_tag(node) == "ol")
    for item in node:
        if _tag(item) != "li":
            continue
        nested = [c for c in item if _tag(c) in ("ul", "ol")]
        inlines = _text(item.text or "", frozenset())
        for child in item:
            if _tag(child) not in ("ul", "ol"):
                inlines.extend(_inline(child, frozenset()))
            if child.tail:
                inlines.extend(_text(child.tail, frozenset()))
        children = _read_list(nested[0]) if nested else None
        block.items.append(md.Item(md.merge(inlines), children))
    return block


def _children(node: etree._Element, marks: frozenset[md.Mark]) -> list[md.Inline]:
    out = _text(node.text or "", marks)
    for child in node:
        out.extend(_inline(child, marks))
        out.extend(_text(child.tail or "", marks))
    return md.merge(out)


def _inline(node: etree._Element, marks: frozenset[md.Mark]) -> list[md.Inline]:
    tag = _tag(node)
    if tag in _MARKS:
        return _children(node, marks | {_MARKS[tag]})
    if tag == "a":
        href = node.get("href")
        mention = node.get("data-asana-gid")
        if href and not mention:
            return _children(node, marks | {f"link:{href}"})
    return _children(node, marks)  # u, span, mentions, unknown: their text


def _text(text: str, marks: frozenset[md.Mark]) -> list[md.Inline]:
    out: list[md.Inline] = []
    for n, part in enumerate(text.split("\n")):
        if n:
            out.append(md.Break())
        if part:
            out.append(md.Text(part, marks))
    return out
