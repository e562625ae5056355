from bst import BinarySearchTree


def test_many_keys():
    tree = BinarySearchTree()
    keys = [50, 30, 70, 20, 40, 60, 80, 35, 65]
    for k in keys:
        tree.add(k)
    for k in range(100):
        assert (k in tree) == (k in keys)


def test_increasing_inserts():
    tree = BinarySearchTree()
    for k in range(10):
        tree.add(k)
    assert 9 in tree
