"""Tune the weights of healloop.analysis.related on one replay window, check on another.

Usage: uv run python bench/impact/tune.py TRAIN.json [TEST.json ...]
The JSON files come from ``replay.py --features`` (use --skip on the training run so
that it covers older commits than the ones the benchmark reports).
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from healloop.analysis.related import WEIGHTS


def evaluate(rows: list[dict], weights: dict[str, float]) -> tuple[float, float]:
    top3 = rec10 = 0.0
    for row in rows:
        expected = set(row["expected"])
        ranked = sorted(
            row["candidates"].items(),
            key=lambda kv: (-sum(weights.get(k, 0) * v for k, v in kv[1].items()), kv[0]),
        )
        files = [f for f, _ in ranked]
        top3 += bool(expected & set(files[:3]))
        rec10 += len(expected & set(files[:10])) / len(expected)
    return 100 * top3 / len(rows), 100 * rec10 / len(rows)


def main() -> int:
    sets = [json.loads(Path(p).read_text()) for p in sys.argv[1:]]
    train = sets[0]
    weights = dict(WEIGHTS)

    def objective(w: dict[str, float]) -> float:
        a, b = evaluate(train, w)
        return a + b

    best = objective(weights)
    grid = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0]
    for _ in range(3):
        for key, value in itertools.product(list(weights), grid):
            trial = {**weights, key: value}
            score = objective(trial)
            if score > best + 1e-9:
                best, weights = score, trial
    print(json.dumps(weights, indent=1))
    for path, rows in zip(sys.argv[1:], sets, strict=True):
        before, after = evaluate(rows, WEIGHTS), evaluate(rows, weights)
        print(f"{path}: current {before[0]:.1f}/{before[1]:.1f} -> tuned {after[0]:.1f}/"
              f"{after[1]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
