from bst import BinarySearchTree


def test_empty_tree():
    assert 3 not in BinarySearchTree()


def test_root():
    tree = BinarySearchTree()
    tree.add(5)
    assert 5 in tree


def test_left_and_right():
    tree = BinarySearchTree()
    for k in (5, 2, 8):
        tree.add(k)
    assert 2 in tree and 8 in tree and 7 not in tree
