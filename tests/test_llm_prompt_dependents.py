"""What generate's prompt shows of the dependents: each real use, whole, library first.

The section "Used by dependents" is there so that a model keeps every use of the
target working: what each dependent calls, with which arguments. Its lines go to
calls and reads, not to the imports and annotations around them.
"""

from pathlib import Path

import pytest

from healloop.analysis.blast import analyse
from healloop.context import RunContext
from healloop.engines.base import GenerationJob
from healloop.llm.prompts import generation_messages
from healloop.state import ReviewReport

MODEL = '''\
"""Shapes and colours."""


class Color:
    """A colour."""

    def __init__(self, r=0, g=0, b=0, alpha=1.0, name="", tag=None):
        self.rgb = (r, g, b)


class Point:
    """A point."""

    def __init__(self, x, y):
        self.x, self.y = x, y


def clamp(value, low=0, high=1):
    """Return value within [low, high]."""
    return max(low, min(high, value))


def split(text, sep=","):
    """Return the parts of text."""
    return text.split(sep)
'''

RENDER = '''\
"""Draws points."""

from pkg.model import Color, Point, clamp, split


def draw(point: Point, color: Color | None = None) -> Point:
    """Draw a point."""
    parts = split(
        "a;b",
        sep=";",
    )
    return Point(clamp(point.x, low=0, high=10), len(parts))


def palette() -> Color:
    """Return the palette's colour."""
    return Color(
        r=1,
        g=2,
        b=3,
        alpha=0.5,
        name="sky",
        tag="x",
    )


def shade(split: bool = False) -> Point:
    """Return a point, halved when split."""
    return Point(0.5, 0.5) if split else Point(1, 1)
'''

MANY_IMPORTS = "".join(
    f"from pkg.model import {name}\n"
    for name in ["Color", "Point", "clamp", "split"] * 3
) + '''

def scale(value):
    """Scale a value into range."""
    return clamp(value * 2, high=5)
'''


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo({
        "pkg/__init__.py": '"""Pkg."""\n',
        "pkg/model.py": MODEL,
        "pkg/render.py": RENDER,
        "pkg/scale.py": MANY_IMPORTS,
        "examples/demo.py": "from pkg.model import clamp\n\nprint(clamp(5, high=3))\n",
        "tests/test_model.py": (
            "from pkg.model import clamp\n\n\n"
            "def test_clamp():\n    assert clamp(2, high=1) == 1\n"
        ),
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    })


def dependents_section(repo: Path, budget: int = 8000) -> str:
    """Return the prompt's section on dependents for a change to pkg/model.py."""
    job = GenerationJob(
        repo=repo, target="pkg/model.py", source=MODEL, original=MODEL,
        review=ReviewReport(target="pkg/model.py"),
        blast_radius=analyse(repo, "pkg/model.py", history=False),
        iteration=1, context=RunContext(engine="llm"),
    )
    messages, _ = generation_messages(job, "whole", budget=budget)
    prompt = str(messages[1].content)
    start = prompt.index("## Used by dependents")
    end = prompt.find("\n## ", start + 1)
    return prompt[start:] if end < 0 else prompt[start:end]


def test_a_call_over_several_lines_is_shown_whole_with_its_keywords(repo):
    section = dependents_section(repo)
    assert 'pkg/render.py:8-11:\n    parts = split(\n        "a;b",\n        sep=";",\n    )' \
        in section


def test_a_long_call_is_cut_after_six_lines_with_an_ellipsis(repo):
    section = dependents_section(repo)
    assert "pkg/render.py:17-24:\n    return Color(\n        r=1,\n" in section
    assert '        name="sky",\n    ...\n' in section
    assert 'tag="x"' not in section


def test_import_and_annotation_lines_are_not_shown_as_call_sites(repo):
    section = dependents_section(repo)
    assert "import" not in section.split("DATA:", 1)[1]
    assert "def draw(" not in section and "def palette(" not in section


def test_a_parameter_named_like_a_symbol_is_not_a_call_site(repo):
    section = dependents_section(repo)
    assert "def shade(" not in section
    assert "return Point(0.5, 0.5) if split else Point(1, 1)" in section


def test_a_line_using_two_symbols_is_shown_once(repo):
    section = dependents_section(repo)
    assert section.count("return Point(clamp(point.x, low=0, high=10), len(parts))") == 1


def test_import_lines_do_not_crowd_out_the_calls(repo):
    section = dependents_section(repo)
    assert "pkg/scale.py:17: return clamp(value * 2, high=5)" in section


def test_the_packages_own_modules_come_first_then_tests_then_examples(repo):
    section = dependents_section(repo)
    order = [section.index(f"- {path} uses") for path in
             ("pkg/render.py", "pkg/scale.py", "tests/test_model.py", "examples/demo.py")]
    assert order == sorted(order)


def test_a_tight_budget_cuts_the_section_from_its_end_the_packages_uses_kept(repo):
    section = dependents_section(repo, budget=500)
    assert "pkg/render.py:8-11:" in section
    assert "more lines omitted" in section and "examples/demo.py" not in section


def test_a_dependent_with_many_uses_shows_ten_and_says_how_many_more(make_repo):
    calls = "".join(f"    clamp({n}, high=5)\n" for n in range(14))
    repo = make_repo({
        "pkg/__init__.py": '"""Pkg."""\n',
        "pkg/model.py": MODEL,
        "pkg/many.py": f"from pkg.model import clamp\n\n\ndef run():\n{calls}",
    }, name="many")
    section = dependents_section(repo)
    assert "pkg/many.py:14: clamp(9, high=5)" in section
    assert "clamp(10, high=5)" not in section
    assert "[... 4 more uses in pkg/many.py]" in section
