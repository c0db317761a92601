"""What a record may plausibly hold, in one place (and cheap to import: the CLI's options
use these bounds before any heavy module is loaded).

Why bounds at all: a count of 9,223,372,036,854,775,807 participants or a course starting
on 9999-12-31 is a typo, never a fact, and once stored it broke every summary of the whole
store (integer overflow, "year 10000 is out of range", an 8,000-line report for a start in
year 1). Input models refuse values outside these bounds with the usual file:line or
--option message; they are generous enough for any real programme.
"""

from __future__ import annotations

import datetime as dt

# A count on one record (participants, female, male, an item's quantity).
MAX_COUNT = 1_000_000
# An item line's value, in its currency.
MAX_VALUE = 1_000_000_000
# Dates of records, and the years a --year or --quarter may name.
FIRST_YEAR = 1990
LAST_YEAR = 2100
EARLIEST = dt.date(FIRST_YEAR, 1, 1)
LATEST = dt.date(LAST_YEAR, 12, 31)
# Characters in one text field: a line (titles, names, sources) or notes (several lines).
MAX_LINE = 2_000
MAX_NOTES = 50_000
ONE_DAY = dt.timedelta(days=1)
# --limit and --offset: larger values are taken as this (still "all" / "past the end"),
# well inside the 64-bit integers that SQLite and PostgreSQL take for LIMIT and OFFSET.
MAX_ROWS = 2**62


def in_range(day: dt.date) -> dt.date:
    """``day`` moved to at most one day beyond the bounds: for filters, where a date beyond
    them selects just what that day does, since no record lies outside them
    (``--from 0001-01-01`` is ``--from 1989-12-31``; ``--to 1980-01-01`` selects nothing).
    """
    return min(max(day, EARLIEST - ONE_DAY), LATEST + ONE_DAY)
