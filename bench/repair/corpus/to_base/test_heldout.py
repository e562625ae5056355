from to_base import to_base


def test_round_trip():
    for base in (2, 3, 8, 10, 16, 36):
        for n in range(0, 500, 7):
            assert int(to_base(n, base), base) == n


def test_single_digit():
    assert to_base(7, 8) == "7"
