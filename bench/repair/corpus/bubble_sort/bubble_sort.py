"""Bubble sort with early exit."""


def bubble_sort(items):
    """Return a sorted copy of items; stop as soon as a pass makes no swap."""
    result = list(items)
    n = len(result)
    for i in range(n):
        swapped = False
        for j in range(n - 1 - i):
            if result[j] > result[j + 1]:
                result[j], result[j + 1] = result[j + 1], result[j]
                swapped = False
        if not swapped:
            break
    return result
