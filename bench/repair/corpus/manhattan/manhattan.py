"""Distances on a grid."""


def manhattan(p, q):
    """Return the taxicab distance between points p and q given as (x, y)."""
    return abs(p[0] - q[0]) + (p[1] - q[1])


def nearest(points, target):
    """Return the point closest to target in taxicab distance (first one on ties)."""
    return min(points, key=lambda p: manhattan(p, target))
