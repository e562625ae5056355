"""healloop's caches under ``<repo>/.healloop/cache/``: JSON files, written atomically.

Each analysis keeps what it read (per file, keyed by size and mtime, or per commit)
so that a warm query costs milliseconds. A cache that cannot be read is empty and one
that cannot be written is skipped: either only makes the run slower.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from healloop.checkpoint import state_folder


def cache_dir(repo: Path) -> Path:
    """Return the folder of healloop's caches in repo, creating it (git-ignored)."""
    folder = state_folder(repo) / "cache"
    folder.mkdir(exist_ok=True)
    return folder


def cache_file(repo: Path, name: str) -> Path | None:
    """Return the path of the cache called name, or None where it cannot be kept."""
    try:
        return cache_dir(repo) / name
    except OSError:
        return None


def read_json(path: Path | None) -> dict[str, Any]:
    """Return the cache at path, or an empty dict when it is missing or unreadable."""
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path | None, data: dict[str, Any]) -> bool:
    """Replace the cache at path with data in one step; return whether it was written.

    The temporary file is named per process and thread, so parallel nodes writing the
    same cache never collide; the last complete write wins.
    """
    if path is None:
        return False
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def read_per_file(path: Path | None, version: int) -> dict[str, list]:
    """Return the per-file entries of a cache written by ``write_per_file`` at version.

    A cache of another version (its format changed) is empty: every file is read anew.
    """
    data = read_json(path)
    return data.get("files", {}) if data.get("version") == version else {}


def write_per_file(path: Path | None, version: int, files: dict[str, list]) -> bool:
    """Replace the per-file cache at path; return whether it was written."""
    return write_json(path, {"version": version, "files": files})
