"""Cycle detection in a directed graph by depth-first search."""

WHITE, GRAY, BLACK = 0, 1, 2


def has_cycle(graph):
    """Return whether the directed graph (node -> list of successors) has a cycle."""
    color = {node: WHITE for node in graph}

    def visit(node):
        color[node] = GRAY
        for nxt in graph.get(node, []):
            state = color.get(nxt, WHITE)
            if state == GRAY:
                return True
            if state == WHITE and visit(nxt):
                return True
        color[node] = BLACK
        return False

    return any(color[node] == WHITE and visit(node) for node in graph)
