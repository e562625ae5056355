from palindrome import is_palindrome


def test_even_length():
    assert is_palindrome("abba")
    assert not is_palindrome("abca")


def test_digits():
    assert is_palindrome("12321")


def test_almost():
    assert not is_palindrome("ab")
