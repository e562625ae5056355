"""The seed's agents as commands: review, impact and generate with JSON files between them."""

import json
import re
from pathlib import Path

import pytest
from conftest import CALC
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from healloop.main import app
from healloop.reports.schemas import SCHEMA_DIR, schema_path
from healloop.state import BlastRadius, Finding, ReviewReport, ReviewSet

runner = CliRunner()
UNTESTED = {path: text for path, text in CALC.items() if not path.startswith("tests/")}
"""The calc repository without its tests: review and generate run no test suite."""
CLEAN = '"""Clean."""\n\n\ndef add(a, b):\n    """Return a plus b."""\n    return a + b\n'


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_path(name).read_text()))


def write_inputs(folder: Path, target: str = "calc/ops.py") -> tuple[Path, Path]:
    """Write a review set and a blast radius of target as the commands would."""
    review = folder / "review.json"
    review.write_text(ReviewSet(reviews=[ReviewReport(target=target, findings=[
        Finding(file=target, line=2, column=8, rule="F401", source="ruff",
                message="`os` imported but unused", fixable=True),
    ])]).model_dump_json())
    impact = folder / "impact.json"
    impact.write_text(BlastRadius(target=target, module="calc.ops").model_dump_json())
    return review, impact


def test_review_json_feeds_generate_which_writes_the_improved_file(calc_repo, tmp_path):
    review, impact, out = tmp_path / "review.json", tmp_path / "impact.json", tmp_path / "new.py"
    original = (calc_repo / "calc/ops.py").read_text()

    result = invoke("review", "--repo", calc_repo, "--files", "calc/ops.py", "calc/report.py",
                    "--output", review)
    assert result.exit_code == 0, result.output
    data = json.loads(review.read_text())
    validator("review-set").validate(data)
    assert [r["target"] for r in data["reviews"]] == ["calc/ops.py", "calc/report.py"]
    ops = data["reviews"][0]
    assert {f["rule"] for f in ops["findings"]} == {"F401"}
    assert ops["tests"]["selected"] == ["tests/test_ops.py"]

    result = invoke("impact", "calc/ops.py", "--repo", calc_repo, "--output", impact)
    assert result.exit_code == 0, result.output
    assert "calc/report.py" in [d["file"] for d in json.loads(impact.read_text())["dependents"]]

    result = invoke("generate", "--repo", calc_repo, "--file", "calc/ops.py", "--review", review,
                    "--impact", impact, "--output", out, "--engine", "offline", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["engine"] == "ruff" and summary["written"] == str(out)
    assert summary["score"] > summary["original_score"]
    improved = out.read_text()
    assert "import os" not in improved and "import sys" not in improved
    assert "def add(a, b):" in improved and "def mean(values):" in improved
    assert (calc_repo / "calc/ops.py").read_text() == original


def test_generate_without_output_prints_the_diff(make_repo, tmp_path):
    repo = make_repo(UNTESTED)
    review, impact = write_inputs(tmp_path)
    result = invoke("generate", "--repo", repo, "--file", "calc/ops.py", "--review", review,
                    "--impact", impact, "--engine", "offline")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("--- a/calc/ops.py\n+++ b/calc/ops.py\n")
    assert "\n-import os\n" in result.stdout
    assert "by ruff" in result.stderr


def test_generate_reads_a_single_review_too(make_repo, tmp_path):
    repo = make_repo(UNTESTED)
    review, impact = write_inputs(tmp_path)
    single = tmp_path / "one.json"
    single.write_text(json.dumps(json.loads(review.read_text())["reviews"][0]))
    validator("review").validate(json.loads(single.read_text()))
    result = invoke("generate", "--repo", repo, "--file", "calc/ops.py", "--review", single,
                    "--impact", impact, "--engine", "offline")
    assert result.exit_code == 0, result.output


def test_nothing_better_than_the_original_exits_1_and_writes_nothing(make_repo, tmp_path):
    repo = make_repo({"calc/__init__.py": "", "calc/ops.py": CLEAN})
    review, impact = write_inputs(tmp_path)
    out = tmp_path / "new.py"
    result = invoke("generate", "--repo", repo, "--file", "calc/ops.py", "--review", review,
                    "--impact", impact, "--output", out, "--engine", "offline")
    assert result.exit_code == 1, result.output
    assert "nothing beat the original calc/ops.py" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("which", "change", "message"),
    [
        ("review", lambda d: d["reviews"][0]["findings"][0].update(line="two"),
         r"review\.json does not match review-set\.schema\.json: "
         r"reviews\[0\]\.findings\[0\]\.line: Input should be a valid integer"),
        ("review", lambda d: d["reviews"][0]["findings"][0].update(severity="fatal"),
         r"reviews\[0\]\.findings\[0\]\.severity: Input should be 'info', 'warning' or 'error'"),
        ("review", lambda d: d["reviews"][0].update(target="calc/report.py"),
         r"review\.json has no review of calc/ops\.py; it reviews calc/report\.py"),
        ("impact", lambda d: d.update(risk=7),
         r"impact\.json does not match impact\.schema\.json: risk: Input should be less than "
         r"or equal to 1"),
        ("impact", lambda d: d.update(target="calc/report.py"),
         r"impact\.json is the blast radius of calc/report\.py, not of calc/ops\.py"),
    ],
)
def test_tampered_input_is_refused_with_the_field_named(make_repo, tmp_path, which, change,
                                                       message):
    repo = make_repo(UNTESTED)
    review, impact = write_inputs(tmp_path)
    path = review if which == "review" else impact
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    result = invoke("generate", "--repo", repo, "--file", "calc/ops.py", "--review", review,
                    "--impact", impact, "--engine", "offline")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("healloop: error: ")
    assert re.search(message, line), line


def test_review_that_is_not_json_is_refused(make_repo, tmp_path):
    repo = make_repo(UNTESTED)
    review, impact = write_inputs(tmp_path)
    review.write_text("{not json")
    result = invoke("generate", "--repo", repo, "--file", "calc/ops.py", "--review", review,
                    "--impact", impact)
    assert result.exit_code == 2
    assert "review.json is not JSON: line 1 column 2" in result.stderr


@pytest.mark.parametrize(
    "files",
    [
        ["--files", "calc/ops.py", "calc/report.py"],
        ["--files", "calc/ops.py", "--files", "calc/report.py"],
        ["calc/ops.py", "calc/report.py"],
        ["--files", "calc/ops.py", "calc/report.py", "--files", "calc/ops.py"],
    ],
)
def test_files_are_taken_space_separated_or_repeated(make_repo, files):
    repo = make_repo(UNTESTED)
    result = invoke("review", "--repo", repo, *files)
    assert result.exit_code == 0, result.output
    reviews = ReviewSet.model_validate_json(result.stdout).reviews
    assert [r.target for r in reviews] == ["calc/ops.py", "calc/report.py"]
    assert reviews[1].findings == [] and reviews[0].notes[0] == "no test reaches this target"
    assert "the repository configures no ruff" in reviews[0].notes[1]


def test_review_as_sarif_validates_against_the_sarif_schema(make_repo, tmp_path):
    repo = make_repo(UNTESTED)
    out = tmp_path / "review.sarif"
    result = invoke("review", "--repo", repo, "--files", "calc/ops.py", "--output", out)
    assert result.exit_code == 0, result.output
    log = json.loads(out.read_text())
    schema = json.loads((SCHEMA_DIR / "sarif-2.1.0-subset.schema.json").read_text())
    Draft202012Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in results] == [("F401", 2), ("F401", 3)]
    assert str(repo) not in out.read_text()


def test_review_as_markdown_goes_to_stdout(make_repo):
    repo = make_repo(UNTESTED)
    result = invoke("review", "--repo", repo, "--files", "calc/ops.py", "--format", "md")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# healloop review\n\n## `calc/ops.py`\n")
    assert "F401" in result.stdout


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["--format", "json"],
         lambda text: validator("impact").is_valid(json.loads(text))),
        (["--format", "md"],
         lambda text: text.startswith("# Blast radius of `calc/ops.py`") and (
             "```mermaid\ngraph RL" in text)),
        (["--format", "html"],
         lambda text: text.lower().startswith("<!doctype html>") and "<svg" in text),
        (["--format", "mermaid"],
         lambda text: text.startswith("graph RL\n") and '["calc/report.py"]' in text),
    ],
)
def test_impact_prints_each_format(make_repo, args, check):
    repo = make_repo(UNTESTED)
    result = invoke("impact", "calc/ops.py", "--repo", repo, *args)
    assert result.exit_code == 0, result.output
    assert check(result.stdout), result.stdout[:300]
    assert "calc/report.py" in result.stdout


@pytest.mark.parametrize(
    ("name", "start"),
    [("blast.json", "{"), ("blast.md", "# Blast radius"), ("blast.html", "<!doctype html>"),
     ("blast.mmd", "graph RL")],
)
def test_impact_output_suffix_picks_the_format(make_repo, tmp_path, name, start):
    repo = make_repo(UNTESTED)
    result = invoke("impact", "calc/ops.py", "--repo", repo, "--output", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (tmp_path / name).read_text().lower().startswith(start.lower())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", "--repo", "{repo}"], "name the files to review: --files A.py B.py"),
        (["review", "--repo", "{repo}", "--files", "nope.py"], "target nope.py does not exist"),
        (["review", "--repo", "{repo}", "--files", "calc/ops.py", "--format", "pdf"],
         "Invalid value for '--format'"),
        (["review", "--repo", "{repo}", "--files", "calc/ops.py", "--output", "{tmp}/no/r.json"],
         "folder {tmp}/no does not exist"),
        (["review", "--repo", "{repo}", "--files", "calc/ops.py", "--output",
          "{repo}/calc/ops.py"], "would overwrite"),
        (["impact", "calc/ops.txt", "--repo", "{repo}"], "does not exist"),
        (["impact", "calc/ops.py", "--repo", "{repo}", "--output", "{tmp}/impact.pdf"],
         "--output {tmp}/impact.pdf: unknown format '.pdf'"),
        (["review", "--repo", "{repo}", "--files", "calc/ops.py", "--output", "{tmp}/r.txt"],
         "unknown format '.txt'; use .json, .markdown, .md, .sarif, or say --format"),
        (["impact", "calc/ops.py", "--repo", "{tmp}/none"], "repository {tmp}/none does not"),
        (["generate", "--repo", "{repo}", "--file", "calc/ops.py", "--review", "{tmp}/x.json",
          "--impact", "{tmp}/impact.json"], "{tmp}/x.json: no such file"),
        (["generate", "--repo", "{repo}", "--file", "calc/ops.py", "--review",
          "{tmp}/review.json", "--impact", "{tmp}/impact.json", "--output", "{repo}/calc/ops.py"],
         "would overwrite"),
        (["generate", "--repo", "{repo}", "--file", "calc/ops.py", "--review",
          "{tmp}/review.json", "--impact", "{tmp}/impact.json", "--engine", "llm"],
         "the llm engine needs a model"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(make_repo, tmp_path, monkeypatch, args, message):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    repo = make_repo(UNTESTED)
    write_inputs(tmp_path)
    fill = {"repo": str(repo), "tmp": str(tmp_path)}
    result = invoke(*[a.format(**fill) for a in args])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("healloop: error: ") and message.format(**fill) in line, line


def test_review_takes_file_as_run_spells_it(make_repo):
    result = invoke("review", "--repo", make_repo(UNTESTED), "--file", "calc/ops.py")
    assert result.exit_code == 0, result.output
    assert [r["target"] for r in json.loads(result.stdout)["reviews"]] == ["calc/ops.py"]
