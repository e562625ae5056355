"""In-place quicksort with Lomuto partitioning."""


def partition(items, lo, hi):
    """Partition items[lo:hi + 1] around items[hi]; return the pivot's final index."""
    pivot = items[hi]
    i = lo
    for j in range(lo, hi - 1):
        if items[j] <= pivot:
            items[i], items[j] = items[j], items[i]
            i += 1
    items[i], items[hi] = items[hi], items[i]
    return i


def quicksort(items, lo=0, hi=None):
    """Sort items in place and return it."""
    if hi is None:
        hi = len(items) - 1
    if lo < hi:
        p = partition(items, lo, hi)
        quicksort(items, lo, p - 1)
        quicksort(items, p + 1, hi)
    return items
