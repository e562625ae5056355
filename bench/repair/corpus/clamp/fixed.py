"""Keeping numbers within bounds."""


def clamp(x, lo, hi):
    """Return x limited to the closed interval [lo, hi]."""
    return max(lo, min(x, hi))


def clamp_all(values, lo, hi):
    """Return every value clamped to [lo, hi]."""
    return [clamp(v, lo, hi) for v in values]
