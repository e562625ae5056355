"""Writing the user's files: one healloop writer per file, and atomic replacement.

``apply`` is the only code that writes to the user's tree, and it must be safe under
two faults: being killed half way (SIGKILL, power loss) and racing another healloop
run on the same repository. A crash leaves the old file or the new one, never a
mix, because the new content goes to a temporary file beside the target that
replaces it in one ``os.replace``. Two runs never write the same file at once
because each holds an exclusive lock on it under ``<repo>/.healloop/locks/``; the
operating system drops the lock when its holder dies, so a killed run blocks nobody.
What a run is about to write is recorded under ``<repo>/.healloop/applied/`` first,
so that the run, resumed after a kill, can tell its own half-done work from a change
made by someone else.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from healloop.checkpoint import state_folder
from healloop.errors import ApplyConflictError
from healloop.locks import POLL, try_lock

LOCK_WAIT = 2.0
"""Seconds to wait for another run to finish writing a file before giving up."""
_TEMP_SUFFIX = ".healloop"


@contextlib.contextmanager
def locked(repo: Path, paths: Iterable[Path], *, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold an exclusive lock on each path for the duration of the block.

    Args:
        repo: The repository whose ``.healloop/locks/`` folder holds the lock files.
        paths: The files about to be written (inside the repository or not).
        wait: Seconds to wait for a lock another run holds.

    Raises:
        ApplyConflictError: Another healloop run holds a lock for longer than wait.

    """
    folder = state_folder(repo) / "locks"
    folder.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        # One order for every run, so two runs never wait on each other in a circle.
        for path in sorted({Path(p).resolve() for p in paths}):
            key = _digest(str(path).encode())[:24]
            handle = stack.enter_context(open(folder / f"{key}.lock", "a+b"))  # noqa: SIM115
            _acquire(handle, path, wait)
        yield


def remember(repo: Path, run_id: str, writes: Iterable[tuple[Path, str]]) -> None:
    """Record what run_id is about to write, so that a second pass knows its own work.

    A run killed half way through writing resumes and writes again. A file that
    already holds what this run recorded is its own work, not a change by someone
    else; the same content written by another run is still someone else's.
    """
    digests = {str(Path(p).resolve()): _digest(content.encode()) for p, content in writes}
    write_atomic(_journal(repo, run_id), json.dumps(digests, indent=1, sort_keys=True))


def ours(repo: Path, run_id: str | None, path: Path) -> bool:
    """Return whether path holds exactly what run_id recorded it would write."""
    journal = _journal(repo, run_id) if run_id else None
    if journal is None or not journal.is_file() or not path.is_file():
        return False
    recorded = json.loads(journal.read_text(encoding="utf-8")).get(str(path.resolve()))
    return recorded == _digest(path.read_bytes())


def _journal(repo: Path, run_id: str) -> Path:
    folder = state_folder(repo) / "applied"
    folder.mkdir(exist_ok=True)
    return folder / f"{_digest(run_id.encode())[:24]}.json"


@dataclass(frozen=True)
class TextForm:
    """How a file stores its text beyond the text itself: line ends and a byte-order mark.

    healloop works on text as Python reads it (LF line ends, no mark), so analysers,
    engines and diffs see only real changes; the approved change is written back in
    the file's own form, or a one-line fix would rewrite every line of a CRLF file.
    """

    newline: str = "\n"
    bom: bool = False

    @classmethod
    def of(cls, data: bytes) -> TextForm:
        """Return the form of a file's bytes (CRLF when most of its line ends are)."""
        crlf = data.count(b"\r\n")
        return cls(newline="\r\n" if crlf and crlf * 2 >= data.count(b"\n") else "\n",
                   bom=data.startswith(b"\xef\xbb\xbf"))

    def dump(self, text: str) -> str:
        """Return text in this form."""
        if self.newline != "\n":
            text = text.replace("\r\n", "\n").replace("\n", self.newline)
        return ("\ufeff" if self.bom and not text.startswith("\ufeff") else "") + text


def read_source(path: Path) -> str:
    """Return a file's text as healloop works on it: LF line ends, no byte-order mark."""
    return path.read_text(encoding="utf-8-sig")


def form_of(path: Path) -> TextForm:
    """Return the form of the file at path; a missing file gets the plain one."""
    try:
        return TextForm.of(path.read_bytes())
    except OSError:
        return TextForm()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, content: str) -> None:
    """Replace path with content so that a crash leaves the old or the new file.

    The file is the one path names: a symlink is followed, so the file it points to
    is replaced and the user's link stays a link. What is not a regular file (a FIFO,
    a device such as /dev/null) cannot be replaced without destroying it, so it is
    written into, as a shell's ``>`` would.

    Raises:
        OSError: The file or its folder cannot be written (ENOSPC, EACCES...).

    """
    if _stream(path):  # /dev/stdout onto a file the shell opened: write after what is there
        with open(path, "a", encoding="utf-8", newline="") as fh:
            fh.write(content)
        return
    try:
        kind = os.stat(path).st_mode  # through links: a FIFO or a device stays one
    except FileNotFoundError:
        kind = None
    if kind is not None and not stat.S_ISREG(kind) and not stat.S_ISDIR(kind):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
        return
    path = Path(os.path.realpath(path))
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


_STREAM = re.compile(r"/dev/(?:stdout|stderr|fd/\d+)|/proc/(?:self|\d+)/fd/\d+")


def _stream(path: Path) -> bool:
    """Whether path names a process's open file (/dev/stdout, /dev/fd/N, /proc/self/fd/N).

    Such a file, even a regular one the shell redirected into, belongs to whoever opened
    it: replacing it would leave the shell's redirection writing into a deleted file.
    """
    return _STREAM.fullmatch(os.path.abspath(path)) is not None


def _remove_stale_temps(path: Path) -> None:
    """Delete temporary files a killed writer of path left beside it (we hold its lock)."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*{_TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _acquire(handle: IO[bytes], path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while not try_lock(handle):
        if time.monotonic() >= deadline:
            raise ApplyConflictError(
                f"another healloop run is writing {path} right now; nothing written "
                "(resume this run to try again)"
            )
        time.sleep(POLL)

