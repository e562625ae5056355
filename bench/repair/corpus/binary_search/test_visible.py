from binary_search import binary_search


def test_finds_middle_element():
    assert binary_search([1, 3, 5, 7, 9], 5) == 2


def test_missing_value():
    assert binary_search([1, 3, 5, 7, 9], 4) == -1


def test_empty_list():
    assert binary_search([], 3) == -1


def test_finds_last_element():
    assert binary_search([2, 4, 6, 8], 8) == 3


def test_single_element():
    assert binary_search([7], 7) == 0
