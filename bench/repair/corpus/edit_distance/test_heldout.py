from edit_distance import edit_distance


def test_one_substitution():
    assert edit_distance("cat", "cut") == 1


def test_one_deletion():
    assert edit_distance("chart", "cart") == 1


def test_to_empty():
    assert edit_distance("abcd", "") == 4


def test_unrelated():
    assert edit_distance("abc", "xyz") == 3
