from has_cycle import has_cycle


def test_empty_graph():
    assert not has_cycle({})


def test_self_loop():
    assert has_cycle({"a": ["a"]})


def test_two_node_cycle():
    assert has_cycle({"a": ["b"], "b": ["a"]})


def test_chain_has_no_cycle():
    assert not has_cycle({"a": ["b"], "b": ["c"], "c": []})
