"""Does learning from decisions spare the human? Candidates shown until one is accepted.

Usage: uv run python bench/learning/run.py [--modules N]

A scripted human heals the modules of a small repository one run at a time, offline.
They dislike two kinds of change: renaming public functions (other packages import
them) and reformatting whole files; every proposal of a disliked kind is rejected
with feedback, anything else is approved. The same sequence of runs is played twice
in this process, on two fresh copies of the repository:

- before: the decisions are forgotten before each run (no learning);
- after: the decisions of earlier runs stay in the store (learning).

Prints one row per run: the proposals shown until one was accepted, and how many of
them were of a kind the human had already rejected in an earlier run ("came back").
The last line is the figure: mean proposals shown until accept, before -> after, as
a ratio, and the disliked kinds that came back, before -> after.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from healloop import session
from healloop.context import RunContext
from healloop.state import ApprovalDecision, ApprovalRequest, Request, TargetProposal

PYPROJECT = '[tool.ruff.lint]\nselect = ["E", "F", "N"]\n'
FEEDBACK = {
    "rename": "keep public names: other packages import them",
    "format": "do not reformat whole files",
}


def module(i: int) -> str:
    """Return module i: an unused import, and a misnamed function, long lines, or both."""
    name = f"getTotal{i}" if i % 3 != 1 else f"total_{i}"
    words = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")
    tables = [f"TABLE{t} = {{" + ", ".join(f'"{w}{i}": {n}' for n, w in enumerate(words)) + "}"
              for t in range(3)] if i % 3 != 0 else [f'TABLE0 = {{"alpha{i}": 0}}']
    body = [f'"""Module {i}."""', "import os", "", *tables, "", ""]
    body += [f"def {name}(keys):", '    """Return the total of keys in TABLE0."""',
             "    return sum(TABLE0[k] for k in keys)", ""]
    return "\n".join(body)


def write_corpus(root: Path, modules: int) -> list[str]:
    """Write the repository as a git repo; return the targets in the order of the runs."""
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "pkg/__init__.py").write_text('"""Package."""\n')
    targets, imports = [], []
    for i in range(1, modules + 1):
        source = module(i)
        (root / f"pkg/m{i:02d}.py").write_text(source)
        targets.append(f"pkg/m{i:02d}.py")
        name = source.split("def ", 1)[1].split("(", 1)[0]
        imports.append(f"from pkg.m{i:02d} import {name}")
    (root / "pkg/app.py").write_text('"""Uses every module."""\n' + "\n".join(imports) + "\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@healloop.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "corpus"]):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    return targets


def dislikes(proposal: TargetProposal) -> list[str]:
    """Return the kinds of change in the proposal the scripted human rejects."""
    kinds = []
    if "rename" in proposal.engine:
        kinds.append("rename")
    if "formatting" in proposal.summary:
        kinds.append("format")
    return kinds


@dataclass
class Row:
    """What the human saw in one run."""

    target: str
    shown: int = 0
    came_back: int = 0
    accepted: bool = False
    seen: list[str] = field(default_factory=list)


@dataclass
class Human:
    """The scripted human: rejects disliked kinds with feedback, approves the rest."""

    rejected_before: set[str] = field(default_factory=set)
    row: Row = field(default_factory=lambda: Row(""))

    def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        """Decide on the proposal of this run's one target."""
        (proposal,) = request.proposals
        self.row.shown += 1
        disliked = dislikes(proposal)
        self.row.seen.append("+".join(disliked) or "fix")
        if set(disliked) & self.rejected_before:
            self.row.came_back += 1
        if not disliked:
            self.row.accepted = True
            return ApprovalDecision(action="approve")
        self.seen_now.update(disliked)
        return ApprovalDecision(action="reject",
                                feedback="; ".join(FEEDBACK[k] for k in disliked))

    def start(self, target: str) -> None:
        """Begin a run on target."""
        self.row = Row(target)
        self.seen_now: set[str] = set()

    def finish(self) -> Row:
        """End the run: what was rejected in it counts as rejected before the next."""
        self.rejected_before |= self.seen_now
        return self.row


def play(root: Path, targets: list[str], *, learn: bool) -> list[Row]:
    """Heal the targets one run at a time; forget decisions before each run unless learn."""
    human = Human()
    rows = []
    for target in targets:
        if not learn:
            session.forget(root, None)
        human.start(target)
        session.start(
            Request(repo=str(root), files=[target], apply=True, iterations=6, threshold=0.5),
            RunContext(engine="offline"), thread_id=None, checkpointer=None,
            approver=human.decide, progress=lambda node, update: None,
        )
        rows.append(human.finish())
    return rows


def main() -> None:
    """Play both sequences and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--modules", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="healloop-bench-learning-"))
    try:
        results = {}
        for mode in ("before", "after"):
            targets = write_corpus(work / mode, args.modules)
            results[mode] = play(work / mode, targets, learn=mode == "after")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    before, after = results["before"], results["after"]
    print(f"{'run':>3}  {'target':<11} {'before: shown':>13} {'came back':>9}  {'seen':<22}"
          f" {'after: shown':>12} {'came back':>9}  seen")
    for i, (b, a) in enumerate(zip(before, after, strict=True), 1):
        mark = "".join(f"  (none accepted {m})" for m, r in (("before", b), ("after", a))
                       if not r.accepted)
        print(f"{i:>3}  {b.target:<11} {b.shown:>13} {b.came_back:>9}  {' > '.join(b.seen):<22}"
              f" {a.shown:>12} {a.came_back:>9}  {' > '.join(a.seen)}{mark}")
    mean_before = sum(r.shown for r in before) / len(before)
    mean_after = sum(r.shown for r in after) / len(after)
    print(f"proposals shown until accept: {mean_before:.2f} -> {mean_after:.2f} "
          f"({mean_after / mean_before:.2f}x); disliked kinds that came back: "
          f"{sum(r.came_back for r in before)} -> {sum(r.came_back for r in after)}")


if __name__ == "__main__":
    main()
