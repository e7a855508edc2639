"""Canonical Markdown <-> Atlassian Document Format (Jira Cloud's rich text).

ADF is a JSON tree: ``{"type": "doc", "version": 1, "content": [blocks]}`` with paragraph,
heading (``attrs.level``), bulletList / orderedList (``attrs.order``) of listItem, codeBlock
(``attrs.language``), blockquote, rule; inline text with marks (strong, em, strike, code, link
``attrs.href``) and hardBreak.
https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/

Writing goes through `syncd.markdown` (exact, or literal lines) and keeps ADF's rules: text
nodes are never empty, a listItem starts with a paragraph, ``code`` combines only with
``link`` (https://developer.atlassian.com/cloud/jira/platform/apis/document/marks/code/).

Reading accepts any JSON a server sends and never raises:

- nodes without a Markdown form become readable text: a mention its ``attrs.text``, an emoji its
  ``text`` or ``shortName``, a card its ``url``, a date (``attrs.timestamp``, epoch
  milliseconds) its ISO day in UTC, a status its ``text``, a table one ``| a | b |`` line per
  row, media its ``alt`` (or ``[attachment]``); panels and expands read as their content,
  task and decision lists as ``- [ ]`` / ``- [x]`` / ``-`` lists;
- Jira's editor often puts the space after a bold word inside the bold: spaces at the edges of
  strong, em and strike move outside (``**a **`` would read as literal asterisks);
- malformed nodes (a list where an object belongs, a string where a list belongs) are skipped,
  and nesting deeper than `_MAX_DEPTH` is cut off rather than overflowing the stack.

What the dialect cannot say is simplified, not kept: empty paragraphs, a quote's second
paragraph (joined by a line break), an ordered list inside a bullet item's second list.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from syncd import markdown as md
from syncd.model import normalise_text

Json = dict[str, Any]
_PLAIN_MARKS = frozenset({"strong", "em", "strike", "code"})
_FLANKED = frozenset({"strong", "em", "strike"})  # Markdown wants these against non-space text
_LANGUAGE = re.compile(r"[\w+#.-]*")  # what a fence's info string may hold in syncd.markdown
# No description nests this deep; the cut keeps recursion (ours and the renderer's) bounded.
_MAX_DEPTH = 40


def markdown_to_adf(text: str) -> Json | None:
    """A canonical description as an ADF document; None for "" (Jira's empty description)."""
    text = normalise_text(text)
    if not text:
        return None
    content = [_block_json(block) for block in md.parse_exact(text)]
    return {"type": "doc", "version": 1, "content": content}


def adf_to_markdown(doc: Any) -> str:
    """An ADF document as canonical Markdown; never raises on any JSON value.

    A node other than a ``doc`` reads as a document holding it; a value that is not a JSON
    object reads as "".
    """
    if isinstance(doc, dict) and doc.get("type") != "doc":
        doc = {"content": [doc]}
    return normalise_text(md.render(_blocks(_object(doc).get("content"), 0)))


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

BlockReader = Callable[[Json, int], list[md.Block]]


def _object(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[Json]:
    """The JSON objects of a list (a server's stray strings or numbers are skipped)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _attr(node: Json, name: str) -> Any:
    return _object(node.get("attrs")).get(name)


def _blocks(content: Any, depth: int) -> list[md.Block]:
    if depth > _MAX_DEPTH:
        return []
    return [block for node in _objects(content) for block in _block(node, depth + 1)]


def _block(node: Json, depth: int) -> list[md.Block]:
    kind = node.get("type")
    reader = _BLOCK_READERS.get(kind) if isinstance(kind, str) else None
    if reader is not None:
        return reader(node, depth)
    # panel, layoutSection, bodiedExtension and unknown containers: their content is what counts;
    # an inline node where a block belongs reads as a paragraph of its own.
    inner = _blocks(node.get("content"), depth)
    inlines = [] if inner else _inlines([node], depth)
    return inner or ([md.Paragraph(inlines)] if inlines else [])


def _paragraph(node: Json, depth: int) -> list[md.Block]:
    return [md.Paragraph(_inlines(node.get("content"), depth))]


def _heading(node: Json, depth: int) -> list[md.Block]:
    level = _attr(node, "level")
    level = level if isinstance(level, int) and 1 <= level <= 6 else 1
    return [md.Heading(level, _inlines(node.get("content"), depth))]


def _code(node: Json, depth: int) -> list[md.Block]:
    language = _attr(node, "language")
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        language = ""  # "c sharp" would not survive as a fence's info string
    return [md.Code(language, _plain(node.get("content"), depth))]


def _quote(node: Json, depth: int) -> list[md.Block]:
    return [md.Quote(_joined(_blocks(node.get("content"), depth)))]


def _rule(node: Json, depth: int) -> list[md.Block]:
    return [md.Rule()]


def _list(node: Json, depth: int) -> list[md.Block]:
    order = _attr(node, "order")
    whole = isinstance(order, int) and not isinstance(order, bool) and order >= 0
    block = md.ListBlock(node.get("type") == "orderedList", order if whole else 1)
    block.items = [_item(item, depth) for item in _objects(node.get("content"))]
    return [block] if block.items else []


def _item(node: Json, depth: int) -> md.Item:
    """A listItem: its text, and its first nested list (later ones of that kind join it)."""
    rest: list[md.Block] = []
    children: md.ListBlock | None = None
    for block in _blocks(node.get("content"), depth):
        if not isinstance(block, md.ListBlock):
            rest.append(block)
        elif children is None:
            children = block
        elif children.ordered == block.ordered:
            children.items.extend(block.items)
        else:
            rest.append(block)
    return md.Item(_joined(rest), children)


# An ADF taskItem's ``attrs.state`` (upper case in ADF): open, or ticked.
# https://developer.atlassian.com/cloud/jira/platform/apis/document/nodes/taskItem/
_TASK_BOXES = {"todo": "[ ] ", "done": "[x] "}


def _tasks(node: Json, depth: int) -> list[md.Block]:
    """A taskList or decisionList as a bullet list of ``[ ]``, ``[x]`` or plain items."""
    items = []
    for item in _objects(node.get("content")):
        state = _attr(item, "state")
        box = _TASK_BOXES.get(state.lower(), "") if isinstance(state, str) else ""
        inlines = md.merge([md.Text(box), *_inlines(item.get("content"), depth)])
        items.append(md.Item([n for n in inlines if n != md.Text("")]))
    return [md.ListBlock(False, 1, items)] if items else []


def _expand(node: Json, depth: int) -> list[md.Block]:
    title = _attr(node, "title")
    heading = [md.Paragraph([md.Text(title)])] if isinstance(title, str) and title else []
    return heading + _blocks(node.get("content"), depth)


def _media(node: Json, depth: int) -> list[md.Block]:
    return [md.Paragraph([md.Text(_media_text(node, depth))])]


def _media_text(node: Json, depth: int) -> str:
    """Media's alt text, else an external image's URL, else ``[attachment]``."""
    for media in [node, *_objects(node.get("content"))]:
        for name in ("alt", "url"):
            shown = _attr(media, name)
            if isinstance(shown, str) and shown.strip():
                return " ".join(shown.split())
    return "[attachment]"


def _table(node: Json, depth: int) -> list[md.Block]:
    """A table as lines of cells joined by " | " (one line a row)."""
    out: list[md.Inline] = []
    for row in _objects(node.get("content")):
        cells = [_plain_cell(cell, depth) for cell in _objects(row.get("content"))]
        if out:
            out.append(md.Break())
        out.append(md.Text("| " + " | ".join(cells) + " |"))
    return [md.Paragraph(out)] if out else []


def _plain_cell(cell: Json, depth: int) -> str:
    blocks = _blocks(cell.get("content"), depth)
    return " ".join(md.render_inlines(_joined(blocks)).split())


_BLOCK_READERS: dict[str, BlockReader] = {
    "paragraph": _paragraph,
    "heading": _heading,
    "codeBlock": _code,
    "blockquote": _quote,
    "rule": _rule,
    "bulletList": _list,
    "orderedList": _list,
    "taskList": _tasks,
    "decisionList": _tasks,
    "expand": _expand,
    "nestedExpand": _expand,
    "mediaSingle": _media,
    "mediaGroup": _media,
    "media": _media,
    "table": _table,
}


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


def _inlines(content: Any, depth: int) -> list[md.Inline]:
    if depth > _MAX_DEPTH:
        return []
    out = [inline for node in _objects(content) for inline in _inline(node, depth + 1)]
    return _flanked(md.merge(out))


def _inline(node: Json, depth: int) -> list[md.Inline]:
    kind = node.get("type")
    if kind == "hardBreak":
        return [md.Break()]
    out: list[md.Inline] = []
    text = node.get("text") if kind == "text" else _shown(kind, _object(node.get("attrs")))
    if isinstance(text, str) and text:
        marks = _marks(node.get("marks")) if kind == "text" else frozenset()
        md.flush([text.replace("\r\n", "\n").replace("\r", "\n")], marks, out)
        return out
    if kind == "text":
        return []
    return _inlines(node.get("content"), depth)  # an unknown inline container: its text


def _flanked(nodes: list[md.Inline]) -> list[md.Inline]:
    """Spaces at the edges of strong, em and strike move outside the mark."""
    out: list[md.Inline] = []
    for node in nodes:
        if isinstance(node, md.Break) or not node.marks & _FLANKED:
            out.append(node)
            continue
        core, outside = node.text.strip(), node.marks - _FLANKED
        before = node.text[: len(node.text) - len(node.text.lstrip())]
        after = node.text[len(node.text.rstrip()) :]
        parts = [(before, outside), (core, node.marks), (after, outside)] if core else []
        out.extend(md.Text(t, m) for t, m in parts or [(node.text, outside)] if t)
    return md.merge(out)


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
        return _day(attrs.get("timestamp"))
    return str(attrs.get("text") or "")  # status, placeholder, inline extensions


def _day(timestamp: Any) -> str:
    """An ADF date (epoch milliseconds, usually as a string) as its ISO day in UTC."""
    try:
        stamp = int(str(timestamp)) / 1000
        return dt.datetime.fromtimestamp(stamp, dt.UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):  # not a number, or no representable day
        return ""


def _marks(marks: Any) -> frozenset[md.Mark]:
    found: set[md.Mark] = set()
    for mark in _objects(marks):
        kind = mark.get("type")
        if kind in _PLAIN_MARKS:
            found.add(str(kind))
        elif kind == "link":
            href = _attr(mark, "href")
            if isinstance(href, str) and href:
                found.add(f"link:{href}")
    if "code" in found:  # code combines with link only
        found &= {"code"} | {m for m in found if m.startswith("link:")}
    return frozenset(found)


def _plain(content: Any, depth: int) -> str:
    """The text of a code block's content (hard breaks as newlines)."""
    if depth > _MAX_DEPTH:
        return ""
    parts = []
    for node in _objects(content):
        if node.get("type") == "hardBreak":
            parts.append("\n")
        elif isinstance(node.get("text"), str):
            parts.append(node["text"])
        else:
            parts.append(_plain(node.get("content"), depth + 1))
    return "".join(parts)
