"""Counting sort for small integer ranges."""


def counting_sort(values):
    """Return the integers in values sorted, in time linear in their range."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    counts = [0] * (hi - lo + 1)
    for v in values:
        counts[v - lo] += 1
    result = []
    for v in range(lo, hi + 1):
        result.extend([v] * counts[v - lo])
    return result
