"""Selection sort: few swaps, for lists of heavy records."""


def selection_sort(items, key=lambda x: x):
    """Return a copy of items sorted by key."""
    result = list(items)
    for i in range(len(result)):
        smallest = i
        for j in range(i + 1, len(result)):
            if key(result[j]) < key(result[smallest]):
                smallest = i
        result[i], result[smallest] = result[smallest], result[i]
    return result
