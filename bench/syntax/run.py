"""Benchmark of the syntax engine on slips seeded into real code.

Takes a folder of Python code (a repository brought with the workspace's fetch tool,
never committed; healloop's own sources by default), seeds one slip at a time into
its files (a colon, a closing bracket or a comma left out, a stray bracket, a keyword
misspelt, a line indented too far, a string left open, ``==`` written ``=``), each
at a few sites chosen by a fixed seed, and asks ``healloop.repair.syntax.mend`` to
mend the file. A case is mended when a version parses, right when the original is
among the (at most three) versions proposed, right first when it is the first. The
table gives each slip's counts and the median time; the last line is the figure.

    uv run python bench/syntax/run.py [PATH] [--sites 3] [--files 60]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from healloop.repair.syntax import mend, parse_error

Slip = Callable[[list[str], random.Random], Iterator[tuple[int, str]]]
_HEADER = re.compile(r"^\s*(def|class|if|elif|else|for|while|try|except|finally|with)\b.*:\s*$")
_KEYWORDS = ("return", "def", "else", "import", "while", "class", "elif", "yield", "lambda")


def _colon(lines: list[str], rng: random.Random) -> Iterator[tuple[int, str]]:
    for i, line in enumerate(lines):
        if _HEADER.match(line) and "#" not in line:
            yield i, line.rstrip()[:-1] + "\n"


def _closer(lines, rng):
    for i, line in enumerate(lines):
        code = line.rstrip()
        if code.endswith(")") and code.count("(") == code.count(")") and "#" not in code \
                and not code.lstrip().startswith(("def ", "class ", "@")):
            yield i, code[:-1] + "\n"


def _stray(lines, rng):
    for i, line in enumerate(lines):
        code = line.rstrip()
        if re.match(r"^\s+(return|[a-z_]+ = )", code) and code.count("(") == code.count(")") \
                and "#" not in code and not code.endswith(("(", "[", "{", ",", "\\")):
            yield i, code + ")\n"


def _comma(lines, rng):
    for i, line in enumerate(lines):
        code = line.rstrip()
        if ", " in code and "#" not in code and '"' not in code and "'" not in code \
                and not code.lstrip().startswith(("def ", "class ", "import ", "from ")):
            spots = [m.start() for m in re.finditer(", ", code)]
            spot = rng.choice(spots)
            yield i, code[:spot] + code[spot + 1:] + "\n"


def _keyword(lines, rng):
    for i, line in enumerate(lines):
        word = re.match(r"^(\s*)(" + "|".join(_KEYWORDS) + r")\b", line)
        if word:
            name = word[2]
            k = rng.randrange(len(name) - 1)
            slip = name[:k] + name[k + 1] + name[k] + name[k + 2:]
            if slip != name:
                yield i, line[:word.start(2)] + slip + line[word.end(2):]


def _indent(lines, rng):
    for i in range(1, len(lines)):
        line, before = lines[i], lines[i - 1]
        indent = len(line) - len(line.lstrip())
        if line.strip() and re.match(r"^\s+[a-z_]+ = ", line) and before.strip() \
                and len(before) - len(before.lstrip()) == indent \
                and not before.rstrip().endswith((":", ",", "(", "[", "{", "\\")):
            yield i, "  " + line


def _string(lines, rng):
    for i, line in enumerate(lines):
        code = line.rstrip()
        found = re.search(r'(?<![\w"])"([^"\\{}]{3,})"', code)
        if found and '"""' not in code and "#" not in code and code.count('"') == 2:
            yield i, code[:found.end() - 1] + code[found.end():] + "\n"


def _equals(lines, rng):
    for i, line in enumerate(lines):
        if re.match(r"^\s*(if|elif|while) .*[^=!<>]==[^=].*:\s*$", line) and "#" not in line:
            yield i, line.replace("==", "=", 1)


SLIPS: dict[str, Slip] = {
    "colon left out": _colon, "closing bracket left out": _closer,
    "stray bracket": _stray, "comma left out": _comma, "keyword misspelt": _keyword,
    "line indented too far": _indent, "string left open": _string, "== written =": _equals,
}


def cases(files: list[Path], sites: int, seed: int) -> Iterator[tuple[str, str, str]]:
    """Yield (slip, original, broken) for every slip at up to `sites` sites per file."""
    rng = random.Random(seed)
    for path in files:
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if parse_error(original) is not None:
            continue
        lines = original.splitlines(keepends=True)
        for name, slip in SLIPS.items():
            found = list(slip(lines, rng))
            for i, text in rng.sample(found, min(sites, len(found))):
                broken = "".join([*lines[:i], text, *lines[i + 1:]])
                if parse_error(broken) is not None:
                    yield name, original, broken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, nargs="?",
                        default=Path(__file__).resolve().parents[2])
    parser.add_argument("--sites", type=int, default=3, help="sites per slip and file")
    parser.add_argument("--files", type=int, default=60, help="files read, at most")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    skip = (".venv", "site-packages", "node_modules", ".git")
    files = sorted(p for p in args.path.rglob("*.py") if not any(s in p.parts for s in skip))
    files = random.Random(args.seed).sample(files, min(args.files, len(files)))
    rows: dict[str, list[tuple[bool, bool, bool, float]]] = {name: [] for name in SLIPS}
    for name, original, broken in cases(sorted(files), args.sites, args.seed):
        start = time.perf_counter()
        found = mend(broken)
        seconds = time.perf_counter() - start
        sources = [m.source for m in found]
        rows[name].append((bool(found), original in sources,
                           bool(sources) and sources[0] == original, seconds))
    print(f"{'slip':<26} {'cases':>5} {'mended':>7} {'right':>7} {'right 1st':>9} "
          f"{'median ms':>9}")
    every = [r for rs in rows.values() for r in rs]
    for name, rs in [*rows.items(), ("all", every)]:
        if not rs:
            continue
        n = len(rs)
        print(f"{name:<26} {n:>5} {sum(r[0] for r in rs) / n:>7.1%} "
              f"{sum(r[1] for r in rs) / n:>7.1%} {sum(r[2] for r in rs) / n:>9.1%} "
              f"{statistics.median(r[3] for r in rs) * 1000:>9.1f}")
    n = len(every)
    print(f"right among the versions proposed: {sum(r[1] for r in every)}/{n} "
          f"({sum(r[1] for r in every) / max(n, 1):.1%}) over {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
