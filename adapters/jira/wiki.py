r"""Canonical Markdown <-> Jira wiki markup (Jira Data Center's descriptions).

Wiki markup: ``h1.`` headings, ``*bold*``, ``_italic_``, ``-strike-``, ``{{monospace}}``,
``[text|url]``, ``*``/``#`` lists (``**`` nests, ``#*`` mixes), ``bq.`` and ``{quote}``,
``{code:lang}`` and ``{noformat}``, ``----``; a newline is a line break and ``\\`` a forced
one, ``\X`` escapes a markup character X, and HTML entities (``&amp;``) stand for characters.
https://jira.atlassian.com/secure/WikiRendererHelpAction.jspa?section=all

Writing goes through `syncd.markdown`. Literal text is escaped so that it reads back as itself:
each markup character gets a backslash; a backslash is written ``&#92;``, since a backslash
before another would be a line break (pandoc's Jira writer does the same); an ``&`` that would
start an entity is written ``&amp;``; ``h1.`` or ``bq.`` at the start of a line becomes
``h1\.`` or ``bq\.``. When the structured form would not read back exactly (a list starting at
3, a link whose URL holds ``|``, two blank lines, ...), the text is written as escaped literal
lines instead, which always read back exactly: nothing is lost, Jira shows it as plain text.

Reading never raises. A backslash before a letter is kept (``C:\Users``). Two or more blank
lines between paragraphs read as that many (one paragraph with line breaks), so literal text
keeps its shape; Jira's emoticons (``:)``, ``(y)``) stay as typed.
"""

from __future__ import annotations

import html
import re
import string

from syncd import markdown as md
from syncd.model import normalise_text

_SPECIAL = frozenset("*_-+^~{}[]|!#?")
# What a backslash escapes when reading (a backslash before a backslash is a line break).
_ESCAPABLE = frozenset(string.punctuation) - {"\\"}
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BLOCK_WORD = re.compile(r"(?:h[1-6]|bq)\.")  # a heading or quote when it starts a line
_WIKI_MARKS = {"strong": "*", "em": "_", "strike": "-"}
_HEADING = re.compile(r"^h([1-6])\. (.*)$")
_ITEM = re.compile(r"^([*#]+) (.*)$")
_CODE = re.compile(r"^\{(code|noformat)(?::([^}]*))?\}(.*)$")


def markdown_to_wiki(text: str) -> str:
    """A canonical description as wiki markup ("" stays "")."""
    text = normalise_text(text)
    if not text:
        return ""
    wiki = _wiki(md.parse_exact(text))
    if wiki_to_markdown(wiki) == text:
        return wiki
    return _wiki(md.literal(text))  # escaped literal lines always read back exactly


def wiki_to_markdown(text: str) -> str:
    """Wiki markup as canonical Markdown; never raises."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return normalise_text(md.render(_parse(text)))


# --- writing ------------------------------------------------------------------------------------


def _wiki(blocks: list[md.Block]) -> str:
    return "\n\n".join(_block(b) for b in blocks)


def _block(block: md.Block) -> str:
    if isinstance(block, md.Paragraph):
        return _lines(block.inlines)
    if isinstance(block, md.Heading):
        return f"h{block.level}. {_inlines(block.inlines)}"
    if isinstance(block, md.Code):
        if block.language:
            return f"{{code:{block.language}}}\n{block.text}\n{{code}}"
        return f"{{noformat}}\n{block.text}\n{{noformat}}"  # {code} alone means Java
    if isinstance(block, md.Quote):
        return "{quote}\n" + _lines(block.inlines) + "\n{quote}"
    if isinstance(block, md.Rule):
        return "----"
    return "\n".join(_list(block, ""))


def _list(block: md.ListBlock, prefix: str) -> list[str]:
    bullet = prefix + ("#" if block.ordered else "*")
    lines = []
    for item in block.items:
        lines.append(f"{bullet} {_inlines(item.inlines)}")
        if item.children is not None:
            lines.extend(_list(item.children, bullet))
    return lines


def _lines(inlines: list[md.Inline]) -> str:
    """Inline content whose lines start wiki lines, where ``h1.`` or ``bq.`` would be blocks."""
    lines = _inlines(inlines).split("\n")
    for n, line in enumerate(lines):
        word = _BLOCK_WORD.match(line)
        if word:
            lines[n] = line[: word.end() - 1] + "\\" + line[word.end() - 1 :]
    return "\n".join(lines)


def _inlines(inlines: list[md.Inline]) -> str:
    out = []
    for node in inlines:
        if isinstance(node, md.Break):
            out.append("\n")
            continue
        out.append(_text(node))
    return "".join(out)


def _text(node: md.Text) -> str:
    if "code" in node.marks:
        text = "{{" + _escape(node.text) + "}}"
    else:
        text = _escape(node.text)
        for mark, delim in _WIKI_MARKS.items():
            if mark in node.marks:
                text = delim + text + delim
    link = next((m[5:] for m in node.marks if m.startswith("link:")), None)
    return f"[{text}|{link}]" if link else text


def _escape(text: str) -> str:
    out = []
    for n, char in enumerate(text):
        if char == "\\":
            out.append("&#92;")  # two backslashes would be a line break
        elif char == "&" and _ENTITY.match(text, n):
            out.append("&amp;")
        else:
            out.append("\\" + char if char in _SPECIAL else char)
    return "".join(out)


# --- reading ------------------------------------------------------------------------------------


def _parse(text: str) -> list[md.Block]:
    lines = text.split("\n")
    blocks: list[md.Block] = []
    gap = i = 0
    while i < len(lines):
        if not lines[i].strip():
            gap += 1
            i += 1
            continue
        block, i = _read_block(lines, i)
        _place(blocks, block, gap)
        gap = 0
    return blocks


def _place(blocks: list[md.Block], block: md.Block, gap: int) -> None:
    """Add ``block`` after ``gap`` blank lines: blank lines Markdown would not have between
    blocks (leading ones, or two and more) become line breaks of the paragraph that holds them.
    """
    last = blocks[-1] if blocks else None
    if isinstance(block, md.Paragraph) and last is None:
        block.inlines[:0] = [md.Break()] * gap
    elif isinstance(block, md.Paragraph) and isinstance(last, md.Paragraph) and gap > 1:
        last.inlines.extend([md.Break()] * (gap + 1) + block.inlines)
        return
    blocks.append(block)


def _read_block(lines: list[str], i: int) -> tuple[md.Block, int]:
    line = lines[i]
    code = _CODE.match(line)
    if code:
        close = "{" + code.group(1) + "}"
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == close), None)
        if end is not None:
            language = (code.group(2) or "").split("|")[0] if code.group(1) == "code" else ""
            body = [code.group(3)] if code.group(3) else []
            return md.Code(language.strip(), "\n".join(body + lines[i + 1 : end])), end + 1
    if line.strip() == "{quote}":
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "{quote}"), None)
        if end is not None:
            return md.Quote(_read_inlines("\n".join(lines[i + 1 : end]))), end + 1
    heading = _HEADING.match(line)
    if heading:
        return md.Heading(int(heading.group(1)), _read_inlines(heading.group(2))), i + 1
    if line.startswith("bq. "):
        return md.Quote(_read_inlines(line[4:])), i + 1
    if re.fullmatch(r"-{4,}", line.strip()):
        return md.Rule(), i + 1
    end = i
    while end < len(lines) and lines[end].strip():
        end += 1
    run = lines[i:end]
    if _ITEM.match(line):
        listed = _read_list(run)
        if listed is not None:
            return listed, end
    return md.Paragraph(_read_inlines("\n".join(run))), end


def _read_list(run: list[str]) -> md.ListBlock | None:
    root: md.ListBlock | None = None
    stack: list[md.ListBlock] = []
    for line in run:
        match = _ITEM.match(line)
        if match is None:
            return None
        bullets = match.group(1)
        depth = len(bullets) - 1
        if depth > len(stack) or (depth == len(stack) and stack and not stack[-1].items):
            return None
        if depth == len(stack):
            block = md.ListBlock(bullets[-1] == "#")
            if stack:
                stack[-1].items[-1].children = block
            else:
                root = block
            stack.append(block)
        del stack[depth + 1 :]
        stack[depth].items.append(md.Item(_read_inlines(match.group(2))))
    return root


def _read_inlines(text: str, marks: frozenset[md.Mark] = frozenset()) -> list[md.Inline]:
    out: list[md.Inline] = []
    run: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("\\\\", i):  # a forced line break
            md.flush(run, marks, out)
            out.append(md.Break())
            i += 2
            continue
        literal = _literal_at(text, i)
        if literal is not None:
            run.append(literal[0])
            i = literal[1]
            continue
        found = _span(text, i, marks)
        if found is None:
            run.append(text[i])
            i += 1
            continue
        nodes, i = found
        md.flush(run, marks, out)
        out.extend(nodes)
    md.flush(run, marks, out)
    return md.merge(out)


def _literal_at(text: str, i: int) -> tuple[str, int] | None:
    """An escaped character or an entity at ``i``: its character and where the text goes on."""
    if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
        return text[i + 1], i + 2
    entity = _ENTITY.match(text, i) if text[i] == "&" else None
    return (html.unescape(entity.group()), entity.end()) if entity else None


def _unescaped_text(text: str) -> str:
    """Text with its escapes and entities resolved (the body of ``{{monospace}}``)."""
    out, i = [], 0
    while i < len(text):
        literal = _literal_at(text, i)
        out.append(literal[0] if literal else text[i])
        i = literal[1] if literal else i + 1
    return "".join(out)


def _span(text: str, i: int, marks: frozenset[md.Mark]) -> tuple[list[md.Inline], int] | None:
    if text.startswith("{{", i):
        end = _unescaped(text, "}}", i + 2)
        if end > i + 2:
            body = _unescaped_text(text[i + 2 : end])
            links = frozenset(m for m in marks if m.startswith("link:"))
            return [md.Text(body, frozenset({"code"}) | links)], end + 2
        return None
    if text[i] == "[" and not any(m.startswith("link:") for m in marks):
        end = _unescaped(text, "]", i + 1)
        inner = text[i + 1 : end] if end > 0 else ""
        label, bar, href = inner.rpartition("|")
        if end > 0 and bar and label and href and " " not in href.strip():
            return _read_inlines(label, marks | {f"link:{href.strip()}"}), end + 1
        return None
    for mark, delim in (("strong", "*"), ("em", "_"), ("strike", "-")):
        if text[i] == delim and mark not in marks and _opens(text, i):
            close = _closing(text, i + 1, delim)
            if close is not None:
                return _read_inlines(text[i + 1 : close], marks | {mark}), close + 1
    return None


def _opens(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return not before.isalnum() and not after.isspace()


def _closing(text: str, start: int, delim: str) -> int | None:
    end = _unescaped(text, delim, start)
    if end <= start or text[end - 1].isspace() or "\n" in text[start:end]:
        return None
    after = text[end + 1] if end + 1 < len(text) else " "
    return None if after.isalnum() else end


def _unescaped(text: str, needle: str, start: int) -> int:
    """The next ``needle`` at or after ``start`` that is not escaped; -1 if none."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1
