from leap_year import days_in_year, is_leap, leap_years


def test_common_year():
    assert not is_leap(2023)


def test_ordinary_leap_year():
    assert is_leap(2024)


def test_century_is_not_leap():
    assert not is_leap(1900)


def test_every_fourth_century_is_leap():
    assert is_leap(2000)


def test_days():
    assert days_in_year(2024) == 366
    assert days_in_year(2023) == 365


def test_leap_years_in_a_decade():
    assert leap_years(2010, 2020) == [2012, 2016]
