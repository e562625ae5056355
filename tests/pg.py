"""A throwaway PostgreSQL server for tests, from the machine's own binaries.

``initdb`` into a fresh temporary folder, ``pg_ctl start`` on 127.0.0.1 at a free
port with trust authentication, and ``pg_ctl stop`` at the end. PostgreSQL refuses
to run as root, so under root the server runs as the ``postgres`` user (or
``nobody``) in a folder that user owns.

A test module asks for the fixtures ``postgres_server`` and ``postgres_url`` (module
scope: one server per test module) with:

    pytest_plugins = ["pg"]

It skips, saying why, only when no PostgreSQL binaries exist; CI installs them
(Debian/Ubuntu package ``postgresql``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SKIP_REASON = (
    "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under "
    "/usr/lib/postgresql/*/bin: install the 'postgresql' package"
)


def find_bindir() -> Path | None:
    """Return the folder holding initdb and pg_ctl, newest version first."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += [Path(p) for p in versions]
    return next(
        (d for d in candidates if (d / "initdb").exists() and (d / "pg_ctl").exists()), None
    )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="healloop-pg-"))
        self.data = self.root / "data"
        self.user = _unprivileged_user() if os.geteuid() == 0 else None
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)

    @property
    def url(self) -> str:
        """Return the connection URL of the default database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Create the cluster and start the server; wait until it accepts connections."""
        self._run(
            "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
            "--no-sync", "--encoding=UTF8", "--locale=C",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories='{self.root}' -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "server.log",
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        """Return the server log, for a failing test's message."""
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _run(self, tool: str, *args: object) -> None:
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        done = subprocess.run(
            [str(self.bindir / tool), *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            **kwargs,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}\n{self.log()}"
            )


def _unprivileged_user() -> pwd.struct_passwd:
    """Return the account to run the server as when the tests run as root."""
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip("running as root and no 'postgres' or 'nobody' account to run PostgreSQL as")


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL server for the module and stop it afterwards."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(SKIP_REASON)
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def postgres_url(postgres_server: PostgresServer) -> str:
    """Return the URL of a throwaway PostgreSQL server's default database."""
    return postgres_server.url
