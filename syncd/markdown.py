"""The Markdown dialect of canonical descriptions, as a small tree every rich-text format maps to.

Canonical descriptions are Markdown (``syncd.model.normalise_text``). The systems keep them in
their own rich text (Jira's ADF or wiki markup, Asana's HTML subset, ...); each adapter converts
through this tree, so each format has one reader and one writer.

The dialect is strict and line-based, so that ``render(parse(s)) == s`` can be checked:

- blocks are separated by exactly one blank line: ``# `` headings (1-6), ``- `` and ``1. ``
  lists (nested by two spaces), fenced code (```` ```lang ````), ``> `` quotes, ``---`` rules,
  and paragraphs, whose single newlines are hard line breaks;
- inline: ``**strong**``, ``_em_``, ``~~strike~~``, `` `code` `` and ``[text](url)``; anything
  else is literal text, and literal text is never escaped.

A text the dialect does not render back exactly (two blank lines, "1." after "1.", ...) is kept
whole as literal lines (`literal`): the converters never lose or alter a character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Mark = str  # "strong" | "em" | "strike" | "code" | "link:<href>"
MARK_ORDER = ("strong", "em", "strike", "code")
_DELIMS = {"strong": "**", "em": "_", "strike": "~~"}


@dataclass(frozen=True)
class Text:
    """A run of text with its marks (a link is the mark ``link:<href>``)."""

    text: str
    marks: frozenset[Mark] = frozenset()


@dataclass(frozen=True)
class Break:
    """A hard line break."""


Inline = Text | Break


@dataclass
class Paragraph:
    inlines: list[Inline]


@dataclass
class Heading:
    level: int
    inlines: list[Inline]


@dataclass
class Code:
    language: str
    text: str


@dataclass
class Quote:
    inlines: list[Inline]


@dataclass
class Rule:
    pass


@dataclass
class Item:
    inlines: list[Inline]
    children: ListBlock | None = None


@dataclass
class ListBlock:
    ordered: bool
    start: int = 1
    items: list[Item] = field(default_factory=list)


Block = Paragraph | Heading | Code | Quote | Rule | ListBlock


# --- rendering ----------------------------------------------------------------------------------


def render(blocks: list[Block]) -> str:
    """The tree as canonical Markdown (no escaping: literal text stays literal)."""
    return "\n\n".join(_render_block(b) for b in blocks)


def _render_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return render_inlines(block.inlines)
    if isinstance(block, Heading):
        return "#" * block.level + " " + render_inlines(block.inlines)
    if isinstance(block, Code):
        return f"```{block.language}\n{block.text}\n```"
    if isinstance(block, Quote):
        return "\n".join("> " + line for line in render_inlines(block.inlines).split("\n"))
    if isinstance(block, Rule):
        return "---"
    return "\n".join(_render_list(block, 0))


def _render_list(block: ListBlock, depth: int) -> list[str]:
    lines = []
    for n, item in enumerate(block.items):
        bullet = f"{block.start + n}. " if block.ordered else "- "
        lines.append("  " * depth + bullet + render_inlines(item.inlines))
        if item.children is not None:
            lines.extend(_render_list(item.children, depth + 1))
    return lines


def render_inlines(inlines: list[Inline]) -> str:
    """Inline content as Markdown: links outermost, then strong, em, strike, code."""
    out: list[str] = []
    i = 0
    while i < len(inlines):
        node = inlines[i]
        link = _link_of(node)
        if link is None:
            out.append(_render_text(node))
            i += 1
            continue
        j = i
        while j < len(inlines) and _link_of(inlines[j]) == link:
            j += 1
        inner = "".join(_render_text(n) for n in inlines[i:j])
        out.append(f"[{inner}]({link})")
        i = j
    return "".join(out)


def _link_of(node: Inline) -> str | None:
    if isinstance(node, Break):
        return None
    return next((m[5:] for m in node.marks if m.startswith("link:")), None)


def _render_text(node: Inline) -> str:
    if isinstance(node, Break):
        return "\n"
    if "code" in node.marks:
        return f"`{node.text}`"
    text = node.text
    for mark in reversed(MARK_ORDER[:3]):
        if mark in node.marks:
            text = _DELIMS[mark] + text + _DELIMS[mark]
    return text


# --- parsing ------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6}) (\S.*)$")
_ITEM = re.compile(r"^((?:  )*)(- |(\d{1,9})\. )(.*)$")
_FENCE = re.compile(r"^```([\w+#.-]*)$")


def parse(text: str) -> list[Block]:
    """Read canonical Markdown into blocks; exact only when ``render`` gives ``text`` back."""
    if not text:
        return []
    lines = text.split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i] == "":
            i += 1
            continue
        block, i = _block(lines, i)
        blocks.append(block)
    return blocks


def parse_exact(text: str) -> list[Block]:
    """The blocks of ``text`` if they render back to it exactly, else `literal` blocks."""
    blocks = parse(text)
    return blocks if render(blocks) == text else literal(text)


def literal(text: str) -> list[Block]:
    """The text as one paragraph of literal lines (hard breaks between them)."""
    if not text:
        return []
    inlines: list[Inline] = []
    for n, line in enumerate(text.split("\n")):
        if n:
            inlines.append(Break())
        if line:
            inlines.append(Text(line))
    return [Paragraph(inlines)]


def _block(lines: list[str], i: int) -> tuple[Block, int]:
    line = lines[i]
    fence = _FENCE.match(line)
    if fence and "```" in lines[i + 1 :]:
        end = lines.index("```", i + 1)
        return Code(fence.group(1), "\n".join(lines[i + 1 : end])), end + 1
    heading = _HEADING.match(line)
    if heading:
        return Heading(len(heading.group(1)), parse_inlines(heading.group(2))), i + 1
    if line == "---":
        return Rule(), i + 1
    end = _run_end(lines, i)
    run = lines[i:end]
    if all(x.startswith("> ") for x in run):
        return Quote(parse_inlines("\n".join(x[2:] for x in run))), end
    if _ITEM.match(line) and _ITEM.match(line).group(1) == "":  # type: ignore[union-attr]
        parsed = _list(run)
        if parsed is not None:
            return parsed, end
    return Paragraph(parse_inlines("\n".join(run))), end


def _run_end(lines: list[str], i: int) -> int:
    end = i
    while end < len(lines) and lines[end] != "":
        end += 1
    return end


def _list(run: list[str]) -> ListBlock | None:
    """A (nested) list, when every line of the run is an item at a sensible depth."""
    root: ListBlock | None = None
    stack: list[ListBlock] = []
    for line in run:
        match = _ITEM.match(line)
        if match is None:
            return None
        depth = len(match.group(1)) // 2
        ordered = match.group(3) is not None
        if depth > len(stack) or (depth == len(stack) and depth > 0 and not stack[-1].items):
            return None
        if depth == len(stack):
            if stack and not stack[-1].items:
                return None
            block = ListBlock(ordered, int(match.group(3) or 1))
            if stack:
                stack[-1].items[-1].children = block
            else:
                root = block
            stack.append(block)
        del stack[depth + 1 :]
        if stack[depth].ordered != ordered:
            return None
        stack[depth].items.append(Item(parse_inlines(match.group(4))))
    return root


def parse_inlines(text: str, marks: frozenset[Mark] = frozenset()) -> list[Inline]:
    """Inline Markdown into text runs and breaks (unclosed delimiters stay literal)."""
    out: list[Inline] = []
    literal_run: list[str] = []
    i = 0
    while i < len(text):
        found = _span(text, i, marks)
        if found is None:
            literal_run.append(text[i])
            i += 1
            continue
        nodes, i = found
        flush(literal_run, marks, out)
        out.extend(nodes)
    flush(literal_run, marks, out)
    return merge(out)


def flush(run: list[str], marks: frozenset[Mark], out: list[Inline]) -> None:
    """Move the literal characters gathered in ``run`` to ``out`` as text runs and breaks."""
    if not run:
        return
    for n, part in enumerate("".join(run).split("\n")):
        if n:
            out.append(Break())
        if part:
            out.append(Text(part, marks))
    run.clear()


def _span(text: str, i: int, marks: frozenset[Mark]) -> tuple[list[Inline], int] | None:
    if "code" in marks:
        return None
    if text.startswith("`", i):
        end = text.find("`", i + 1)
        body = text[i + 1 : end]
        if end > i + 1 and "\n" not in body:
            return [Text(body, frozenset({"code"}) | _links(marks))], end + 1
        return None
    if text.startswith("[", i) and not _links(marks):
        return _link(text, i, marks)
    for mark, delim in _DELIMS.items():
        if text.startswith(delim, i) and mark not in marks:
            found = _delimited(text, i, delim)
            if found is not None:
                body, end = found
                return parse_inlines(body, marks | {mark}), end
    return None


def _delimited(text: str, i: int, delim: str) -> tuple[str, int] | None:
    end = text.find(delim, i + len(delim))
    if end < 0:
        return None
    body = text[i + len(delim) : end]
    if not body or body != body.strip() or "\n" in body:
        return None
    if delim == "_" and (_word(text, i - 1) or _word(text, end + 1)):
        return None  # snake_case_words are not emphasis
    return body, end + len(delim)


def _word(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isalnum()


def _link(text: str, i: int, marks: frozenset[Mark]) -> tuple[list[Inline], int] | None:
    close = text.find("](", i + 1)
    if close < 0:
        return None
    end = text.find(")", close + 2)
    label, href = text[i + 1 : close], text[close + 2 : end]
    if end < 0 or not label or not href or any(c in href for c in " \n()[]") or "\n" in label:
        return None
    return parse_inlines(label, marks | {f"link:{href}"}), end + 1


def _links(marks: frozenset[Mark]) -> frozenset[Mark]:
    return frozenset(m for m in marks if m.startswith("link:"))


def merge(nodes: list[Inline]) -> list[Inline]:
    """Adjacent runs with the same marks become one."""
    out: list[Inline] = []
    for node in nodes:
        last = out[-1] if out else None
        if isinstance(node, Text) and isinstance(last, Text) and last.marks == node.marks:
            out[-1] = Text(last.text + node.text, node.marks)
        else:
            out.append(node)
    return out
