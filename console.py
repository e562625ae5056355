"""What the user sees of a run on the terminal: progress, approval, the outcome.

stdout carries results (diffs, JSON); stderr carries progress and messages, so
``--json`` output stays machine-readable.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from healloop.session import Outcome
    from healloop.state import (
        ApprovalAction,
        ApprovalDecision,
        ApprovalRequest,
        TargetWithoutProposal,
    )

EXIT = {"accepted": 0, "no_improvement": 1, "rejected": 1, "awaiting_approval": 3, "error": 2}
"""Exit code of the CLI for each final status."""


def score_text(value: float | None, *others: float) -> str:
    """Return a score with two decimals, or as many as it takes not to look like others.

    0.6995 against a threshold of 0.70 is below it, and must not read "0.70"; 0.8997
    against an original's 0.8958 is better, and must not read as the same 0.90.
    """
    if value is None:
        return "-"
    for places in (2, 3, 4):
        text = f"{value:.{places}f}"
        if all(value == other or text != f"{other:.{places}f}" for other in others):
            return text
    return f"{value:.6f}"


def one_line(message: str) -> str:
    """Return the message on one line: the promise is one line per error."""
    return " ".join(message.split())


class Prompt:
    """Decides at the approval pause: itself with --yes, by asking on a terminal, else not.

    ``asked`` says the pending request was shown at the prompt, so that leaving the run
    paused (q) does not print every proposal a second time.
    """

    def __init__(self, yes: bool) -> None:
        self.yes = yes
        self.asked = False

    def __call__(self, request: ApprovalRequest) -> ApprovalDecision | None:
        """Return the decision on request, or None to leave the run paused."""
        from healloop.state import ApprovalDecision

        if self.yes:
            return ApprovalDecision(action="approve")
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            return None
        self.asked = True
        return ask(request)


_CHOICES: dict[str, tuple[ApprovalAction, bool, bool]] = {
    "a": ("approve", False, False),
    "r": ("reject", False, False),
    "f": ("reject", False, True),
    "s": ("approve", True, False),
    "x": ("reject", True, False),
    "t": ("reject", True, True),
}
"""Each answer to the approval prompt: the action, on some targets only, with feedback.

They are the decisions ``healloop resume`` takes: --approve or --reject, with
--target, with --feedback.
"""
_SAME = {"y": "a", "yes": "a", "approve": "a", "n": "r", "no": "r", "reject": "r"}
"""Other words for an answer."""


def ask(request: ApprovalRequest) -> ApprovalDecision | None:
    """Show the proposal and ask for a decision; None leaves the run paused."""
    from healloop.state import ApprovalDecision

    show_request(request)
    choice = _choose(several=len(request.proposals) > 1)
    if choice is None:
        return None
    action, some, with_feedback = _CHOICES[choice]
    targets = _pick(request, action) if some else None
    if some and targets is None:
        return None
    feedback = _read("feedback") if with_feedback else None
    if with_feedback and feedback is None:
        return None
    return ApprovalDecision(action=action, targets=targets, feedback=feedback)


def _choose(several: bool) -> str | None:
    """Ask until the answer is one of the choices; None for leave paused."""
    letters = ["a", "r", "f", *(["s", "x", "t"] if several else [])]
    question = ("approve (a), reject (r), reject with feedback (f), "
                + ("approve some (s), reject some (x), feedback for some (t), " if several
                   else "")
                + "or leave paused (q)")
    while True:
        answer = (_read(question, default="q") or "q").lower()
        choice = _SAME.get(answer, answer)
        if choice == "q":
            return None
        if choice in letters:
            return choice
        typer.echo(f"not an answer: {answer!r}; type {', '.join(letters)} or q "
                   "(y for a, n for r)")


def _pick(request: ApprovalRequest, action: str) -> list[str] | None:
    """Ask which targets to decide on, by number or path; None for leave paused."""
    targets = [p.target for p in request.proposals]
    for number, target in enumerate(targets, 1):
        typer.echo(f"  {number}  {target}")
    while True:
        answer = _read(f"targets to {action}: numbers or paths, separated by commas")
        if answer is None:
            return None
        chosen, unknown = [], []
        for item in filter(None, re.split(r"[,\s]+", answer)):
            if item.isdigit() and 1 <= int(item) <= len(targets):
                chosen.append(targets[int(item) - 1])
            elif item in targets:
                chosen.append(item)
            else:
                unknown.append(item)
        if chosen and not unknown:
            return list(dict.fromkeys(chosen))
        typer.echo(f"no proposal for {', '.join(unknown)}: type numbers from 1 to "
                   f"{len(targets)} or paths as listed" if unknown else "choose at least one")


def _read(question: str, default: str | None = None) -> str | None:
    """Return the answer to a question on the terminal; at the end of input, the default."""
    try:
        return str(typer.prompt(question, default=default)).strip()
    except typer.Abort as exc:
        # Ctrl-D ends the input; Ctrl-C and signals stop healloop, as everywhere else.
        if isinstance(exc.__context__, EOFError):
            return default
        raise


def show_request(request: ApprovalRequest) -> None:
    """Print every proposal: diff, score and its terms, blast radius."""
    if request.problem:
        typer.echo(f"refused the last answer: {request.problem}")
    for note in request.notes:
        typer.echo(f"note: {note}")
    for p in request.proposals:
        typer.echo(p.diff)
        pair = (p.score, p.original_score)
        typer.echo(f"{p.target}: score {score_text(p.score, request.threshold, *pair)} "
                   f"(original {score_text(p.original_score, request.threshold, *pair)}, "
                   f"threshold {request.threshold:.2f}) by {p.engine}: {p.summary}")
        if len(p.files) > 1:
            typer.echo(f"  one change to {len(p.files)} files: {', '.join(p.files)}")
        if p.needs:
            typer.echo(f"  builds on the change to {', '.join(p.needs)}: approve together")
        for t in p.terms:
            typer.echo(f"  {t.name:<11} {t.value:.2f} x {t.weight:.2f}  {t.detail}")
        typer.echo(f"  blast radius: {p.blast_radius}")
        if p.measured_with:
            typer.echo(f"  measured with the proposals of {', '.join(p.measured_with)}: tests "
                       "that failed before pass there; approved alone, they may not")
    for w in request.without:
        typer.echo(without_text(w, request.threshold))


def without_text(target: TargetWithoutProposal, threshold: float) -> str:
    """Return the one line that says why a target has no proposal."""
    original = score_text(target.original_score, threshold)
    if target.best_score is not None:
        stands = (f"best {score_text(target.best_score, threshold, target.original_score)} < "
                  f"threshold {threshold:.2f} (original {original})")
    elif target.measured:
        stands = (f"{target.measured} candidate(s) measured, none to propose "
                  f"(original {original})")
    else:
        stands = f"no candidate (original {original})"
    return one_line(f"{target.target}: no proposal: {stands}"
                    + (f"; {target.reason}" if target.reason else ""))


def stderr(message: str) -> None:
    """Print a message for the user on stderr."""
    typer.echo(message, err=True)


def progress(node: str, update: dict[str, Any]) -> None:
    """Print one line on stderr for a node that finished (LangGraph's own events are not)."""
    if node.startswith("__"):  # __metadata__, __interrupt__: no node of ours
        return
    detail = ""
    if node == "generate":
        detail = f"round {update.get('iteration')}: {len(update.get('candidates', []))} new"
        detail += "".join(f"; {note}" for note in dict.fromkeys(update.get("notes", [])))
    elif node == "evaluate":
        scores = [e["score"] for e in update.get("evaluations", [])]
        detail = f"scores {', '.join(f'{s:.2f}' for s in scores) or '-'}"
    elif node == "review":
        from healloop.nodes._common import untested

        detail = ", ".join(f"{t} original {b['score']:.2f}"
                           for t, b in update.get("baseline", {}).items())
        detail += "".join(f"; {note}" for note in untested(update))
    elif node == "blast_radius":
        detail = ", ".join(f"{t}: {len(b['dependents'])} dependents, {len(b['tests'])} test files"
                           for t, b in update.get("blast_radius", {}).items())
    elif node == "approve" and update.get("decision"):
        decision = update["decision"]
        verb = "approved" if decision["action"] == "approve" else "rejected"
        detail = f"{verb} {', '.join(decision.get('targets') or ['every target'])}"
        detail += " with feedback" if decision.get("feedback") else ""
    elif update.get("reason"):
        detail = update["reason"]
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold cyan]healloop[/] [bold]{node:<12}[/] {escape(detail)}"
    )


def noting(note: str | None) -> Any:
    """Return the progress printer, saying note first once the run is under way."""
    pending = [note] if note else []

    def noted(node: str, update: dict[str, Any]) -> None:
        while pending:
            stderr(f"healloop: note: {pending.pop()}")
        progress(node, update)

    return noted


def finish(outcome: Outcome, repo: Path, as_json: bool, *, asked: bool = False) -> None:
    """Print the outcome (and how to resume a paused run), then exit with its code.

    asked: the prompt showed the pending request already.
    """
    if outcome.status == "awaiting_approval" and outcome.request and not (as_json or asked):
        show_request(outcome.request)
    if not as_json and outcome.status == "accepted" and not outcome.written:
        typer.echo(outcome.diff)
    if outcome.status == "awaiting_approval":
        stderr(f"paused for approval: thread {outcome.thread_id}")
        stderr(f"  healloop resume {outcome.thread_id} --repo {repo} --approve")
        stderr(f"  healloop resume {outcome.thread_id} --repo {repo} --reject --feedback TEXT")
        if len(outcome.targets) > 1:
            stderr("  add --target FILE (repeatable) to decide on some targets only")
    elif outcome.status == "error":
        stderr(f"healloop: error: {one_line(outcome.reason)}")
    else:
        score = score_text(outcome.score, outcome.threshold)
        stderr(f"{outcome.status}: score {score} (threshold {outcome.threshold:.2f}) "
                f"{outcome.reason}")
        if outcome.usage.get("calls"):
            u = outcome.usage
            stderr(f"model: {u['calls']:.0f} calls, {u.get('tokens_in', 0):.0f} tokens in, "
                    f"{u.get('tokens_out', 0):.0f} out, ${u.get('cost', 0):.4f}")
        for path in outcome.written:
            stderr(f"wrote {path}")
        # --yes showed no approval, and a run with nothing to propose shows none:
        # say what was left alone, and why.
        if outcome.status in ("accepted", "no_improvement"):
            for target in outcome.without:
                stderr(without_text(target, outcome.threshold))
    if as_json:
        typer.echo(json.dumps(outcome.to_json()))
    raise typer.Exit(EXIT[outcome.status])
