"""The plan file: hashed reads, atomic version-checked writes, backups, nothing ever damaged."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from adapters.msproject import files
from adapters.msproject.files import FileChanged, LocalPlanFile, PlanFile, Snapshot
from syncd.errors import MemberError

OLD = b"<Project><Name>as the person saved it</Name></Project>"
NEW = b"<Project><Name>as syncd wrote it</Name></Project>"

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and flock")


def plan(tmp_path: Path, data: bytes = OLD) -> Path:
    path = tmp_path / "plan.xml"
    path.write_bytes(data)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_local_plan_file_is_a_plan_file(tmp_path: Path) -> None:
    """LocalPlanFile satisfies the PlanFile interface the adapter depends on."""
    file: PlanFile = LocalPlanFile(plan(tmp_path))
    assert file.name == str(tmp_path / "plan.xml")


def test_read_returns_the_bytes_and_their_hash(tmp_path: Path) -> None:
    """A read gives the file's bytes, versioned by their SHA-256 hash."""
    snapshot = LocalPlanFile(plan(tmp_path)).read()
    assert snapshot == Snapshot(OLD, hashlib.sha256(OLD).hexdigest())


def test_snapshot_repr_hides_the_contents(tmp_path: Path) -> None:
    """A snapshot in a log line or traceback shows its version, never the plan's contents."""
    snapshot = Snapshot.of(OLD)
    assert "person" not in repr(snapshot)
    assert snapshot.version in repr(snapshot)


def test_write_replaces_the_file_and_keeps_a_backup(tmp_path: Path) -> None:
    """A write renames a new file over the plan and keeps the replaced version as .bak."""
    path = plan(tmp_path)
    file = LocalPlanFile(path)
    before = file.read()
    inode = path.stat().st_ino
    with path.open("rb") as reader:  # a reader of the old version keeps reading it whole
        written = file.write(NEW, expected=before.version)
        assert reader.read() == OLD
    assert path.read_bytes() == NEW
    assert path.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert written == Snapshot.of(NEW) == file.read()
    assert (tmp_path / "plan.xml.bak").read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_a_second_write_moves_the_backup_along(tmp_path: Path) -> None:
    """Each write keeps the version it replaced, with a custom suffix if configured."""
    file = LocalPlanFile(plan(tmp_path), backup_suffix=".previous")
    first = file.write(NEW, expected=file.read().version)
    file.write(b"<Project/>", expected=first.version)
    assert (tmp_path / "plan.xml.previous").read_bytes() == NEW


def test_no_backup_when_the_suffix_is_none(tmp_path: Path) -> None:
    """backup_suffix=None keeps no copy of the replaced version."""
    file = LocalPlanFile(plan(tmp_path), backup_suffix=None)
    file.write(NEW, expected=file.read().version)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "plan.xml"
    ]


def test_backup_is_copied_where_hard_links_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a filesystem without hard links the backup is a copy of the replaced bytes."""
    path = plan(tmp_path)
    path.chmod(0o640)
    file = LocalPlanFile(path)

    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    file.write(NEW, expected=file.read().version)
    backup = tmp_path / "plan.xml.bak"
    assert backup.read_bytes() == OLD
    assert stat.S_IMODE(backup.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_stale_version_is_refused_and_the_persons_save_kept(tmp_path: Path) -> None:
    """A write planned from an older version raises FileChanged and changes nothing."""
    path = plan(tmp_path, b"<Project>v1</Project>")
    file = LocalPlanFile(path)
    stale = file.read()
    path.write_bytes(OLD)  # the person saves in Microsoft Project meanwhile
    with pytest.raises(FileChanged, match=r"plan\.xml was saved by someone else") as caught:
        file.write(NEW, expected=stale.version)
    assert isinstance(caught.value, MemberError)
    assert caught.value.file == str(path)
    assert path.read_bytes() == OLD
    assert not (tmp_path / "plan.xml.bak").exists()
    assert leftovers(tmp_path) == []


def test_a_save_during_the_write_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The version check runs after the new version is on disk, so a save meanwhile wins."""
    path = plan(tmp_path, b"<Project>v1</Project>")
    file = LocalPlanFile(path)
    version = file.read().version
    write_temp = files._temp_copy

    def slow_disk(target: Path, data: bytes, info: os.stat_result) -> Path:
        written = write_temp(target, data, info)
        path.write_bytes(OLD)  # the person saves while syncd's fsync is running
        return written

    monkeypatch.setattr(files, "_temp_copy", slow_disk)
    with pytest.raises(FileChanged):
        file.write(NEW, expected=version)
    assert path.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_a_removed_file_is_not_recreated(tmp_path: Path) -> None:
    """A plan removed or renamed since it was read is a change: nothing is written."""
    path = plan(tmp_path)
    file = LocalPlanFile(path)
    version = file.read().version
    path.rename(tmp_path / "renamed.xml")
    with pytest.raises(FileChanged, match="removed or renamed"):
        file.write(NEW, expected=version)
    assert not path.exists()


@pytest.mark.parametrize("call", ["replace", "fsync"])
def test_a_failed_write_leaves_the_original_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    """A failing fsync or rename leaves the plan, its old backup and no temporary file."""
    path = plan(tmp_path)
    (tmp_path / "plan.xml.bak").write_bytes(b"older")
    file = LocalPlanFile(path)
    version = file.read().version

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, call, broken)
    with pytest.raises(OSError, match="Input/output error"):
        file.write(NEW, expected=version)
    monkeypatch.undo()
    assert path.read_bytes() == OLD
    assert (tmp_path / "plan.xml.bak").read_bytes() == b"older"
    assert leftovers(tmp_path) == []


def test_temp_files_of_a_killed_write_are_cleaned_up(tmp_path: Path) -> None:
    """The next write removes temporary files that a killed syncd left next to the plan."""
    path = plan(tmp_path)
    (tmp_path / ".plan.xml.syncd-abc123.tmp").write_bytes(b"half a plan")
    (tmp_path / ".other.xml.syncd-abc123.tmp").write_bytes(b"not ours to clean")
    file = LocalPlanFile(path)
    file.write(NEW, expected=file.read().version)
    assert leftovers(tmp_path) == [".other.xml.syncd-abc123.tmp"]


@posix_only
def test_permissions_are_kept(tmp_path: Path) -> None:
    """The new version has the permission bits of the file it replaced."""
    path = plan(tmp_path)
    path.chmod(0o640)
    file = LocalPlanFile(path)
    file.write(NEW, expected=file.read().version)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@posix_only
def test_a_symlinked_plan_is_neither_read_nor_written_through(tmp_path: Path) -> None:
    """A plan path that is a symlink is refused, and left as it is (a plan swapped for a link
    to another project's plan would otherwise be read as this one, and written); a symlinked
    folder on the way to the plan is followed."""
    real = tmp_path / "real"
    real.mkdir()
    target = plan(real)
    link = tmp_path / "linked.xml"
    link.symlink_to(target)
    file = LocalPlanFile(link)
    with pytest.raises(MemberError, match=re.escape(f"linked.xml is a symbolic link to {target}")):
        file.read()
    with pytest.raises(MemberError, match=r"is a symbolic link to .*nothing was written"):
        file.write(NEW, expected=Snapshot.of(OLD).version)
    assert "is a symbolic link" in (file.writable_problem() or "")
    assert link.is_symlink()
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in real.iterdir()) == ["plan.xml"]
    via = tmp_path / "via"
    via.symlink_to(real, target_is_directory=True)
    through = LocalPlanFile(via / "plan.xml")
    through.write(NEW, expected=through.read().version)
    assert target.read_bytes() == NEW
    assert (real / "plan.xml.bak").read_bytes() == OLD


def test_files_over_the_limit_are_refused(tmp_path: Path) -> None:
    """A file larger than max_bytes is not read; the message names the file and the limit."""
    path = plan(tmp_path, b"x" * 2000)
    with pytest.raises(MemberError, match=r"plan\.xml is larger than the limit of 1024 bytes"):
        LocalPlanFile(path, max_bytes=1024).read()


def test_writes_over_the_limit_are_refused(tmp_path: Path) -> None:
    """syncd never writes a version that its own next read would refuse."""
    path = plan(tmp_path)
    file = LocalPlanFile(path, max_bytes=1024)
    with pytest.raises(MemberError, match="2000 bytes, larger than the limit of 1024"):
        file.write(b"x" * 2000, expected=file.read().version)
    assert path.read_bytes() == OLD


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    """Reading a file that does not exist says which one."""
    path = tmp_path / "nowhere" / "plan.xml"
    with pytest.raises(MemberError, match=re.escape(f"{path} does not exist")):
        LocalPlanFile(path).read()


def test_a_folder_is_not_a_plan(tmp_path: Path) -> None:
    """A path naming a folder gives a clear error rather than an OS message."""
    with pytest.raises(MemberError, match="is not a regular file"):
        LocalPlanFile(tmp_path).read()


@posix_only
def test_a_concurrent_syncd_writer_is_waited_for(tmp_path: Path) -> None:
    """While another syncd process holds the plan's lock, a write waits and then gives up."""
    import fcntl

    path = plan(tmp_path)
    file = LocalPlanFile(path, lock_timeout=0.1)
    version = file.read().version
    fd = os.open(tmp_path / ".plan.xml.syncd.lock", os.O_RDONLY | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(MemberError, match="another syncd process"):
            file.write(NEW, expected=version)
    finally:
        os.close(fd)
    assert path.read_bytes() == OLD
    file.write(NEW, expected=version)  # released: the write goes through
    assert path.read_bytes() == NEW


def test_writable_problem_is_none_for_a_writable_plan(tmp_path: Path) -> None:
    """A plan in a writable folder has no write problem."""
    assert LocalPlanFile(plan(tmp_path)).writable_problem() is None


def test_writable_problem_names_a_missing_file(tmp_path: Path) -> None:
    """syncd check reports a plan that does not exist."""
    problem = LocalPlanFile(tmp_path / "gone.xml").writable_problem()
    assert problem is not None
    assert "gone.xml" in problem


@posix_only
def test_read_only_plans_are_reported_and_never_written(tmp_path: Path) -> None:
    """A plan marked read-only is reported by check and refused by write (even for root)."""
    path = plan(tmp_path)
    path.chmod(0o444)
    file = LocalPlanFile(path)
    assert file.writable_problem() == f"{path} is read-only: syncd does not write read-only plans"
    with pytest.raises(PermissionError, match="read-only"):
        file.write(NEW, expected=file.read().version)
    assert path.read_bytes() == OLD


@posix_only
@pytest.mark.skipif(
    sys.platform != "win32" and os.geteuid() == 0, reason="root ignores folder permissions"
)
def test_writable_problem_names_a_read_only_folder(tmp_path: Path) -> None:
    """syncd check explains that the folder must be writable for the temporary file."""
    folder = tmp_path / "plans"
    folder.mkdir()
    file = LocalPlanFile(plan(folder))
    folder.chmod(0o555)
    try:
        problem = file.writable_problem()
        with pytest.raises(PermissionError):
            file.write(NEW, expected=file.read().version)
    finally:
        folder.chmod(0o755)
    assert problem is not None
    assert f"the folder {folder} is not writable" in problem
    assert (folder / "plan.xml").read_bytes() == OLD
