"""What kind of thing an item handed over is: a short, fixed list of categories.

Totals are counted per category and never added across them ("4 laptops + 1 microscope"
is not "5 units"). Light on purpose: the CLI's options and the renderers read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Category -> how people read it, in the order reports list them.
CATEGORIES: dict[str, str] = {
    "it-equipment": "IT equipment",
    "comparison-microscope": "Comparison microscopes",
    "binocular-microscope": "Binocular microscopes",
    "ballistics-equipment": "Ballistics equipment",
    "forensic-software": "Forensic software",
    "vehicle": "Vehicles",
    "other": "Other",
}
# An item without a category.
OTHER = "other"


def label(category: str) -> str:
    """How a category reads in a report (an unknown one, from an older store, as stored)."""
    return CATEGORIES.get(category, category)


def rank(category: str) -> int:
    """Where a category comes in a report: the list's order, unknown ones last."""
    order = list(CATEGORIES)
    return order.index(category) if category in order else len(order)


def money(value: float, currency: str) -> str:
    """``5,200 USD``, ``1,200.50 EUR``."""
    return f"{value:,.2f}".removesuffix(".00") + f" {currency}"


@dataclass
class CategoryTotal:
    """The items of one category: never added to another category's."""

    category: str
    lines: int = 0  # item lines of this category
    quantity: int = 0  # units, over the lines that state a quantity
    unstated: int = 0  # lines without a quantity: ``quantity`` is then a lower bound
    values: dict[str, float] = field(default_factory=dict)  # currency -> value, where stated

    @property
    def label(self) -> str:
        return label(self.category)

    def add(self, other: CategoryTotal) -> None:
        """Count ``other`` (of the same category) in this total too."""
        self.lines += other.lines
        self.quantity += other.quantity
        self.unstated += other.unstated
        for currency, value in other.values.items():
            self.values[currency] = self.values.get(currency, 0.0) + value

    def text(self) -> str:
        """``IT equipment: 4 stated; 2 lines without quantity; 5,200 USD``."""
        parts = []
        if self.lines > self.unstated:
            parts.append(f"{self.quantity:,} stated")
        if self.unstated:
            parts.append(f"{self.unstated} line(s) without quantity")
        parts += [money(value, currency) for currency, value in sorted(self.values.items())]
        return f"{self.label}: " + "; ".join(parts)


def by_category(items: Iterable[Mapping[str, Any]]) -> list[CategoryTotal]:
    """Items (``category``, ``quantity``, ``value``, ``currency``) totalled per category,
    in the list's order."""
    return added(
        CategoryTotal(
            item.get("category") or OTHER,
            lines=1,
            quantity=item["quantity"] or 0,
            unstated=int(item["quantity"] is None),
            values={} if item.get("value") is None else {item["currency"]: item["value"]},
        )
        for item in items
    )


def added(totals: Iterable[CategoryTotal]) -> list[CategoryTotal]:
    """Totals (of several items, countries ...) added up per category, in the list's order:
    never across categories."""
    by_category: dict[str, CategoryTotal] = {}
    for total in totals:
        by_category.setdefault(total.category, CategoryTotal(total.category)).add(total)
    return sorted(by_category.values(), key=lambda total: rank(total.category))
