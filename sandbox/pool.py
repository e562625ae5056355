"""Scratch copies reused across the candidates of a run.

Making a copy walks and copies the whole repository; putting a used one back walks
it and repairs only what a candidate's run changed. A pool keeps a few copies and
hands each out reset, so a run pays for copies once and candidates measured in
parallel never share one.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from healloop.sandbox.snapshot import LinkMode
from healloop.sandbox.workspace import Workspace


class WorkspacePool:
    """Up to size scratch copies of one repository, each used by one caller at a time."""

    def __init__(
        self, repo: Path, *, size: int = 2, root: Path | None = None,
        links: LinkMode = "auto", exclude: Iterable[str] = (),
    ) -> None:
        """Prepare a pool; copies are made on first use (see Workspace for options)."""
        if size < 1:
            raise ValueError("a pool needs room for at least one workspace")
        self.repo = Path(repo)
        self.size = size
        self._options = {"root": root, "links": links, "exclude": tuple(exclude)}
        self._idle: list[Workspace] = []
        self._made = 0
        self._closed = False
        self._cond = threading.Condition()

    @contextmanager
    def workspace(self) -> Iterator[Workspace]:
        """Lend a clean copy for the with-block; it is reset when given back."""
        workspace = self._acquire()
        try:
            yield workspace
        finally:
            self._release(workspace)

    def _acquire(self) -> Workspace:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the workspace pool is closed")
                if self._idle:
                    return self._idle.pop()
                if self._made < self.size:
                    self._made += 1
                    break
                self._cond.wait()
        try:
            return Workspace(self.repo, **self._options)  # type: ignore[arg-type]
        except BaseException:
            with self._cond:
                self._made -= 1
                self._cond.notify()
            raise

    def _release(self, workspace: Workspace) -> None:
        try:
            if self._closed:
                raise OSError("pool closed")
            workspace.reset()
        except OSError:
            workspace.close()
            with self._cond:
                self._made -= 1
                self._cond.notify()
            return
        with self._cond:
            self._idle.append(workspace)
            self._cond.notify()

    def close(self) -> None:
        """Delete the idle copies; copies in use are deleted when given back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for workspace in idle:
            workspace.close()

    def __enter__(self) -> WorkspacePool:
        """Use as a context manager that deletes every copy on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Delete every copy."""
        self.close()


_shared: dict[tuple[Path, str, tuple[str, ...]], WorkspacePool] = {}
_shared_lock = threading.Lock()


def shared_pool(
    repo: Path, *, links: LinkMode = "auto", exclude: Iterable[str] = (), size: int = 2
) -> WorkspacePool:
    """Return this process's pool for repo, made on first use and closed at exit.

    Nodes of one run, and runs one after another, then pay for a copy once: a copy
    handed out again is reset to the repository as it is at that moment.
    """
    key = (Path(repo).resolve(), links, tuple(exclude))
    with _shared_lock:
        pool = _shared.get(key)
        if pool is None or pool._closed:
            pool = _shared[key] = WorkspacePool(key[0], size=size, links=links, exclude=key[2])
            if len(_shared) == 1:
                atexit.register(_close_shared)
        return pool


def _close_shared() -> None:
    with _shared_lock:
        pools = list(_shared.values())
        _shared.clear()
    for pool in pools:
        pool.close()
