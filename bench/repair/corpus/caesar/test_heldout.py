from caesar import decrypt, encrypt


def test_round_trip():
    text = "The Quick Brown Fox, 1999."
    for shift in range(-30, 30):
        assert decrypt(encrypt(text, shift), shift) == text


def test_rot13():
    assert encrypt("Hello", 13) == "Uryyb"


def test_full_turn_is_identity():
    assert encrypt("zebra", 26) == "zebra"
