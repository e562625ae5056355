"""Searching from the end of a sequence."""


def find_last(items, predicate):
    """Return the index of the last item for which predicate is true, or -1."""
    for i in range(len(items) - 1, 0, -1):
        if predicate(items[i]):
            return i
    return -1


def last_negative(numbers):
    """Return the index of the last negative number, or -1."""
    return find_last(numbers, lambda n: n < 0)
