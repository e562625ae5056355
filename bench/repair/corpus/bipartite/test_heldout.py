from bipartite import is_bipartite, two_coloring


def test_path_alternates():
    graph = {0: [1], 1: [0, 2], 2: [1, 3], 3: [2]}
    assert two_coloring(graph) == {0: 0, 1: 1, 2: 0, 3: 1}


def test_odd_cycle():
    ring = {i: [(i + 1) % 5, (i - 1) % 5] for i in range(5)}
    assert not is_bipartite(ring)


def test_colours_are_zero_and_one():
    graph = {i: [(i + 1) % 6, (i - 1) % 6] for i in range(6)}
    assert set(two_coloring(graph).values()) == {0, 1}
