"""Start-up and demo time of the CLI, as medians against a bare interpreter.

Usage: uv run python bench/cli/run.py [--runs N]

Prints a table; the last line is the figure: the --help median as a ratio of a bare
`python -c pass`, and the demo's median in seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def median_seconds(cmd: list[str], runs: int) -> float:
    """Return the median wall-clock time of cmd over runs."""
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--demo-runs", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    rows = [
        ("python -c pass", median_seconds([py, "-c", "pass"], args.runs)),
        ("healloop --help", median_seconds([py, "-m", "healloop", "--help"], args.runs)),
        ("healloop demo", median_seconds([py, "-m", "healloop", "demo"], args.demo_runs)),
    ]
    base = rows[0][1]
    print(f"{'command':<18} {'median s':>9} {'x python':>9}")
    for name, seconds in rows:
        print(f"{name:<18} {seconds:>9.3f} {seconds / base:>9.1f}")
    print(f"help {rows[1][1]:.3f}s ({rows[1][1] / base:.1f}x bare python, target < 0.3s); "
          f"demo {rows[2][1]:.1f}s (target < 15s)")


if __name__ == "__main__":
    main()
