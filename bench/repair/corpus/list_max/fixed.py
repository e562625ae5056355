"""Extremes of sequences."""


def maximum(values):
    """Return the largest value, or None for an empty sequence."""
    if not values:
        return None
    best = values[0]
    for v in values[1:]:
        if v > best:
            best = v
    return best


def spread(values):
    """Return max - min of values, or 0 for an empty sequence."""
    if not values:
        return 0
    return maximum(values) - min(values)
