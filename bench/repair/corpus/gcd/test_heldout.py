import math

from gcd import gcd, lcm


def test_against_math():
    for a in range(0, 40):
        for b in range(0, 40):
            assert gcd(a, b) == math.gcd(a, b)


def test_lcm():
    assert lcm(4, 6) == 12
    assert lcm(21, 6) == 42
