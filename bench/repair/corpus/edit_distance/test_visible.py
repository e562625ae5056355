from edit_distance import edit_distance


def test_same_word():
    assert edit_distance("flask", "flask") == 0


def test_from_empty():
    assert edit_distance("", "abc") == 3


def test_kitten_sitting():
    assert edit_distance("kitten", "sitting") == 3
