"""Resource limits and environment scrubbing for code the user did not review yet.

A candidate's tests run with the user's environment minus anything that looks like a
secret, by name (``OPENAI_API_KEY``, ``GITHUB_TOKEN``, ``SSH_AUTH_SOCK``) or by value
(a URL with a password, a token in a well-known format). A user who needs one of them
in tests lists it in ``Limits.pass_env``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

_SECRET_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|"
    r"SIGNATURE|WEBHOOK|DSN|CONN(ECTION)?_?STR|(^|_)PAT($|_)",
    re.I,
)
_SECRET_VALUE = re.compile(
    r"://[^/\s:@]+:[^/\s@]+@"  # a URL with user:password
    r"|^(sk-|sk_live_|rk_live_|ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-|xox[abprs]-"
    r"|hf_|AKIA|ASIA|AIza|ya29\.|npm_|pypi-)"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----",
)


@dataclass(frozen=True)
class Limits:
    """Limits of one test run of a candidate."""

    test_timeout: float = 30.0
    """Wall-clock seconds one test may take (setup and teardown included)."""
    run_timeout: float = 600.0
    """Wall-clock seconds the whole run may take."""
    cpu_seconds: int = 600
    """CPU seconds each process of the run may use."""
    memory_mb: int = 4096
    """Address space of each process of the run, in MiB."""
    max_processes: int = 512
    """Processes (and threads) the run may have at once."""
    file_size_mb: int = 256
    """Largest file the run may write, in MiB."""
    pass_env: tuple[str, ...] = field(default_factory=tuple)
    """Environment variables passed to tests although they look secret."""
    network: bool = False
    """Let tests reach the network (by default they get a private, empty one)."""


def looks_secret(name: str, value: str) -> bool:
    """Return whether an environment variable looks like it holds a secret."""
    return bool(_SECRET_NAME.search(name) or _SECRET_VALUE.search(value))


def scrubbed_env(pass_env: tuple[str, ...] = ()) -> dict[str, str]:
    """Return the environment without anything that looks like a secret."""
    return {
        k: v
        for k, v in os.environ.items()
        if k in pass_env or not looks_secret(k, v)
    }
