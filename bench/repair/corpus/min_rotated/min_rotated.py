"""The minimum of a sorted list that was rotated."""


def find_min(nums):
    """Return the smallest element of a rotated sorted list of distinct numbers."""
    lo, hi = 0, len(nums) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if nums[mid] > nums[hi]:
            lo = mid
        else:
            hi = mid
    return nums[lo]


def rotation_count(nums):
    """Return by how many places the sorted list was rotated."""
    return nums.index(find_min(nums))
