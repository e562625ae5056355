"""Counting ways to climb stairs with given step sizes."""


def count_ways(n, steps=(1, 2)):
    """Return in how many ordered ways one can climb n stairs with the given step sizes."""
    ways = [0] * (n + 1)
    ways[0] = 1
    for i in range(1, n + 1):
        for s in steps:
            if i - s > 0:
                ways[i] += ways[i - s]
    return ways[n]
