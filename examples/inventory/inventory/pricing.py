"""Prices of catalogue items, with bulk and member discounts."""
import os
from typing import Dict, Optional

BULK_QUANTITY = 10
BULK_DISCOUNT = 0.1
MEMBER_DISCOUNT = 0.05

CATALOGUE: Dict[str, float] = {
    "widget": 2.50,
    "gadget": 12.00,
    "gizmo": 7.25,
}


def unit_price(item: str, catalogue: Optional[Dict[str, float]] = None) -> float:
    """Return the catalogue price of one item."""
    prices = catalogue if catalogue is not None else CATALOGUE
    if item not in prices:
        raise KeyError(f"unknown item: {item}")
    return prices[item]


def discount_rate(quantity: int, member: bool = False) -> float:
    """Return the discount for an order line: bulk from BULK_QUANTITY items up."""
    rate = 0.0
    if quantity > BULK_QUANTITY:
        rate += BULK_DISCOUNT
    if member:
        rate += MEMBER_DISCOUNT
    return rate


def line_total(item: str, quantity: int, member: bool = False) -> float:
    """Return the price of an order line after discounts, rounded to cents."""
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    gross = unit_price(item) * quantity
    return round(gross * (1 - discount_rate(quantity, member)), 2)
