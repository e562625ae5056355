from fast_power import power


def test_zero_exponent():
    assert power(5, 0) == 1


def test_odd_exponent():
    assert power(2, 3) == 8


def test_even_exponent():
    assert power(3, 2) == 9
