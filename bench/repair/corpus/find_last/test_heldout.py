from find_last import find_last, last_negative


def test_single_item_list():
    assert find_last(["a"], lambda s: s == "a") == 0


def test_empty_list():
    assert find_last([], lambda s: True) == -1


def test_last_negative_at_start():
    assert last_negative([-2, 0, 1]) == 0


def test_every_position():
    for n in range(1, 6):
        items = [0] * n
        for i in range(n):
            marked = items.copy()
            marked[i] = 1
            assert find_last(marked, bool) == i
