"""Shortest path lengths in an unweighted graph."""

from collections import deque


def distances(graph, start):
    """Return the number of edges on a shortest path from start to each reachable node.

    graph maps each node to a list of its neighbours.
    """
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nb in graph.get(node, []):
            if nb not in dist:
                dist[nb] = dist[node] + 1
                queue.append(nb)
    return dist


def shortest_path_length(graph, start, goal):
    """Return the length of a shortest path, or None when goal is unreachable."""
    return distances(graph, start).get(goal)
