"""Fast scratch copies of a repository, and putting a used copy back as it was.

Copying a large repository for every candidate would dominate a run, so a snapshot

- copies only what tests need: no VCS folders, virtualenvs, tool caches, byte code,
  egg-info or top-level build outputs (data the tests may read is kept);
- shares file contents instead of copying them where that is safe:
  * reflinks (copy-on-write clones, ``FICLONE``) on filesystems that have them
    (btrfs, XFS, bcachefs): a write to the clone never reaches the original, so every
    file may be cloned;
  * hard links otherwise, but only for large files that are not Python sources or
    configuration, and only where every process that runs candidate code sees them
    read-only. A hard link is the user's file: a candidate writing through it would
    change the user's tree, and permissions cannot stop it (root ignores them, an
    owner can chmod). So test runs bind each linked file read-only onto itself in a
    private mount namespace and drop the capabilities that could undo it
    (``healloop.sandbox.isolation``); where that is not available nothing is linked.
    healloop itself writes into a copy only by replacing files (``Workspace.apply``),
    which breaks a link instead of writing through it;
  * plain copies for everything else;
- remembers what it made (inode, size, times, mode) and from what, so ``restore``
  can make a copy that a candidate's tests changed, deleted or littered match the
  repository again by touching only what differs (on either side). Reusing one copy
  across candidates costs two walks of the tree, not a copy. Change time cannot be
  set by a process, so a candidate cannot hide a change from ``restore``.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import shutil
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

LinkMode = Literal["auto", "copy"]
How = Literal["dir", "symlink", "copy", "reflink", "hardlink"]

SKIP_ANYWHERE = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".jj", "_darcs",
    ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    ".hypothesis", ".tox", ".nox", ".eggs", "node_modules", ".ipynb_checkpoints",
    ".healloop", ".DS_Store",
})
"""Names never copied, at any depth."""
SKIP_TOP = frozenset({"build", "dist", "htmlcov", ".coverage"})
"""Names not copied at the top of the repository: build outputs and reports."""
SKIP_PATTERNS = ("*.pyc", "*.pyo", "*.egg-info", ".coverage.*")
"""File name patterns never copied."""
SOURCE_SUFFIXES = frozenset({
    ".py", ".pyi", ".pyx", ".pxd", ".pxi", ".ipynb", ".cfg", ".ini", ".toml", ".json",
    ".yaml", ".yml", ".txt", ".md", ".rst",
})
"""Files a candidate or an engine may edit: always copied, never hard-linked."""
LINK_MIN_BYTES = 64 * 1024
"""Smaller files are copied: a link saves little and each costs a mount in a run."""
MAX_LINKS = 1000
"""At most this many hard links per copy: each is a read-only mount in every run."""

_FICLONE = 0x40049409


Kind = Literal["dir", "symlink", "file"]


@dataclass
class Entry:
    """What the snapshot made at one path of the copy, and from what."""

    how: How
    signature: tuple[int, ...]
    """Of the copy: inode, size, times, mode. Change time cannot be forged."""
    source: tuple[int, ...] = ()
    """Of the repository's file when copied: inode, size, mtime, mode."""
    target: str = ""


def _signature(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)


def _source_signature(st: os.stat_result) -> tuple[int, ...]:
    # No change time: linking a file elsewhere changes it, and the user is trusted.
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)


def skip_pattern(exclude: Iterable[str] = ()) -> re.Pattern[str]:
    """Compile the name patterns never copied, plus exclude, into one regex."""
    return re.compile("|".join(fnmatch.translate(p) for p in (*SKIP_PATTERNS, *exclude)))


def skipped(name: str, is_top: bool, is_dir: bool, path: str, pattern: re.Pattern[str]) -> bool:
    """Return whether an entry of the repository stays out of the copy."""
    if name in SKIP_ANYWHERE or (is_top and name in SKIP_TOP) or pattern.match(name):
        return True
    return is_dir and os.path.exists(os.path.join(path, "pyvenv.cfg"))


def rmtree(path: Path) -> None:
    """Delete a tree even where a candidate took away our permissions.

    Permissions are given back inside the tree only: the folder holding it (the
    system's temporary folder, say) is never touched, even when the tree is already
    gone because another process swept it first.
    """
    root = os.path.abspath(path)

    def fix(func: Callable[..., object], failed: str, _exc: object) -> None:
        if not os.path.lexists(failed):
            return  # removed meanwhile, by another process's sweep
        try:
            if os.path.abspath(failed) != root:
                os.chmod(os.path.dirname(failed), stat.S_IRWXU)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, stat.S_IRWXU)
            func(failed)
        except FileNotFoundError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=fix)
    else:
        shutil.rmtree(path, onerror=fix)


class Snapshot:
    """A copy of source at dest, and the record of it that restore() works from."""

    def __init__(
        self, source: Path, dest: Path, *, links: LinkMode = "auto",
        exclude: Iterable[str] = (), can_link: Callable[[], bool] = lambda: False,
    ) -> None:
        """Copy source to dest (which must not exist).

        Args:
            source: Repository root.
            dest: Where the copy goes.
            links: "auto" shares contents (reflinks, or safe hard links); "copy" never.
            exclude: Extra file or folder name patterns to leave out.
            can_link: Whether hard links will be protected in test runs; asked once,
                and only if there is a file worth linking.

        """
        self.source = source
        self.dest = dest
        self._skip = skip_pattern(exclude)
        self.entries: dict[str, Entry] = {}
        self._reflink = links == "auto"
        self._link = links == "auto"
        self._can_link = can_link
        self._asked = False
        self._links = 0
        dest.mkdir()
        self._root_mode = stat.S_IMODE(dest.lstat().st_mode)
        for rel, (kind, st) in self._scan().items():
            self._make(rel, kind, st)

    # -- making -------------------------------------------------------------------

    def _scan(self) -> dict[str, tuple[Kind, os.stat_result]]:
        """Return what the copy should hold, parents before children."""
        found: dict[str, tuple[Kind, os.stat_result]] = {}
        stack = ["."]
        while stack:
            rel_dir = stack.pop()
            with os.scandir(os.path.join(self.source, rel_dir)) as it:
                for entry in it:
                    rel = entry.name if rel_dir == "." else f"{rel_dir}/{entry.name}"
                    is_dir = entry.is_dir(follow_symlinks=False)
                    if skipped(entry.name, rel_dir == ".", is_dir, entry.path, self._skip):
                        continue
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISLNK(st.st_mode):
                        found[rel] = ("symlink", st)
                    elif is_dir:
                        found[rel] = ("dir", st)
                        stack.append(rel)
                    elif stat.S_ISREG(st.st_mode):
                        found[rel] = ("file", st)
        return found

    def _make(self, rel: str, kind: Kind, st: os.stat_result) -> None:
        src = os.path.join(self.source, rel)
        dst = os.path.join(self.dest, rel)
        if kind == "symlink":
            target = os.readlink(src)
            os.symlink(target, dst)
            self.entries[rel] = Entry("symlink", _signature(os.lstat(dst)), target=target)
        elif kind == "dir":
            os.mkdir(dst, stat.S_IMODE(st.st_mode) | stat.S_IRWXU)
            self.entries[rel] = Entry("dir", _signature(os.lstat(dst)))
        elif self._wants_link(rel, st) and self._try_link(src, dst):
            self.entries[rel] = Entry(
                "hardlink", _signature(os.lstat(dst)), source=_source_signature(st)
            )
        else:
            entry = self._copy_file(src, dst, st)
            entry.source = _source_signature(st)
            self.entries[rel] = entry

    def _try_link(self, src: str, dst: str) -> bool:
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            self._link = False  # another filesystem, protected_hardlinks, ...
            return False
        self._links += 1
        return True

    def _wants_link(self, rel: str, st: os.stat_result) -> bool:
        if not self._link or self._links >= MAX_LINKS or st.st_size < LINK_MIN_BYTES:
            return False
        if os.path.splitext(rel)[1].lower() in SOURCE_SUFFIXES:
            return False
        if not self._asked:
            self._asked = True
            self._link = self._can_link()
        return self._link

    def _copy_file(self, src: str, dst: str, st: os.stat_result) -> Entry:
        mode = stat.S_IMODE(st.st_mode) & 0o777
        fsrc = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fdst = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
            try:
                how: How = "copy"
                if self._reflink and st.st_size and self._clone(fsrc, fdst):
                    how = "reflink"
                elif st.st_size:
                    _copy_data(fsrc, fdst, st.st_size)
                return Entry(how, _signature(os.fstat(fdst)))
            finally:
                os.close(fdst)
        finally:
            os.close(fsrc)

    def _clone(self, fsrc: int, fdst: int) -> bool:
        try:
            import fcntl

            fcntl.ioctl(fdst, _FICLONE, fsrc)
            return True
        except (ImportError, OSError):
            self._reflink = False
            return False

    # -- reading ------------------------------------------------------------------

    def linked_files(self) -> list[str]:
        """Return the absolute paths in the copy that still share the user's inode."""
        paths = []
        for rel, entry in self.entries.items():
            if entry.how != "hardlink":
                continue
            path = os.path.join(self.dest, rel)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_ino == entry.source[0]:
                paths.append(path)
        return paths

    def counts(self) -> dict[str, int]:
        """Return how many entries were made each way."""
        found: dict[str, int] = {}
        for entry in self.entries.values():
            found[entry.how] = found.get(entry.how, 0) + 1
        return found

    # -- restoring ----------------------------------------------------------------

    def restore(self) -> int:
        """Make the copy match the repository as it is now; return paths repaired.

        Whatever differs from what the snapshot made (changed, added, removed,
        permissions taken) and whatever the user changed in the repository since is
        repaired one path at a time; everything else is left alone.
        """
        wanted = self._scan()
        repaired = 0
        if not os.path.isdir(self.dest) or os.path.islink(self.dest):
            if os.path.lexists(self.dest):
                os.unlink(self.dest)
            os.mkdir(self.dest, self._root_mode)
            repaired += 1
        elif stat.S_IMODE(os.lstat(self.dest).st_mode) != self._root_mode:
            os.chmod(self.dest, self._root_mode)
            repaired += 1
        seen: set[str] = set()
        stack = ["."]
        while stack:
            rel_dir = stack.pop()
            abs_dir = os.path.join(self.dest, rel_dir)
            for name in _listdir(abs_dir):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                path = os.path.join(abs_dir, name)
                st = os.lstat(path)
                entry = self.entries.get(rel)
                want = wanted.get(rel)
                if entry is None or want is None or not _intact(entry, st, path) \
                        or not _current(entry, *want, os.path.join(self.source, rel)):
                    _remove(path, st)
                    repaired += 1
                    continue
                if entry.how == "dir":
                    if stat.S_IMODE(st.st_mode) != stat.S_IMODE(entry.signature[4]):
                        os.chmod(path, stat.S_IMODE(entry.signature[4]))
                        repaired += 1
                    stack.append(rel)
                seen.add(rel)
        self.entries = {rel: self.entries[rel] for rel in seen}
        for rel, (kind, st) in wanted.items():
            if rel not in seen:
                self._make(rel, kind, st)
                repaired += 1
        return repaired


def _copy_data(fsrc: int, fdst: int, size: int) -> None:
    copied = 0
    try:
        while copied < size:
            n = os.copy_file_range(fsrc, fdst, size - copied)
            if n == 0:
                break
            copied += n
        return
    except (AttributeError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno not in (
            errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM,
        ):
            raise
    os.lseek(fsrc, copied, os.SEEK_SET)
    os.lseek(fdst, copied, os.SEEK_SET)
    while chunk := os.read(fsrc, 1 << 20):
        os.write(fdst, chunk)


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except PermissionError:
        os.chmod(path, stat.S_IRWXU)
        return os.listdir(path)


def _intact(entry: Entry, st: os.stat_result, path: str) -> bool:
    """Return whether a path of the copy is still what the snapshot made."""
    if entry.how == "dir":
        return stat.S_ISDIR(st.st_mode)
    if entry.how == "symlink":
        return stat.S_ISLNK(st.st_mode) and os.readlink(path) == entry.target
    if entry.how == "hardlink":
        # Another copy linking the same file changes its change time; what matters
        # is that the name still points at the user's inode, which runs keep read-only.
        return stat.S_ISREG(st.st_mode) and st.st_ino == entry.source[0]
    return _signature(st) == entry.signature


def _current(entry: Entry, kind: Kind, st: os.stat_result, source: str) -> bool:
    """Return whether the copy's entry still matches the repository's."""
    if kind == "dir":
        return entry.how == "dir"
    if kind == "symlink":
        return entry.how == "symlink" and os.readlink(source) == entry.target
    return entry.how not in ("dir", "symlink") and entry.source == _source_signature(st)


def _remove(path: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        rmtree(Path(path))
    else:
        try:
            os.unlink(path)
        except PermissionError:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            os.unlink(path)
