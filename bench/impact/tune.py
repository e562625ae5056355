"""Fit the weights of healloop.analysis.related on older commits, check them on newer.

Usage: uv run python bench/impact/tune.py --train A.json [B.json ...] --check C.json ...
The JSON files come from ``replay.py --features``; train on runs with --skip (older
commits than the benchmark reports) so that the benchmark window is never seen.

The model is a logistic regression of "this candidate changed in the same commit"
on the evidence parts, every query weighing the same (positives are re-weighted per
query), fitted by gradient descent with a little L2 regularisation.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from healloop.analysis.related import WEIGHTS


def matrix(rows: list[dict], names: list[str]):
    xs, ys, ws = [], [], []
    for row in rows:
        expected = set(row["expected"])
        cands = row["candidates"]
        if not cands:
            continue
        pos = sum(1 for f in cands if f in expected)
        neg = len(cands) - pos
        for f, parts in cands.items():
            xs.append([parts.get(n, 0.0) for n in names])
            y = 1.0 if f in expected else 0.0
            ys.append(y)
            ws.append(0.5 / pos if y and pos else 0.5 / max(neg, 1))
    return np.array(xs), np.array(ys), np.array(ws)


def fit(rows: list[dict], names: list[str], *, steps: int = 3000, l2: float = 1e-3):
    x, y, w = matrix(rows, names)
    coef = np.zeros(x.shape[1])
    bias = 0.0
    lr = 0.5
    for _ in range(steps):
        z = x @ coef + bias
        p = 1 / (1 + np.exp(-z))
        g = (p - y) * w
        coef -= lr * (x.T @ g / w.sum() + l2 * coef)
        bias -= lr * g.sum() / w.sum()
    return dict(zip(names, np.round(coef, 3).tolist(), strict=True)), round(float(bias), 3)


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


class Ranking:
    """The rows of a features file as arrays, for fast evaluation of many weightings."""

    def __init__(self, rows: list[dict], names: list[str]) -> None:
        self.items = []
        for row in rows:
            files = sorted(row["candidates"])
            expected = set(row["expected"])
            x = np.array([[row["candidates"][f].get(n, 0.0) for n in names] for f in files])
            hit = np.array([f in expected for f in files])
            self.items.append((x.reshape(len(files), len(names)), hit, len(expected)))

    def score(self, coef: np.ndarray) -> tuple[float, float]:
        top3 = rec10 = 0.0
        for x, hit, total in self.items:
            if not len(hit):
                continue
            order = np.argsort(-(x @ coef), kind="stable")
            top3 += bool(hit[order[:3]].any())
            rec10 += hit[order[:10]].sum() / total
        n = len(self.items)
        return 100 * top3 / n, 100 * rec10 / n


def search(rankings: list[Ranking], names: list[str], start: dict[str, float]
           ) -> dict[str, float]:
    """Coordinate ascent on the mean of top-3 and recall@10 over the training sets."""
    coef = np.array([start.get(n, 0.0) for n in names])

    def objective(c: np.ndarray) -> float:
        return sum(sum(r.score(c)) for r in rankings) / len(rankings)

    best = objective(coef)
    grid = [-1.0, -0.5, -0.2, 0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]
    for _ in range(3):
        improved = False
        for i in range(len(names)):
            for value in grid:
                trial = coef.copy()
                trial[i] = value
                score = objective(trial)
                if score > best + 1e-9:
                    best, coef, improved = score, trial, True
        if not improved:
            break
    return dict(zip(names, coef.round(3).tolist(), strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="+", type=Path, required=True)
    parser.add_argument("--check", nargs="*", type=Path, default=[])
    parser.add_argument("--method", choices=["search", "logistic"], default="search")
    args = parser.parse_args()
    sets = [json.loads(path.read_text()) for path in args.train]
    train = [row for rows in sets for row in rows]
    names = sorted({k for row in train for parts in row["candidates"].values() for k in parts})
    if args.method == "logistic":
        weights, bias = fit(train, names)
    else:
        weights, bias = search([Ranking(rows, names) for rows in sets], names, WEIGHTS), 0.0
    print("WEIGHTS =", json.dumps(weights, indent=4))
    print("BIAS =", bias)
    for path in [*args.train, *args.check]:
        rows = json.loads(path.read_text())
        before, after = evaluate(rows, WEIGHTS), evaluate(rows, weights)
        print(f"{path.name}: current {before[0]:.1f}/{before[1]:.1f} -> fitted "
              f"{after[0]:.1f}/{after[1]:.1f} (top-3 / recall@10)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
