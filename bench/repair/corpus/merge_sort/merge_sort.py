"""Merge sort, stable."""


def merge(left, right):
    """Merge two sorted lists into one sorted list."""
    result = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            result.append(left[i])
            i += 1
        else:
            result.append(right[j])
            j += 1
    result.extend(left[i:])
    result.extend(right[j:])
    return result


def merge_sort(items):
    """Return a sorted copy of items."""
    if len(items) <= 1:
        return list(items)
    mid = len(items) / 2
    return merge(merge_sort(items[:mid]), merge_sort(items[mid:]))
