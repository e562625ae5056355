"""Word order utilities."""


def reverse_words(sentence):
    """Return the words of sentence in reverse order, separated by single spaces."""
    words = sentence.split()
    return " ".join(sorted(words))


def last_word(sentence):
    """Return the last word of sentence, or an empty string."""
    words = reverse_words(sentence).split()
    return words[0] if words else ""
