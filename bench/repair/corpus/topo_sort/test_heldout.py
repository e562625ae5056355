from topo_sort import topological_order


def test_diamond():
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    order = topological_order(["d", "c", "b", "a"], edges)
    for before, after in edges:
        assert order.index(before) < order.index(after)


def test_many_prerequisites():
    edges = [(x, "z") for x in "abcde"]
    order = topological_order(["z", *"abcde"], edges)
    assert order[-1] == "z" and len(order) == 6
