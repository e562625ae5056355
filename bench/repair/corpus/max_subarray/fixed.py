"""Maximum subarray sum (Kadane's algorithm)."""


def max_subarray(nums):
    """Return the largest sum of a non-empty contiguous run of nums."""
    best = cur = nums[0]
    for x in nums[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best
