"""Validation of what users hand to healloop, at the edge, one clear line each."""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from healloop.errors import InputError, UsageError

if TYPE_CHECKING:
    from healloop.context import RunContext

Count = TypeVar("Count", bound=int | None)
Amount = TypeVar("Amount", bound=float | None)

MAX_TARGET_BYTES = 1_000_000
"""Targets larger than this are refused: healing them would not fit a review."""


def check_repo(repo: Path) -> Path:
    """Return the resolved repository root, or raise InputError."""
    if not repo.exists():
        raise InputError(f"repository {repo} does not exist")
    if not repo.is_dir():
        raise InputError(f"repository {repo} is not a folder")
    if not os.access(repo, os.R_OK | os.X_OK):
        raise InputError(f"repository {repo} is not readable")
    root = repo.resolve()
    if (project := _enclosing_project(root)) is not None:
        raise InputError(f"repository {repo} is a folder of the project at {project}, whose "
                         f"configuration (ruff, pytest) it would miss: pass --repo {project}")
    return root


PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "pytest.ini",
                 "ruff.toml", ".ruff.toml")
"""Files that configure a Python project's tools: where one is, a project's root is."""


def _enclosing_project(root: Path) -> Path | None:
    """Return the git work tree root above root when it, and not root, is the project.

    A folder of a project is no repository of its own: its tools' configuration and
    its tests live above it. A folder with a configuration of its own (a package of
    a monorepo) is.
    """
    if any((root / name).is_file() for name in PROJECT_FILES):
        return None
    found = _git(root, "rev-parse", "--show-toplevel", timeout=30)
    top = Path(found.decode().strip()).resolve() if found is not None else root
    if top == root or not any((top / name).is_file() for name in PROJECT_FILES):
        return None
    return top


def check_target(repo: Path, target: str) -> str:
    """Return the target as a POSIX path relative to repo, or raise InputError."""
    given = Path(target)
    path = given if given.is_absolute() else repo / given
    if not path.exists() and not given.is_absolute() and Path.cwd().joinpath(given).exists():
        path = Path.cwd() / given
    if not path.exists():
        raise InputError(f"target {target} does not exist")
    resolved = path.resolve()
    if not resolved.is_relative_to(repo):
        raise InputError(f"target {target} is outside the repository {repo}")
    if resolved.is_dir():
        raise InputError(f"target {target} is a folder, not a file")
    if resolved.suffix != ".py":
        raise InputError(f"target {target} is not a Python file (.py)")
    size = resolved.stat().st_size
    if size == 0:
        raise InputError(f"target {target} is empty")
    if size > MAX_TARGET_BYTES:
        raise InputError(f"target {target} is {size} bytes, over the {MAX_TARGET_BYTES} limit")
    if not os.access(resolved, os.R_OK):
        raise InputError(f"target {target} is not readable")
    data = resolved.read_bytes()
    if b"\0" in data:
        raise InputError(f"target {target} is binary")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"target {target} is not UTF-8 text") from None
    return resolved.relative_to(repo).as_posix()


_SKIPPED_DIRS = {"venv", "node_modules", "__pycache__", "build", "dist", "site-packages"}


def targets_under(repo: Path, folder: Path) -> list[str]:
    """Return every non-empty .py file under folder, relative to repo, sorted.

    In a git repository these are the files git tracks or would track (so
    ``.gitignore`` is honoured); elsewhere every .py file outside hidden, virtualenv
    and cache folders.

    Raises:
        InputError: The folder does not exist, is not a folder, lies outside the
            repository, or holds no Python file.

    """
    path = folder if folder.is_absolute() else repo / folder
    if not path.exists() and not folder.is_absolute() and (Path.cwd() / folder).exists():
        path = Path.cwd() / folder
    resolved = path.resolve()
    if not resolved.exists():
        raise InputError(f"--path {folder} does not exist")
    if not resolved.is_relative_to(repo):
        raise InputError(f"--path {folder} is outside the repository {repo}")
    if not resolved.is_dir():
        raise InputError(f"--path {folder} is not a folder: use --file for one file")
    listed = _git_listed(repo, resolved)
    if listed is None:
        listed = [
            p.relative_to(repo).as_posix()
            for p in resolved.rglob("*.py")
            if not _SKIPPED_DIRS.intersection(p.relative_to(repo).parts[:-1])
            and not any(part.startswith(".") for part in p.relative_to(repo).parts[:-1])
        ]
    found = sorted(
        rel for rel in set(listed)
        if rel.endswith(".py") and (repo / rel).is_file() and (repo / rel).stat().st_size > 0
    )
    if not found:
        raise InputError(f"--path {folder} holds no Python file to heal")
    return found


def _git_listed(repo: Path, folder: Path) -> list[str] | None:
    """Return the files git tracks or would track under folder; None outside git."""
    listed = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
                  folder.relative_to(repo).as_posix() or ".")
    if listed is None:
        return None
    return [p for p in listed.decode("utf-8", "replace").split("\0") if p]


def _git(repo: Path, *args: str, timeout: float | None = None) -> bytes | None:
    """Return what git printed in repo, or None when it failed or cannot run there."""
    try:
        proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False,
                              timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def check_threshold(value: float) -> float:
    """Return the threshold if it lies in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"--threshold must be between 0 and 1, not {value:g}")
    return value


def check_count(option: str, value: Count) -> Count:
    """Return a count option (rounds, candidates, jobs, tokens) if it is at least 1."""
    if value is not None and value < 1:
        raise UsageError(f"{option} must be at least 1, not {value}")
    return value


def check_amount(option: str, value: Amount) -> Amount:
    """Return a seconds or cost option if it is a finite number above 0."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise UsageError(f"{option} must be a number above 0, not {value:g}")
    return value


def check_output_file(option: str, path: Path, protect: Sequence[Path] = (), *,
                      repo: Path | None = None) -> Path:
    """Check before any work that a result can be written to path; return it.

    Args:
        option: The option that named path, for the message (``--output``).
        path: The file to write.
        protect: Files path must not be, e.g. the target and the input files.
        repo: The repository, whose own files path must not be (see ``_users_file``).

    Raises:
        UsageError: path is a folder, its folder does not exist, or it is one of
            the protected files or the repository's own.

    """
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; name a file in it")
    if not path.parent.resolve().is_dir():
        raise UsageError(f"{option} {path}: folder {path.parent} does not exist")
    for protected in protect:
        if path.resolve() == protected.resolve():
            raise UsageError(f"{option} {path} would overwrite {protected}: write elsewhere")
    if repo is not None and (what := _users_file(repo, path)):
        raise UsageError(f"{option} {path} would overwrite {what} of the repository: "
                         "write elsewhere")
    return path


def _users_file(repo: Path, path: Path) -> str:
    """Say what path is when it is the user's work in repo: a file git tracks, a source.

    An output inside the repository may be new, or healloop's own from an earlier
    run (a report), but never a file the user keeps: only ``--apply`` writes those,
    and only after approval.
    """
    resolved = path.resolve()
    if not resolved.is_file() or not resolved.is_relative_to(repo):
        return ""
    if resolved.suffix in (".py", ".pyi"):
        return "a Python source"
    tracked = _git(repo, "ls-files", "--error-unmatch", "--", str(resolved.relative_to(repo)),
                   timeout=30)
    return "a file git tracks" if tracked is not None else ""


def check_output(repo: Path, targets: list[str], output: Path | None, apply: bool, *,
                 one: bool = True) -> str | None:
    """Return --output as an absolute path after checking it makes sense.

    one says targets must be one file; resume leaves the count to the run, which knows
    its targets, and checks only those named.
    """
    if output is None:
        return None
    if apply:
        raise UsageError("--output and --apply exclude each other: choose one")
    if one and len(targets) != 1:
        raise UsageError("--output takes one target; use --apply for several")
    if any(output.resolve() == (repo / t).resolve() for t in targets):
        raise UsageError("--output is the target itself: use --apply to write in place")
    return str(check_output_file("--output", output, repo=repo).resolve())


def check_model(ctx: RunContext) -> None:
    """Refuse the llm engine before any work when no model can be built.

    Raises:
        ModelConfigError: No key and no base URL, or the provider's package is missing.

    """
    if ctx.engine == "llm":
        from healloop.llm.factory import build_chat_model

        build_chat_model(ctx)


def history_note(repo: Path) -> str | None:
    """Return why git history features are off or limited for repo, or None."""
    from healloop.analysis.history import git_state

    _, note = git_state(repo)
    return note or None
