"""Simple statistics."""


def mean(values):
    """Return the arithmetic mean of values, or 0.0 for no values."""
    return sum(values) / len(values)


def variance(values):
    """Return the population variance of values, or 0.0 for no values."""
    m = mean(values)
    return mean([(v - m) ** 2 for v in values])
