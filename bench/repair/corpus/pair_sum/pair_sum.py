"""Two-pointer search for a pair with a given sum in a sorted list."""


def pair_with_sum(numbers, target):
    """Return indices (i, j), i < j, of two numbers adding up to target, or None."""
    lo, hi = 0, len(numbers) - 1
    while lo < hi:
        total = numbers[lo] + numbers[hi]
        if total == target:
            return lo, hi
        elif total > target:
            lo += 1
        else:
            hi -= 1
    return None
