"""Lint findings and safe fixes from ruff, honouring the repository's configuration."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ruff.__main__ import find_ruff_bin

from healloop.errors import ToolError
from healloop.state import Finding, Severity

# Used only when the repository configures no ruff of its own.
DEFAULT_SELECT = "E,F,W,B,UP,C4,SIM,I"
_ERRORS = ("E9", "F63", "F7", "F82", "F821", "F811")
# The repository's configuration picks the rules, never the shape of what we read:
# with its `fix = true`, `ruff check -` prints the fixed source instead of findings.
_READABLE = ("--no-fix", "--output-format", "json", "--no-cache")


@cache
def _ruff() -> str:
    return str(find_ruff_bin())


def has_ruff_config(repo: Path) -> bool:
    """Return whether the repository configures ruff itself."""
    if (repo / "ruff.toml").exists() or (repo / ".ruff.toml").exists():
        return True
    pyproject = repo / "pyproject.toml"
    return pyproject.exists() and "[tool.ruff" in pyproject.read_text(
        encoding="utf-8", errors="replace"
    )


def _select(repo: Path) -> list[str]:
    return [*([] if has_ruff_config(repo) else ["--select", DEFAULT_SELECT]), *_target(repo)]


_LOWER_BOUND = re.compile(r"(?:>=|\^|~=?|==)\s*(\d+)\.(\d+)")


def _target(repo: Path) -> list[str]:
    """Return ruff's --target-version for the oldest Python the project supports.

    ruff reads ``target-version`` and ``[project] requires-python`` itself; a project
    that says it only in Poetry's table, setup.cfg or setup.py would otherwise get
    fixes for a newer Python than it supports (``typing.Self``, ``X | Y`` at run time).
    """
    texts = {name: _text(repo / name) for name in ("pyproject.toml", "ruff.toml", ".ruff.toml",
                                                   "setup.cfg", "setup.py")}
    if any("target-version" in texts[n] for n in ("pyproject.toml", "ruff.toml", ".ruff.toml")):
        return []
    try:
        pyproject = tomllib.loads(texts["pyproject.toml"])
    except tomllib.TOMLDecodeError:
        pyproject = {}
    if pyproject.get("project", {}).get("requires-python"):
        return []
    poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    declared = [poetry if isinstance(poetry, str) else "",
                *re.findall(r"python_requires\s*=\s*['\"]?([^'\"\n]+)", texts["setup.cfg"]),
                *re.findall(r"python_requires\s*=\s*['\"]([^'\"]+)", texts["setup.py"])]
    for spec in declared:
        if found := _LOWER_BOUND.search(spec):
            major, minor = int(found.group(1)), int(found.group(2))
            if major == 3:
                return ["--target-version", f"py3{max(minor, 7)}"]
    return []


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _severity(code: str) -> Severity:
    if code.startswith(_ERRORS) or code == "syntax":
        return "error"
    return "warning"


def lint(repo: Path, path: str, content: str) -> list[Finding]:
    """Return ruff's findings for content as if it were repo/path.

    Raises:
        ToolError: ruff failed (say, on the repository's configuration) or printed
            something other than its JSON findings.

    """
    proc = _check(repo, path, content, _select(repo))
    if proc.returncode != 0:
        detail = proc.stderr.strip().removeprefix("ruff failed").strip()
        if _refused_configuration(detail):
            return _lint_with_defaults(repo, path, content, detail)
        raise ToolError(f"ruff failed on {path}: {detail or f'exit code {proc.returncode}'}")
    return [_finding(path, item) for item in _items(path, proc.stdout)]


_DEFAULT_RULES = ["--isolated", "--select", DEFAULT_SELECT]
"""healloop's own rules, with no configuration file read: where ruff refuses the
repository's."""


def _check(repo: Path, path: str, content: str, rules: list[str]
           ) -> subprocess.CompletedProcess[str]:
    """Run ``ruff check`` on content as repo/path with these rules; findings as JSON."""
    return subprocess.run(
        [_ruff(), "check", *_READABLE, "--exit-zero", *rules, "--stdin-filename", path, "-"],
        input=content, capture_output=True, text=True, cwd=repo, check=False,
    )


def undefined_names(repo: Path, path: str, content: str) -> list[Finding]:
    """Return the names content reads that nothing defines (pyflakes' F821), by ruff.

    Whatever the repository's rules: an undefined name is a NameError waiting to
    happen, and the engine that mends it asks for it alone.

    Raises:
        ToolError: ruff failed or printed something other than its JSON findings.

    """
    proc = _check(repo, path, content, ["--isolated", "--select", "F821"])
    if proc.returncode != 0:
        raise ToolError(f"ruff failed on {path}: {proc.stderr.strip()[:300]}")
    return [_finding(path, item) for item in _items(path, proc.stdout)]


def _refused_configuration(detail: str) -> bool:
    """Return whether ruff stopped at the repository's configuration, not at the code."""
    return "Failed to parse" in detail and (".toml" in detail or "configuration" in detail)


def _lint_with_defaults(repo: Path, path: str, content: str, detail: str) -> list[Finding]:
    """Lint with healloop's default rules when ruff refuses the repository's settings.

    A configuration written for another ruff (``show-source``, removed in ruff 0.5,
    is in many projects' pyproject) is no defect of the code to heal: the run goes on
    with the default rules, and an informational finding says why.
    """
    proc = _check(repo, path, content, _DEFAULT_RULES + _target(repo))
    if proc.returncode != 0:
        raise ToolError(f"ruff failed on {path}: {detail}")
    reason = " ".join(detail.split())[:300]
    note = Finding(file=path, rule="ruff-config", source="ruff", severity="info",
                   message=f"ruff refused the repository's configuration ({reason}); "
                           f"linted with healloop's default rules")
    return [note, *(_finding(path, item) for item in _items(path, proc.stdout))]


def _items(path: str, stdout: str) -> list[dict[str, Any]]:
    """Return the diagnostics ruff printed as JSON."""
    try:
        items = json.loads(stdout or "[]")
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ToolError(f"ruff printed no JSON findings for {path}: {stdout.strip()[:200]}")
    return items


def _finding(path: str, item: dict[str, Any]) -> Finding:
    code = item.get("code") or "syntax"
    return Finding(
        file=path,
        line=item["location"]["row"],
        column=item["location"]["column"],
        end_line=item["end_location"]["row"],
        rule=code,
        source="syntax" if code == "syntax" else "ruff",
        severity=_severity(code),
        message=item["message"],
        fixable=bool(item.get("fix")) and item["fix"].get("applicability") == "safe",
    )


def rule_codes(kinds: Iterable[str]) -> list[str]:
    """Return the ruff rule codes (F401, UP006) among finding kinds, in order."""
    return [k for k in kinds if re.fullmatch(r"[A-Z]+[0-9]+", k)]


def fix(
    repo: Path, path: str, content: str, *, format_code: bool = False,
    unfixable: Sequence[str] = (), only: Sequence[str] = (), unsafe: bool = False,
) -> str:
    """Return content with ruff's safe fixes applied (and formatted if asked).

    Rules in unfixable are left as they are (e.g. kinds the human keeps rejecting);
    when only names rules (or prefixes), no other rule's fixes apply. Unsafe fixes
    stay out even where the repository's configuration allows them, unless unsafe
    asks for them.
    """
    leave = ["--unfixable", ",".join(unfixable)] if unfixable else []
    leave += ["--fixable", ",".join(only)] if only else []

    def fixed_with(rules: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_ruff(), "check", "--fix", "--unsafe-fixes" if unsafe else "--no-unsafe-fixes",
             "--exit-zero", "--no-cache", "--quiet", *rules, *leave, "--stdin-filename", path,
             "-"],
            input=content, capture_output=True, text=True, cwd=repo, check=False,
        )

    proc = fixed_with(_select(repo))
    if proc.returncode != 0 and _refused_configuration(proc.stderr):
        # As the review linted it: with the default rules (see _lint_with_defaults).
        proc = fixed_with(_DEFAULT_RULES + _target(repo))
    fixed = proc.stdout if proc.returncode == 0 and proc.stdout else content
    if format_code:
        proc = subprocess.run(
            [_ruff(), "format", "--no-cache", "--quiet", *_target(repo), "--stdin-filename", path,
             "-"],
            input=fixed, capture_output=True, text=True, cwd=repo, check=False,
        )
        if proc.returncode == 0 and proc.stdout:
            fixed = proc.stdout
    return fixed
