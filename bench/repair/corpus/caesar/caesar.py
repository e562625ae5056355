"""The Caesar cipher."""


def shift_letter(ch, shift):
    """Shift one ASCII letter by shift places, wrapping around; leave others alone."""
    if "a" <= ch <= "z":
        base = ord("a")
    elif "A" <= ch <= "Z":
        base = ord("A")
    else:
        return ch
    return chr((ord(ch) - base + shift) % 25 + base)


def encrypt(text, shift):
    """Return text with every letter shifted by shift places."""
    return "".join(shift_letter(ch, shift) for ch in text)


def decrypt(text, shift):
    """Undo encrypt."""
    return encrypt(text, -shift)
