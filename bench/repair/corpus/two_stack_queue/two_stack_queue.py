"""A FIFO queue built from two stacks."""


class Queue:
    """First in, first out, with amortised constant-time operations."""

    def __init__(self):
        self.inbox = []
        self.outbox = []

    def enqueue(self, x):
        """Add x at the back."""
        self.inbox.append(x)

    def dequeue(self):
        """Remove and return the front item; raise IndexError when empty."""
        if self.outbox:
            while self.inbox:
                self.outbox.append(self.inbox.pop())
        return self.outbox.pop()

    def __len__(self):
        return len(self.inbox) + len(self.outbox)
