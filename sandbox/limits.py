"""Resource limits and environment scrubbing for code the user did not review yet."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

_SECRET = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.I)


@dataclass(frozen=True)
class Limits:
    """Limits of one test run of a candidate."""

    test_timeout: float = 30.0
    run_timeout: float = 600.0
    cpu_seconds: int = 600
    memory_mb: int = 4096
    max_processes: int = 512
    file_size_mb: int = 256
    pass_env: tuple[str, ...] = field(default_factory=tuple)


def scrubbed_env(pass_env: tuple[str, ...] = ()) -> dict[str, str]:
    """Return the environment without anything that looks like a secret."""
    return {
        k: v
        for k, v in os.environ.items()
        if k in pass_env or not _SECRET.search(k)
    }
