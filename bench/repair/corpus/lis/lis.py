"""Longest strictly increasing subsequence."""


def lis_length(nums):
    """Return the length of the longest strictly increasing subsequence of nums."""
    if not nums:
        return 0
    best = [1] * len(nums)
    for i in range(1, len(nums)):
        for j in range(i):
            if nums[j] <= nums[i] and best[j] + 1 > best[i]:
                best[i] = best[j] + 1
    return max(best)
