"""Hostile plan files (issue: "MSPDI: XML bombs, external entities, non-MSPDI XML, truncated
files, a file replaced by a symlink: refused clearly, the original file untouched").

Each hostile plan is put where a member's plan was, after a clean first sync with a memory
member, and a record is edited in the memory member so that syncd has something to write to the
plan. Then: the adapter's fetch fails as a member-level error naming the file, ``check`` reports
it, the sync run reports it and carries on without the plan, the memory member loses nothing,
and the hostile file (and whatever a symlink points to, and the symlink itself) is left exactly
as it was: syncd never writes to it, nor "repairs" it.

`tests/unit/msproject/test_xmldoc.py` and `test_files.py` test the parser and the file on their
own; this file goes through the adapter and the engine.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import os
import random
import shutil
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import AdapterContext
from adapters.memory.adapter import MemoryAdapter
from adapters.memory.backend import MemoryBackend, StoredRecord
from adapters.memory.config import MemoryConnection, MemoryMember
from adapters.msproject.adapter import MSProjectAdapter
from adapters.msproject.files import LocalPlanFile, Snapshot
from syncd.engine import RunReport, SyncOptions, sync_group
from syncd.errors import MemberError
from syncd.plan import Policy
from syncd.store import Store
from tests.syncing import open_store
from tests.unit.msproject.helpers import WEBSITE, adapter_for

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX symlinks and FIFOs")
PASSWD = Path("/etc/passwd")
NS = 'xmlns="http://schemas.microsoft.com/project"'
FIXTURE = WEBSITE.read_bytes()
CLOSING = FIXTURE.rindex(b"</Project>")  # a cut before this leaves the document unfinished


# --- the group: a memory member and the plan ---------------------------------------------------


@dataclass
class Group:
    """A memory member and a plan file, synced through one state store."""

    store: Store
    path: Path
    memory: MemoryBackend = field(default_factory=MemoryBackend)
    settings: dict[str, object] = field(default_factory=dict)  # the plan member's settings
    file: Callable[[Path], LocalPlanFile] | None = None  # a stand-in for the plan file

    def sync(self) -> RunReport:
        return asyncio.run(self._sync())

    async def _sync(self) -> RunReport:
        memory = MemoryAdapter(
            MemoryConnection(), MemoryMember(connection="mem"), AdapterContext("mem"), self.memory
        )
        plan: MSProjectAdapter = adapter_for(self.path, currency=None, **self.settings)
        if self.file is not None:
            plan.file = self.file(self.path)
        async with memory, plan:
            return await sync_group(
                self.store, "plan", {"mem": memory, "plan": plan}, Policy(), SyncOptions()
            )


@pytest.fixture
def group(tmp_path: Path) -> Group:
    """A group after a clean first sync, with a title edited in the memory member since."""
    folder = tmp_path / "plans"
    folder.mkdir()
    path = folder / "website.xml"
    shutil.copyfile(WEBSITE, path)
    synced = Group(open_store(tmp_path), path)
    first = synced.sync()
    assert first.status == "ok", first.result.failures
    task = next(ext for ext, rec in synced.memory.records.items() if rec.kind == "task")
    synced.memory.change(task, {"title": "Edited in memory, to be written to the plan"})
    return synced


# --- what must not change -----------------------------------------------------------------------


def fingerprint(path: Path) -> tuple[str, ...]:
    """What a path is, without following a link: kind, link target, and bytes (by hash)."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISREG(info.st_mode):
        return ("file", hashlib.sha256(path.read_bytes()).hexdigest(), oct(info.st_mode))
    if stat.S_ISDIR(info.st_mode):
        return ("folder", *sorted(os.listdir(path)))
    return ("other", oct(stat.S_IFMT(info.st_mode)))


def watched(folders: list[Path], extra: list[Path]) -> dict[Path, tuple[str, ...]]:
    """Every entry of ``folders`` (the plan's, a link target's) and ``extra``, fingerprinted."""
    paths = [p for folder in folders for p in folder.iterdir()] + extra
    return {p: fingerprint(p) for p in paths} | {f: fingerprint(f) for f in folders}


def records(memory: MemoryBackend) -> dict[str, StoredRecord]:
    return copy.deepcopy(memory.records)


# --- the hostile plans ----------------------------------------------------------------------------


def _xml(doctype: str, body: str = "<Name>x</Name>") -> bytes:
    return f'<?xml version="1.0"?>\n{doctype}\n<Project {NS}>{body}</Project>\n'.encode()


LAUGHS = "".join(
    f'<!ENTITY l{i} "' + (f"&l{i - 1};" * 10 if i else "lol" * 10) + '">' for i in range(10)
)
QUADRATIC = "x" * 100_000
CONTENT: dict[str, tuple[bytes, str]] = {
    # name: (the file's bytes, what the refusal says)
    "billion_laughs": (_xml(f"<!DOCTYPE Project [{LAUGHS}]>", "<Name>&l9;</Name>"), "DTD"),
    "quadratic_blowup": (
        _xml(f'<!DOCTYPE Project [<!ENTITY a "{QUADRATIC}">]>', "<Name>" + "&a;" * 50_000),
        "DTD",
    ),
    "external_entity_passwd": (
        _xml('<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "<Name>&x;</Name>"),
        "DTD",
    ),
    "external_dtd_network": (_xml('<!DOCTYPE Project SYSTEM "http://127.0.0.1:9/x.dtd">'), "DTD"),
    "external_dtd_file": (_xml('<!DOCTYPE Project SYSTEM "file:///etc/passwd">'), "DTD"),
    "parameter_entities": (
        _xml(
            '<!DOCTYPE Project [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;'
            "<!ENTITY % q \"<!ENTITY r '&#x25;p;'>\"> %q;]>",
            "<Name>&r;</Name>",
        ),
        "DTD",
    ),
    # A comment holding "<a" before the DTD once hid it from the check before parsing.
    "dtd_behind_a_comment": (
        b'<?xml version="1.0"?>\n<!-- <a> -->\n'
        + _xml(f'<!DOCTYPE Project [<!ENTITY a "{QUADRATIC}">]>', "<Name>" + "&a;" * 50_000)[22:],
        "DTD",
    ),
    # So did UTF-16, whose "<!DOCTYPE" is not those ASCII bytes.
    "dtd_in_utf16": (
        _xml(f"<!DOCTYPE Project [{LAUGHS}]>", "<Name>&l9;</Name>")
        .decode()
        .replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
        .encode("utf-16"),
        "DTD",
    ),
    "xinclude_in_a_task": (
        FIXTURE.replace(
            b"<Name>",
            b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"'
            b' parse="text"/><Name>',
            1,
        ),
        "XInclude",
    ),
    "xinclude_as_the_root": (
        b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>',
        "XInclude",
    ),
    "svg": (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>\n',
        "element <svg>: not a Microsoft Project XML file",
    ),
    "xhtml": (
        b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Plan'
        b"</p></body></html>\n",
        "element <html>: not a Microsoft Project XML file",
    ),
    "mspdi_in_another_namespace": (
        FIXTURE.replace(b"http://schemas.microsoft.com/project", b"http://example.com/project"),
        "unknown namespace",
    ),
    "undefined_entity": (f"<Project {NS}><Name>&nope;</Name></Project>".encode(), "well-formed"),
    "zero_bytes": (b"", "well-formed"),
    "white_space": (b"\n   \n", "well-formed"),
    "binary_garbage": (random.Random(7).randbytes(8192), "well-formed"),
    "mpp_renamed_xml": (
        bytes.fromhex("d0cf11e0a1b11ae1") + random.Random(8).randbytes(4096),
        "well-formed",
    ),
    **{
        f"truncated_at_{cut}": (FIXTURE[:cut], "well-formed")
        for cut in (1, 38, 100, 1000, len(FIXTURE) // 2, CLOSING, CLOSING + 5)
    },
}


def _place_content(data: bytes) -> Callable[[Group, Path], list[Path]]:
    def place(group: Group, tmp_path: Path) -> list[Path]:
        group.path.write_bytes(data)
        return []

    return place


def _link_to_a_copy(group: Group, tmp_path: Path) -> list[Path]:
    """The plan replaced by a symlink to a copy of itself in another folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copied = elsewhere / "website-copy.xml"
    shutil.copyfile(group.path, copied)
    group.path.unlink()
    group.path.symlink_to(copied)
    return [elsewhere]


def _link_to_passwd(group: Group, tmp_path: Path) -> list[Path]:
    group.path.unlink()
    group.path.symlink_to(PASSWD)
    return [PASSWD]


def _dangling_link(group: Group, tmp_path: Path) -> list[Path]:
    group.path.unlink()
    group.path.symlink_to(tmp_path / "nowhere.xml")
    return []


def _fifo(group: Group, tmp_path: Path) -> list[Path]:
    group.path.unlink()
    os.mkfifo(group.path)
    return []


def _folder(group: Group, tmp_path: Path) -> list[Path]:
    group.path.unlink()
    group.path.mkdir()
    return []


def _over_the_limit(group: Group, tmp_path: Path) -> list[Path]:
    group.settings = {"max_bytes": 4096}  # the plan is about 14 kB
    return []


passwd = pytest.mark.skipif(not PASSWD.is_file(), reason=f"no {PASSWD}")
PLACES = [
    *(pytest.param(_place_content(data), says, id=name) for name, (data, says) in CONTENT.items()),
    pytest.param(
        _link_to_a_copy, "is a symbolic link to", id="symlink_to_a_copy", marks=posix_only
    ),
    pytest.param(
        _link_to_passwd, "is a symbolic link to", id="symlink_to_passwd", marks=[posix_only, passwd]
    ),
    pytest.param(_dangling_link, "is a symbolic link to", id="dangling_symlink", marks=posix_only),
    pytest.param(_fifo, "not a regular file (a named pipe)", id="fifo", marks=posix_only),
    pytest.param(_folder, "not a regular file (a folder)", id="folder"),
    pytest.param(_over_the_limit, "larger than the limit of 4096 bytes", id="over_the_limit"),
]


def _clear(message: str, path: Path) -> None:
    """A refusal a person can act on: one line naming the file, no traceback."""
    assert str(path) in message, message
    assert "\n" not in message.strip(), message
    assert "Traceback" not in message
    assert 'File "' not in message


@pytest.mark.parametrize(("place", "says"), PLACES)
def test_a_hostile_plan_is_refused_and_left_untouched(
    group: Group,
    tmp_path: Path,
    place: Callable[[Group, Path], list[Path]],
    says: str,
) -> None:
    """The fetch fails as a member error naming the file; the run reports it; the memory
    member keeps every record; nothing at the plan's path (or behind a link) changes."""
    extra = place(group, tmp_path)
    before = watched([group.path.parent, *(p for p in extra if p.is_dir())], extra)
    kept = records(group.memory)

    async def fetch_and_check() -> tuple[BaseException | None, list[str]]:
        async with adapter_for(group.path, currency=None, **group.settings) as adapter:
            checked = await adapter.check()
            try:
                await asyncio.wait_for(adapter.fetch(None), timeout=10)
            except Exception as exc:  # noqa: BLE001 - what it raises is the subject
                return exc, [p.message for p in checked.problems]
        return None, [p.message for p in checked.problems]

    error, problems = asyncio.run(fetch_and_check())
    assert isinstance(error, MemberError), repr(error)
    _clear(str(error), group.path)
    assert says in str(error)
    assert problems, "syncd check reports the plan"
    assert says in problems[0]

    report = group.sync()
    assert report.status == "partial"
    assert list(report.member_errors) == ["plan"]
    _clear(report.member_errors["plan"], group.path)
    assert says in report.member_errors["plan"]
    assert report.result.writes == 0
    assert records(group.memory) == kept  # nothing deleted, archived or cleared
    assert watched([group.path.parent, *(p for p in extra if p.is_dir())], extra) == before


@settings(max_examples=40, deadline=None, derandomize=True)
@given(cut=st.integers(0, CLOSING + len("</Project") - 1))
def test_the_plan_cut_anywhere_is_refused(cut: int) -> None:
    """Our plan cut short at any byte is refused as not well-formed, naming the file."""
    from adapters.msproject.xmldoc import PlanFormatError, parse

    with pytest.raises(PlanFormatError, match=r"^cut\.xml:\d+: ") as caught:
        parse(FIXTURE[:cut], "cut.xml", max_bytes=1 << 20)
    assert "well-formed" in str(caught.value)


# --- a symlink swapped in after a clean sync ----------------------------------------------------


@posix_only
def test_a_plan_replaced_by_a_symlink_is_neither_read_nor_written_through(
    group: Group, tmp_path: Path
) -> None:
    """After a clean sync the plan becomes a link to a copy: the next sync reads nothing
    through it, writes nothing (the memory edit stays pending), and the link stays a link."""
    folders = [group.path.parent, *_link_to_a_copy(group, tmp_path)]
    before = watched(folders, [])
    report = group.sync()
    assert "is a symbolic link to" in report.member_errors["plan"]
    assert report.result.writes == 0
    assert watched(folders, []) == before
    assert group.path.is_symlink()


class SwappedForALink(LocalPlanFile):
    """The plan file, replaced by a symlink to a copy of itself just before syncd writes it."""

    def write(self, data: bytes, *, expected: str) -> Snapshot:
        copied = self.path.parent.parent / "elsewhere" / "website-copy.xml"
        copied.parent.mkdir(exist_ok=True)
        shutil.copyfile(self.path, copied)
        self.path.unlink()
        self.path.symlink_to(copied)
        return super().write(data, expected=expected)


@posix_only
def test_a_symlink_swapped_in_before_the_write_is_not_written_through(
    group: Group, tmp_path: Path
) -> None:
    """A link that appears between syncd's read and its write stops the write: neither the
    link nor the file it points to is replaced, and the run says why."""
    group.file = SwappedForALink
    report = group.sync()
    assert report.status == "partial"
    failures = [f for f in report.result.failures if f.member == "plan"]
    assert failures, report.result.failures
    assert all("is a symbolic link to" in f.error for f in failures)
    copied = tmp_path / "elsewhere" / "website-copy.xml"
    assert os.readlink(group.path) == str(copied)
    assert copied.read_bytes() == WEBSITE.read_bytes()
    assert not (tmp_path / "elsewhere" / "website-copy.xml.bak").exists()
    assert sorted(p.name for p in copied.parent.iterdir()) == ["website-copy.xml"]


@posix_only
def test_the_plan_back_in_place_syncs_again(group: Group, tmp_path: Path) -> None:
    """Once the link is replaced by the real file, the pending memory edit is written."""
    _link_to_a_copy(group, tmp_path)
    assert group.sync().status == "partial"
    copied = Path(os.readlink(group.path))
    group.path.unlink()
    shutil.copyfile(copied, group.path)
    report = group.sync()
    assert report.status == "ok", (report.member_errors, report.result.failures)
    assert b"Edited in memory, to be written to the plan" in group.path.read_bytes()
    assert copied.read_bytes() == WEBSITE.read_bytes()


def test_a_plan_saved_after_a_hostile_run_is_read_as_usual(group: Group) -> None:
    """A refusal leaves no state behind: the next good version of the plan syncs, and no
    record of the memory member was lost in between."""
    group.path.write_bytes(CONTENT["billion_laughs"][0])
    kept = set(group.memory.records)
    assert group.sync().status == "partial"
    shutil.copyfile(WEBSITE, group.path)
    report = group.sync()
    assert report.status == "ok", (report.member_errors, report.result.failures)
    assert set(group.memory.records) == kept
    assert not any(rec.archived for rec in group.memory.records.values())
