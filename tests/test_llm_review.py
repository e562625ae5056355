"""Review and judge by a model: structured, merged with the analysers, bounded."""

from fake_chat import FakeChat

from healloop.context import RunContext
from healloop.llm.budget import Meter
from healloop.llm.judge import llm_judge
from healloop.llm.review import llm_review
from healloop.state import Finding, ReviewReport

SOURCE = '''\
def last(items):
    """Return the last item."""
    import os
    return items[len(items)]
'''
RUFF = Finding(file="m.py", line=3, rule="F401", source="ruff", message="`os` imported but unused")


def item(line: int, rule: str, message: str, severity: str = "error") -> dict:
    return {"line": line, "end_line": None, "severity": severity, "rule": rule,
            "message": message, "rationale": "the docstring promises the last item"}


def review_with(*replies, **context):
    chat = FakeChat(replies=list(replies))
    ctx = RunContext(engine="llm", chat_model=chat, **context)
    meter = Meter.for_run(ctx)
    report = ReviewReport(target="m.py", findings=[RUFF])
    return llm_review(report, SOURCE, ctx, meter=meter), chat, meter


def test_model_findings_follow_the_analysers_with_location_severity_and_rationale():
    findings, chat, meter = review_with({"findings": [
        item(4, "off-by-one", "items[len(items)] is out of range"),
    ]})
    assert findings[0] == RUFF
    added = findings[1]
    assert (added.source, added.line, added.severity) == ("llm", 4, "error")
    assert added.rule == "off-by-one"
    assert added.rationale == "the docstring promises the last item"
    assert meter.used.calls == 1


def test_the_model_is_shown_the_analysers_findings_and_numbered_code():
    _, chat, _ = review_with({"findings": []})
    user = chat.prompts[0][1].content
    assert "F401" in user and "already known" in user
    assert "4 |     return items[len(items)]" in user


def test_findings_that_repeat_an_analyser_or_each_other_are_dropped_and_lines_clamped():
    findings, _, _ = review_with({"findings": [
        item(3, "F401", "os is imported but never used", "warning"),
        item(99, "off-by-one", "index out of range"),
        item(99, "off-by-one", "index out of range"),
    ]})
    assert [(f.source, f.line) for f in findings] == [("ruff", 3), ("llm", 4)]


def test_an_unusable_review_leaves_the_analysers_findings_and_a_note():
    findings, chat, meter = review_with("no idea", "still no idea")
    assert findings == [RUFF] and len(chat.prompts) == 2
    assert any("review: dropped" in n for n in meter.notes())


def test_review_respects_the_run_budget():
    findings, chat, meter = review_with({"findings": []}, max_tokens_per_run=100)
    assert findings == [RUFF] and chat.prompts == []
    assert any("token budget reached" in n for n in meter.notes())


def judge_with(*replies):
    chat = FakeChat(replies=list(replies))
    ctx = RunContext(engine="llm", chat_model=chat, judge=True)
    meter = Meter.for_run(ctx)
    fixed = SOURCE.replace("len(items)]", "-1]")
    return llm_judge("m.py", SOURCE, fixed, [RUFF], ctx, meter=meter), chat, meter


def test_the_judge_scores_a_diff_with_reasons():
    verdict, chat, _ = judge_with({"score": 0.8, "reasons": ["fixes the index", "keeps import"]})
    assert verdict.score == 0.8 and verdict.reasons[0] == "fixes the index"
    user = chat.prompts[0][1].content
    assert "-    return items[len(items)]" in user and "+    return items[-1]" in user


def test_a_judge_score_outside_zero_to_one_is_reasked_then_dropped():
    verdict, chat, meter = judge_with({"score": 7, "reasons": []}, {"score": 1.5, "reasons": []})
    assert verdict is None and len(chat.prompts) == 2
    assert any("judge: dropped" in n and "between 0 and 1" in n for n in meter.notes())


def test_the_judge_is_not_asked_about_no_change():
    chat = FakeChat(replies=[])
    ctx = RunContext(engine="llm", chat_model=chat, judge=True)
    assert llm_judge("m.py", SOURCE, SOURCE, [], ctx) is None and chat.prompts == []


def test_a_perfect_judge_score_cannot_lift_a_candidate_that_failed_a_gate():
    from healloop.evaluation.score import Measurement, score
    from healloop.state import Metrics

    value, gates, terms = score(Measurement(parses=False, findings=[], metrics=Metrics(),
                                            judge=1.0))
    assert value == 0.0 and not all(g.passed for g in gates)
    assert any(t.name == "judge" and t.value == 1.0 for t in terms)
