from censor import censor, count_censored


def test_nothing_banned():
    assert censor("hello", []) == "hello"


def test_one_word():
    assert censor("darn it", ["darn"]) == "**** it"


def test_count():
    assert count_censored("heck, heck", ["heck"]) == 8
