"""Cleaning up text before parsing it."""


def strip_blank(lines):
    """Return the lines that hold more than whitespace, without trailing whitespace."""
    return [line.rstrip() for line in lines if line.strip()]


def paragraphs(text):
    """Split text into paragraphs: runs of non-blank lines separated by blank ones."""
    result = []
    current = []
    for line in text.splitlines():
        if line.strip():
            current.append(line.strip())
        elif current:
            result.append(" ".join(current))
            current = []
    if current:
        result.append(" ".join(current))
    return result
