"""A scratch copy of the user's repository where candidates are measured."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from healloop.state import FileChange

_IGNORED = shutil.ignore_patterns(
    ".git", ".healloop", ".venv", "venv", "__pycache__", ".mypy_cache",
    ".ruff_cache", ".pytest_cache", "node_modules", "*.pyc", ".tox", ".nox",
)


class Workspace:
    """A throwaway copy of a repository; the user's tree is never touched."""

    def __init__(self, repo: Path) -> None:
        """Copy repo into a new temporary folder."""
        self.repo = repo.resolve()
        self._root = Path(tempfile.mkdtemp(prefix="healloop-"))
        self.path = self._root / "repo"
        shutil.copytree(self.repo, self.path, ignore=_IGNORED, symlinks=True)
        self._written: dict[str, str | None] = {}

    def apply(self, changes: list[FileChange]) -> None:
        """Write candidate content into the copy, remembering what was there."""
        for change in changes:
            dest = self.path / change.path
            if change.path not in self._written:
                self._written[change.path] = (
                    dest.read_text(encoding="utf-8") if dest.exists() else None
                )
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(change.content, encoding="utf-8")

    def reset(self) -> None:
        """Put back every file that apply() changed."""
        for rel, content in self._written.items():
            dest = self.path / rel
            if content is None:
                dest.unlink(missing_ok=True)
            else:
                dest.write_text(content, encoding="utf-8")
        self._written.clear()

    def close(self) -> None:
        """Delete the copy."""
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Workspace:
        """Use as a context manager that deletes the copy on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Delete the copy."""
        self.close()
