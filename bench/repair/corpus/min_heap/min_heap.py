"""A binary min-heap."""


class MinHeap:
    """A priority queue that pops its smallest item first."""

    def __init__(self):
        self.items = []

    def push(self, x):
        """Add x."""
        self.items.append(x)
        i = len(self.items) - 1
        while i > 0:
            parent = (i - 1) / 2
            if self.items[parent] <= self.items[i]:
                break
            self.items[parent], self.items[i] = self.items[i], self.items[parent]
            i = parent

    def pop(self):
        """Remove and return the smallest item."""
        items = self.items
        items[0], items[-1] = items[-1], items[0]
        smallest = items.pop()
        i = 0
        while True:
            child = 2 * i + 1
            if child >= len(items):
                break
            if child + 1 < len(items) and items[child + 1] < items[child]:
                child += 1
            if items[i] <= items[child]:
                break
            items[i], items[child] = items[child], items[i]
            i = child
        return smallest

    def __len__(self):
        return len(self.items)
