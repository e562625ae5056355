"""A shopping cart that prices its lines with inventory.pricing."""

from __future__ import annotations

from dataclasses import dataclass, field

from inventory.pricing import line_total


@dataclass
class Cart:
    """Items and quantities, priced on demand."""

    member: bool = False
    lines: dict[str, int] = field(default_factory=dict)

    def add(self, item: str, quantity: int = 1) -> None:
        """Add quantity of item to the cart."""
        self.lines[item] = self.lines.get(item, 0) + quantity

    def total(self) -> float:
        """Return the total price of the cart."""
        return round(sum(line_total(i, q, self.member) for i, q in self.lines.items()), 2)
