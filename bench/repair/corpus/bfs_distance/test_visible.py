from bfs_distance import distances, shortest_path_length

GRAPH = {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": ["e"], "e": []}


def test_start_is_at_zero():
    assert distances(GRAPH, "a")["a"] == 0


def test_neighbour_is_at_one():
    assert shortest_path_length(GRAPH, "a", "b") == 1


def test_two_hops():
    assert shortest_path_length(GRAPH, "a", "d") == 2


def test_unreachable():
    assert shortest_path_length(GRAPH, "e", "a") is None
