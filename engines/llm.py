"""The llm engine: a chat model rewrites the target, and everything it says is checked.

Small files come back whole; large files come back as search/replace edit blocks
that are applied here, with one re-ask when a block does not match. An answer is
rejected, with the reason kept in ``notes``, when it is malformed twice, touches
another file or a path outside the repository, does not parse, or changes
nothing. The engine never raises for what a model or a network does: it returns
what it has, and the evaluator measures every proposal like any other.
"""

from __future__ import annotations

import ast
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING

from healloop.context import RunContext
from healloop.engines.base import GenerationJob, Proposal
from healloop.llm.budget import Meter
from healloop.llm.edits import apply_blocks
from healloop.llm.factory import build_chat_model
from healloop.llm.prompts import Mode, generation_messages
from healloop.llm.schemas import EditAnswer, Rewrite
from healloop.llm.structured import Verdict, ask
from healloop.llm.tokens import count_tokens

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

WHOLE_FILE_MAX_TOKENS = 2500
"""Files up to this size (about 250 lines) come back whole; larger ones as edits."""
CONTEXT_TOKENS = 16000
"""Tokens the prompt may take when the run sets no tighter budget."""
EDIT_ANSWER_TOKENS = 1200
"""Expected output of an edit-block answer, for the budget check."""

_FENCED = re.compile(r"\A\s*(`{3,})[\w+-]*\n(?P<body>.*)\n\1\s*\Z", re.DOTALL)

Found = tuple[str, str, list[str]]
"""New content, summary, and edits in words."""


class LLMEngine:
    """Propose new content for the target from a LangChain chat model."""

    name = "llm"

    def __init__(
        self,
        context: RunContext,
        *,
        model: BaseChatModel | None = None,
        meter: Meter | None = None,
        whole_file_max_tokens: int = WHOLE_FILE_MAX_TOKENS,
        context_tokens: int = CONTEXT_TOKENS,
    ) -> None:
        """Build the model now, so a missing key is reported before the run starts.

        Args:
            context: the run context (model, key, budget, candidates per round).
            model: a ready chat model; built from the context when None.
            meter: the run's budget and call log; a fresh one when None.
            whole_file_max_tokens: files up to this size come back whole.
            context_tokens: the most tokens a prompt may take.

        """
        self.context = context
        self.model = model or build_chat_model(context)
        self.meter = meter or Meter.for_run(context)
        self.whole_file_max_tokens = whole_file_max_tokens
        self.context_tokens = context_tokens

    @property
    def notes(self) -> list[str]:
        """Why answers were dropped and why calls stopped, one line each."""
        return self.meter.notes()

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Ask the model for up to ``job.context.candidates`` new versions of the target."""
        small = count_tokens(job.source) <= self.whole_file_max_tokens
        mode: Mode = "whole" if small else "edits"
        attempts = max(1, job.context.candidates)
        expected = self._expected_output(job.source, mode)
        proposals: list[Proposal] = []
        seen = {job.source}
        for attempt in range(1, attempts + 1):
            budget = self._prompt_budget(expected, attempts - attempt + 1)
            messages, cut = generation_messages(
                job, mode, budget=budget, attempt=attempt, attempts=attempts
            )
            if mode == "whole":
                reply = ask(self.model, messages, Rewrite, self.meter, expected_out=expected,
                            check=lambda answer: _check_rewrite(job, answer))
            else:
                reply = ask(self.model, messages, EditAnswer, self.meter, expected_out=expected,
                            check=lambda answer: _check_edits(job, answer))
            where = f"{job.target} round {job.iteration} candidate {attempt}"
            if cut and attempt == 1:
                self.meter.note(f"{where}: prompt trimmed to budget: {'; '.join(cut)}")
            if reply.result is None:
                self.meter.note(f"{where}: dropped: {reply.problem}")
                if reply.stop:
                    break
                continue
            content, summary, edits = reply.result
            if content in seen:
                self.meter.note(f"{where}: dropped: same as an earlier version")
                continue
            seen.add(content)
            proposals.append(
                Proposal(content=content, engine=self.name, summary=summary, edits=edits,
                         stats=reply.usage.stats())
            )
        return proposals

    def _expected_output(self, source: str, mode: Mode) -> int:
        if mode == "edits":
            return EDIT_ANSWER_TOKENS
        return int(count_tokens(source) * 1.15) + 150

    def _prompt_budget(self, expected: int, calls_left: int) -> int:
        left = self.meter.remaining_tokens()
        if left is None:
            return self.context_tokens
        share = left // max(1, calls_left) - expected
        return max(500, min(self.context_tokens, share))


def _unfenced(content: str) -> str:
    match = _FENCED.match(content)
    body = match.group("body") if match else content
    return body if body.endswith("\n") else body + "\n"


def _path_problem(job: GenerationJob, path: str) -> str | None:
    given = path.strip().replace("\\", "/")
    if given in ("", job.target):
        return None
    repo = job.repo.resolve()
    if posixpath.isabs(given) or re.match(r"^[A-Za-z]:/", given):
        resolved = Path(given).resolve()
        if resolved == (repo / job.target).resolve():
            return None
        if not resolved.is_relative_to(repo):
            return f"the answer writes to a path outside the repository: {given}"
        return f"the answer touches another file: {resolved.relative_to(repo).as_posix()}"
    normal = posixpath.normpath(given)
    if normal == ".." or normal.startswith("../"):
        return f"the answer writes to a path outside the repository: {given}"
    if normal == job.target:
        return None
    if normal == posixpath.basename(job.target) and not (repo / normal).exists():
        return None
    return f"the answer touches another file: {normal}"


def _syntax_problem(content: str) -> str | None:
    try:
        ast.parse(content)
    except SyntaxError as exc:
        return f"the new code does not parse: line {exc.lineno}: {exc.msg}"
    return None


def _check_rewrite(job: GenerationJob, answer: Rewrite) -> Verdict[Found]:
    problem = _path_problem(job, answer.path)
    if problem:
        return Verdict(reject=problem)
    content = _unfenced(answer.content)
    problem = _syntax_problem(content)
    if problem:
        return Verdict(reject=problem)
    if content == job.source:
        return Verdict(reject="the answer changes nothing")
    return Verdict(result=(content, answer.summary, list(answer.edits)))


def _check_edits(job: GenerationJob, answer: EditAnswer) -> Verdict[Found]:
    for block in answer.blocks:
        problem = _path_problem(job, block.path)
        if problem:
            return Verdict(reject=problem)
    applied = apply_blocks(job.source, answer.blocks)
    if applied.content is None:
        return Verdict(
            reask=f"These edit blocks did not apply to {job.target}:\n"
            + "\n".join(f"- {p}" for p in applied.problems)
            + "\nSend all the blocks again, each search text copied exactly from the file."
        )
    problem = _syntax_problem(applied.content)
    if problem:
        return Verdict(reject=problem)
    if applied.content == job.source:
        return Verdict(reject="the answer changes nothing")
    return Verdict(result=(applied.content, answer.summary, [b.reason for b in answer.blocks]))
