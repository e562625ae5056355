from min_rotated import find_min, rotation_count


def test_every_rotation():
    base = [2, 5, 8, 11, 13, 17]
    for k in range(len(base)):
        rotated = base[k:] + base[:k]
        assert find_min(rotated) == 2
        assert rotation_count(rotated) == (len(base) - k) % len(base)


def test_two_elements():
    assert find_min([2, 1]) == 1
    assert find_min([1, 2]) == 1
