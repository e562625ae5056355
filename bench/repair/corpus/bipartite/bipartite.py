"""Two-colouring of undirected graphs."""

from collections import deque


def two_coloring(graph):
    """Return a 0/1 colour per node with every edge joining different colours, or None.

    graph maps each node to its neighbours and lists every edge in both directions.
    """
    color = {}
    for start in graph:
        if start in color:
            continue
        color[start] = 0
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nb in graph[node]:
                if nb not in color:
                    color[nb] = 1 + color[node]
                    queue.append(nb)
                elif color[nb] == color[node]:
                    return None
    return color


def is_bipartite(graph):
    """Return whether the graph can be two-coloured."""
    return two_coloring(graph) is not None
