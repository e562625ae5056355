from primes import is_prime, primes_below


def test_small_primes():
    assert primes_below(12) == [2, 3, 5, 7, 11]


def test_square_of_prime():
    assert not is_prime(9)


def test_negative():
    assert not is_prime(-7)
