"""Names a module reads and nothing defines are imported or corrected."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import invoke

from healloop.context import RunContext
from healloop.engines import engines_for
from healloop.engines.base import GenerationJob
from healloop.engines.names_fix import NameFixEngine
from healloop.repair.names import mend_names
from healloop.state import ReviewReport

MODULE = '''"""Helpers."""

from __future__ import annotations

import sys


def join_all(parts):
    return os.path.join(*parts)


def total(values: List[int]) -> int:
    result = 0
    for value in values:
        result += vaule
    return result
'''
USES = [("os", 9, 12), ("List", 12, 19), ("vaule", 15, 19)]


def test_missing_imports_go_after_the_modules_own_and_a_slip_takes_the_closest_name() -> None:
    first, *_ = mend_names(MODULE, USES)
    assert first.steps == ["import os", "from typing import List", "'vaule' → 'value'"]
    lines = first.source.splitlines()
    assert lines[4:7] == ["import sys", "import os", "from typing import List"]
    assert "        result += value" in lines
    ast.parse(first.source)


def test_a_name_the_project_defines_is_imported_from_its_module() -> None:
    (found,) = mend_names("def area(r):\n    return Circle(r).area()\n", [("Circle", 2, 12)],
                          {"Circle": ["shapes.circle"]})
    assert found.source == ("from shapes.circle import Circle\ndef area(r):\n"
                            "    return Circle(r).area()\n")


def test_a_name_that_is_a_module_and_a_class_is_offered_both_ways() -> None:
    found = mend_names("def now():\n    return datetime.now()\n", [("datetime", 2, 12)])
    assert [m.summary for m in found] == ["import datetime", "from datetime import datetime"]


def test_a_name_nothing_resembles_is_left_alone() -> None:
    assert mend_names("def f():\n    return zzqx\n", [("zzqx", 2, 12)]) == []


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "shapes").mkdir()
    (tmp_path / "shapes" / "__init__.py").write_text("")
    (tmp_path / "shapes" / "circle.py").write_text("class Circle:\n    pass\n")
    (tmp_path / "shapes" / "area.py").write_text(
        "def area(r):\n    return Circle(r), defaultdict(int)\n")
    return tmp_path


def test_the_engine_finds_the_undefined_names_with_ruff_whatever_the_projects_rules(
    repo: Path,
) -> None:
    (repo / "ruff.toml").write_text('[lint]\nselect = ["E501"]\n')
    source = (repo / "shapes" / "area.py").read_text()
    job = GenerationJob(repo=repo, target="shapes/area.py", source=source, original=source,
                        review=ReviewReport(target="shapes/area.py"), blast_radius=None,
                        iteration=1, context=RunContext(engine="offline"))
    (first, *_) = NameFixEngine().propose(job)
    assert first.engine == "names"
    assert first.summary == ("from shapes.circle import Circle; "
                             "from collections import defaultdict")
    assert NameFixEngine().propose(
        GenerationJob(repo=repo, target="shapes/circle.py", source="x = 1\n", original="",
                      review=ReviewReport(target="shapes/circle.py"), blast_radius=None,
                      iteration=1, context=RunContext(engine="offline"))) == []


def test_offline_runs_define_names_before_ruff_polishes() -> None:
    names = [e.name for e in engines_for(RunContext(engine="offline"))]
    assert names.index("syntax") < names.index("names") < names.index("ruff")


@pytest.mark.slow
def test_a_module_missing_its_imports_is_healed_through_the_cli(make_repo) -> None:
    repo = make_repo({
        "calc/__init__.py": "",
        "calc/paths.py": "def joined(parts):\n    return os.path.join(*parts)\n",
        "tests/test_paths.py": ("from calc.paths import joined\n\n\n"
                                "def test_joined():\n    assert joined(['a', 'b']) == 'a/b'\n"),
    })
    result = invoke("run", "--repo", repo, "--file", "calc/paths.py", "--engine", "offline",
                    "--yes", "--apply")
    assert result.exit_code == 0, result.output
    assert (repo / "calc/paths.py").read_text().startswith("import os\n")
