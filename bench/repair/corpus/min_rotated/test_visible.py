from min_rotated import find_min, rotation_count


def test_not_rotated():
    assert find_min([1, 2, 3, 4, 5]) == 1


def test_rotated_by_two():
    assert find_min([4, 5, 1, 2, 3]) == 1


def test_single_element():
    assert find_min([9]) == 9


def test_rotation_count():
    assert rotation_count([6, 7, 1, 2, 3, 4, 5]) == 2
