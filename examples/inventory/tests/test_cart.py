from inventory.cart import Cart


def test_empty_cart_costs_nothing():
    assert Cart().total() == 0


def test_cart_sums_its_lines():
    cart = Cart()
    cart.add("widget", 2)
    cart.add("gizmo")
    assert cart.total() == 12.25


def test_member_cart_gets_member_discount():
    cart = Cart(member=True)
    cart.add("gadget")
    assert cart.total() == 11.40
