"""A scratch copy of the user's repository where candidates are measured.

Candidates are untrusted code, so they run in a copy, never in the user's tree. The
copy is made by ``healloop.sandbox.snapshot`` (only what tests need, contents shared
where that is safe) and can be put back as it was with ``reset()``, so that one copy
serves every candidate of a run (see ``WorkspacePool``).

Layout of the scratch folder, ``Workspace.root``, the only place test runs may
write (where Landlock is available)::

    repo/   the copy; the current folder of test runs
    home/   HOME of test runs
    tmp/    TMPDIR of test runs

Results and output of test runs are kept elsewhere, out of the tests' reach.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from types import TracebackType

from healloop.sandbox.snapshot import LinkMode, Snapshot, rmtree
from healloop.state import FileChange

_SCRATCH = re.compile(r"healloop-(\d+)-[a-z0-9_]+")
STALE_AFTER = 600.0
"""Seconds a scratch folder of a dead process is left alone before it is swept."""


@functools.cache
def _sweep_stale(parent: Path) -> None:
    """Delete scratch folders that processes killed before close() left behind.

    A folder is stale when the process named in it is gone and the folder has not
    changed for STALE_AFTER seconds (pids can be reused, and a folder in a shared
    temp dir may belong to a process in another pid namespace). Tests cannot rename
    a scratch folder, so they cannot make a live one look stale. Once per process.
    """
    now = time.time()
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        match = _SCRATCH.fullmatch(entry.name)
        if not match or int(match[1]) == os.getpid():
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
                continue
            if now - st.st_mtime < STALE_AFTER:
                continue
            os.kill(int(match[1]), 0)
        except ProcessLookupError:
            try:
                rmtree(Path(entry.path))
            except OSError:
                pass
        except OSError:
            continue


def _links_protected() -> bool:
    from healloop.sandbox.isolation import capabilities

    return capabilities().protects_links


class Workspace:
    """A throwaway copy of a repository; the user's tree is never touched."""

    def __init__(
        self, repo: Path, *, root: Path | None = None, links: LinkMode = "auto",
        exclude: Iterable[str] = (),
    ) -> None:
        """Copy repo into a new scratch folder.

        Args:
            repo: The repository to copy.
            root: Folder to make the scratch folder in (default: the system temp).
            links: "auto" shares file contents where safe (reflinks, protected hard
                links); "copy" copies every byte.
            exclude: Extra file or folder name patterns to leave out of the copy.

        """
        self.repo = Path(repo).resolve()
        parent = Path(root or tempfile.gettempdir()).resolve()
        _sweep_stale(parent)
        self.root = Path(tempfile.mkdtemp(prefix=f"healloop-{os.getpid()}-", dir=parent))
        self.path = self.root / "repo"
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        try:
            self._snapshot = Snapshot(
                self.repo, self.path, links=links, exclude=exclude, can_link=_links_protected
            )
            self._fresh_dirs()
        except BaseException:
            self.close()
            raise

    def _fresh_dirs(self) -> None:
        """Empty the scratch folder except the copy; make HOME and TMPDIR."""
        for entry in self.root.iterdir():
            if entry == self.path:
                continue
            if entry.is_dir() and not entry.is_symlink():
                rmtree(entry)
            else:
                entry.unlink()
        for folder in (self.home, self.tmp):
            folder.mkdir()

    def write(self, path: str, content: str) -> None:
        """Replace one file of the copy with content (a POSIX path in the repository).

        The file is replaced, never written in place, so a hard-linked file of the user
        is never written through.

        Raises:
            ValueError: path is absolute or leaves the copy.

        """
        rel = PurePosixPath(path)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts or "\\" in path:
            raise ValueError(f"not a path inside the repository: {path!r}")
        dest = self.path.joinpath(*rel.parts)
        existing = dest.parent
        while not existing.exists():
            existing = existing.parent
        for folder in (existing, dest.parent):
            if not Path(os.path.realpath(folder)).is_relative_to(self.path):
                raise ValueError(f"path leaves the repository through a symlink: {path!r}")
            dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = dest.lstat().st_mode & 0o777 if not dest.is_symlink() else 0o644
        except FileNotFoundError:
            mode = 0o644
        fd, tmp = tempfile.mkstemp(prefix=".healloop-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content.encode("utf-8"))
            os.chmod(tmp, mode)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def apply(self, changes: list[FileChange]) -> None:
        """Write candidate content into the copy (see write())."""
        for change in changes:
            self.write(change.path, change.content)

    def reset(self) -> int:
        """Make the copy match the repository again, whatever apply() or tests did.

        Paths that a run changed, added or removed, and paths the user changed in the
        repository since, are repaired one by one; the rest of the scratch folder
        (HOME, TMPDIR, anything a run left beside the copy) is emptied.

        Returns:
            How many paths of the copy were repaired.

        """
        repaired = self._snapshot.restore()
        self._fresh_dirs()
        return repaired

    def linked_files(self) -> list[str]:
        """Return the files of the copy that are hard links to the user's files."""
        return self._snapshot.linked_files()

    def counts(self) -> dict[str, int]:
        """Return how many paths of the copy were made each way (copy, reflink, ...)."""
        return self._snapshot.counts()

    def close(self) -> None:
        """Delete the scratch folder."""
        if self.root.exists():
            try:
                rmtree(self.root)
            except OSError:
                pass

    def __enter__(self) -> Workspace:
        """Use as a context manager that deletes the copy on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Delete the copy."""
        self.close()
