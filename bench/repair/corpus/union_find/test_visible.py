from union_find import DisjointSets


def test_initially_separate():
    sets = DisjointSets(3)
    assert sets.find(0) != sets.find(1)


def test_union_joins():
    sets = DisjointSets(3)
    assert sets.union(0, 1)
    assert sets.find(0) == sets.find(1)


def test_union_twice_is_false():
    sets = DisjointSets(2)
    sets.union(0, 1)
    assert not sets.union(1, 0)


def test_sizes_after_unions():
    sets = DisjointSets(5)
    sets.union(0, 1)
    sets.union(2, 3)
    sets.union(3, 4)
    assert sets.set_size(4) == 3
