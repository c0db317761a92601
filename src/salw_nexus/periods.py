"""Quarters: labels, parsing, date ranges, and the same arithmetic as SQL expressions.

A training belongs to the quarter of its start date, a delivery to the quarter of its
date. Calendar quarters are labelled ``2024-Q4``. With a fiscal year starting in month M
(``--fiscal-year-start``), the same quarters are relabelled ``FY2024-25 Q3``, named by the
years the fiscal year spans; so that quarters start on the same days either way, M must
be 1, 4, 7 or 10 (1 is the calendar year itself).

A quarter is identified by one integer, ``year * 4 + (month - 1) // 3`` of its first day:
easy to group by in SQL (see ``quarter_index``), to order, and to step through.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, cast, extract
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from .bounds import FIRST_YEAR, LAST_YEAR

FISCAL_STARTS = (1, 4, 7, 10)
QUARTER_RE = re.compile(r"(\d{4})-?[Qq]([1-4])")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter; ``index`` is ``year * 4 + quarter - 1``."""

    index: int

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year * 4 + (day.month - 1) // 3)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2025-Q1`` or ``2025Q1`` (case-insensitive), of a year records may have
        (``bounds.py``); ValueError otherwise."""
        match = QUARTER_RE.fullmatch(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a quarter; write it as 2025-Q1 (or 2025Q1)")
        check_year(int(match.group(1)))
        return cls(int(match.group(1)) * 4 + int(match.group(2)) - 1)

    @property
    def year(self) -> int:
        return self.index // 4

    @property
    def number(self) -> int:
        return self.index % 4 + 1

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def end(self) -> dt.date:
        # Not the day before the next quarter: that of 9999-Q4 cannot be made.
        last_month = 3 * self.number
        return dt.date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    def __add__(self, quarters: int) -> Quarter:
        return Quarter(self.index + quarters)

    def fiscal_year(self, fiscal_start: int = 1) -> int:
        """The year whose (calendar or fiscal) year holds this quarter, named by its start."""
        first = (fiscal_start - 1) // 3  # calendar quarter (0-3) that opens the fiscal year
        return self.year if self.number - 1 >= first else self.year - 1

    def label(self, fiscal_start: int = 1) -> str:
        """``2024-Q4`` for the calendar year; ``FY2024-25 Q3`` for a fiscal year from April."""
        if fiscal_start == 1:
            return f"{self.year}-Q{self.number}"
        number = (self.number - 1 - (fiscal_start - 1) // 3) % 4 + 1
        return f"{year_label(self.fiscal_year(fiscal_start), fiscal_start)} Q{number}"


def year_label(year: int, fiscal_start: int = 1) -> str:
    """``2025`` for a calendar year; ``FY2024-25`` for the fiscal year starting in 2024."""
    return str(year) if fiscal_start == 1 else f"FY{year}-{(year + 1) % 100:02d}"


def check_year(year: int) -> int:
    """A year records may have (``bounds.py``): anything else is a typo, and would reach
    past what dates can hold (``--year 0``, ``-q 9999-Q4``)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}–{LAST_YEAR}; is it a typo?")
    return year


def check_fiscal_start(month: int) -> int:
    if month not in FISCAL_STARTS:
        raise ValueError(
            f"a fiscal year must start in month 1, 4, 7 or 10 (got {month}), so that its "
            "quarters are calendar quarters"
        )
    return month


def year_range(year: int, fiscal_start: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of a year: calendar, or the fiscal year that *starts* in ``year``."""
    first = Quarter(year * 4 + (fiscal_start - 1) // 3)
    return first.start, (first + 3).end


def inclusive_days(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1


# --- the same arithmetic in SQL ---------------------------------------------------------


def quarter_index(column: Any) -> Any:
    """SQL for ``Quarter.of(column).index``, portable across SQLite and PostgreSQL."""
    year = cast(extract("year", column), Integer)
    month = cast(extract("month", column), Integer)
    return year * 4 + (month - 1) // 3  # SQLAlchemy renders // as integer division everywhere


class day_span(FunctionElement[int]):
    """SQL for ``inclusive_days(start, end)``: SQL has no portable date difference."""

    type = Integer()
    inherit_cache = True
    name = "day_span"


@compiles(day_span, "sqlite")
def _day_span_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(CAST(julianday({end}) - julianday({start}) AS INTEGER) + 1)"


@compiles(day_span, "postgresql")
def _day_span_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(({end}) - ({start}) + 1)"
