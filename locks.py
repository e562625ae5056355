"""Locks that several healloop processes on one machine respect: locked files.

Runs on one repository may overlap (two terminals, Studio and the CLI), and three
things must happen one at a time across them: writing a user's file, setting up the
checkpoint database, and building the knowledge graph. Each holds an exclusive lock
on a file; the operating system drops it when its holder dies, so a killed run
blocks nobody.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

POLL = 0.05
"""Seconds between two tries at a lock another process holds."""


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on path for the block, waiting as long as it takes."""
    with open(path, "a+b") as handle:
        while not try_lock(handle):
            time.sleep(POLL)
        yield  # closing the file releases the lock


if sys.platform == "win32":
    import msvcrt

    def try_lock(handle: IO[bytes]) -> bool:
        """Take an exclusive lock on the open file if no one holds it; say whether."""
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def try_lock(handle: IO[bytes]) -> bool:
        """Take an exclusive lock on the open file if no one holds it; say whether."""
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
