"""The run report as one self-contained HTML page.

The page must open from a CI artifact or a mail attachment with no network: styles
are inline, there is no script, and the blast radius is the self-contained page of
``healloop.reports.impact`` (inline SVG) framed with ``srcdoc``. Every piece of text
from the run (code, messages, paths) is escaped.
"""

from __future__ import annotations

from html import escape

from healloop.reports import impact
from healloop.reports.run import (
    RunReport,
    ScoreRow,
    TargetOutcome,
    score_rows,
    usage_text,
)
from healloop.state import BlastRadius

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de}
h3{margin-top:1.4rem;font-size:1.05rem}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse;margin:.6rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600}
.accepted{background:#dafbe1;color:#116329}.rejected,.error{background:#ffebe9;color:#82071e}
.awaiting_approval,.running{background:#fff8c5;color:#7d4e00}
.no_improvement{background:#eaeef2;color:#424a53}
pre.diff{background:#f6f8fa;border:1px solid #d0d7de;padding:.5rem 0;overflow-x:auto}
pre.diff span{display:block;padding:0 .8rem;white-space:pre}
.add{background:#dafbe1}.del{background:#ffebe9}.hunk{color:#0550ae;background:#ddf4ff}
.meta{color:#57606a;font-weight:600}
tr.best td{background:#f0fff4}tr.rejected td{color:#82071e}
.note{color:#57606a;font-style:italic}
iframe.blast{width:100%;height:34rem;border:1px solid #d0d7de;resize:vertical}
"""


def render_html(report: RunReport) -> str:
    """Return the report as a complete HTML document."""
    title = f"healloop run report: {report.status}"
    body = [_summary(report)]
    for outcome in report.targets:
        body.append(_target(report, outcome))
    body.append(_decision(report))
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def render_diff(diff: str) -> str:
    """Return a unified diff as a pre block with added, removed and hunk lines marked."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "meta"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        elif line.startswith("@@"):
            kind = "hunk"
        else:
            kind = "ctx"
        lines.append(f'<span class="{kind}">{escape(line)}</span>')
    return '<pre class="diff">' + "".join(lines) + "</pre>"


def _summary(report: RunReport) -> str:
    request = report.request
    rows = "".join(
        f"<tr><td><code>{escape(t.target)}</code></td>"
        f'<td class="num">{_score(t.original_score)}</td>'
        f'<td class="num">{_score(t.best_score)}</td>'
        f"<td>{escape(t.best_candidate or '-')}</td><td>{escape(t.engine or '-')}</td></tr>"
        for t in report.targets
    )
    thread = f"<li>Thread <code>{escape(report.thread_id)}</code></li>" if report.thread_id else ""
    if report.usage:
        thread += f"<li>Model usage: {escape(usage_text(report.usage))}</li>"
    thread += "".join(f"<li>Note: {escape(n)}</li>" for n in report.notes)
    reason = f" {escape(report.reason)}" if report.reason else ""
    return (
        "<h1>healloop run report</h1>\n"
        f'<p><span class="status {escape(report.status)}">{escape(report.status)}</span>'
        f"{reason}</p>\n"
        f"<ul><li>Repository <code>{escape(request.repo)}</code></li>"
        f"<li>Threshold {request.threshold:.2f}, rounds {report.iteration} of "
        f"{request.iterations}</li>{thread}</ul>\n"
        "<table><tr><th>target</th><th>original</th><th>best</th><th>candidate</th>"
        f"<th>engine</th></tr>{rows}</table>"
    )


def _target(report: RunReport, outcome: TargetOutcome) -> str:
    target = outcome.target
    blast = report.blast_radius.get(target)
    parts = [
        f"<section><h2><code>{escape(target)}</code></h2>",
        _findings(report, target),
        "<h3>Blast radius</h3>",
        _blast(blast),
        "<h3>Change</h3>",
    ]
    if outcome.diff:
        if outcome.summary:
            parts.append(f"<p>{escape(outcome.summary)}</p>")
        parts.append(render_diff(outcome.diff))
    else:
        parts.append("<p>No candidate.</p>")
    parts.append(_scores(score_rows(report, target)))
    parts.append("</section>")
    return "\n".join(parts)


def _blast(blast: BlastRadius | None) -> str:
    if blast is None:
        return "<p>Not worked out.</p>"
    # The blast radius page is whole and self-contained; framing it keeps its styles
    # and drawing apart from this page's, with nothing loaded from anywhere.
    page = escape(impact.html_page(blast), quote=True)
    return (
        f"<p>{escape(impact.summary(blast))}</p>\n"
        f'<iframe class="blast" sandbox="" title="blast radius of {escape(blast.target)}" '
        f'srcdoc="{page}"></iframe>'
    )


def _findings(report: RunReport, target: str) -> str:
    review = report.review.get(target)
    if review is None:
        return "<h3>Findings</h3><p>Not reviewed.</p>"
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in review.notes)
    if not review.findings:
        return f"<h3>Findings</h3><p>None.</p>{notes}"
    rows = "".join(
        f'<tr><td class="num">{_where(f.file, f.line, target)}</td><td>{escape(f.rule)}</td>'
        f"<td>{escape(f.severity)}</td><td>{escape(f.message)}</td></tr>"
        for f in review.findings
    )
    return (
        "<h3>Findings</h3><table><tr><th>line</th><th>rule</th><th>severity</th>"
        f"<th>message</th></tr>{rows}</table>{notes}"
    )


def _scores(rows: list[ScoreRow]) -> str:
    if not rows:
        return "<h3>Score by round</h3><p>Not evaluated.</p>"
    names = list(dict.fromkeys(t.name for r in rows for t in r.terms))
    weights = {t.name: t.weight for r in rows for t in r.terms}
    head = "".join(f"<th>{escape(n)} ×{weights[n]:g}</th>" for n in names)
    body = []
    for row in rows:
        terms = {t.name: t for t in row.terms}
        cells = "".join(
            f'<td class="num" title="{escape(terms[n].detail)}">{terms[n].value:.2f}</td>'
            if n in terms
            else '<td class="num">-</td>'
            for n in names
        )
        css = "best" if row.best else "rejected" if row.rejected else ""
        mark = " (best)" if row.best else " (rejected)" if row.rejected else ""
        body.append(
            f'<tr class="{css}"><td class="num">{row.round}</td>'
            f"<td>{escape(row.candidate_id)}{mark}</td><td>{escape(row.engine)}</td>"
            f'<td class="num">{row.score:.2f}</td>{cells}'
            f"<td>{escape(', '.join(row.failed_gates)) or '-'}</td></tr>"
        )
    return (
        "<h3>Score by round</h3><table><tr><th>round</th><th>candidate</th><th>engine</th>"
        f"<th>score</th>{head}<th>gates failed</th></tr>{''.join(body)}</table>"
    )


def _decision(report: RunReport) -> str:
    if report.decision is None:
        text = "<p>None yet.</p>"
    else:
        d = report.decision
        scope = ", ".join(d.targets) if d.targets else "all targets"
        feedback = f": {escape(d.feedback)}" if d.feedback else ""
        text = f"<p><strong>{escape(d.action)}</strong> ({escape(scope)}){feedback}</p>"
    items = [f"<li>feedback: {escape(f)}</li>" for f in report.feedback]
    items += [
        f"<li>feedback on <code>{escape(t)}</code>: {escape(f)}</li>"
        for t, fs in report.feedback_for.items()
        for f in fs
    ]
    items += [f"<li>wrote <code>{escape(p)}</code></li>" for p in report.written]
    listing = f"<ul>{''.join(items)}</ul>" if items else ""
    return f"<section><h2>Decision</h2>{text}{listing}</section>"


def _where(file: str, line: int, target: str) -> str:
    return str(line) if file == target else f"<code>{escape(file)}</code>:{line}"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
