"""Masking banned words."""


def censor(text, banned):
    """Return text with every banned word replaced by asterisks of the same length."""
    for word in banned:
        text = text.replace(word, "*" * len(word))
    return text


def count_censored(text, banned):
    """Return how many characters censor() masks."""
    return censor(text, banned).count("*") - text.count("*")
