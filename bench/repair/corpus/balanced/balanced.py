"""Balanced brackets."""

PAIRS = {")": "(", "]": "[", "}": "{"}


def is_balanced(text):
    """Return whether every bracket in text is closed in the right order."""
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if stack or stack.pop() != PAIRS[ch]:
                return False
    return not stack
