"""Merging overlapping intervals."""


def merge_intervals(intervals):
    """Return the union of closed intervals [start, end] as sorted disjoint intervals."""
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
