"""Reading the end of a log."""


def tail(lines, n):
    """Return the last n lines (all of them when there are fewer)."""
    if n <= 0:
        return []
    return lines[-n:]


def errors_in_tail(lines, n):
    """Return the lines among the last n that mention ERROR."""
    return [line for line in tail(lines, n) if "ERROR" in line]
