import pytest

from inventory.pricing import discount_rate, line_total, unit_price


def test_unit_price_of_known_item():
    assert unit_price("widget") == 2.50


def test_unknown_item_is_an_error():
    with pytest.raises(KeyError):
        unit_price("sprocket")


def test_no_discount_below_bulk_quantity():
    assert discount_rate(9) == 0.0


def test_bulk_discount_starts_at_bulk_quantity():
    assert discount_rate(10) == pytest.approx(0.1)


def test_member_discount_adds_up():
    assert discount_rate(12, member=True) == pytest.approx(0.15)


def test_line_total_applies_discounts():
    assert line_total("gadget", 10) == 108.00


def test_negative_quantity_is_an_error():
    with pytest.raises(ValueError):
        line_total("gizmo", -1)
