"""Moving averages over a sliding window."""


def moving_average(values, k):
    """Return the mean of each window of k consecutive values."""
    if k <= 0 or k > len(values):
        return []
    window = sum(values[:k])
    result = [window / k]
    for i in range(k, len(values)):
        window = 0
        window += values[i] - values[i - k]
        result.append(window / k)
    return result
