"""A file keeps its own form: CRLF line ends and a byte-order mark survive a healed change.

healloop works on text as Python reads it, so the review, the engines and the diff see
only real changes; what it writes back has the file's own line ends and mark.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke

from healloop.writes import TextForm

pytestmark = pytest.mark.usefixtures("no_outside_settings")

OPS = "import os\n\n\ndef add(a, b):\n    return a + b\n"
TEST = "from calc.ops import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
HEALED = "def add(a, b):\n    return a + b\n"


def repo_with(make_repo, ops: str, name: str = "repo") -> Path:
    return make_repo({"calc/__init__.py": "", "calc/ops.py": ops, "tests/test_ops.py": TEST,
                      "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n'},
                     name=name)


def healed(repo: Path, *flags: object) -> dict:
    """Run healloop offline on calc/ops.py, approving; return the outcome."""
    result = invoke("run", "--repo", repo, "--file", "calc/ops.py", "--engine", "offline",
                    "--yes", "--json", *flags)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture
def plain(make_repo) -> str:
    """What healloop makes of OPS with plain LF line ends and no mark."""
    repo = repo_with(make_repo, OPS, name="plain")
    healed(repo, "--apply")
    return (repo / "calc/ops.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(("form", "disk"), [
    (TextForm("\r\n"), OPS.replace("\n", "\r\n")),
    (TextForm(bom=True), "\ufeff" + OPS),
    (TextForm("\r\n", bom=True), "\ufeff" + OPS.replace("\n", "\r\n")),
])
def test_an_applied_change_keeps_the_files_line_ends_and_mark(make_repo, plain, form, disk):
    repo = repo_with(make_repo, disk)
    outcome = healed(repo, "--apply")
    assert "-import os" in outcome["diff"] and "-def add" not in outcome["diff"]
    assert (repo / "calc/ops.py").read_bytes() == form.dump(plain).encode()


def test_a_file_with_a_byte_order_mark_is_reviewed_as_python_reads_it(make_repo):
    repo = repo_with(make_repo, "\ufeff" + HEALED)
    result = invoke("review", "--repo", repo, "calc/ops.py")
    assert result.exit_code == 0, result.output
    (review,) = json.loads(result.stdout)["reviews"]
    assert review["parses"] and review["findings"] == []


def test_output_elsewhere_takes_the_targets_form(make_repo, plain, tmp_path):
    repo = repo_with(make_repo, OPS.replace("\n", "\r\n"))
    out = tmp_path / "healed.py"
    healed(repo, "--output", out)
    assert out.read_bytes() == plain.replace("\n", "\r\n").encode()


def test_the_form_of_a_file_is_read_off_its_bytes():
    assert TextForm.of(b"a\r\nb\r\n") == TextForm("\r\n")
    assert TextForm.of(b"a\nb\r\nc\n") == TextForm("\n")  # mostly LF
    assert TextForm.of(b"\xef\xbb\xbfa\n") == TextForm(bom=True)
    assert TextForm("\r\n").dump("a\nb\r\n") == "a\r\nb\r\n"
