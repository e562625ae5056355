from strip_blank import strip_blank


def test_trailing_space_trimmed():
    assert strip_blank(["x  ", "\t"]) == ["x"]


def test_empty():
    assert strip_blank([]) == []


def test_only_blank():
    assert strip_blank(["", " ", "\t\t"]) == []
