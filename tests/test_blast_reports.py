"""The blast radius as JSON, Markdown, Mermaid and a self-contained HTML page."""

from __future__ import annotations

import html
import re
import xml.dom.minidom

import pytest

from healloop.reports.impact import render
from healloop.state import BlastRadius, CoChange, Decision, Dependent, RelatedFile, SymbolUse


@pytest.fixture
def radius() -> BlastRadius:
    return BlastRadius(
        target="app/core.py", module="app.core",
        dependents=[
            Dependent(module="app.view", file="app/view.py", depth=1, symbols=["area"],
                      uses=[SymbolUse(symbol="area", kind="function", file="app/view.py",
                                      line=3)], via=["app/core.py"], risk=0.7),
            Dependent(module="app.cli", file="app/cli.py", depth=2, via=["app/view.py"]),
            Dependent(module="test_view", file="tests/test_view.py", depth=2,
                      via=["app/view.py"]),
        ],
        tests=["tests/test_view.py"],
        co_changes=[CoChange(file="app/settings.py", support=3, confidence=1.0)],
        related=[RelatedFile(file="app/settings.py", score=0.8, reasons={"confidence": 1.0})],
        decisions=[Decision(commit="a" * 40, date="2024-05-01", author="Ada",
                            message='Scale "area" | by settings', lines=[1, 2])],
        risk=0.4, risk_parts={"fan_in": 0.2}, notes=["tests selected from imports only"],
    )


def test_json_round_trips(radius: BlastRadius) -> None:
    assert BlastRadius.model_validate_json(render(radius, "json")) == radius


def test_mermaid_draws_imports_towards_the_target_and_co_changes(radius: BlastRadius) -> None:
    text = render(radius, "mermaid")
    assert text.startswith("graph RL")
    assert 'd0 -- "area" --> t' in text
    assert "d1 --> d0" in text and "d2 --> d0" in text
    assert 't -.-|"co-change 100%"| c0' in text
    assert "d2[\"tests/test_view.py\"]:::test" in text


def test_mermaid_says_how_many_dependents_it_does_not_draw() -> None:
    many = BlastRadius(target="pkg/__init__.py", module="pkg", dependents=[
        Dependent(module=f"pkg.m{i:03}", file=f"pkg/m{i:03}.py", depth=1, via=["pkg/__init__.py"])
        for i in range(300)])
    text = render(many, "mermaid")
    assert text.count(":::depth1") == 35
    assert '  more["… 265 more dependents, not drawn"]:::depth3\n  more -.-> t\n' in text


def test_mermaid_labels_show_names_exactly_as_they_are() -> None:
    name = 'app/#35;&amp;<b>"x"`y`.py'
    text = render(BlastRadius(target=name, module="app"), "mermaid")
    label = re.search(r'^  t\["(.*)"\]:::target$', text, re.M)[1]
    assert not set('"&<>`') & set(label)  # nothing Mermaid or HTML would read
    # As Mermaid documents its entity codes: #35; is "#", #quot; is '"'.
    shown = re.sub(r"#(\w+);", lambda m: chr(int(m[1])) if m[1].isdigit()
                   else html.unescape(f"&{m[1]};"), label)
    assert shown == name


def test_markdown_holds_the_picture_and_the_tables(radius: BlastRadius) -> None:
    text = render(radius, "md")
    assert "```mermaid\ngraph RL" in text
    assert "| `app/view.py` | 1 | 0.70 | area |" in text
    assert 'Scale "area" \\| by settings' in text
    assert "- tests selected from imports only" in text


def test_html_is_one_self_contained_page(radius: BlastRadius) -> None:
    page = render(radius, "html")
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert "<script" not in page
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    xml.dom.minidom.parseString(svg.group())
    assert "Scale &quot;area&quot; | by settings" in page


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_target_nothing_imports_says_so_instead_of_an_empty_table(fmt: str) -> None:
    text = render(BlastRadius(target="tools/once.py", module="tools.once"), fmt)
    assert "No module imports the target." in text
    assert "No file is likely to change with it" in text
    assert "symbols used" not in text and "evidence" not in text


def test_unknown_format_is_refused(radius: BlastRadius) -> None:
    with pytest.raises(ValueError, match="unknown impact format"):
        render(radius, "pdf")  # type: ignore[arg-type]
