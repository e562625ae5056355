from knapsack import knapsack


def test_nothing_fits():
    assert knapsack([(5, 10)], 4) == 0


def test_exact_fit():
    assert knapsack([(3, 7)], 3) == 7


def test_choose_best_pair():
    assert knapsack([(1, 1), (3, 4), (4, 5), (5, 7)], 7) == 9
