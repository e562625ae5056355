import pytest

from topo_sort import topological_order


def test_no_edges_keeps_order():
    assert topological_order(["a", "b"], []) == ["a", "b"]


def test_chain():
    assert topological_order(["c", "b", "a"], [("a", "b"), ("b", "c")]) == ["a", "b", "c"]


def test_cycle_is_rejected():
    with pytest.raises(ValueError):
        topological_order(["a", "b"], [("a", "b"), ("b", "a")])
