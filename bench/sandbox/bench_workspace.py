"""How much a scratch copy costs per candidate: healloop's Workspace against copytree.

Usage:
    uv run python bench/sandbox/bench_workspace.py SOURCE [--repeat N] [--data-mb M] [--venv]

SOURCE is a git repository (a work tree or a bare mirror, e.g. sqlalchemy/sqlalchemy);
it is cloned into a temporary work tree, so the tree has its .git folder like a
developer's would, and deleted afterwards. With --data-mb, the clone also gets M MiB
of test data (files of 8 MiB under tests/data), the case hard links are for. With
--venv, it also gets a virtualenv in .venv (``python -m venv``, pip included, offline),
as a developer's tree has.

Each row is the median of --repeat timings after one warm-up, the ways taking turns
and each timing starting after ``sync`` (so no way pays for another's writeback);
ratios are against the baseline in the same process: ``shutil.copytree`` of the
whole tree (what a naive sandbox does for every candidate) followed by deleting it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from healloop.sandbox import Workspace
from healloop.sandbox.snapshot import rmtree

FIRST_VERSION_IGNORE = shutil.ignore_patterns(
    ".git", ".healloop", ".venv", "venv", "__pycache__", ".mypy_cache",
    ".ruff_cache", ".pytest_cache", "node_modules", "*.pyc", ".tox", ".nox",
)


def medians(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Time each fn repeat times, round-robin, each from clean page cache writeback."""
    times: list[list[float]] = [[] for _ in fns]
    for fn in fns:
        fn()  # warm-up
    for _ in range(repeat):
        for fn, samples in zip(fns, times, strict=True):
            # Dirty pages from the previous sample would throttle this one's writes:
            # without this, whichever method runs later in the bench looks slower.
            os.sync()
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    return [statistics.median(samples) for samples in times]


def tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                files += 1
                size += os.path.getsize(path)
    return files, size


def bench(repo: Path, scratch: Path, repeat: int) -> list[tuple[str, float]]:
    """Return (row, seconds) for each way of getting a clean copy for a candidate."""
    counter = iter(range(10**9))

    def copytree(ignore: Callable[..., object] | None) -> Callable[[], None]:
        def run() -> None:
            dest = scratch / f"copy-{next(counter)}"
            shutil.copytree(repo, dest, symlinks=True, ignore=ignore)
            shutil.rmtree(dest)
        return run

    def fresh(links: str) -> Callable[[], None]:
        def run() -> None:
            Workspace(repo, root=scratch, links=links).close()  # type: ignore[arg-type]
        return run

    reused = Workspace(repo, root=scratch)
    target = next(p for p in sorted(reused.path.rglob("*.py")) if p.stat().st_size > 2000)
    rel = target.relative_to(reused.path).as_posix()
    text = target.read_text(encoding="utf-8")

    def candidate_then_reset() -> None:
        reused.write(rel, text + "\n# candidate\n")
        (reused.path / ".coverage").write_bytes(b"\0" * 100)  # what a run leaves behind
        (reused.tmp / "pytest-of-me").mkdir()
        reused.reset()

    ways = [
        ("copytree whole tree + delete (baseline)", copytree(None)),
        ("copytree, first Workspace's ignore list + delete", copytree(FIRST_VERSION_IGNORE)),
        ("Workspace(links='copy') + close", fresh("copy")),
        ("Workspace(links='auto') + close", fresh("auto")),
        ("reused Workspace: apply a candidate + reset()", candidate_then_reset),
        ("reused Workspace: reset() with nothing changed", reused.reset),
    ]
    seconds = medians([fn for _, fn in ways], repeat)
    rows = [(name, s) for (name, _), s in zip(ways, seconds, strict=True)]
    counts = reused.counts()
    reused.close()
    print(f"  copy made of: {', '.join(f'{n} {k}' for k, n in sorted(counts.items()))}")
    return rows


def print_table(title: str, rows: list[tuple[str, float]]) -> None:
    base = rows[0][1]
    print(f"\n{title}")
    print(f"| {'way to get a clean copy per candidate':<52} | {'ms':>9} | {'vs baseline':>11} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 13}|")
    for name, seconds in rows:
        print(f"| {name:<52} | {seconds * 1000:>9.1f} | {base / seconds:>10.1f}x |")


def add_data(repo: Path, megabytes: int) -> None:
    data = repo / "tests" / "data"
    data.mkdir(parents=True, exist_ok=True)
    chunk = os.urandom(1024 * 1024)
    for i in range(max(1, megabytes // 8)):
        with open(data / f"fixture-{i:03d}.bin", "wb") as fh:
            for _ in range(8):
                fh.write(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data-mb", type=int, default=0)
    parser.add_argument("--venv", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="healloop-bench-") as tmp:
        repo = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", str(args.source), str(repo)], check=True)
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        files, size = tree_size(repo)
        git_files, git_size = tree_size(repo / ".git")
        print(f"{args.source.name}: {files} files, {size / 2**20:.0f} MiB "
              f"({git_files} files, {git_size / 2**20:.0f} MiB of them in .git); "
              f"median of {args.repeat}")
        rows = bench(repo, scratch, args.repeat)
        print_table("plain clone", rows)
        if args.data_mb:
            add_data(repo, args.data_mb)
            print(f"\nwith {args.data_mb} MiB of test data added under tests/data:")
            data_rows = bench(repo, scratch, args.repeat)
            print_table(f"clone + {args.data_mb} MiB of test data", data_rows)
        if args.venv:
            subprocess.run([sys.executable, "-m", "venv", str(repo / ".venv")], check=True)
            files, size = tree_size(repo / ".venv")
            print(f"\nwith a virtualenv in .venv ({files} files, {size / 2**20:.0f} MiB):")
            print_table("clone + test data + .venv" if args.data_mb else "clone + .venv",
                        bench(repo, scratch, args.repeat))
        rmtree(scratch)
    base, reuse, fresh = rows[0][1], rows[4][1], rows[3][1]
    print(f"\nper candidate on {args.source.name}: reused Workspace {reuse * 1000:.1f} ms, "
          f"fresh Workspace {fresh * 1000:.0f} ms, copytree {base * 1000:.0f} ms: "
          f"{base / reuse:.0f}x and {base / fresh:.1f}x faster")


if __name__ == "__main__":
    sys.exit(main())
