"""What the Microsoft Project tests share: our own plan, adapters over a copy, tree diffs."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

from lxml import etree

from adapters.base import AdapterContext
from adapters.msproject.adapter import MSProjectAdapter
from adapters.msproject.config import MSProjectConnection, MSProjectMember

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "msproject"
WEBSITE = FIXTURES / "website.xml"  # our own plan: summaries, milestone, costs, links, budget
NOW = dt.datetime(2026, 3, 1, 9, 30)


def member(path: Path, **settings: object) -> MSProjectMember:
    """A member over ``path``."""
    return MSProjectMember(connection="plan", path=path, **settings)  # type: ignore[arg-type]


def adapter_for(
    path: Path, *, currency: str | None = "EUR", **settings: object
) -> MSProjectAdapter:
    """An adapter over ``path`` with a fixed clock."""
    context = AdapterContext("plan", people={}, currency=currency)
    return MSProjectAdapter(
        MSProjectConnection(), member(path, **settings), context, clock=lambda: NOW
    )


@contextlib.asynccontextmanager
async def opened(path: Path, **settings: object) -> AsyncIterator[MSProjectAdapter]:
    """An open adapter over ``path``."""
    async with adapter_for(path, **settings) as adapter:
        yield adapter


def c14n(data: bytes) -> bytes:
    """The canonical form of a document (XML C14N 2.0)."""
    return etree.canonicalize(
        data.decode("utf-8") if data[:3] != b"\xef\xbb\xbf" else data[3:].decode()
    )


def _key(element: etree._Element) -> str:
    name = etree.QName(element).localname
    uid = next((c.text for c in element if etree.QName(c).localname == "UID"), None)
    return f"{name}[UID={uid}]" if uid is not None and len(element) > 1 else name


def _flatten(element: etree._Element, prefix: str, out: dict[str, str]) -> None:
    counts: dict[str, int] = {}
    for sub in element:
        if not isinstance(sub.tag, str):
            continue
        key = _key(sub)
        counts[key] = counts.get(key, 0) + 1
        path = f"{prefix}/{key}" + (f"#{counts[key]}" if counts[key] > 1 else "")
        if len(sub):
            _flatten(sub, path, out)
        else:
            out[path] = (sub.text or "").strip()


def leaves(data: bytes) -> dict[str, str]:
    """Every leaf element of a document by a stable path (records named by UID)."""
    root = etree.fromstring(data)
    out: dict[str, str] = {}
    _flatten(root, "Project", out)
    return out


def changed(before: bytes, after: bytes) -> set[str]:
    """The leaf paths whose value differs, appeared or disappeared."""
    old, new = leaves(before), leaves(after)
    return {p for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
