"""The quarterly summary (``nexus summary``): one row per quarter and a total.

Every figure is counted as ``figures.py`` defines it, the same as ``report`` and
``indicators`` count it (also in the README):
- ``participants`` (and ``person_days``, ``not_reported_by_sex``) of a row is a lower
  bound (``participants_approximate``) when any training in it has an approximate count or
  none at all;
- ``female``/``male`` are the sums the records state: ``null`` when no training of the
  row states them (unknown is never counted as 0), a lower bound (``female_approximate``)
  when only some do; female + male + not_reported_by_sex = participants;
- ``women_share`` (percent) is over the ``women_share_over`` trainings that state the
  number of women and an exact participant count;
- Quarters are calendar quarters, labelled as fiscal ones with a fiscal year start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from .errors import UsageError, option
from .figures import BY_QUARTER, Figures, TrainingTally, figures
from .periods import Quarter, check_fiscal_start
from .reports import Filters

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class SummaryRow:
    """One quarter (or the total): the DESIGN §3 keys, in order, and the counts by sex."""

    period: str
    start: dt.date | None  # None only on the total of an empty summary
    end: dt.date | None
    trainings: int = 0
    training_days: int = 0
    participants: int = 0
    participants_approximate: bool = False
    female: int | None = 0
    female_approximate: bool = False
    male: int | None = 0
    male_approximate: bool = False
    not_reported_by_sex: int = 0
    women_share: float | None = None
    women_share_over: int = 0
    person_days: int = 0
    deliveries: int = 0
    countries: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        period: str,
        start: dt.date | None,
        end: dt.date | None,
        tally: TrainingTally,
        deliveries: int,
        countries: list[str],
    ) -> SummaryRow:
        female, male = tally.female_count, tally.male_count
        return cls(
            period=period,
            start=start,
            end=end,
            trainings=tally.trainings,
            training_days=tally.training_days,
            participants=tally.participants,
            participants_approximate=tally.lower_bound,
            female=female.value,
            female_approximate=female.lower_bound,
            male=male.value,
            male_approximate=male.lower_bound,
            not_reported_by_sex=tally.sex_not_reported,
            women_share=tally.women_share.percent,
            women_share_over=tally.women_share.over,
            person_days=tally.person_days,
            deliveries=deliveries,
            countries=countries,
        )


@dataclass(frozen=True)
class Summary:
    rows: list[SummaryRow]
    row_type: ClassVar[type] = SummaryRow  # as records (JSON, CSV): one per quarter
    left_out: ClassVar[tuple[str, ...]] = ()
    total: SummaryRow
    fiscal_start: int


def quarterly_summary(
    session: Session, *, filters: Filters, fiscal_start: int = 1, empty: bool = False
) -> Summary:
    """One row per quarter with activity (every quarter in range with ``empty``), and a total."""
    try:
        check_fiscal_start(fiscal_start)
    except ValueError as exc:
        raise UsageError(f"{option('fiscal-year-start')}: {exc}") from None
    activity = figures(session, filters=filters, by=BY_QUARTER, equipment=False)
    quarters = sorted(int(q) for q in activity)
    if empty:  # every quarter from the first to the last selected, active or not
        first = Quarter.of(filters.start).index if filters.start else min(quarters, default=None)
        last = Quarter.of(filters.end).index if filters.end else max(quarters, default=None)
        if first is not None and last is not None:
            quarters = list(range(first, last + 1))
    nothing = Figures()
    rows = []
    total_tally, total_deliveries, reached = TrainingTally(), 0, set[str]()
    for index in quarters:
        quarter, found = Quarter(index), activity.get(index, nothing)
        rows.append(SummaryRow.of(quarter.label(fiscal_start), quarter.start, quarter.end,
                                  found.tally, found.deliveries, list(found.countries)))  # fmt: skip
        total_tally += found.tally
        total_deliveries += found.deliveries
        reached.update(found.countries)
    start = filters.start or (rows[0].start if rows else None)
    end = filters.end or (rows[-1].end if rows else None)
    total = SummaryRow.of("total", start, end, total_tally, total_deliveries, sorted(reached))
    return Summary(rows=rows, total=total, fiscal_start=fiscal_start)
