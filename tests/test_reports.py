"""Run reports in each format, checked against their schemas.

SARIF logs are checked against schemas/sarif-2.1.0-subset.schema.json, a schema
written for healloop from the SARIF 2.1.0 specification: it closes every object
over the properties healloop uses, so a misspelt property or a bad level fails.
The official OASIS schema is not shipped; set HEALLOOP_SARIF_SCHEMA to a local copy
of it (sarif-schema-2.1.0.json) to also check the logs against it.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, Draft202012Validator

from healloop.errors import UsageError
from healloop.reports import render_report, report_format, write_report
from healloop.reports.run import RunReport, run_report, score_rows
from healloop.reports.schemas import schema_of
from healloop.state import (
    ApprovalDecision,
    BlastRadius,
    Candidate,
    Dependent,
    Evaluation,
    FileChange,
    Finding,
    Gate,
    Metrics,
    Request,
    ReviewReport,
    ScoreTerm,
)

SARIF_SUBSET = Path(__file__).resolve().parents[1] / "schemas" / "sarif-2.1.0-subset.schema.json"
ORIGINAL = 'import os\nimport sys\n\n\ndef add(a, b):\n    return a + b\n'
ROUND1 = 'import sys\n\n\ndef add(a, b):\n    return a + b\n'
ROUND2 = "def add(a, b):\n    return a + b\n"


def terms(tests: float, lint: float) -> list[ScoreTerm]:
    return [
        ScoreTerm(name="tests", weight=0.6, value=tests, detail="2/2 pass"),
        ScoreTerm(name="lint", weight=0.4, value=lint, detail="findings"),
    ]


def healed_state(repo: str = "/srv/checkout/calc") -> dict:
    """Return the state of a run that healed calc/ops.py in two rounds, one rejected."""
    target = "calc/ops.py"
    findings = [
        Finding(file=target, line=1, column=8, end_line=1, rule="F401", source="ruff",
                message="`os` imported but unused", fixable=True),
        Finding(file=target, line=2, column=8, rule="F401", source="ruff",
                message="`sys` imported but unused | twice", fixable=True,
                rationale="Unused imports slow start-up."),
        Finding(file="tests/test ops.py", line=0, column=0, rule="tests/test_ops.py::test_add",
                source="pytest", severity="error", message="assert 4 == 5\nmore detail"),
    ]
    review = ReviewReport(target=target, findings=findings, metrics=Metrics(lines=6),
                          notes=["coverage not measured"])
    blast = BlastRadius(
        target=target, module="calc.ops",
        dependents=[Dependent(module="calc.report", file="calc/report.py", symbols=["add"])],
        tests=["tests/test_ops.py"], risk=0.4,
    )
    candidates = [
        Candidate(id="c1", target=target, engine="ruff", iteration=1,
                  changes=[FileChange(path=target, content=ROUND1)], summary="drop os"),
        Candidate(id="c2", target=target, engine="repair", iteration=2,
                  changes=[FileChange(path=target, content=ROUND2)], summary="drop both"),
    ]
    evaluations = [
        Evaluation(candidate_id="c1", target=target, score=0.72, terms=terms(1.0, 0.3),
                   gates=[Gate(name="parses", passed=True),
                          Gate(name="api_compatible", passed=False, detail="calc.report")]),
        Evaluation(candidate_id="c2", target=target, score=0.95, terms=terms(1.0, 0.9),
                   gates=[Gate(name="parses", passed=True)]),
    ]
    return {
        "request": Request(repo=repo, files=[target], threshold=0.8).dump(),
        "settings": {"engine": "offline"},
        "originals": {target: ORIGINAL},
        "review": {target: review.dump()},
        "blast_radius": {target: blast.dump()},
        "baseline": {target: Evaluation(candidate_id="original", target=target, score=0.5,
                                        terms=terms(1.0, 0.0)).dump()},
        "candidates": [c.dump() for c in candidates],
        "evaluations": [e.dump() for e in evaluations],
        "iteration": 2,
        "best": {target: "c2"},
        "rejected": ["c1"],
        "feedback": ["keep the sys import out too"],
        "decision": ApprovalDecision(action="approve").dump(),
        "status": "accepted",
        "reason": "approved",
        "written": [target],
    }


@pytest.fixture(scope="module")
def sarif_validator() -> Draft202012Validator:
    schema = json.loads(SARIF_SUBSET.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_json_report_is_the_full_state_under_its_published_schema(tmp_path):
    path = write_report(healed_state(), tmp_path / "run.json", thread_id="heal-1")
    data = json.loads(path.read_text())
    Draft202012Validator(schema_of(RunReport)).validate(data)
    report = RunReport.model_validate(data)
    assert report.thread_id == "heal-1"
    assert [c.id for c in report.candidates] == ["c1", "c2"]
    assert report.review["calc/ops.py"].findings[0].rule == "F401"
    (outcome,) = report.targets
    assert (outcome.original_score, outcome.best_score, outcome.engine) == (0.5, 0.95, "repair")
    assert "-import os\n" in outcome.diff and "-import sys\n" in outcome.diff


def test_status_can_be_overridden_for_a_paused_run():
    state = healed_state()
    del state["status"], state["decision"], state["written"]
    assert run_report(state).status == "running"
    assert run_report(state, status="awaiting_approval").status == "awaiting_approval"


def test_score_rows_list_the_original_then_each_round():
    rows = score_rows(run_report(healed_state()), "calc/ops.py")
    assert [(r.round, r.candidate_id) for r in rows] == [(0, "original"), (1, "c1"), (2, "c2")]
    assert rows[1].rejected and rows[1].failed_gates == ["api_compatible: calc.report"]
    assert rows[2].best and not rows[0].best


def test_sarif_is_valid_against_the_sarif_schema(tmp_path, sarif_validator):
    path = write_report(healed_state(), tmp_path / "findings.sarif")
    log = json.loads(path.read_text())
    sarif_validator.validate(log)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["F401", "F401", "pytest/tests/test_ops.py::test_add"]
    assert [rules[r["ruleIndex"]]["id"] for r in results] == [r["ruleId"] for r in results]
    assert [r["level"] for r in results] == ["warning", "warning", "error"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 8, "endLine": 1}
    # Line 0 from a test failure is clamped to SARIF's first line, not rejected.
    assert results[2]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "tests/test%20ops.py"
    )
    assert "Unused imports slow start-up." in results[1]["message"]["text"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes == [{"message": {"text": "calc/ops.py: coverage not measured"}, "level": "note"}]
    assert "/srv/checkout" not in path.read_text()


def test_sarif_of_a_clean_review_is_valid_and_empty(sarif_validator):
    state = healed_state()
    state["review"] = {"calc/ops.py": ReviewReport(target="calc/ops.py").dump()}
    log = json.loads(render_report(state, "sarif"))
    sarif_validator.validate(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_invalid_sarif_is_caught_by_the_schema(sarif_validator):
    log = json.loads(render_report(healed_state(), "sarif"))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(log)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda run: run["results"][0].update(ruleIdx=0), "ruleIdx"),
        (lambda run: run["tool"]["driver"].update(verison="1"), "verison"),
        (lambda run: run["results"][0]["locations"][0]["physicalLocation"]["region"]
         .update(startLine=0), "startLine"),
        (lambda run: run["results"][0].update(ruleIndex=-1), "ruleIndex"),
        (lambda run: run["results"][0]["message"].pop("text"), "text"),
        (lambda run: run["tool"]["driver"]["rules"][0]["defaultConfiguration"]
         .update(level="fatal"), "level"),
    ],
)
def test_misspelt_or_out_of_range_sarif_properties_fail(sarif_validator, change, where):
    log = json.loads(render_report(healed_state(), "sarif"))
    change(log["runs"][0])
    errors = list(sarif_validator.iter_errors(log))
    assert errors and where in " ".join(e.message + str(list(e.path)) for e in errors)


def test_sarif_of_another_version_fails(sarif_validator):
    log = json.loads(render_report(healed_state(), "sarif"))
    assert not sarif_validator.is_valid({**log, "version": "2.0.0"})
    assert not sarif_validator.is_valid({**log, "runs": []})


def test_sarif_is_valid_against_the_official_schema_when_given_a_copy():
    official = os.environ.get("HEALLOOP_SARIF_SCHEMA")
    if not official:
        pytest.skip("HEALLOOP_SARIF_SCHEMA is not set: the official OASIS SARIF 2.1.0 "
                    "schema is not shipped; point it at a local copy to run this check")
    schema = json.loads(Path(official).read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    validator = Draft4Validator(schema)
    state = healed_state()
    validator.validate(json.loads(render_report(state, "sarif")))
    state["review"] = {"calc/ops.py": ReviewReport(target="calc/ops.py").dump()}
    validator.validate(json.loads(render_report(state, "sarif")))


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("r.json", "json"), ("r.md", "md"), ("R.HTML", "html"), ("r.htm", "html"),
     ("r.sarif", "sarif")],
)
def test_format_follows_the_suffix(name, fmt):
    assert report_format(Path(name)) == fmt


def test_unknown_suffix_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"unknown format '\.txt'.*\.md, \.html or \.sarif"):
        write_report(healed_state(), tmp_path / "report.txt")
    assert not (tmp_path / "report.txt").exists()


def test_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        write_report(healed_state(), tmp_path / "missing" / "report.json")


def test_report_replaces_an_existing_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")
    write_report(healed_state(), path)
    assert json.loads(path.read_text())["status"] == "accepted"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_state_of_the_wrong_shape_is_rejected():
    state = healed_state()
    state["evaluations"][0]["score"] = 7
    with pytest.raises(ValueError, match="less than or equal to 1"):
        render_report(state, "json")


def test_markdown_has_summary_findings_blast_radius_diff_and_scores(tmp_path):
    text = write_report(healed_state(), tmp_path / "run.md", thread_id="heal-1").read_text()
    assert text.startswith("# healloop run report\n")
    assert "**Status:** accepted: approved" in text and "`heal-1`" in text
    assert "| `calc/ops.py` | 0.50 | 0.95 | c2 | repair |" in text
    assert "`sys` imported but unused \\| twice" in text  # a pipe cannot break the table
    assert "| `tests/test ops.py`:0 | tests/test_ops.py::test_add | error |" in text
    assert "```mermaid\ngraph RL" in text and 'd0 -- "add" --> t' in text
    assert "```diff\n--- a/calc/ops.py\n+++ b/calc/ops.py\n" in text and "\n-import os\n" in text
    assert "| round | candidate | engine | score | tests ×0.6 | lint ×0.4 | gates failed |" in text
    assert "| 1 | c1 (rejected) | ruff | 0.72 | 1.00 | 0.30 | api_compatible: calc.report |" in text
    assert "| 2 | c2 (best) | repair | 0.95 | 1.00 | 0.90 | - |" in text
    assert "**approve** (all targets)" in text and "- wrote `calc/ops.py`" in text


def test_markdown_fence_outgrows_backticks_in_the_diff():
    state = healed_state()
    state["candidates"][1]["changes"][0]["content"] = 'DOC = """```python```"""\n'
    text = render_report(state, "md")
    assert "\n````diff\n" in text and '+DOC = """```python```"""\n````' in text


def test_markdown_of_a_run_without_candidates_says_so():
    state = healed_state()
    for key in ("candidates", "evaluations", "best", "rejected", "decision", "written"):
        state.pop(key)
    state.update(status="no_improvement", reason="nothing beat the original")
    text = render_report(state, "md")
    assert "**Status:** no_improvement: nothing beat the original" in text
    assert "### Change\n\nNo candidate." in text and "None yet." in text


class _Page(HTMLParser):
    """Collect tags, attributes and text; check that tags balance."""

    VOID = {"meta", "br", "img", "input", "link", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    assert page.stack == []
    return page


def test_html_is_one_offline_page_with_the_diff_highlighted(tmp_path):
    state = healed_state()
    state["candidates"][1]["changes"][0]["content"] = (
        '"""<script>alert(1)</script>"""\ndef add(a, b):\n    return a + b\n'
    )
    html = write_report(state, tmp_path / "run.html").read_text()
    page = parse(html)
    names = [tag for tag, _ in page.tags]
    assert "script" not in names and "link" not in names and "img" not in names
    assert not [a for _, attrs in page.tags for a in ("src", "href") if a in attrs]
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only same-document references
    assert '<span class="del">-import os</span>' in html
    q = "&quot;" * 3
    assert f'<span class="add">+{q}&lt;script&gt;alert(1)&lt;/script&gt;{q}</span>' in html
    assert '<span class="hunk">@@ -1,6 +1,3 @@</span>' in html
    text = "".join(page.text)
    assert "accepted" in text and "`os` imported but unused" in text
    assert "c1 (rejected)" in text and "c2 (best)" in text


def test_html_frames_the_blast_radius_picture_as_inline_svg():
    page = parse(render_report(healed_state(), "html"))
    (frame,) = [attrs for tag, attrs in page.tags if tag == "iframe"]
    assert frame["sandbox"] == ""
    inner = parse(frame["srcdoc"])
    assert "svg" in [tag for tag, _ in inner.tags]
    assert not [a for _, attrs in inner.tags for a in ("src", "href") if a in attrs]
    assert "calc/report.py" in "".join(inner.text)


def test_review_alone_renders_as_markdown_with_metrics_and_findings():
    from healloop.reports.markdown import render_review

    review = ReviewReport.model_validate(healed_state()["review"]["calc/ops.py"])
    broken = ReviewReport(target="calc/broken.py", parses=False)
    text = render_review([review, broken])
    assert text.startswith("# healloop review\n\n## `calc/ops.py`\n\n6 lines")
    assert "| 1 | F401 | warning | `os` imported but unused |" in text
    assert "## `calc/broken.py`\n\n**Does not parse.**" in text
    assert text.endswith("### Findings\n\nNone.\n")


def test_every_state_key_has_a_place_in_the_json_report():
    from healloop.state import HealState

    assert set(HealState.__annotations__) <= set(RunReport.model_fields)


def test_model_usage_notes_and_per_target_feedback_appear_in_every_form():
    state = healed_state()
    state.update(
        usage={"calls": 3, "tokens_in": 1200, "tokens_out": 340, "cost": 0.0123},
        notes=["preferred ruff fixes: accepted 4 times before"],
        feedback_for={"calc/ops.py": ["keep add's signature"]},
    )
    data = json.loads(render_report(state, "json"))
    assert data["usage"]["calls"] == 3 and data["feedback_for"] == state["feedback_for"]
    for fmt in ("md", "html"):
        text = render_report(state, fmt)
        assert "3 calls, 1200 tokens in, 340 out, $0.0123" in text
        assert "preferred ruff fixes" in text
        assert "keep add" in text


def test_report_path_is_checked_before_a_run(tmp_path):
    from healloop.reports import check_report_path

    assert check_report_path(tmp_path / "run.html") == tmp_path / "run.html"
    with pytest.raises(UsageError, match="unknown format"):
        check_report_path(tmp_path / "run.pdf")
    with pytest.raises(UsageError, match="does not exist"):
        check_report_path(tmp_path / "nowhere" / "run.md")
    (tmp_path / "out.json").mkdir()
    with pytest.raises(UsageError, match="is a folder"):
        check_report_path(tmp_path / "out.json")
    with pytest.raises(UsageError, match="is a folder"):
        write_report(healed_state(), tmp_path / "out.json")


@pytest.mark.slow
def test_report_of_a_checkpointed_run_paused_for_approval(calc_repo, tmp_path, sarif_validator):
    from healloop.checkpoint import open_checkpointer
    from healloop.context import RunContext
    from healloop.errors import RunNotFoundError
    from healloop.graph import build_graph
    from healloop.reports.write import write_run_report

    store = str(tmp_path / "cp.sqlite")
    with open_checkpointer(store, calc_repo) as saver:
        build_graph(checkpointer=saver).invoke(
            {"request": Request(repo=str(calc_repo), files=["calc/ops.py"]).dump()},
            {"configurable": {"thread_id": "paused-1"}},
            context=RunContext(engine="offline"),
        )
    paths = {
        fmt: write_run_report(tmp_path / f"run.{fmt}", calc_repo, store, "paused-1",
                              status="awaiting_approval")
        for fmt in ("json", "md", "html", "sarif")
    }
    data = json.loads(paths["json"].read_text())
    Draft202012Validator(schema_of(RunReport)).validate(data)
    assert data["status"] == "awaiting_approval" and data["thread_id"] == "paused-1"
    assert "-import os" in data["targets"][0]["diff"]
    sarif_validator.validate(json.loads(paths["sarif"].read_text()))
    assert "**Status:** awaiting_approval" in paths["md"].read_text()
    parse(paths["html"].read_text())
    with pytest.raises(RunNotFoundError):
        write_run_report(tmp_path / "x.json", calc_repo, store, "no-such-thread")
