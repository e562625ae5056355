from lcs import lcs_length


def test_no_common_letters():
    assert lcs_length("abc", "xyz") == 0


def test_repeated_letter():
    assert lcs_length("aaaa", "aa") == 2


def test_symmetric():
    assert lcs_length("AGGTAB", "GXTXAYB") == lcs_length("GXTXAYB", "AGGTAB") == 4
