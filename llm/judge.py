"""The judge: an optional, model-made term of the score (``--judge``).

Measurements decide; the judge only adds one weighted term for what tests cannot
see (is the change on task, minimal, readable). It is asked only about
candidates that passed every gate, and its score cannot lift a candidate that
failed one: ``evaluation.score`` scores those zero whatever the terms.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from healloop.context import RunContext
from healloop.llm.budget import Meter
from healloop.llm.factory import build_chat_model
from healloop.llm.prompts import judge_messages
from healloop.llm.schemas import JudgeAnswer
from healloop.llm.structured import Verdict, ask
from healloop.state import Finding

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

PROMPT_TOKENS = 8000
ANSWER_TOKENS = 400


def llm_judge(
    target: str,
    original: str,
    candidate: str,
    findings: list[Finding],
    context: RunContext,
    *,
    model: BaseChatModel | None = None,
    meter: Meter | None = None,
) -> JudgeAnswer | None:
    """Return the model's judgement of a candidate, or None when there is none.

    Args:
        target: repo-relative path of the target.
        original: the target's content at the start of the run.
        candidate: the candidate's content of the target.
        findings: the problems the candidate should fix.
        context: the run context (model, key, budget).
        model: a ready chat model; built from the context when None.
        meter: the run's budget and call log; a fresh one when None.

    """
    meter = meter or Meter.for_run(context)
    model = model or build_chat_model(context)
    diff = "".join(
        difflib.unified_diff(
            original.splitlines(keepends=True), candidate.splitlines(keepends=True),
            fromfile=f"a/{target}", tofile=f"b/{target}",
        )
    )
    if not diff:
        return None
    budget = PROMPT_TOKENS
    left = meter.remaining_tokens()
    if left is not None:
        budget = max(300, min(budget, left - ANSWER_TOKENS))
    messages, _ = judge_messages(target, diff, findings, budget=budget)
    reply = ask(model, messages, JudgeAnswer, meter, expected_out=ANSWER_TOKENS,
                check=lambda answer: Verdict(result=answer))
    if reply.result is None:
        meter.note(f"{target} judge: dropped: {reply.problem}")
    return reply.result
