"""A small inventory and pricing package, the healloop demo's patient."""

from inventory.pricing import line_total, unit_price

__all__ = ["line_total", "unit_price"]
