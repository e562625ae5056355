from union_find import DisjointSets


def test_size_of_big_merge():
    sets = DisjointSets(8)
    for i in range(1, 8):
        sets.union(0, i)
    assert sets.set_size(5) == 8


def test_merge_of_two_groups():
    sets = DisjointSets(6)
    sets.union(0, 1)
    sets.union(1, 2)
    sets.union(3, 4)
    sets.union(4, 5)
    sets.union(2, 5)
    assert sets.set_size(0) == 6


def test_single_item_size():
    assert DisjointSets(1).set_size(0) == 1
