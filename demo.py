"""Prepare the bundled example as a fresh git repository for `healloop demo`."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

EXAMPLE = Path(__file__).parent / "examples" / "inventory"


def prepare(where: Path | None = None) -> Path:
    """Copy the example to where (or a temp folder), make it a git repo, return it."""
    root = (where or Path(tempfile.mkdtemp(prefix="healloop-demo-"))) / "inventory"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", ".healloop"))
    git = ["git", "-c", "user.name=healloop demo", "-c", "user.email=demo@healloop.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "inventory"]):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    return root
