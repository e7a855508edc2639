"""The plan file behind a small interface: hashed reads, atomic checked writes, backups.

The member's system of record is one file that a person also opens and saves in Microsoft
Project, so syncd must never damage it nor overwrite their work:

- every read returns the bytes with their version (a SHA-256 hash);
- a write names the version it was planned from and is refused (`FileChanged`) when the file
  on disk is no longer that version, so the person's save wins and syncd re-reads and re-plans;
- a write is atomic: a temporary file in the same folder, flushed and fsynced, then renamed
  over the plan, so a reader (or a crash) sees the old file or the new one, never half of one;
- the replaced version is kept as ``<name>.bak`` (configurable).

`PlanFile` is the interface the adapter uses; `LocalPlanFile` is a file on this machine. A file
in SharePoint/OneDrive (Microsoft Graph) would be another `PlanFile` whose version is the item's
eTag and whose write is an upload with ``If-Match``; the mapping does not change.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import structlog

from syncd.errors import MemberError, Replan

if sys.platform != "win32":
    import fcntl

log = structlog.get_logger("adapters.msproject")

# flock() is not supported on some network filesystems; the hash check still protects the file.
_NO_LOCKING = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL})
# The plan is opened without following a symlink in its last component, and without waiting
# for a writer should it be a FIFO (then refused). Neither flag exists on Windows.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


@dataclass(frozen=True)
class Snapshot:
    """One version of the plan file: its bytes and a version tag for checked writes."""

    data: bytes = field(repr=False)  # never in a log line or a traceback
    version: str  # SHA-256 (hex) of ``data`` for local files; a Graph store would use the eTag

    @classmethod
    def of(cls, data: bytes) -> Snapshot:
        """The snapshot of ``data``, versioned by its SHA-256 hash."""
        return cls(data, hashlib.sha256(data).hexdigest())


class FileChanged(Replan):
    """The file is no longer the version a write was planned from: nothing was written.

    The person's version wins: re-read the file and plan again.
    """

    def __init__(
        self, name: str, detail: str = "was saved by someone else since syncd read it"
    ) -> None:
        self.file = name
        super().__init__(f"{name} {detail}: nothing was written; re-read it and plan again")


class PlanFile(Protocol):
    """Where a plan is read from and written to (synchronous: call it through a thread)."""

    @property
    def name(self) -> str:
        """The file's name for messages (a path, or a URL for a remote store)."""
        ...

    def read(self) -> Snapshot:
        """The current version; `MemberError` (naming the file) when it cannot be read."""
        ...

    def write(self, data: bytes, *, expected: str) -> Snapshot:
        """Replace the file with ``data`` if it is still version ``expected``, else `FileChanged`.

        Returns the new version. Other failures raise `OSError` or `MemberError` and leave the
        file as it was.
        """
        ...

    def writable_problem(self) -> str | None:
        """Why a write would fail (for ``syncd check``), or None when it should succeed."""
        ...


class LocalPlanFile:
    """A plan file on this machine (or a mounted share).

    Args:
        path: the plan file. A symlink there is refused, for reading and for writing: a plan
            replaced by a link (to another project's plan, to a system file) must not be read
            as the member's, nor written through; and replacing the link with a file would
            silently detach it. Symlinked folders on the way are followed: the temporary,
            backup and lock files live in the real folder.
        backup_suffix: keep the replaced version as ``<name><suffix>`` next to the file; None
            keeps no backup.
        max_bytes: refuse to read (or write) a file larger than this.
        lock_timeout: how long a write waits for another syncd process writing the same file.
    """

    def __init__(
        self,
        path: Path,
        *,
        backup_suffix: str | None = ".bak",
        max_bytes: int = 64 * 2**20,
        lock_timeout: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.backup_suffix = backup_suffix
        self.max_bytes = max_bytes
        self.lock_timeout = lock_timeout

    @property
    def name(self) -> str:
        """The path as configured."""
        return str(self.path)

    def __repr__(self) -> str:
        return f"LocalPlanFile({self.name!r})"

    def read(self) -> Snapshot:
        """The file's bytes and their hash."""
        return Snapshot.of(self._read_bytes(self.path))

    def write(self, data: bytes, *, expected: str) -> Snapshot:
        """Atomically replace the file with ``data`` if its hash is still ``expected``."""
        if len(data) > self.max_bytes:
            # Writing a file that the next read refuses would leave the member stuck.
            raise MemberError(
                f"{self.name}: the new version would be {len(data)} bytes, larger than the "
                f"limit of {self.max_bytes} bytes (max_bytes); nothing was written"
            )
        target = self._target()
        with _advisory_lock(target, self.lock_timeout, self.name) as held:
            if held:  # only the lock holder may write temporary files: the rest are orphans
                _remove_orphans(target)
            self._swap(target, data, expected)
        return Snapshot.of(data)

    def writable_problem(self) -> str | None:
        """Why a write would fail: a missing or read-only file, a folder syncd cannot write."""
        target = self._target()
        try:
            info = os.lstat(target)
        except OSError as exc:
            return f"{self.name} cannot be used: {exc.strerror or exc}"
        if not stat.S_ISREG(info.st_mode):
            return self._not_a_file(target, info)
        if not _may_write(target, info):
            return f"{self.name} is read-only: syncd does not write read-only plans"
        if not _access(target.parent, os.W_OK | os.X_OK):
            return (
                f"the folder {target.parent} is not writable: syncd writes the new version "
                "to a temporary file next to the plan and renames it over the plan"
            )
        backup = self._backup_path(target)
        if backup is not None and backup.is_dir():
            return f"the backup path {backup} is a folder"
        return None

    # -- helpers --------------------------------------------------------------------------------

    def _target(self) -> Path:
        return Path(os.path.realpath(self.path.parent)) / self.path.name

    def _not_a_file(self, path: Path, info: os.stat_result) -> str:
        if stat.S_ISLNK(info.st_mode):
            try:
                to = f" to {os.readlink(path)}"
            except OSError:
                to = ""
            return (
                f"{self.name} is a symbolic link{to}: syncd reads and writes only the plan file "
                "itself (set the member's path to the file the link points to)"
            )
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a file")
        return f"{self.name} is not a regular file ({kind})"

    def _backup_path(self, target: Path) -> Path | None:
        if self.backup_suffix is None:
            return None
        return target.with_name(target.name + self.backup_suffix)

    def _swap(self, target: Path, data: bytes, expected: str) -> None:
        """Write ``data`` over ``target`` if it is still ``expected``, keeping the backup."""
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            raise FileChanged(self.name, "was removed or renamed since syncd read it") from None
        if not stat.S_ISREG(info.st_mode):  # replaced by a link, say, since syncd read it
            raise MemberError(f"{self._not_a_file(target, info)}; nothing was written")
        _refuse_read_only(target, info)
        new = _temp_copy(target, data, info)
        old: Path | None = None
        try:
            # Microsoft Project does not lock XML files (nor would it honour our lock), so the
            # only protection against overwriting a person's save is to compare what is on
            # disk with what the write was planned from, as late as possible (after the slow
            # write and fsync), and to keep the bytes actually replaced as the backup.
            current = self._current(target)
            if hashlib.sha256(current).hexdigest() != expected:
                raise FileChanged(self.name)
            if self.backup_suffix is not None:
                old = _keep_old(target, current, info)
            os.replace(new, target)
        except BaseException:
            _remove(new)
            if old is not None:
                _remove(old)
            raise
        backup = self._backup_path(target)
        if old is not None and backup is not None:
            _install_backup(old, backup)
        _fsync_folder(target.parent)

    def _current(self, target: Path) -> bytes:
        try:
            return self._read_bytes(target)
        except MemberError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):
                raise FileChanged(self.name, "was removed or renamed since syncd read it") from exc
            raise

    def _read_bytes(self, path: Path) -> bytes:
        try:
            info = os.lstat(path)  # a symlink is named as one, not as what it points to
            if not stat.S_ISREG(info.st_mode):
                raise MemberError(self._not_a_file(path, info))
            # What is opened is checked again: the path may have been swapped meanwhile.
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
            with open(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise MemberError(self._not_a_file(path, info))
                self._check_size(info.st_size)
                data = handle.read(self.max_bytes + 1)
        except FileNotFoundError as exc:
            raise MemberError(f"{self.name} does not exist") from exc
        except PermissionError as exc:
            raise MemberError(f"{self.name} cannot be read: permission denied") from exc
        except OSError as exc:
            raise MemberError(f"{self.name} cannot be read: {exc.strerror or exc}") from exc
        self._check_size(len(data))  # it grew while we read it
        return data

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise MemberError(
                f"{self.name} is larger than the limit of {self.max_bytes} bytes (max_bytes): "
                "it is not read"
            )


def _install_backup(old: Path, backup: Path) -> None:
    """Rename the replaced version to its backup name (once the plan is written)."""
    try:
        os.replace(old, backup)
    except OSError as exc:
        # The plan is written; failing now would report a write that happened as failed.
        _remove(old)
        log.warning("msproject.backup_failed", file=str(backup), error=exc.strerror)


def _temp_copy(target: Path, data: bytes, info: os.stat_result) -> Path:
    """A fsynced temporary file next to ``target`` holding ``data``, with its owner and mode."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.syncd-", suffix=".tmp", dir=target.parent)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _copy_owner_and_mode(path, info)
    except BaseException:
        _remove(path)
        raise
    return path


def _keep_old(target: Path, current: bytes, info: os.stat_result) -> Path:
    """A temporary name for the version about to be replaced, to become the backup.

    A hard link keeps exactly the bytes the rename replaces, even if someone saved after our
    hash check; where the filesystem has no hard links, a copy of the checked bytes is kept.
    """
    try:
        return _link_beside(target)
    except OSError:
        return _temp_copy(target, current, info)


def _link_beside(target: Path) -> Path:
    # os.link never overwrites: pick a fresh name, like mkstemp would
    name = target.with_name(f".{target.name}.syncd-{uuid.uuid4().hex[:12]}.tmp")
    os.link(target, name)
    return name


def _copy_owner_and_mode(path: Path, info: os.stat_result) -> None:
    if hasattr(os, "chown"):
        # Only root may give a file away; keeping the group works for members of it.
        with contextlib.suppress(OSError):
            os.chown(path, info.st_uid, info.st_gid)
        with contextlib.suppress(OSError):
            os.chown(path, -1, info.st_gid)
    os.chmod(path, stat.S_IMODE(info.st_mode))  # after chown, which may clear set-id bits


def _refuse_read_only(target: Path, info: os.stat_result) -> None:
    # A rename would replace a read-only file just fine: honour the person's intent instead.
    if not _may_write(target, info):
        raise PermissionError(
            errno.EACCES,
            "the file is read-only (syncd does not write read-only plans)",
            str(target),
        )


def _may_write(target: Path, info: os.stat_result) -> bool:
    # The mode check matters for root, whom os.access always allows.
    return bool(info.st_mode & 0o222) and _access(target, os.W_OK)


def _access(path: Path, mode: int) -> bool:
    effective = os.access in os.supports_effective_ids
    return os.access(path, mode, effective_ids=effective)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; best effort (Windows cannot, some filesystems refuse)."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _remove_orphans(target: Path) -> None:
    """Delete temporary files a killed syncd left next to the plan (call under the lock)."""
    prefix, suffix = f".{target.name}.syncd-", ".tmp"
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and entry.name.endswith(suffix):
                _remove(Path(entry.path))


@contextlib.contextmanager
def _advisory_lock(target: Path, timeout: float, name: str) -> Iterator[bool]:
    """Hold ``.<name>.syncd.lock`` next to the plan so two syncd writers never interleave.

    Yields whether the lock is held: False where there is no ``flock`` (Windows, some network
    filesystems); the version check still refuses a write over a changed file there.
    """
    if sys.platform == "win32":
        yield False
        return
    # Read-only is enough for flock, and never truncates whatever the name points to.
    # O_NOFOLLOW: a link planted at the lock's name must not make syncd create a file
    # wherever it points (which a syncd running with more rights than the planter could).
    lock = target.with_name(f".{target.name}.syncd.lock")
    fd = os.open(lock, os.O_RDONLY | os.O_CREAT | _NOFOLLOW, 0o666)
    try:
        yield _acquire(fd, timeout, name)
    finally:
        os.close(fd)  # releases the lock


def _acquire(fd: int, timeout: float, name: str) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise MemberError(
                    f"{name}: another syncd process has been writing it for over {timeout:g} s; "
                    "nothing was written"
                ) from None
            time.sleep(0.05)
        except OSError as exc:
            if exc.errno in _NO_LOCKING:
                return False
            raise
        else:
            return True
