"""Insertion points in sorted sequences."""


def bisect_left(items, x):
    """Return the first index where x could be inserted keeping items sorted."""
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < x:
            lo = mid + 1
        else:
            hi = mid - 1
    return lo


def count_less(items, x):
    """Return how many elements of the sorted list are smaller than x."""
    return bisect_left(items, x)
