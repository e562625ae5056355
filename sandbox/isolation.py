"""What confinement this machine offers, and the plan that confines one test run.

Each layer stops one kind of escape, and each may be missing on a given machine, so
the machine is probed once (in a throwaway child process) and every run states what
it ran without in ``TestRun.isolation``:

=========================  ===========================================  ===============
layer                      stops                                        needs
=========================  ===========================================  ===============
scrubbed environment       secrets (API keys, tokens) reaching tests    nothing
HOME, TMPDIR in the copy   dotfiles and temp files of the user          nothing
rlimits                    CPU time, memory per process, file size      POSIX
pids cgroup                fork bombs; grandchildren outliving a run    writable cgroup
network namespace          any network access (loopback is private)     root, or userns
Landlock                   writes outside the scratch folder; signals   Linux >= 5.13
                           to processes outside the run; TCP when
                           there is no network namespace (ABI >= 4)
capability drop (root)     mount, raw devices, raising rlimits, reboot  root
read-only binds            writes through hard links to user files      mount namespace
private /dev/shm           files left in shared memory                  mount namespace
=========================  ===========================================  ===============

Not limited anywhere: disk space and the number of files a run creates (only the size
of each file). Reads are not confined: tests need the interpreter, site-packages and system files
wherever they live. ``/dev/shm`` stays writable because POSIX semaphores (and so
``multiprocessing`` locks) live there; where a mount namespace is possible it is a
fresh, size-limited tmpfs of the run's own.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from healloop.sandbox.cgroup import PidsCgroup, pids_hierarchy
from healloop.sandbox.limits import Limits

if TYPE_CHECKING:
    from healloop.sandbox.workspace import Workspace

LAUNCHER = Path(__file__).parent / "_plugin" / "healloop_sandbox_launch.py"
WRITABLE_DEVICES = ("/dev/null", "/dev/zero", "/dev/full")
SHARED_MEMORY = "/dev/shm"
SHM_MAX_MB = 256

MB = 1024 * 1024


@dataclass(frozen=True)
class Capabilities:
    """Which confinement layers work on this machine, for this user."""

    platform: str
    root: bool = False
    userns: bool = False
    """We are not root, and a user namespace can be made (other namespaces go in it)."""
    netns: bool = False
    mountns: bool = False
    tmpfs: bool = False
    """A private tmpfs can be mounted (for /dev/shm)."""
    drop_caps: bool = False
    landlock_abi: int = 0
    pids_cgroup: bool = False

    @property
    def protects_links(self) -> bool:
        """Whether runs can keep hard-linked files read-only, beyond a candidate's reach."""
        return self.mountns and (self.drop_caps or not self.root)


def _probe() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="healloop-probe-") as scratch:
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-S", str(LAUNCHER), "--probe", scratch],
                capture_output=True, text=True, timeout=60, check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return {}
    if done.returncode != 0:
        return {}
    return json.loads(done.stdout)


@functools.cache
def capabilities() -> Capabilities:
    """Probe this machine once per process and return what it offers."""
    if not sys.platform.startswith("linux"):
        return Capabilities(platform=sys.platform, root=_is_root())
    found = _probe()
    return Capabilities(
        platform=sys.platform,
        root=_is_root(),
        userns=bool(found.get("userns")),
        netns=bool(found.get("netns")),
        mountns=bool(found.get("mountns")),
        tmpfs=bool(found.get("tmpfs")),
        drop_caps=bool(found.get("drop_caps")),
        landlock_abi=int(found.get("landlock_abi", 0)),
        pids_cgroup=pids_hierarchy() is not None,
    )


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def plan(
    workspace: Workspace, limits: Limits, argv: list[str], cgroup: PidsCgroup | None
) -> tuple[dict[str, Any], list[str]]:
    """Return the launcher's plan for one run, and a note for each missing layer."""
    caps = capabilities()
    missing: list[str] = []
    if not caps.platform.startswith("linux"):
        missing.append(
            f"platform {caps.platform}: no network, filesystem or process isolation; "
            "only rlimits"
        )
        return {"argv": argv, "rlimits": _rlimits(limits, memory=False)}, missing
    steps: dict[str, Any] = {"argv": argv, "rlimits": _rlimits(limits, memory=True)}
    missing.append("memory: limited per process (RLIMIT_AS), not for the run as a whole")

    if cgroup is not None:
        steps["cgroup_procs"] = cgroup.procs_file
    elif caps.root:
        missing.append("processes: no limit (root ignores RLIMIT_NPROC; no writable pids cgroup)")
    elif caps.userns:
        steps["userns"] = True
        steps["nproc"] = limits.max_processes
    else:
        steps["rlimits"]["NPROC"] = [limits.max_processes] * 2
        missing.append("processes: RLIMIT_NPROC counts all processes of the user, not the run")
    if cgroup is None:
        missing.append(
            "cleanup: processes that leave the process group can outlive the run (no cgroup)"
        )

    if limits.network:
        missing.append("network: allowed (Limits.network)")
    elif caps.netns:
        steps["netns"] = True
        steps["userns"] = caps.userns
    elif caps.landlock_abi >= 4:
        missing.append("network: no network namespace; TCP is blocked, UDP is not")
    else:
        missing.append("network: not isolated (no network namespace, no Landlock)")

    linked = workspace.linked_files()
    if linked:
        if not caps.protects_links:
            raise RuntimeError("hard-linked workspace on a machine that cannot protect links")
        steps["readonly"] = linked
        steps["userns"] = caps.userns

    if caps.tmpfs and Path(SHARED_MEMORY).is_dir():
        steps["shm_mb"] = min(limits.memory_mb, SHM_MAX_MB)
        steps["userns"] = caps.userns
    else:
        missing.append(f"shared memory: {SHARED_MEMORY} is shared with the machine")

    if caps.root:
        if caps.drop_caps:
            steps["drop_caps"] = True
        else:
            missing.append("privileges: tests run as root with every capability")

    if caps.landlock_abi:
        steps["landlock"] = {
            "abi": caps.landlock_abi,
            "write_dirs": [str(workspace.root), SHARED_MEMORY],
            "write_files": list(WRITABLE_DEVICES),
            "deny_tcp": not limits.network and not caps.netns,
        }
        if caps.landlock_abi < 6:
            missing.append("signals: tests can signal processes outside the run (Landlock < 6)")
    else:
        missing.append("filesystem: writes outside the scratch copy are not blocked (no Landlock)")
    return steps, missing


def _rlimits(limits: Limits, *, memory: bool) -> dict[str, list[int]]:
    found = {
        # SIGXCPU at the soft limit names the cause; SIGKILL follows a second later.
        "CPU": [limits.cpu_seconds, limits.cpu_seconds + 1],
        "FSIZE": [limits.file_size_mb * MB] * 2,
        "CORE": [0, 0],
    }
    if memory:
        found["AS"] = [limits.memory_mb * MB] * 2
    return found
