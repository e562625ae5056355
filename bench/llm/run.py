"""Tokens and calls per run of the llm engine, for a small, a 500-line and a 2,000-line target.

Runs the real ChatOpenAI client against the scripted OpenAI-compatible server of
the test suite. The scripted "model" fixes the bug whenever the prompt shows the
buggy line and fails otherwise, so the figures measure what the engine sends and
whether what it sends is enough. Each target is healed twice in the same process:
by the engine as configured, under a token budget, and by a baseline that shows
and rewrites the whole file (what a plain loop does), without a budget. A run is
up to three rounds of one candidate; tokens are as the server bills them.

    uv run python bench/llm/run.py
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from fake_openai import FakeOpenAI, Reply  # noqa: E402

from healloop.context import RunContext  # noqa: E402
from healloop.engines.base import GenerationJob  # noqa: E402
from healloop.engines.llm import LLMEngine  # noqa: E402
from healloop.llm.factory import build_chat_model  # noqa: E402
from healloop.state import Finding, ReviewReport, TestResult, TestRun  # noqa: E402

ROUNDS = 3
TARGET = "pkg/module.py"


@dataclass
class Target:
    name: str
    source: str
    fixed: str
    bug_line: int
    buggy: str
    budget: int
    sloppy: bool = False
    """The model's first answer misquotes the code, so it needs the re-ask."""


def make_target(name: str, lines: int, budget: int, sloppy: bool = False) -> Target:
    """Write a module of about `lines` lines with one bug in the middle."""
    parts = ['"""Generated module for the llm bench."""\n', "\nimport math\n"]
    count = max(2, (lines - 3) // 8)
    bug_at = count // 2
    buggy = fixed_line = ""
    for i in range(count):
        op = "-" if i == bug_at else "+"
        body = (
            f"\n\ndef measure_{i}(values, scale={i % 7 + 1}):\n"
            f'    """Return the scaled total of values, offset by {i}."""\n'
            f"    if not values:\n"
            f"        return 0.0\n"
            f"    total = math.fsum(values) * scale\n"
            f"    return total {op} {i}\n"
        )
        if i == bug_at:
            buggy = f"    return total - {i}\n"
            fixed_line = f"    return total + {i}\n"
        parts.append(body)
    source = "".join(parts)
    bug_line = source[: source.index(buggy)].count("\n") + 1
    fixed = source.replace(buggy, fixed_line)
    return Target(name, source, fixed, bug_line, buggy, budget, sloppy)


def responder(target: Target):
    """Answer like a model that fixes the bug only when the prompt shows it."""

    asked = []

    def respond(body: dict) -> Reply:
        asked.append(body)
        prompt = "\n".join(str(m.get("content", "")) for m in body["messages"])
        kind = body["response_format"]["json_schema"]["name"]
        sees_bug = target.buggy in prompt
        if kind == "Rewrite":
            content = target.fixed if sees_bug else target.source
            return Reply.json({"path": TARGET, "summary": "fix the offset",
                               "edits": [f"line {target.bug_line}"], "content": content})
        search = target.buggy if sees_bug else "    return total - offset\n"
        replace = search.replace(" - ", " + ")
        if target.sloppy and len(asked) == 1:
            search = search.replace("total", "totl")
        return Reply.json({"summary": "fix the offset", "blocks": [
            {"path": TARGET, "search": search, "replace": replace, "reason": "add the offset"},
        ]})

    return respond


def heal(target: Target, repo: Path, *, baseline: bool) -> dict:
    """Run up to ROUNDS rounds on the target; return what the run used."""
    with FakeOpenAI(responder=responder(target)) as server:
        context = RunContext(
            engine="llm", base_url=server.url,
            max_tokens_per_run=None if baseline else target.budget,
        )
        model = build_chat_model(context, timeout=10, max_retries=0)
        tuning = {"whole_file_max_tokens": 10**9, "context_tokens": 10**9} if baseline else {}
        engine = LLMEngine(context, model=model, **tuning)
        name = TARGET.rsplit("/", 1)[-1]
        review = ReviewReport(
            target=TARGET,
            tests=TestRun(results=[TestResult(
                nodeid="tests/test_module.py::test_measure", outcome="failed",
                message=f"assert 1.0 == 3.0\n{TARGET}:{target.bug_line}: AssertionError\n{name}",
            )]),
            findings=[Finding(file=TARGET, line=1, rule="D100", source="ruff",
                              message="docstring style")],
        )
        fixed = False
        rounds = 0
        for iteration in range(1, ROUNDS + 1):
            rounds = iteration
            job = GenerationJob(
                repo=repo, target=TARGET, source=target.source, original=target.source,
                review=review, blast_radius=None, iteration=iteration, context=context,
            )
            proposals = engine.propose(job)
            if any(p.content == target.fixed for p in proposals):
                fixed = True
                break
            if engine.meter.stopped:
                break
        used = engine.meter.total
        return {
            "calls": used.calls, "tokens_in": used.tokens_in, "tokens_out": used.tokens_out,
            "tokens": used.tokens, "fixed": fixed, "rounds": rounds,
            "respected": baseline or used.tokens <= target.budget,
            "requests": len(server.requests),
        }


def main() -> None:
    import tempfile

    targets = [
        make_target("small (40 lines)", 40, 6_000),
        make_target("medium (500 lines)", 500, 12_000),
        make_target("large (2,000 lines)", 2000, 12_000),
        make_target("large, tight budget", 2000, 4_000),
        make_target("large, sloppy model", 2000, 12_000, sloppy=True),
        make_target("large, budget too small", 2000, 1_000),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "pkg").mkdir()
        for target in targets:
            (repo / TARGET).write_text(target.source, encoding="utf-8")
            ours = heal(target, repo, baseline=False)
            base = heal(target, repo, baseline=True)
            rows.append((target, ours, base))
    header = (f"{'target':<24} {'lines':>5} {'budget':>7} | {'calls':>5} {'tok in':>7} "
              f"{'tok out':>7} {'total':>7} {'fixed':>5} {'in budget':>9} | "
              f"{'whole-file total':>16} {'fixed':>5} | {'ratio':>6}")
    print(header)
    print("-" * len(header))
    for target, ours, base in rows:
        ratio = f"{base['tokens'] / ours['tokens']:.1f}x" if ours["tokens"] else "-"
        print(f"{target.name:<24} {len(target.source.splitlines()):>5} {target.budget:>7} | "
              f"{ours['calls']:>5} {ours['tokens_in']:>7} {ours['tokens_out']:>7} "
              f"{ours['tokens']:>7} {str(ours['fixed']):>5} {str(ours['respected']):>9} | "
              f"{base['tokens']:>16} {str(base['fixed']):>5} | {ratio:>6}")
    respected = all(ours["respected"] for _, ours, _ in rows)
    large = rows[2]
    ratio = large[2]["tokens"] / large[1]["tokens"]
    print(f"2,000-line target: {large[1]['tokens']} tokens in {large[1]['calls']} calls, "
          f"{ratio:.1f}x fewer than whole-file rewriting; budget respected in "
          f"{'all' if respected else 'NOT all'} runs")


if __name__ == "__main__":
    main()
