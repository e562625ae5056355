from knapsack import knapsack


def test_each_item_once():
    assert knapsack([(2, 3)], 10) == 3


def test_classic():
    items = [(10, 60), (20, 100), (30, 120)]
    assert knapsack(items, 50) == 220


def test_zero_capacity():
    assert knapsack([(1, 5)], 0) == 0
