"""Review by a model: problems of intent that the analysers cannot see.

Ruff, the parser and the tests say what is wrong mechanically; a model can say
that ``<=`` should be ``<`` because of what the docstring promises. It is given
the analysers' findings so that it adds to them instead of re-discovering them,
and its findings come back structured, validated and merged with those.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from healloop.context import RunContext
from healloop.llm.budget import Meter
from healloop.llm.factory import build_chat_model
from healloop.llm.prompts import review_messages
from healloop.llm.schemas import ReviewAnswer, ReviewItem
from healloop.llm.structured import Verdict, ask
from healloop.state import Finding, ReviewReport

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

MAX_FINDINGS = 10
PROMPT_TOKENS = 12000
ANSWER_TOKENS = 1500


def _finding(report: ReviewReport, item: ReviewItem, last_line: int) -> Finding:
    line = min(max(1, item.line), max(1, last_line))
    end = None if item.end_line is None else min(max(line, item.end_line), max(1, last_line))
    return Finding(
        file=report.target, line=line, end_line=end, rule=item.rule.strip() or "llm",
        source="llm", severity=item.severity, message=item.message.strip(),
        rationale=item.rationale.strip() or None,
    )


def _repeats(finding: Finding, known: list[Finding]) -> bool:
    """Return whether an analyser already reported this problem at this line."""
    return any(
        k.line == finding.line
        and (
            k.rule == finding.rule
            or difflib.SequenceMatcher(None, k.message.lower(), finding.message.lower()).ratio()
            > 0.6
        )
        for k in known
    )


def llm_review(
    report: ReviewReport,
    source: str,
    context: RunContext,
    *,
    model: BaseChatModel | None = None,
    meter: Meter | None = None,
) -> list[Finding]:
    """Return the report's findings merged with the model's review of source.

    The analysers' findings come first and unchanged; the model's follow, minus
    any that repeat one of them. When the model's answer is unusable or the
    budget is spent, the analysers' findings come back alone and the meter's
    log says why.

    Args:
        report: the analysers' review of the target.
        source: the target's content.
        context: the run context (model, key, budget).
        model: a ready chat model; built from the context when None.
        meter: the run's budget and call log; a fresh one when None.

    """
    meter = meter or Meter.for_run(context)
    model = model or build_chat_model(context)
    known = list(report.findings)
    budget = PROMPT_TOKENS
    left = meter.remaining_tokens()
    if left is not None:
        budget = max(500, min(budget, left - ANSWER_TOKENS))
    messages, _ = review_messages(report, source, known, budget=budget, limit=MAX_FINDINGS)
    last_line = len(source.splitlines())
    reply = ask(
        model, messages, ReviewAnswer, meter, expected_out=ANSWER_TOKENS,
        check=lambda answer: Verdict(result=answer.findings),
    )
    if reply.result is None:
        meter.note(f"{report.target} review: dropped: {reply.problem}")
        return known
    added: list[Finding] = []
    for item in reply.result[:MAX_FINDINGS]:
        finding = _finding(report, item, last_line)
        if not finding.message or _repeats(finding, known) or _repeats(finding, added):
            continue
        added.append(finding)
    return known + added
