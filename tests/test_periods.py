"""Quarter arithmetic, in Python and in SQL, at the edges and for every date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Date, Integer, MetaData, Table, create_engine, insert, select

from salw_nexus.bounds import EARLIEST, LATEST
from salw_nexus.periods import (
    Quarter,
    check_fiscal_start,
    day_span,
    inclusive_days,
    quarter_index,
    year_range,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "label", "april_label"),
    [
        (D(2024, 3, 31), "2024-Q1", "FY2023-24 Q4"),
        (D(2024, 4, 1), "2024-Q2", "FY2024-25 Q1"),
        (D(2024, 12, 31), "2024-Q4", "FY2024-25 Q3"),
        (D(2025, 1, 1), "2025-Q1", "FY2024-25 Q4"),
        (D(2024, 2, 29), "2024-Q1", "FY2023-24 Q4"),
        (D(2025, 6, 30), "2025-Q2", "FY2025-26 Q1"),
        (D(2025, 7, 1), "2025-Q3", "FY2025-26 Q2"),
    ],
)
def test_edges(day: dt.date, label: str, april_label: str) -> None:
    quarter = Quarter.of(day)
    assert quarter.label() == label
    assert quarter.label(4) == april_label


def test_quarter_bounds_and_leap_years() -> None:
    assert (Quarter.parse("2024-Q1").start, Quarter.parse("2024-Q1").end) == (
        D(2024, 1, 1),
        D(2024, 3, 31),
    )
    assert Quarter.parse("2024-Q4").end == D(2024, 12, 31)
    assert inclusive_days(D(2024, 2, 28), D(2024, 3, 1)) == 3  # 29 February counts
    assert inclusive_days(D(2023, 2, 28), D(2023, 3, 1)) == 2
    assert inclusive_days(D(2022, 10, 24), D(2022, 10, 28)) == 5  # the seed's five-day course


@pytest.mark.parametrize(
    ("start", "expected"),
    [(1, "2025-Q1"), (4, "FY2024-25 Q4"), (7, "FY2024-25 Q3"), (10, "FY2024-25 Q2")],
)
def test_fiscal_labels(start: int, expected: str) -> None:
    assert Quarter.parse("2025-Q1").label(start) == expected


def test_fiscal_year_range() -> None:
    assert year_range(2024) == (D(2024, 1, 1), D(2024, 12, 31))
    assert year_range(2024, 4) == (D(2024, 4, 1), D(2025, 3, 31))
    assert year_range(2024, 10) == (D(2024, 10, 1), D(2025, 9, 30))


@pytest.mark.parametrize("text", ["2025-Q1", "2025Q1", "2025q1", " 2025-q1 "])
def test_parse_accepts(text: str) -> None:
    assert Quarter.parse(text) == Quarter.of(D(2025, 2, 1))


@pytest.mark.parametrize("text", ["2025-Q5", "2025-Q0", "25-Q1", "2025-1", "Q1-2025", ""])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not a quarter"):
        Quarter.parse(text)


@pytest.mark.parametrize("month", [2, 3, 5, 12])
def test_fiscal_start_must_align_with_quarters(month: int) -> None:
    with pytest.raises(ValueError, match="must start in month 1, 4, 7 or 10"):
        check_fiscal_start(month)


dates = st.dates(min_value=EARLIEST, max_value=LATEST)  # the years a quarter may name


@given(dates)
def test_every_date_is_in_exactly_one_quarter(day: dt.date) -> None:
    quarter = Quarter.of(day)
    assert quarter.start <= day <= quarter.end
    assert not (quarter + 1).start <= day <= (quarter + 1).end
    assert not (quarter + -1).start <= day <= (quarter + -1).end
    assert (quarter + 1).start == quarter.end + dt.timedelta(days=1)
    assert Quarter.parse(quarter.label()) == quarter


@given(dates, st.sampled_from([1, 4, 7, 10]))
def test_fiscal_label_names_the_fiscal_year_that_holds_the_date(day: dt.date, start: int) -> None:
    label = Quarter.of(day).label(start)
    if start == 1:
        assert label == Quarter.of(day).label()
        return
    first_year = int(label[2:6])
    low, high = year_range(first_year, start)
    assert low <= day <= high
    number = int(label[-1])
    assert Quarter.of(low) + (number - 1) == Quarter.of(day)


@settings(max_examples=30)
@given(st.lists(st.tuples(dates, st.integers(min_value=0, max_value=400)), min_size=1, max_size=40))
def test_sql_matches_python(spans: list[tuple[dt.date, int]]) -> None:
    """The SQL the summaries group by gives the Python answer, on a real SQLite database."""
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("n", Integer), Column("a", Date), Column("b", Date))
    table.create(engine)
    pairs = [
        (start, min(start + dt.timedelta(days=length), D(2200, 12, 31))) for start, length in spans
    ]
    rows = [{"n": n, "a": a, "b": b} for n, (a, b) in enumerate(pairs)]
    with engine.begin() as connection:
        connection.execute(insert(table), rows)
        result = connection.execute(
            select(table.c.n, quarter_index(table.c.a), day_span(table.c.a, table.c.b)).order_by(
                table.c.n
            )
        ).all()
    assert [(q, days) for _, q, days in result] == [
        (Quarter.of(a).index, inclusive_days(a, b)) for a, b in pairs
    ]
