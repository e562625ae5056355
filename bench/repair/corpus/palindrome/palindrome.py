"""Palindromes, ignoring case and punctuation."""


def is_palindrome(text):
    """Return whether text reads the same backwards, counting only letters and digits."""
    chars = [c.lower() for c in text if c.isalnum()]
    i, j = 0, len(chars)
    while i < j:
        if chars[i] != chars[j]:
            return False
        i += 1
        j -= 1
    return True
