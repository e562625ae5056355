from popcount import parity, popcount


def test_against_bin():
    for n in range(300):
        assert popcount(n) == bin(n).count("1")


def test_parity():
    assert parity(0b1011) == 1
    assert parity(0b1001) == 0
