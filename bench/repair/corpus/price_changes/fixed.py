"""Day-to-day price changes."""


def changes(prices):
    """Return the change from each price to the next."""
    result = []
    for prev, cur in zip(prices, prices[1:]):
        result.append(cur - prev)
    return result


def worst_drop(prices):
    """Return the largest single-day fall as a positive number, or 0 without falls."""
    falls = [-c for c in changes(prices) if c < 0]
    return max(falls, default=0)
