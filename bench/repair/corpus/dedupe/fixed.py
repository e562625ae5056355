"""Removing duplicates while keeping order."""


def dedupe(items, key=None):
    """Return items without repeats, keeping the first of each, in their order."""
    seen = set()
    result = []
    for item in items:
        marker = item if key is None else key(item)
        if marker not in seen:
            result.append(item)
        seen.add(marker)
    return result
