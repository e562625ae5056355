from bipartite import is_bipartite, two_coloring


def test_single_edge():
    assert two_coloring({"a": ["b"], "b": ["a"]}) == {"a": 0, "b": 1}


def test_triangle_is_not_bipartite():
    assert not is_bipartite({1: [2, 3], 2: [1, 3], 3: [1, 2]})


def test_square_is_bipartite():
    assert is_bipartite({1: [2, 4], 2: [1, 3], 3: [2, 4], 4: [3, 1]})


def test_path_of_three_alternates():
    assert two_coloring({0: [1], 1: [0, 2], 2: [1]}) == {0: 0, 1: 1, 2: 0}
