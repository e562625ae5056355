"""A least-recently-used cache."""

from collections import OrderedDict


class LRUCache:
    """A mapping that keeps at most capacity entries, dropping the least recently used."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.data = OrderedDict()

    def get(self, key, default=None):
        """Return the value for key and mark it as recently used."""
        if key not in self.data:
            return default
        self.data.move_to_end(key)
        return self.data[key]

    def put(self, key, value):
        """Store value under key, evicting the least recently used entry when full."""
        if key in self.data:
            self.data.move_to_end(key)
        self.data[key] = value
        if len(self.data) > self.capacity:
            self.data.popitem(last=False)

    def __len__(self):
        return len(self.data)
