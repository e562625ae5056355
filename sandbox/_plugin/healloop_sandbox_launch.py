"""Confine this process, then exec the command: the first thing a sandboxed run executes.

A separate program rather than a ``preexec_fn``: healloop runs graph nodes in threads,
and code between fork and exec in a threaded parent can deadlock. This script runs as
``python -I -S healloop_sandbox_launch.py PLAN_JSON`` with only the standard library,
applies every layer the plan asks for, and fails closed: if a requested layer cannot be
applied it exits with status 125 and one line on stderr, and the command never runs.

Order matters: join the cgroup and set rlimits while still privileged, unshare
namespaces, bring loopback up and mount read-only binds while the new namespaces grant
the capabilities, then drop capabilities, then Landlock (which forbids later mount
changes), then exec.

``--probe DIR`` tries each layer in a forked child and prints what works as JSON.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import signal
import struct
import sys

EXIT_SETUP_FAILED = 125

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
# statvfs f_flag bit -> mount flag: a remount inside a user namespace must keep them.
_LOCKED_FLAGS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC,
                 1024: MS_NOATIME, 2048: MS_NODIRATIME, 4096: MS_RELATIME}

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_VERSION_3 = 0x20080522

SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_WRITE_FILE = 1 << 1
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    """A requested confinement layer could not be applied."""


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)} (errno {err})")
    return result


def join_cgroup(procs_file: str) -> None:
    """Move this process into the cgroup whose cgroup.procs file is given."""
    with open(procs_file, "w", encoding="ascii") as fh:
        fh.write(str(os.getpid()))


def set_rlimits(limits: dict[str, list[int]]) -> None:
    """Lower each named resource limit (RLIMIT_<NAME>) to [soft, hard]."""
    import resource

    for name, (soft, hard) in limits.items():
        which = getattr(resource, f"RLIMIT_{name}")
        _, current = resource.getrlimit(which)
        if current != resource.RLIM_INFINITY:
            hard = min(hard, current)
        resource.setrlimit(which, (min(soft, hard), hard))


def unshare(user: bool, net: bool, mount: bool) -> None:
    """Enter new namespaces; with user, map our own uid and gid into it."""
    uid, gid = os.geteuid(), os.getegid()
    flags = (CLONE_NEWUSER if user else 0) | (CLONE_NEWNET if net else 0)
    flags |= CLONE_NEWNS if mount else 0
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")
    if user:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w", encoding="ascii") as fh:
                fh.write(text)


def loopback_up() -> None:
    """Bring up lo in a fresh network namespace, so tests can use local servers."""
    import fcntl
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = struct.pack("16sh22x", b"lo", 0)
        flags = struct.unpack("16sh22x", fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS, struct.pack("16sh22x", b"lo", flags | IFF_UP))


def _mount(source: str | None, target: str, flags: int, fstype: str | None = None,
           data: str | None = None) -> None:
    args = [v.encode() if v else None for v in (source, target, fstype)]
    _check(_libc.mount(args[0], args[1], args[2], ctypes.c_ulong(flags),
                       data.encode() if data else None), f"mount {target}")


def private_mounts() -> None:
    """Stop mounts made here from propagating to the rest of the machine."""
    _mount(None, "/", MS_REC | MS_PRIVATE)


def bind_readonly(paths: list[str]) -> None:
    """Bind each file onto itself read-only, in this (private) mount namespace."""
    for path in paths:
        locked = 0
        fflags = os.statvfs(path).f_flag
        for bit, flag in _LOCKED_FLAGS.items():
            if fflags & bit:
                locked |= flag
        _mount(path, path, MS_BIND)
        _mount(None, path, MS_REMOUNT | MS_BIND | MS_RDONLY | locked)


def private_tmpfs(path: str, size_mb: int) -> None:
    """Mount a fresh, size-limited tmpfs on path (for /dev/shm: semaphores stay ours)."""
    _mount("tmpfs", path, MS_NOSUID | MS_NODEV, "tmpfs", f"size={size_mb}m,mode=1777")


def drop_capabilities() -> None:
    """Empty the bounding, inheritable and ambient sets: exec then grants nothing."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as fh:
        last = int(fh.read())
    for cap in range(last + 1):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 and ctypes.get_errno() != errno.EINVAL:
            _check(-1, f"drop capability {cap}")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(_libc.capget(header, data), "capget")
    data[2] = data[5] = 0  # inheritable: exec would keep these despite the bounding set
    _check(_libc.capset(header, data), "capset")


def landlock_abi() -> int:
    """Return the Landlock ABI version of this kernel, 0 when Landlock is off."""
    version = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(version, 0)


def landlock(abi: int, write_dirs: list[str], write_files: list[str], deny_tcp: bool) -> None:
    """Allow writes only beneath write_dirs (and to write_files); optionally deny TCP."""
    fs = (FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR
          | FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM)
    fs |= FS_REFER if abi >= 2 else 0
    fs |= FS_TRUNCATE if abi >= 3 else 0
    net = NET_BIND_TCP | NET_CONNECT_TCP if deny_tcp and abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    attr = struct.pack("=QQQ", fs, net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _check(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(size),
                                   ctypes.c_uint32(0)), "landlock_create_ruleset")
    file_rights = FS_WRITE_FILE | (FS_TRUNCATE if abi >= 3 else 0)
    for paths, rights in ((write_dirs, fs), (write_files, file_rights)):
        for path in paths:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                rule = struct.pack("=Qi", rights, fd)
                _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset,
                                     LANDLOCK_RULE_PATH_BENEATH, rule, 0), f"landlock {path}")
            finally:
                os.close(fd)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
    os.close(ruleset)


def confine(plan: dict) -> None:
    """Apply every layer of plan to this process."""
    if plan.get("cgroup_procs"):
        join_cgroup(plan["cgroup_procs"])
    set_rlimits(plan.get("rlimits", {}))
    user, net = plan.get("userns", False), plan.get("netns", False)
    mount = bool(plan.get("readonly") or plan.get("shm_mb"))
    if user or net or mount:
        unshare(user, net, mount)
    if user and plan.get("nproc"):
        # In a new user namespace the process count starts from zero, so this
        # limit counts this run's processes only; set before unshare it would
        # count every process of the user.
        set_rlimits({"NPROC": [plan["nproc"], plan["nproc"]]})
    if net:
        loopback_up()
    if mount:
        private_mounts()
        bind_readonly(plan.get("readonly", []))
        if plan.get("shm_mb"):
            private_tmpfs("/dev/shm", plan["shm_mb"])
    if plan.get("drop_caps"):
        drop_capabilities()
    if plan.get("landlock"):
        ll = plan["landlock"]
        landlock(ll["abi"], ll["write_dirs"], ll["write_files"], ll["deny_tcp"])


def die_with_parent(parent: int) -> None:
    """Be killed when healloop's thread that started this process ends, however it ends.

    A test run lives in a session of its own, so nothing else reaches it when healloop
    is killed outright (SIGKILL): it would run on with nobody to read it. Set last,
    as credential changes clear it; kept across exec.
    """
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "parent death signal")
    if os.getppid() != parent:  # healloop died before the request took effect
        os._exit(EXIT_SETUP_FAILED)


def _try(fn) -> bool:
    """Run fn in a forked child; True when it returns True there."""
    pid = os.fork()
    if pid == 0:
        try:
            ok = fn()
        except BaseException:  # noqa: BLE001 - a probe reports failure, whatever it is
            ok = False
        os._exit(0 if ok else 1)
    return os.waitpid(pid, 0)[1] == 0


def probe(scratch: str) -> dict:
    """Find which layers this machine supports, each tried in a throwaway child."""
    root = os.geteuid() == 0
    user = not root
    target = os.path.join(scratch, "probe-ro")
    outside = os.path.join(scratch, "probe-outside")
    inside = os.path.join(scratch, "inside")
    os.makedirs(inside, exist_ok=True)
    with open(target, "w", encoding="ascii") as fh:
        fh.write("x")

    def userns() -> bool:
        unshare(True, False, False)
        return True

    def netns() -> bool:
        unshare(user, True, False)
        loopback_up()
        return True

    def mountns() -> bool:
        unshare(user, False, True)
        private_mounts()
        bind_readonly([target])
        if root:
            drop_capabilities()
        try:
            open(target, "a", encoding="ascii").close()
        except OSError as exc:
            return exc.errno == errno.EROFS
        return False

    def tmpfs() -> bool:
        unshare(user, False, True)
        private_mounts()
        private_tmpfs(inside, 1)
        with open(os.path.join(inside, "x"), "w", encoding="ascii") as fh:
            fh.write("x")
        return True

    def caps() -> bool:
        drop_capabilities()
        with open("/proc/self/status", encoding="ascii") as fh:
            bounding = next(line for line in fh if line.startswith("CapBnd:"))
        return int(bounding.split()[1], 16) == 0

    abi = landlock_abi()

    def landlocked() -> bool:
        landlock(abi, [inside], [], False)
        open(os.path.join(inside, "ok"), "w", encoding="ascii").close()
        try:
            open(outside, "w", encoding="ascii").close()
        except PermissionError:
            return True
        return False

    return {
        "root": root,
        "userns": user and _try(userns),
        "netns": _try(netns),
        "mountns": _try(mountns),
        "tmpfs": _try(tmpfs),
        "drop_caps": root and _try(caps),
        "landlock_abi": abi if abi and _try(landlocked) else 0,
    }


def main(argv: list[str]) -> int:
    """Probe, or confine and exec the planned command."""
    if argv[1:2] == ["--probe"]:
        print(json.dumps(probe(argv[2])))
        return 0
    plan = json.loads(argv[1])
    try:
        confine(plan)
    except (SetupError, OSError) as exc:
        print(f"healloop sandbox: cannot confine the run: {exc}", file=sys.stderr)
        return EXIT_SETUP_FAILED
    command = plan["argv"]
    if plan.get("parent") and sys.platform.startswith("linux"):
        die_with_parent(plan["parent"])
    try:
        os.execv(command[0], command)
    except OSError as exc:
        print(f"healloop sandbox: cannot run {command[0]}: {exc}", file=sys.stderr)
    return EXIT_SETUP_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv))
