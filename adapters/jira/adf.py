"""Canonical Markdown <-> Atlassian Document Format (Jira Cloud's rich text).

ADF is a JSON tree: ``{"type": "doc", "version": 1, "content": [blocks]}`` with paragraph,
heading (``attrs.level``), bulletList / orderedList (``attrs.order``) of listItem, codeBlock
(``attrs.language``), blockquote, rule; inline text with marks (strong, em, strike, code, link
``attrs.href``) and hardBreak. Text nodes are never empty; ``code`` combines only with ``link``.
https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/

Writing goes through `syncd.markdown` (exact, or literal lines). Reading accepts any
JSON a server sends: nodes without a Markdown form (mentions, emoji, dates, status lozenges,
cards, panels, tables, media) become readable text, and nothing raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from syncd import markdown as md
from syncd.model import normalise_text

Json = dict[str, Any]
_PLAIN_MARKS = frozenset({"strong", "em", "strike", "code"})


def markdown_to_adf(text: str) -> Json | None:
    """A canonical description as an ADF document; None for "" (Jira's empty description)."""
    if not text:
        return None
    content = [_block_json(block) for block in md.parse_exact(text)]
    return {"type": "doc", "version": 1, "content": content}


def adf_to_markdown(doc: Any) -> str:
    """An ADF document as canonical Markdown; never raises on any JSON value."""
    try:
        blocks = _blocks(doc.get("content") if isinstance(doc, dict) else None)
        return normalise_text(md.render(blocks))
    except RecursionError:
        return ""


# --- writing ------------------------------------------------------------------------------------


def _block_json(block: md.Block) -> Json:
    if isinstance(block, md.Paragraph):
        return _with_content({"type": "paragraph"}, block.inlines)
    if isinstance(block, md.Heading):
        return _with_content({"type": "heading", "attrs": {"level": block.level}}, block.inlines)
    if isinstance(block, md.Code):
        node: Json = {"type": "codeBlock"}
        if block.language:
            node["attrs"] = {"language": block.language}
        if block.text:
            node["content"] = [{"type": "text", "text": block.text}]
        return node
    if isinstance(block, md.Quote):
        return {
            "type": "blockquote",
            "content": [_with_content({"type": "paragraph"}, block.inlines)],
        }
    if isinstance(block, md.Rule):
        return {"type": "rule"}
    return _list_json(block)


def _list_json(block: md.ListBlock) -> Json:
    node: Json = {"type": "orderedList" if block.ordered else "bulletList"}
    if block.ordered and block.start != 1:
        node["attrs"] = {"order": block.start}
    items = []
    for item in block.items:
        content = [_with_content({"type": "paragraph"}, item.inlines)]
        if item.children is not None:
            content.append(_list_json(item.children))
        items.append({"type": "listItem", "content": content})
    node["content"] = items
    return node


def _with_content(node: Json, inlines: list[md.Inline]) -> Json:
    content = [_inline_json(i) for i in inlines]
    if content:
        node["content"] = content
    return node


def _inline_json(node: md.Inline) -> Json:
    if isinstance(node, md.Break):
        return {"type": "hardBreak"}
    out: Json = {"type": "text", "text": node.text}
    marks: list[Json] = [{"type": m} for m in md.MARK_ORDER if m in node.marks]
    marks += [
        {"type": "link", "attrs": {"href": m[5:]}}
        for m in sorted(node.marks)
        if m.startswith("link:")
    ]
    if marks:
        out["marks"] = marks
    return out


# --- reading ------------------------------------------------------------------------------------


def _blocks(content: Any) -> list[md.Block]:
    out: list[md.Block] = []
    for node in content if isinstance(content, list) else []:
        if isinstance(node, dict):
            out.extend(_block(node))
    return out


def _block(node: Json) -> list[md.Block]:
    kind = node.get("type")
    content = node.get("content")
    if kind == "paragraph":
        return [md.Paragraph(_inlines(content))]
    if kind == "heading":
        level = (node.get("attrs") or {}).get("level")
        level = level if isinstance(level, int) and 1 <= level <= 6 else 1
        return [md.Heading(level, _inlines(content))]
    if kind in ("bulletList", "orderedList"):
        return [_list(node)]
    if kind == "codeBlock":
        language = (node.get("attrs") or {}).get("language") or ""
        return [md.Code(str(language), _plain(content))]
    if kind == "blockquote":
        return [md.Quote(_joined(_blocks(content)))]
    if kind == "rule":
        return [md.Rule()]
    if kind == "table":
        return [md.Paragraph(_table(content))]
    if kind in ("mediaSingle", "mediaGroup", "media"):
        return [md.Paragraph([md.Text("[attachment]")])]
    # panel, expand, nestedExpand, layoutSection, decisionList, taskList and friends: their
    # content is blocks (or inline nodes) worth keeping as they are.
    inner = _blocks(content)
    return inner or ([md.Paragraph(_inlines(content))] if content else [])


def _list(node: Json) -> md.ListBlock:
    order = (node.get("attrs") or {}).get("order")
    start = order if isinstance(order, int) and order >= 0 else 1
    block = md.ListBlock(node.get("type") == "orderedList", start)
    for item in node.get("content") or []:
        if not isinstance(item, dict):
            continue
        inner = _blocks(item.get("content"))
        lists = [b for b in inner if isinstance(b, md.ListBlock)]
        rest = [b for b in inner if not isinstance(b, md.ListBlock)]
        block.items.append(md.Item(_joined(rest), lists[0] if lists else None))
    return block


def _joined(blocks: Sequence[md.Block]) -> list[md.Inline]:
    """Several blocks as one run of inline content, lines apart."""
    out: list[md.Inline] = []
    for block in blocks:
        if out:
            out.append(md.Break())
        if isinstance(block, md.Paragraph | md.Heading | md.Quote):
            out.extend(block.inlines)
        elif isinstance(block, md.Code):
            out.append(md.Text(block.text, frozenset({"code"})))
        elif isinstance(block, md.ListBlock):
            out.extend(_joined([md.Paragraph(i.inlines) for i in block.items]))
    return [n for n in out if not (isinstance(n, md.Text) and not n.text)]


def _inlines(content: Any) -> list[md.Inline]:
    out: list[md.Inline] = []
    for node in content if isinstance(content, list) else []:
        if isinstance(node, dict):
            out.extend(_inline(node))
    return md.merge(out)


def _inline(node: Json) -> list[md.Inline]:
    kind = node.get("type")
    if kind == "hardBreak":
        return [md.Break()]
    if kind == "text":
        text = node.get("text")
        return [md.Text(text, _marks(node.get("marks")))] if isinstance(text, str) and text else []
    attrs = node.get("attrs") or {}
    if not isinstance(attrs, dict):
        return []
    shown = _shown(kind, attrs)
    return [md.Text(shown)] if shown else []


def _shown(kind: Any, attrs: Json) -> str:
    """The readable text of an inline node that Markdown cannot express."""
    if kind == "mention":
        text = str(attrs.get("text") or "")
        return text if text.startswith("@") or not text else f"@{text}"
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return str(attrs.get("url") or "")
    if kind == "date":
        try:
            stamp = int(str(attrs.get("timestamp"))) / 1000
        except ValueError:
            return ""
        return dt.datetime.fromtimestamp(stamp, dt.UTC).date().isoformat()
    if kind == "status":
        return str(attrs.get("text") or "")
    return str(attrs.get("text") or "")


def _marks(marks: Any) -> frozenset[md.Mark]:
    found: set[md.Mark] = set()
    for mark in marks if isinstance(marks, list) else []:
        if not isinstance(mark, dict):
            continue
        kind = mark.get("type")
        if kind in _PLAIN_MARKS:
            found.add(str(kind))
        elif kind == "link":
            href = (mark.get("attrs") or {}).get("href")
            if isinstance(href, str) and href:
                found.add(f"link:{href}")
    if "code" in found:  # code combines with link only
        found &= {"code"} | {m for m in found if m.startswith("link:")}
    return frozenset(found)


def _plain(content: Any) -> str:
    parts = []
    for node in content if isinstance(content, list) else []:
        if isinstance(node, dict):
            if node.get("type") == "hardBreak":
                parts.append("\n")
            elif isinstance(node.get("text"), str):
                parts.append(node["text"])
            else:
                parts.append(_plain(node.get("content")))
    return "".join(parts)


def _table(rows: Any) -> list[md.Inline]:
    """A table as lines of cells joined by " | "."""
    out: list[md.Inline] = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        cells = [_plain_cell(cell) for cell in row.get("content") or [] if isinstance(cell, dict)]
        if out:
            out.append(md.Break())
        out.append(md.Text("| " + " | ".join(cells) + " |"))
    return out


def _plain_cell(cell: Json) -> str:
    blocks = _blocks(cell.get("content"))
    return " ".join(md.render_inlines(_joined(blocks)).split())
