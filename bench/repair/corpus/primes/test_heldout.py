from primes import is_prime


def test_squares():
    for p in (2, 3, 5, 7, 11, 13):
        assert not is_prime(p * p)


def test_large_prime():
    assert is_prime(7919)


def test_products():
    assert not is_prime(11 * 13)
