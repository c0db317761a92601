"""The quarterly summary (``nexus summary``): one row per quarter and a total, in SQL.

Decisions (also in the README):
- ``participants`` of a row is a lower bound (``participants_approximate``) when any
  training in it has an approximate count or none at all; ``person_days`` likewise.
- ``female``/``male`` of a row are the sums when every training in it reports them, and
  ``null`` (unknown) otherwise: unknown is never counted as 0.
- Quarters are calendar quarters, labelled as fiscal ones with a fiscal year start.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import UsageError, option
from .kinds import DELIVERIES, TRAININGS
from .periods import Quarter, check_fiscal_start, day_span, quarter_index
from .reports import AGENCY, DELIVERY, TRAINING, Filters, filter_deliveries, filter_trainings

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class SummaryRow:
    """One quarter (or the total): the DESIGN §3 keys, in order."""

    period: str
    start: dt.date | None  # None only on the total of an empty summary
    end: dt.date | None
    trainings: int = 0
    training_days: int = 0
    participants: int = 0
    participants_approximate: bool = False
    female: int | None = None
    male: int | None = None
    person_days: int = 0
    deliveries: int = 0
    countries: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    rows: list[SummaryRow]
    row_type: ClassVar[type] = SummaryRow  # as records (JSON, CSV): one per quarter
    left_out: ClassVar[tuple[str, ...]] = ()
    total: SummaryRow
    fiscal_start: int


def _add_known(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _total(rows: Sequence[SummaryRow], start: dt.date | None, end: dt.date | None) -> SummaryRow:
    active = [r for r in rows if r.trainings]
    female: int | None = 0
    male: int | None = 0
    for row in active:
        female, male = _add_known(female, row.female), _add_known(male, row.male)
    return SummaryRow(
        period="total",
        start=start,
        end=end,
        trainings=sum(r.trainings for r in rows),
        training_days=sum(r.training_days for r in rows),
        participants=sum(r.participants for r in rows),
        participants_approximate=any(r.participants_approximate for r in rows),
        female=female if active else None,
        male=male if active else None,
        person_days=sum(r.person_days for r in rows),
        deliveries=sum(r.deliveries for r in rows),
        countries=sorted({c for r in rows for c in r.countries}),
    )


def participants_uncertain() -> Any:
    """SQL: 1 for a training whose count is a lower bound (approximate, or not given), else 0."""
    from sqlalchemy import case

    t = TRAINING.c
    return case((t.approximate | t.participants.is_(None), 1), else_=0)


def quarterly_summary(
    session: Session, *, filters: Filters, fiscal_start: int = 1, empty: bool = False
) -> Summary:
    """One row per quarter with activity (every quarter in range with ``empty``), and a total."""
    from sqlalchemy import Integer, func, select, union

    try:
        check_fiscal_start(fiscal_start)
    except ValueError as exc:
        raise UsageError(f"{option('fiscal-year-start')}: {exc}") from None
    t, d = TRAINING.c, DELIVERY.c
    days = day_span(t.start, t.end)
    t_quarter, d_quarter = quarter_index(t.start), quarter_index(d.date)
    trainings_query = filter_trainings(
        select(
            t_quarter.label("quarter"),
            func.count().label(TRAININGS.plural),
            func.sum(days).label("training_days"),
            func.coalesce(func.sum(t.participants), 0).label("participants"),
            func.max(participants_uncertain()).label("uncertain"),
            func.sum(t.female).label("female"),
            func.count(t.female).label("female_known"),
            func.sum(t.male).label("male"),
            func.count(t.male).label("male_known"),
            func.coalesce(func.sum(t.participants * days), 0).label("person_days"),
        ),
        filters,
    ).group_by(t_quarter)
    deliveries_query = filter_deliveries(
        select(d_quarter.label("quarter"), func.count().label(DELIVERIES.plural)).join(
            AGENCY, AGENCY.c.id == d.agency_id
        ),
        filters,
    ).group_by(d_quarter)
    reached = union(
        filter_trainings(select(t_quarter.label("quarter"), t.country), filters).distinct(),
        filter_deliveries(
            select(d_quarter.label("quarter"), d.country).join(AGENCY, AGENCY.c.id == d.agency_id),
            filters,
        ).distinct(),
    ).subquery()

    activity: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in session.execute(trainings_query).mappings():
        count = int(row[TRAININGS.plural])
        activity[int(row["quarter"])].update(
            trainings=count,
            training_days=int(row["training_days"]),
            participants=int(row["participants"]),
            participants_approximate=bool(row["uncertain"]),
            female=int(row["female"]) if row["female_known"] == count else None,
            male=int(row["male"]) if row["male_known"] == count else None,
            person_days=int(row["person_days"]),
        )
    for row in session.execute(deliveries_query).mappings():
        activity[int(row["quarter"])][DELIVERIES.plural] = int(row[DELIVERIES.plural])
    countries: dict[int, list[str]] = defaultdict(list)
    query = select(reached.c.quarter.cast(Integer), reached.c.country).order_by(
        reached.c.quarter, reached.c.country
    )
    for quarter, country in session.execute(query):
        countries[int(quarter)].append(country)

    quarters = sorted(activity)
    if empty:  # every quarter from the first to the last selected, active or not
        first = Quarter.of(filters.start).index if filters.start else min(quarters, default=None)
        last = Quarter.of(filters.end).index if filters.end else max(quarters, default=None)
        if first is not None and last is not None:
            quarters = list(range(first, last + 1))
    rows = [
        SummaryRow(
            period=Quarter(q).label(fiscal_start),
            start=Quarter(q).start,
            end=Quarter(q).end,
            countries=countries.get(q, []),
            **activity.get(q, {}),
        )
        for q in quarters
    ]
    start = filters.start or (rows[0].start if rows else None)
    end = filters.end or (rows[-1].end if rows else None)
    return Summary(rows=rows, total=_total(rows, start, end), fiscal_start=fiscal_start)
