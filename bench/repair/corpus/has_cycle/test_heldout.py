from has_cycle import has_cycle


def test_diamond_is_acyclic():
    assert not has_cycle({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []})


def test_long_cycle():
    graph = {i: [i + 1] for i in range(10)}
    graph[10] = [3]
    assert has_cycle(graph)


def test_cycle_in_second_component():
    assert has_cycle({"x": [], "a": ["b"], "b": ["c"], "c": ["a"]})
