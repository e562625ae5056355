"""A pids cgroup per test run: the one process limit that also binds root.

RLIMIT_NPROC counts every process of the user and does not apply to root at all, so
it cannot stop a fork bomb in a run started by root, nor tell this run's processes
from the user's others. A pids cgroup can: it caps the processes of one run, counts
how often the cap was hit, and lists every process the run started, so that a timeout
kills grandchildren that left the process group too. Only the pids controller is
used; memory stays a per-process rlimit, since the memory hierarchy usually belongs
to whoever started us (a service manager, a container runtime).

Both cgroup v1 (a ``pids`` hierarchy) and v2 (when ``pids`` is already delegated to
our cgroup's children) work. Where neither is writable, ``PidsCgroup.create``
returns None and the run says so in ``TestRun.isolation``.
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import time
from pathlib import Path

_PREFIX = "healloop-"
_counter = itertools.count()


def _own_cgroup(controller: str | None) -> str | None:
    """Return our cgroup path in the v1 hierarchy of controller, or in v2 (None)."""
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (controller is None and controllers == "") or (
            controller is not None and controller in controllers.split(",")
        ):
            return path
    return None


def _mounts() -> list[tuple[str, str, set[str]]]:
    """Return (mount point, fs type, super options) of each cgroup mount."""
    found: list[tuple[str, str, set[str]]] = []
    try:
        text = Path("/proc/self/mountinfo").read_text(encoding="utf-8")
    except OSError:
        return found
    for line in text.splitlines():
        pre, _, post = line.partition(" - ")
        fstype, _, options = (post.split(" ") + ["", "", ""])[:3]
        if fstype in ("cgroup", "cgroup2"):
            found.append((pre.split(" ")[4], fstype, set(options.split(","))))
    return found


def _candidates() -> list[Path]:
    """Return the folders where a child pids cgroup of ours could be made."""
    bases = []
    for mount, fstype, options in _mounts():
        own = _own_cgroup("pids" if fstype == "cgroup" else None)
        if own is None or (fstype == "cgroup" and "pids" not in options):
            continue
        bases.append(Path(mount) / own.lstrip("/"))
    return bases


def _usable(base: Path) -> bool:
    probe = base / f"{_PREFIX}{os.getpid()}-probe"
    try:
        control = base / "cgroup.subtree_control"
        # v2: use pids only where it is already delegated to our children; turning
        # controllers on is the business of whoever owns our cgroup.
        if control.exists() and "pids" not in control.read_text(encoding="ascii").split():
            return False
        probe.mkdir(exist_ok=True)
        try:
            return (probe / "pids.max").exists()
        finally:
            probe.rmdir()
    except OSError:
        return False


@functools.cache
def pids_hierarchy() -> Path | None:
    """Return the folder under which runs get their pids cgroup, or None."""
    return next((base for base in _candidates() if _usable(base)), None)


def _sweep(base: Path) -> None:
    """Remove empty cgroups left by healloop processes that died without cleaning up."""
    for child in base.glob(f"{_PREFIX}*"):
        owner = child.name[len(_PREFIX):].split("-")[0]
        if not owner.isdigit() or int(owner) == os.getpid():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            try:
                child.rmdir()
            except OSError:
                pass
        except PermissionError:
            pass


class PidsCgroup:
    """A cgroup holding every process of one run, with at most max_pids of them."""

    def __init__(self, path: Path) -> None:
        """Wrap an existing cgroup folder; use create() to make one."""
        self.path = path

    @classmethod
    def create(cls, max_pids: int) -> PidsCgroup | None:
        """Make a fresh cgroup limited to max_pids processes, or None if we cannot."""
        base = pids_hierarchy()
        if base is None:
            return None
        _sweep(base)
        path = base / f"{_PREFIX}{os.getpid()}-{next(_counter)}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_pids), encoding="ascii")
        except OSError:
            return None
        return cls(path)

    @property
    def procs_file(self) -> str:
        """The file a process writes its pid into to join."""
        return str(self.path / "cgroup.procs")

    def pids(self) -> list[int]:
        """Return the processes in the cgroup now."""
        try:
            text = (self.path / "cgroup.procs").read_text(encoding="ascii")
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def times_limit_hit(self) -> int:
        """Return how many forks the limit refused."""
        try:
            text = (self.path / "pids.events").read_text(encoding="ascii")
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "max":
                return int(value)
        return 0

    def kill_all(self, rounds: int = 200) -> int:
        """SIGKILL every process in the cgroup until none is left; return how many."""
        killed: set[int] = set()
        for _ in range(rounds):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)
        return len(killed)

    def remove(self) -> None:
        """Kill what is left and delete the cgroup (zombies may delay it briefly)."""
        self.kill_all()
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.01)
