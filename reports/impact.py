"""Show a blast radius: JSON for tools, Markdown and Mermaid for reviews, HTML for people.

The picture matters: who imports the target, through which module, and which files
history ties to it is read at a glance from a graph and slowly from a table. The
Markdown form carries a Mermaid diagram (GitHub draws it); the HTML form is one
self-contained file with an inline SVG drawing, so it opens offline, from a CI
artifact or an e-mail, with no script or font fetched from anywhere.
"""

from __future__ import annotations

import html as html_lib
from typing import Literal

from healloop.state import BlastRadius, Dependent

ImpactFormat = Literal["json", "md", "html", "mermaid"]
MAX_NODES = 40
"""Nodes drawn at most; the rest are counted in a note under the picture."""
NO_DEPENDENTS = "No module imports the target."
NO_RELATED = "No file is likely to change with it: no history and no shared names."


def render(radius: BlastRadius, fmt: ImpactFormat = "json") -> str:
    """Return the blast radius in the given format."""
    if fmt == "json":
        return radius.model_dump_json(indent=2) + "\n"
    if fmt == "mermaid":
        return mermaid(radius)
    if fmt == "md":
        return markdown(radius)
    if fmt == "html":
        return html_page(radius)
    raise ValueError(f"unknown impact format: {fmt}")


def _drawn(radius: BlastRadius) -> tuple[list[Dependent], list[str]]:
    """Return the dependents and the co-change-only files worth drawing."""
    ranked = sorted(radius.dependents, key=lambda d: (d.depth, -d.risk, d.file))
    dependents = ranked[: MAX_NODES - 5]
    importing = {d.file for d in radius.dependents}
    coupled = [r.file for r in radius.related
               if r.file not in importing and r.reasons.get("confidence", 0) > 0][:5]
    return dependents, coupled


def summary(radius: BlastRadius) -> str:
    """Return one paragraph saying what the blast radius holds."""
    direct = sum(1 for d in radius.dependents if d.depth == 1)
    used = sorted(radius.used_symbols())
    text = (f"{radius.target}: {direct} direct and {len(radius.dependents) - direct} "
            f"indirect dependents, {len(radius.tests)} test file(s), risk {radius.risk:.2f}")
    if used:
        text += f"; dependents use {', '.join(used[:8])}" + (" ..." if len(used) > 8 else "")
    coupled = [r.file for r in radius.related[:3]]
    if coupled:
        text += f"; likeliest to change with it: {', '.join(coupled)}"
    return text + "."


# ---------------------------------------------------------------------------
# Mermaid


_MERMAID_ENTITIES = {"#": "#35;", '"': "#quot;", "&": "#38;", "<": "#60;", ">": "#62;",
                     "`": "#96;"}
"""Characters a quoted label would not show as written, as Mermaid's entity codes.

Mermaid reads ``#35;`` or ``#quot;`` in a label as the character it codes (so ``#``
itself must be coded, first), and draws labels as HTML (``&amp;``, ``<b>``); a
label quoted in backticks is Markdown.
"""


def _mermaid_label(text: str) -> str:
    """Return text coded so that a quoted Mermaid label shows it exactly."""
    return "".join(_MERMAID_ENTITIES.get(c, c) for c in " ".join(text.splitlines()))


def mermaid(radius: BlastRadius) -> str:
    """Return a Mermaid flowchart: dependents point at what they import."""
    dependents, coupled = _drawn(radius)
    ids = {radius.target: "t"}
    lines = ["graph RL", f'  t["{_mermaid_label(radius.target)}"]:::target']
    for i, dep in enumerate(dependents):
        ids[dep.file] = f"d{i}"
        cls = "test" if dep.file in radius.tests else f"depth{min(dep.depth, 3)}"
        lines.append(f'  d{i}["{_mermaid_label(dep.file)}"]:::{cls}')
    for dep in dependents:
        for via in dep.via or [radius.target]:
            if via in ids:
                label = ", ".join(dep.symbols[:3]) + (" …" if len(dep.symbols) > 3 else "")
                arrow = f'-- "{_mermaid_label(label)}" -->' if label and via == radius.target \
                    else "-->"
                lines.append(f"  {ids[dep.file]} {arrow} {ids[via]}")
    hidden = len(radius.dependents) - len(dependents)
    if hidden > 0:  # a picture of 35 out of hundreds must say it is not all
        lines.append(f'  more["… {hidden} more dependents, not drawn"]:::depth3')
        lines.append("  more -.-> t")
    confidence = {c.file: c.confidence for c in radius.co_changes}
    for i, path in enumerate(coupled):
        lines.append(f'  c{i}["{_mermaid_label(path)}"]:::cochange')
        share = confidence.get(path)
        label = f'|"co-change {share:.0%}"|' if share is not None else ""
        lines.append(f"  t -.-{label} c{i}")
    lines += [
        "  classDef target fill:#d9480f,color:#fff,stroke:#862e0b",
        "  classDef depth1 fill:#ffe8cc,stroke:#d9480f",
        "  classDef depth2 fill:#fff4e6,stroke:#f08c00",
        "  classDef depth3 fill:#f8f9fa,stroke:#adb5bd",
        "  classDef test fill:#e6fcf5,stroke:#0ca678",
        "  classDef cochange fill:#e7f5ff,stroke:#1c7ed6,stroke-dasharray:4",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Markdown


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(radius: BlastRadius) -> str:
    """Return a Markdown report with a Mermaid picture and the tables behind it."""
    out = [f"# Blast radius of `{radius.target}`", "", summary(radius), ""]
    out += ["```mermaid", mermaid(radius).rstrip(), "```", ""]
    hidden = len(radius.dependents) - len(_drawn(radius)[0])
    if hidden > 0:
        out += [f"_{hidden} more dependents are listed below but not drawn._", ""]
    out += ["## Risk", "", f"**{radius.risk:.2f}**", "", "| part | value |", "|---|---:|"]
    out += [f"| {k} | {v:.2f} |" for k, v in radius.risk_parts.items()]
    out += ["", "## Dependents", ""]
    if radius.dependents:
        out += ["| file | depth | risk | symbols used |", "|---|---:|---:|---|"]
    out += [f"| `{dep.file}` | {dep.depth} | {dep.risk:.2f} | "
            f"{_md_cell(', '.join(dep.symbols)) or '—'} |"
            for dep in radius.dependents] or [f"_{NO_DEPENDENTS}_"]
    out += ["", "## Tests", ""]
    out += [f"- `{t}`" for t in radius.tests] or ["_No test reaches the target._"]
    if radius.test_functions:
        out += ["", f"{len(radius.test_functions)} test function(s), e.g. "
                + ", ".join(f"`{t}`" for t in radius.test_functions[:5])]
    out += ["", "## Likely to change with it", ""]
    if radius.related:
        out += ["| file | score | evidence |", "|---|---:|---|"]
    out += [f"| `{rel.file}` | {rel.score:.2f} | "
            + ", ".join(f"{k} {v:.2f}" for k, v in rel.reasons.items()) + " |"
            for rel in radius.related[:15]] or [f"_{NO_RELATED}_"]
    if radius.co_changes:
        out += ["", "## Co-changes", "", "| file | support | confidence |", "|---|---:|---:|"]
        out += [f"| `{c.file}` | {c.support} | {c.confidence:.0%} |" for c in radius.co_changes]
    if radius.decisions:
        out += ["", "## Decision trail", "", "| commit | date | author | lines | message |",
                "|---|---|---|---:|---|"]
        out += [f"| `{d.commit[:10]}` | {d.date} | {_md_cell(d.author)} | {len(d.lines)} | "
                f"{_md_cell(d.message)} |" for d in radius.decisions]
    if radius.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in radius.notes]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# HTML with an inline SVG drawing

_COLOURS = {
    "target": ("#d9480f", "#ffffff"), "depth1": ("#ffe8cc", "#212529"),
    "depth2": ("#fff4e6", "#212529"), "depth3": ("#f8f9fa", "#212529"),
    "test": ("#e6fcf5", "#212529"), "cochange": ("#e7f5ff", "#212529"),
}


def _svg(radius: BlastRadius) -> str:
    dependents, coupled = _drawn(radius)
    columns: dict[int, list[tuple[str, str]]] = {0: [(radius.target, "target")]}
    for dep in dependents:
        kind = "test" if dep.file in radius.tests else f"depth{min(dep.depth, 3)}"
        columns.setdefault(dep.depth, []).append((dep.file, kind))
    if coupled:
        columns[-1] = [(path, "cochange") for path in coupled]
    char, row_h, box_h, gap = 6.6, 34, 24, 60
    widths = {c: max(len(p) for p, _ in nodes) * char + 16 for c, nodes in columns.items()}
    order = sorted(columns)
    x_of, x = {}, 10.0
    for column in order:
        x_of[column] = x
        x += widths[column] + gap
    height = max(len(nodes) for nodes in columns.values()) * row_h + 20
    pos: dict[str, tuple[float, float, float]] = {}
    parts = []
    for column in order:
        nodes = columns[column]
        top = (height - len(nodes) * row_h) / 2
        for i, (path, kind) in enumerate(nodes):
            y = top + i * row_h + 5
            pos[path] = (x_of[column], y, widths[column])
            fill, ink = _COLOURS[kind]
            dash = ' stroke-dasharray="4"' if kind == "cochange" else ""
            parts.append(
                f'<g><title>{html_lib.escape(path)}</title><rect x="{x_of[column]:.0f}" '
                f'y="{y:.0f}" width="{widths[column]:.0f}" height="{box_h}" rx="5" '
                f'fill="{fill}" stroke="#868e96"{dash}/><text x="{x_of[column] + 8:.0f}" '
                f'y="{y + 16:.0f}" fill="{ink}">{html_lib.escape(path)}</text></g>')
    edges = []
    for dep in dependents:
        for via in dep.via or [radius.target]:
            if via in pos and dep.file in pos:
                sx, sy, _ = pos[dep.file]
                tx, ty, tw = pos[via]
                edges.append(f'<path d="M{sx:.0f},{sy + box_h / 2:.0f} C{sx - gap / 2:.0f},'
                             f'{sy + box_h / 2:.0f} {tx + tw + gap / 2:.0f},{ty + box_h / 2:.0f} '
                             f'{tx + tw:.0f},{ty + box_h / 2:.0f}" class="edge" '
                             f'marker-end="url(#arrow)"/>')
    for path in coupled:
        sx, sy, sw = pos[path]
        tx, ty, _ = pos[radius.target]
        edges.append(f'<path d="M{sx + sw:.0f},{sy + box_h / 2:.0f} L{tx:.0f},'
                     f'{ty + box_h / 2:.0f}" class="edge co"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{x:.0f}" height="{height:.0f}" '
            f'font-family="ui-monospace,monospace" font-size="11"><defs><marker id="arrow" '
            f'viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
            f'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#868e96"/></marker></defs>'
            + "".join(edges) + "".join(parts) + "</svg>")


_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#212529;max-width:1200px}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0} td,th{border:1px solid #dee2e6;padding:3px 8px;
text-align:left;vertical-align:top} th{background:#f1f3f5} code{font-size:12px}
.picture{overflow:auto;border:1px solid #dee2e6;padding:8px;background:#fff}
.edge{fill:none;stroke:#868e96;stroke-width:1.2} .co{stroke:#1c7ed6;stroke-dasharray:4}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border:1px solid #868e96;
border-radius:4px;font-size:12px}
"""


def _table(head: list[str], rows: list[list[str]], empty: str = "") -> str:
    if not rows and empty:
        return f"<p><em>{html_lib.escape(empty)}</em></p>"
    cells = "".join(f"<th>{html_lib.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def html_page(radius: BlastRadius) -> str:
    """Return one self-contained HTML page (inline CSS and SVG, nothing fetched)."""
    esc = html_lib.escape
    legend = "".join(f'<span style="background:{fill};color:{ink}">{name}</span>'
                     for name, (fill, ink) in _COLOURS.items())
    sections = [
        f"<h1>Blast radius of <code>{esc(radius.target)}</code></h1>",
        f"<p>{esc(summary(radius))}</p>",
        f'<div class="legend">{legend}</div>',
        f'<div class="picture">{_svg(radius)}</div>',
        "<p>Arrows point from a dependent to the module it imports; dashed lines join "
        "files that history ties to the target without importing it.</p>",
        f"<h2>Risk {radius.risk:.2f}</h2>",
        _table(["part", "value"], [[esc(k), f"{v:.2f}"] for k, v in radius.risk_parts.items()]),
        "<h2>Dependents</h2>",
        _table(["file", "depth", "risk", "symbols used", "lines"], [
            [f"<code>{esc(d.file)}</code>", str(d.depth), f"{d.risk:.2f}",
             esc(", ".join(d.symbols)),
             esc(", ".join(str(u.line) for u in d.uses[:12]))]
            for d in radius.dependents], NO_DEPENDENTS),
        "<h2>Tests</h2>",
        "<ul>" + "".join(f"<li><code>{esc(t)}</code></li>" for t in radius.tests) + "</ul>"
        if radius.tests else "<p>No test reaches the target.</p>",
        "<h2>Likely to change with it</h2>",
        _table(["file", "score", "evidence"], [
            [f"<code>{esc(r.file)}</code>", f"{r.score:.2f}",
             esc(", ".join(f"{k} {v:.2f}" for k, v in r.reasons.items()))]
            for r in radius.related[:15]], NO_RELATED),
    ]
    if radius.decisions:
        sections += ["<h2>Decision trail</h2>", _table(
            ["commit", "date", "author", "lines", "message"],
            [[f"<code>{esc(d.commit[:10])}</code>", esc(d.date), esc(d.author),
              str(len(d.lines)), esc(d.message)] for d in radius.decisions])]
    if radius.notes:
        sections += ["<h2>Notes</h2>",
                     "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in radius.notes) + "</ul>"]
    sections.append(f"<details><summary>Mermaid source</summary><pre>{esc(mermaid(radius))}"
                    "</pre></details>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Blast radius: {esc(radius.target)}</title><style>{_STYLE}</style></head>"
            f"<body>{''.join(sections)}</body></html>\n")
