from bfs_distance import distances

def test_cycle():
    ring = {i: [(i + 1) % 6] for i in range(6)}
    assert distances(ring, 0) == {i: i for i in range(6)}


def test_shortcut_wins():
    graph = {1: [2, 5], 2: [3], 3: [4], 4: [5], 5: []}
    assert distances(graph, 1)[5] == 1


def test_isolated_start():
    assert distances({}, "x") == {"x": 0}
