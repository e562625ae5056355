"""A stack that knows its minimum."""


class MinStack:
    """A stack with constant-time push, pop and min."""

    def __init__(self):
        self.items = []
        self.mins = []

    def push(self, x):
        """Put x on top."""
        self.items.append(x)
        if not self.mins or x <= self.mins[-1]:
            self.mins.append(x)

    def pop(self):
        """Remove and return the top item."""
        x = self.items.pop()
        if x == self.mins[-1]:
            self.mins.pop()
        return x

    def min(self):
        """Return the smallest item on the stack."""
        return self.mins[-1]
