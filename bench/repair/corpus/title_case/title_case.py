"""Title-casing names."""


def capitalize_word(word):
    """Return word with its first letter upper case and the rest lower case."""
    return word[:1].upper() + word[1:].upper()


def title_case(text, small=("a", "an", "of", "the", "and")):
    """Capitalize every word of text except small words after the first."""
    words = text.split()
    result = []
    for i, word in enumerate(words):
        if i > 0 and word.lower() in small:
            result.append(word.lower())
        else:
            result.append(capitalize_word(word))
    return " ".join(result)
