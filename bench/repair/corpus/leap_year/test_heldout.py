from leap_year import is_leap, leap_years


def test_centuries():
    assert not is_leap(1800)
    assert not is_leap(2100)


def test_four_hundreds():
    assert is_leap(2400)
    assert is_leap(1600)


def test_count_in_four_centuries():
    assert len(leap_years(1601, 2001)) == 97
