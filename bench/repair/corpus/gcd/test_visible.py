from gcd import gcd, lcm


def test_zero():
    assert gcd(7, 0) == 7


def test_coprime():
    assert gcd(9, 28) == 1


def test_common_factor():
    assert gcd(12, 18) == 6


def test_larger_first():
    assert gcd(18, 12) == 6
