"""What kind of thing an item handed over is: a short, fixed list of categories.

Totals are counted per category and never added across them ("4 laptops + 1 microscope"
is not "5 units"). Light on purpose: the CLI's options and the renderers read it.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    """The items of one category handed over: never added to another category's.

    Handovers and recipients are counted once however many lines of the category a
    handover has; the quantity is the units of the lines that state one, a lower bound
    whenever a handover has a line of the category without one.
    """

    category: str
    handovers: int = 0  # handovers with at least one item of this category
    recipients: int = 0  # distinct recipient agencies of those handovers
    quantity: int = 0  # units, over the lines that state a quantity
    stated: int = 0  # lines that state a quantity
    unstated: int = 0  # handovers with a line of the category that states none
    values: dict[str, float] = field(default_factory=dict)  # currency -> value, where stated

    @property
    def label(self) -> str:
        return label(self.category)

    @property
    def quantity_lower_bound(self) -> bool:
        return self.unstated > 0

    @property
    def quantity_known(self) -> bool:
        """Whether any line states a quantity: otherwise the quantity is not reported."""
        return self.stated > 0

    def add(self, other: CategoryTotal) -> None:
        """Count ``other`` (of the same category, other handovers) in this total too."""
        self.handovers += other.handovers
        self.recipients += other.recipients
        self.quantity += other.quantity
        self.stated += other.stated
        self.unstated += other.unstated
        for currency, value in other.values.items():
            self.values[currency] = self.values.get(currency, 0.0) + value

    def quantity_text(self) -> str:
        """``4 stated; 2 handovers without quantity``, or ``not stated``."""
        parts = [f"{self.quantity:,} stated"] if self.quantity_known else []
        if self.unstated:
            parts.append(f"{self.unstated} handover{'s' * (self.unstated != 1)} without quantity")
        return "; ".join(parts)

    def value_text(self) -> str:
        """``5,200 USD; 1,000 EUR`` (never converted or added across currencies), or ``""``."""
        return "; ".join(money(value, currency) for currency, value in sorted(self.values.items()))

    def text(self) -> str:
        """``IT equipment: 4 stated; 2 handovers without quantity; 5,200 USD``."""
        parts = [self.quantity_text(), self.value_text()]
        return f"{self.label}: " + "; ".join(part for part in parts if part)


def by_category(handovers: Iterable[Any]) -> list[CategoryTotal]:
    """Handovers (rows with ``agency_id`` and ``items``, each with ``category``,
    ``quantity``, ``value`` and ``currency``) totalled per category, in the list's order."""
    totals: dict[str, CategoryTotal] = {}
    recipients: dict[str, set[str]] = {}
    for handover in handovers:
        seen: set[str] = set()
        without_quantity: set[str] = set()
        for item in handover.items:
            category = item["category"] or OTHER
            total = totals.setdefault(category, CategoryTotal(category))
            if category not in seen:  # the handover counts once per category
                seen.add(category)
                total.handovers += 1
                recipients.setdefault(category, set()).add(handover.agency_id)
            if item["quantity"] is None:
                if category not in without_quantity:  # counted once per handover too
                    without_quantity.add(category)
                    total.unstated += 1
            else:
                total.quantity += item["quantity"]
                total.stated += 1
            if item["value"] is not None:
                currency = item["currency"]
                total.values[currency] = total.values.get(currency, 0.0) + item["value"]
    for category, agencies in recipients.items():
        totals[category].recipients = len(agencies)
    return sorted(totals.values(), key=lambda total: rank(total.category))


def added(totals: Iterable[CategoryTotal]) -> list[CategoryTotal]:
    """Totals (of several items, countries ...) added up per category, in the list's order:
    never across categories."""
    by_category: dict[str, CategoryTotal] = {}
    for total in totals:
        by_category.setdefault(total.category, CategoryTotal(total.category)).add(total)
    return sorted(by_category.values(), key=lambda total: rank(total.category))
