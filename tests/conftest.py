"""Shared fixtures: small real git repositories built in a temporary folder."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healloop.checkpoint import ENV_VAR

GIT = ["git", "-c", "user.name=healloop tests", "-c", "user.email=tests@healloop.invalid"]

CALC = {
    "calc/__init__.py": '"""Calculator."""\n',
    "calc/ops.py": (
        '"""Arithmetic helpers."""\n'
        "import os\n"
        "import sys\n\n\n"
        "def add(a, b):\n"
        '    """Return a plus b."""\n'
        "    return a + b\n\n\n"
        "def mean(values):\n"
        '    """Return the mean of values."""\n'
        "    return sum(values) / len(values)\n"
    ),
    "calc/report.py": (
        '"""Uses ops."""\n\nfrom calc.ops import add\n\n\n'
        "def total(a, b):\n"
        '    """Return the total."""\n'
        "    return add(a, b)\n"
    ),
    "tests/test_ops.py": (
        "from calc.ops import add, mean\n\n\n"
        "def test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_mean():\n    assert mean([1, 2, 3]) == 2\n"
    ),
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
}


def git_commit(root: Path, message: str = "commit") -> None:
    """Stage everything in root and commit it."""
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True, capture_output=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=root, check=True, capture_output=True)


def write_repo(root: Path, files: dict[str, str], *, git: bool = True) -> Path:
    """Write files under root, make it a git repository with one commit, return it."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if git:
        subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
        git_commit(root, "initial")
    return root


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write files under root, with no git repository; return root."""
    return write_repo(root, files, git=False)


OUTSIDE_SETTINGS = (ENV_VAR, "OPENAI_API_KEY", "OPENAI_BASE_URL")
"""The developer's own checkpointer and model settings, which no CLI test may read."""


@pytest.fixture
def no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a test as if none of OUTSIDE_SETTINGS were set."""
    for name in OUTSIDE_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def invoke(*args: str | Path):
    """Run the CLI in process with these arguments; return typer's result."""
    from healloop.main import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory of git repositories under tmp_path."""

    def make(files: dict[str, str] | None = None, name: str = "repo", git: bool = True) -> Path:
        return write_repo(tmp_path / name, files if files is not None else CALC, git=git)

    return make


@pytest.fixture
def calc_repo(make_repo: Callable[..., Path]) -> Path:
    """A repo whose calc/ops.py has two unused imports and passing tests."""
    return make_repo()
