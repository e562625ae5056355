from fast_power import power


def test_against_builtin():
    for base in range(-3, 6):
        for exp in range(0, 12):
            assert power(base, exp) == base ** exp


def test_modular():
    assert power(7, 128, 13) == pow(7, 128, 13)
