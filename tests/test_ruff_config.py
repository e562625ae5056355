"""A repository's own ruff settings never change what healloop reads back from ruff.

click and flask set ``fix = true``, ``show-fixes`` and ``output-format`` in their
pyproject; with the fix setting on, ``ruff check -`` prints the fixed source where
healloop expects the JSON findings.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import invoke

from healloop.analysis import lint
from healloop.state import ReviewSet

pytestmark = pytest.mark.usefixtures("no_outside_settings")

UNTIDY = (
    '"""Compare."""\nimport os\nimport sys\n\n\n'
    'def none(x):\n    """Say."""\n    return x == None\n'
)
"""Two unused imports (safe fixes) and a comparison to None (an unsafe fix)."""
FIX_EVERYTHING = """\
[tool.ruff]
fix = true
show-fixes = true
unsafe-fixes = true
output-format = "full"
preview = true

[tool.ruff.lint]
select = ["E", "F"]
"""




@pytest.fixture
def fixing_repo(make_repo) -> Path:
    """A repository whose ruff configuration fixes, shows fixes and prints full text."""
    return make_repo({"calc.py": UNTIDY, "pyproject.toml": FIX_EVERYTHING})


def test_review_reads_the_findings_of_a_repository_that_has_ruff_fix_on(fixing_repo):
    result = invoke("review", "--repo", fixing_repo, "--files", "calc.py")
    assert result.exit_code == 0, result.output
    (report,) = ReviewSet.model_validate_json(result.stdout).reviews
    assert sorted((f.rule, f.line) for f in report.findings) == [
        ("E711", 8), ("F401", 2), ("F401", 3)
    ]
    assert (fixing_repo / "calc.py").read_text() == UNTIDY


def test_a_run_on_a_repository_that_has_ruff_fix_on_heals_the_file(fixing_repo, tmp_path):
    out = tmp_path / "healed.py"
    result = invoke("run", "--repo", fixing_repo, "--file", "calc.py", "--engine", "offline",
                    "--yes", "--iterations", "1", "--output", out)
    assert result.exit_code == 0, result.output
    assert "import os" not in out.read_text()
    assert (fixing_repo / "calc.py").read_text() == UNTIDY


def test_safe_fixes_stay_safe_when_the_repository_allows_unsafe_ones(fixing_repo):
    fixed = lint.fix(fixing_repo, "calc.py", UNTIDY)
    assert "import os" not in fixed
    assert "x == None" in fixed


def test_a_ruff_configuration_ruff_refuses_is_linted_with_the_defaults(make_repo, tmp_path):
    # marshmallow's pyproject still says `show-source = true`, which ruff 0.5 removed.
    repo = make_repo({"calc.py": UNTIDY, "pyproject.toml": "[tool.ruff]\nshow-source = true\n"})
    out = tmp_path / "review.json"
    result = invoke("review", "--repo", repo, "--files", "calc.py", "--output", out)
    assert result.exit_code == 0, result.output
    findings = ReviewSet.model_validate_json(out.read_text()).reviews[0].findings
    (note,) = [f for f in findings if f.rule == "ruff-config"]
    assert note.severity == "info" and "show-source" in note.message
    assert {"F401"} <= {f.rule for f in findings}  # the default rules still apply
    # ... and the fixes come from the same rules: the findings are not left unfixable.
    assert "import os" not in lint.fix(repo, "calc.py", UNTIDY)


def test_a_ruff_that_fails_otherwise_is_one_line_and_exit_2(make_repo, monkeypatch):
    repo = make_repo({"calc.py": UNTIDY})
    monkeypatch.setattr(lint, "_ruff", lambda: "false")
    result = invoke("review", "--repo", repo, "--files", "calc.py")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("healloop: error: ruff failed on calc.py: "), line


def test_ruff_output_that_is_not_json_is_one_line_and_exit_2(make_repo, tmp_path, monkeypatch):
    chatty = tmp_path / "ruff"
    chatty.write_text("#!/bin/sh\necho 'All checks passed!'\n")
    chatty.chmod(chatty.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(lint, "_ruff", lambda: str(chatty))
    repo = make_repo({"calc.py": UNTIDY})
    result = invoke("review", "--repo", repo, "--files", "calc.py")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line == ("healloop: error: ruff printed no JSON findings for calc.py: "
                    "All checks passed!"), line


OPTIONAL = ("from typing import Optional\n\n\n"
            "def f(x: Optional[int]) -> Optional[int]:\n    return x\n")
"""`X | None` in a signature is an error at run time before Python 3.10."""


@pytest.mark.parametrize(("name", "text", "newer"), [
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = ">=3.9"\n', False),
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.8"\n', False),
    ("setup.cfg", "[options]\npython_requires = >=3.9\n", False),
    ("setup.py", "from setuptools import setup\n\nsetup(python_requires='>=3.8')\n", False),
    ("pyproject.toml", '[project]\nname = "x"\nrequires-python = ">=3.10"\n', True),
])
def test_fixes_target_the_oldest_python_the_project_supports(make_repo, name, text, newer):
    repo = make_repo({"m.py": OPTIONAL, name: text}, git=False)
    fixed = lint.fix(repo, "m.py", OPTIONAL)
    assert ("int | None" in fixed) is newer, fixed


def test_a_lint_fix_is_labelled_with_the_rules_it_fixed_not_every_rule_found(make_repo):
    from healloop.context import RunContext
    from healloop.engines.base import GenerationJob
    from healloop.engines.lint_fix import LintFixEngine
    from healloop.state import ReviewReport

    source = f'"""M."""\nimport os\n\nTEXT = "{"a" * 100}"\n'  # F401 fixes, E501 does not
    repo = make_repo({"m.py": source}, git=False)
    findings = lint.lint(repo, "m.py", source)
    assert {f.rule for f in findings} == {"F401", "E501"}
    job = GenerationJob(repo=repo, target="m.py", source=source, original=source,
                        review=ReviewReport(target="m.py", findings=findings),
                        blast_radius=None, iteration=1, context=RunContext(engine="offline"))
    first, *_ = LintFixEngine().propose(job)
    assert first.edits == ["ruff fixes for F401"]


def test_the_fixes_of_defects_alone_are_a_candidate_before_every_safe_fix(make_repo):
    from healloop.context import RunContext
    from healloop.engines.base import GenerationJob
    from healloop.engines.lint_fix import LintFixEngine
    from healloop.state import ReviewReport

    source = '"""M."""\nimport os\n\n\nclass A(object):\n    """A."""\n'  # F401 and UP004
    repo = make_repo({"m.py": source,
                      "pyproject.toml": '[tool.ruff.lint]\nselect = ["F", "UP"]\n'}, git=False)
    findings = lint.lint(repo, "m.py", source)
    job = GenerationJob(repo=repo, target="m.py", source=source, original=source,
                        review=ReviewReport(target="m.py", findings=findings),
                        blast_radius=None, iteration=1, context=RunContext(engine="offline"))
    defects, every = LintFixEngine().propose(job)[:2]
    assert defects.summary == "ruff fixes of defects"
    assert "import os" not in defects.content and "class A(object):" in defects.content
    assert every.summary == "ruff safe fixes"
    assert "import os" not in every.content and "class A:" in every.content


def test_the_unsafe_fixes_of_defects_are_a_last_candidate_for_the_tests_to_judge(make_repo):
    from healloop.context import RunContext
    from healloop.engines.base import GenerationJob
    from healloop.engines.lint_fix import LintFixEngine
    from healloop.state import ReviewReport

    # ruff's fixes of an unused variable (F841) and a mutable default (B006) are unsafe.
    source = ('"""M."""\n\n\ndef total(values, seen=[]):\n    """Add."""\n'
              "    unused = len(values)\n    seen.append(1)\n    return sum(values)\n")
    repo = make_repo({"m.py": source}, git=False)
    findings = lint.lint(repo, "m.py", source)
    job = GenerationJob(repo=repo, target="m.py", source=source, original=source,
                        review=ReviewReport(target="m.py", findings=findings),
                        blast_radius=None, iteration=1, context=RunContext(engine="offline"))
    *safe, unsafe = LintFixEngine().propose(job)
    assert all("unused = " in p.content and "seen=[]" in p.content for p in safe)
    assert unsafe.summary == "ruff fixes of defects, unsafe ones too"
    assert "unused = " not in unsafe.content and "seen=None" in unsafe.content
    assert {f.rule for f in lint.lint(repo, "m.py", unsafe.content)} == set()


def test_another_engines_fix_is_polished_by_the_fixes_of_defects_alone(make_repo):
    from healloop.context import RunContext
    from healloop.engines.base import GenerationJob, Proposal
    from healloop.engines.lint_fix import LintFixEngine
    from healloop.nodes.generate import _proposals
    from healloop.state import ReviewReport

    # glom's reduction.py: a one-line repair came back with its imports sorted too.
    source = ('"""M."""\nimport sys\nimport os\nfrom pprint import pprint\n\n\n'
              'def twice(x):\n    """Twice."""\n    return os.sep * x + sys.platform\n')
    repo = make_repo({"m.py": source}, git=False)

    class Repair:
        name = "repair"

        def propose(self, job):
            return [Proposal(content=source.replace("* x", "* 2 * x"), engine="repair",
                             summary="line 9", edits=["line 9"])]

    job = GenerationJob(repo=repo, target="m.py", source=source, original=source,
                        review=ReviewReport(target="m.py"), blast_radius=None, iteration=1,
                        context=RunContext(engine="offline"))
    proposals = _proposals(job, [LintFixEngine(), Repair()])
    (polished,) = [p for p in proposals if p.engine == "repair+ruff"]
    assert polished.content == source.replace("* x", "* 2 * x").replace(
        "from pprint import pprint\n", "")  # the unused import goes, the order stays
    assert polished.summary == "line 9; ruff fixes of defects"
