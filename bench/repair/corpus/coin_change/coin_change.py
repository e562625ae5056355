"""Fewest coins that make an amount."""


def min_coins(coins, amount):
    """Return the fewest coins summing to amount, or -1 when it cannot be made."""
    inf = float("inf")
    best = [0] + [inf] * amount
    for coin in coins:
        for a in range(coin + 1, amount + 1):
            if best[a - coin] + 1 < best[a]:
                best[a] = best[a - coin] + 1
    return best[amount] if best[amount] != inf else -1
