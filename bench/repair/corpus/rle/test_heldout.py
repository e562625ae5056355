from rle import decode, encode


def test_single_char():
    assert encode("z") == "1z"


def test_long_run():
    assert encode("x" * 12) == "12x"


def test_round_trip():
    for text in ("abc", "aabbcc", "abbbbbbbbbbbc", "mississippi"):
        assert decode(encode(text)) == text
