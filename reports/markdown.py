"""The run report as Markdown: for a pull request, an issue or a terminal pager.

GitHub renders the blast radius's Mermaid block as a picture and the diff block
with colours, so the one file reads well both on GitHub and as plain text.
"""

from __future__ import annotations

from healloop.reports import impact
from healloop.reports.run import RunReport, ScoreRow, score_rows, usage_text
from healloop.state import BlastRadius, ReviewReport, TestRun


def render_markdown(report: RunReport) -> str:
    """Return the report as a Markdown document."""
    parts = [_summary(report)]
    for outcome in report.targets:
        target = outcome.target
        parts.append(f"## `{target}`")
        parts.append(_findings(report, target))
        blast = report.blast_radius.get(target)
        parts.append(_blast(blast))
        parts.append(_change(outcome.diff, outcome.summary))
        parts.append(_scores(score_rows(report, target)))
    parts.append(_decision(report))
    return "\n\n".join(p.rstrip() for p in parts if p) + "\n"


def _summary(report: RunReport) -> str:
    request = report.request
    lines = [
        "# healloop run report",
        "",
        f"**Status:** {report.status}" + (f": {report.reason}" if report.reason else ""),
        "",
        f"- Repository: `{request.repo}`",
        f"- Threshold {request.threshold:.2f}, rounds {report.iteration} of {request.iterations}",
    ]
    if report.thread_id:
        lines.append(f"- Thread: `{report.thread_id}`")
    if report.usage:
        lines.append(f"- Model usage: {usage_text(report.usage)}")
    lines += [f"- Note: {_cell(n)}" for n in report.notes]
    lines += [
        "",
        "| target | original | best | candidate | engine |",
        "|---|---:|---:|---|---|",
    ]
    for t in report.targets:
        lines.append(
            f"| `{_cell(t.target)}` | {_score(t.original_score)} | {_score(t.best_score)} "
            f"| {_cell(t.best_candidate or '-')} | {_cell(t.engine or '-')} |"
        )
    return "\n".join(lines)


def render_review(reviews: list[ReviewReport]) -> str:
    """Return review reports alone as Markdown, for ``healloop review --format md``."""
    parts = ["# healloop review"]
    for review in reviews:
        m = review.metrics
        parts.append(
            f"## `{review.target}`\n\n"
            + ("" if review.parses else "**Does not parse.**\n\n")
            + f"{m.lines} lines, {m.functions} functions, complexity max {m.max_complexity} "
            f"(mean {m.mean_complexity:.1f})"
            + (f"; tests: {_tests(review.tests)}" if review.tests else "")
        )
        parts.append(_findings_of(review))
    return "\n\n".join(p.rstrip() for p in parts) + "\n"


def _tests(run: TestRun) -> str:
    text = f"{len(run.passed)} passed, {len(run.failing)} failing"
    if run.uncollected:
        text += f"; **{run.uncollected_text()}**"
    return text


def _findings(report: RunReport, target: str) -> str:
    review = report.review.get(target)
    if review is None:
        return "### Findings\n\nNot reviewed."
    return _findings_of(review)


def _findings_of(review: ReviewReport) -> str:
    target = review.target
    lines = ["### Findings", ""]
    if review.findings:
        lines += ["| line | rule | severity | message |", "|---:|---|---|---|"]
        lines += [
            f"| {_where(f.file, f.line, target)} | {_cell(f.rule)} | {f.severity} "
            f"| {_cell(f.message)} |"
            for f in review.findings
        ]
    else:
        lines.append("None.")
    lines += [f"\n> {note}" for note in review.notes]
    return "\n".join(lines)


def _blast(blast: BlastRadius | None) -> str:
    if blast is None:
        return "### Blast radius\n\nNot worked out."
    lines = ["### Blast radius", "", impact.summary(blast), ""]
    lines += ["```mermaid", impact.mermaid(blast).rstrip(), "```"]
    if blast.risk_parts:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in blast.risk_parts.items())
        lines += ["", f"Risk {blast.risk:.2f} ({parts})."]
    return "\n".join(lines)


def _change(diff: str, summary: str) -> str:
    if not diff:
        return "### Change\n\nNo candidate."
    fence = "`" * max(3, _longest_backtick_run(diff) + 1)
    head = f"### Change\n\n{summary}\n\n" if summary else "### Change\n\n"
    return f"{head}{fence}diff\n{diff.rstrip()}\n{fence}"


def _scores(rows: list[ScoreRow]) -> str:
    if not rows:
        return "### Score by round\n\nNot evaluated."
    names = list(dict.fromkeys(t.name for r in rows for t in r.terms))
    weights = {t.name: t.weight for r in rows for t in r.terms}
    head = ["round", "candidate", "engine", "score", *(f"{n} ×{weights[n]:g}" for n in names)]
    lines = [
        "### Score by round",
        "",
        "| " + " | ".join(head) + " | gates failed |",
        "|" + "---:|---|---|---:|" + "---:|" * len(names) + "---|",
    ]
    for row in rows:
        values = {t.name: f"{t.value:.2f}" for t in row.terms}
        mark = " (best)" if row.best else " (rejected)" if row.rejected else ""
        cells = [
            str(row.round),
            f"{_cell(row.candidate_id)}{mark}",
            _cell(row.engine),
            f"{row.score:.2f}",
            *(values.get(n, "-") for n in names),
            _cell(", ".join(row.failed_gates)) or "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _decision(report: RunReport) -> str:
    lines = ["## Decision", ""]
    if report.decision is None:
        lines.append("None yet.")
    else:
        d = report.decision
        scope = ", ".join(f"`{t}`" for t in d.targets) if d.targets else "all targets"
        lines.append(f"**{d.action}** ({scope})" + (f": {d.feedback}" if d.feedback else ""))
    lines += [f"- feedback: {_cell(f)}" for f in report.feedback]
    lines += [
        f"- feedback on `{t}`: {_cell(f)}" for t, fs in report.feedback_for.items() for f in fs
    ]
    lines += [f"- wrote `{p}`" for p in report.written]
    return "\n".join(lines)


def _where(file: str, line: int, target: str) -> str:
    return str(line) if file == target else f"`{_cell(file)}`:{line}"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
