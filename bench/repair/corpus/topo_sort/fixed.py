"""Topological order of tasks with prerequisites (Kahn's algorithm)."""

from collections import deque


def topological_order(tasks, edges):
    """Return tasks ordered so that every (before, after) edge is respected.

    Raises ValueError when the edges contain a cycle.
    """
    indegree = {t: 0 for t in tasks}
    children = {t: [] for t in tasks}
    for before, after in edges:
        children[before].append(after)
        indegree[after] += 1
    queue = deque(t for t in tasks if indegree[t] == 0)
    order = []
    while queue:
        task = queue.popleft()
        order.append(task)
        for child in children[task]:
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    if len(order) != len(tasks):
        raise ValueError("cycle in task dependencies")
    return order
