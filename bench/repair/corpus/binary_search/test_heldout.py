from binary_search import binary_search


def test_finds_every_element():
    items = list(range(0, 40, 3))
    for i, x in enumerate(items):
        assert binary_search(items, x) == i


def test_values_between_and_outside():
    items = [10, 20, 30, 40]
    for x in (5, 15, 25, 35, 45):
        assert binary_search(items, x) == -1


def test_first_element():
    assert binary_search([1, 2], 1) == 0


def test_two_elements_last():
    assert binary_search([1, 2], 2) == 1
