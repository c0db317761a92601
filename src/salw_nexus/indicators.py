"""The results framework (``nexus indicators``, the report's "Results"): each indicator of
a project against its baseline and target, in the quarter, the year to date and the life
of the project.

Decisions (also in the README):
- A ``measure`` is counted from the records exactly as ``summary`` and ``report`` count it
  (``figures.py``): a lower bound stays a lower bound (``≥``), and a figure the records do
  not state is not reported (``—``), never 0.
- A ``reported`` indicator takes the values an officer enters per quarter. Over the year
  to date and the life of the project its values are added, except for a ``percent``
  unit, where the latest value reported by then stands (a share is not a sum).
- ``% of target`` is the life-of-project value over the life-of-project target; the
  year's target (``targets``, by year label: ``2025`` or ``FY2025-26``) is shown beside it.
- ``disaggregate: [sex]`` splits participants (or person-days) into female, male and not
  reported by sex; ``[country]`` gives one line per country the records reach.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .countries import name_of
from .figures import Count, Figures, item_quantity
from .models import IndicatorIn, Measure, indicators_of
from .periods import Quarter

if TYPE_CHECKING:
    from sqlmodel import Session

    from .donor import Period

Number = int | float
SPAN_NAMES = ("quarter", "year_to_date", "life_of_project")


@dataclass(frozen=True)
class IndicatorRow:
    """One line of the results table: an indicator, or one part of it (``part``)."""

    indicator_id: str
    title: str
    part: str  # "" for the indicator itself; "female", "Kazakhstan (KZ)" for a part of it
    unit: str | None
    baseline: Number | None
    target: Number | None  # life of project
    year_target: Number | None  # the report year's, where one is given
    quarter: Number | None
    quarter_approximate: bool
    year_to_date: Number | None
    year_to_date_approximate: bool
    life_of_project: Number | None
    life_of_project_approximate: bool
    percent_of_target: float | None
    percent_of_target_approximate: bool
    basis: str  # "records" (a measure), or "reported"


@dataclass(frozen=True)
class IndicatorReport:
    """``nexus indicators``: the project's results framework for one quarter."""

    project_id: str
    period: str  # the quarter's label in the chosen fiscal year
    year: str  # the year to date's label
    rows: list[IndicatorRow]
    row_type: ClassVar[type] = IndicatorRow
    left_out: ClassVar[tuple[str, ...]] = ()


def measured(figures: Figures, measure: Measure, category: str | None) -> Count:
    """What ``measure`` counts in ``figures``: the one mapping of measures to figures."""
    t = figures.tally
    counts: dict[Measure, Callable[[], Count]] = {
        Measure.TRAININGS: lambda: Count(t.trainings),
        Measure.TRAINING_DAYS: lambda: Count(t.training_days),
        Measure.PARTICIPANTS: lambda: t.participants_count,
        Measure.FEMALE: lambda: t.female_count,
        Measure.MALE: lambda: t.male_count,
        Measure.PERSON_DAYS: lambda: t.person_days_count,
        Measure.AGENCIES_TRAINED: lambda: Count(figures.agencies_trained),
        Measure.DELIVERIES: lambda: Count(figures.deliveries),
        Measure.RECIPIENTS: lambda: Count(figures.recipients),
        Measure.ITEMS: lambda: item_quantity(figures.category(category or "")),
        Measure.COUNTRIES: lambda: Count(len(figures.countries)),
    }
    return counts[measure]()


def sex_parts(figures: Figures, measure: Measure) -> list[tuple[str, Count]]:
    """``measure`` (participants or person-days) of female, male and not reported by sex."""
    t = figures.tally
    if measure is Measure.PERSON_DAYS:
        return [("female", t.female_days_count), ("male", t.male_days_count),
                ("not reported by sex", t.not_reported_days_count)]  # fmt: skip
    return [("female", t.female_count), ("male", t.male_count),
            ("not reported by sex", t.not_reported_count)]  # fmt: skip


# A part of a counted indicator: ("", "") the whole, ("sex", "female"), ("country", "KZ").
Part = tuple[str, str]
WHOLE: Part = ("", "")


def measured_parts(indicator: IndicatorIn, by_country: Mapping[Any, Figures]) -> dict[Part, Count]:
    """What a counted indicator measures in some records (their figures by country): the
    whole, then the parts its ``disaggregate`` asks for, by sex, then by country (by name).
    The one place ``indicators``, ``report`` and the IATI export split an indicator."""
    measure, category = indicator.measure, indicator.category
    assert measure is not None
    total = sum(by_country.values(), Figures())
    found = {WHOLE: measured(total, measure, category)}
    wanted = indicator.disaggregate or []
    if "sex" in wanted:
        found.update((("sex", name), count) for name, count in sex_parts(total, measure))
    if "country" in wanted:
        for code in sorted(by_country, key=lambda c: name_of(str(c))):
            found["country", str(code)] = measured(by_country[code], measure, category)
    return found


def _part_label(part: Part) -> str:
    """A part as the results table names it: "", "female", "Kazakhstan (KZ)"."""
    dimension, value = part
    return f"{name_of(value)} ({value})" if dimension == "country" else value


def _percent(value: Number | None, target: Number | None) -> float | None:
    if value is None or not target:
        return None
    return round(100 * value / target, 1)


# A span's value of an indicator, and whether it is a lower bound.
Figure = tuple[Number | None, bool]


def _figure(count: Count) -> Figure:
    return count.value, count.lower_bound


def _row(
    indicator: IndicatorIn, part: str, spans: Sequence[Figure], year_label: str, basis: str
) -> IndicatorRow:
    (quarter, quarter_bound), (year, year_bound), (life, life_bound) = spans
    whole = not part
    target = indicator.target if whole else None
    return IndicatorRow(
        indicator_id=indicator.id,
        title=indicator.title,
        part=part,
        unit=indicator.unit,
        baseline=indicator.baseline if whole else None,
        target=target,
        year_target=(indicator.targets or {}).get(year_label) if whole else None,
        quarter=quarter,
        quarter_approximate=quarter_bound,
        year_to_date=year,
        year_to_date_approximate=year_bound,
        life_of_project=life,
        life_of_project_approximate=life_bound,
        percent_of_target=_percent(life, target),
        percent_of_target_approximate=life_bound and target is not None,
        basis=basis,
    )


def is_share(indicator: IndicatorIn) -> bool:
    """Whether the indicator is a percentage: its values are not added up."""
    return (indicator.unit or "").strip().casefold() in {"percent", "%"}


def reported_value(indicator: IndicatorIn, first: dt.date, last: dt.date) -> Number | None:
    """A reported indicator over the quarters that overlap ``first`` to ``last``: their
    values added, or the latest for a percentage (a share is not a sum); None if none."""
    found = sorted(
        (quarter.start, value)
        for label, value in (indicator.reported or {}).items()
        if (quarter := Quarter.parse(label)).start <= last and quarter.end >= first
    )
    if not found:
        return None
    return found[-1][1] if is_share(indicator) else sum(value for _, value in found)


def _reported(indicator: IndicatorIn, period: Period) -> list[Figure]:
    """A reported indicator's three spans: its quarter's value, then the year's and the
    project's."""
    last = period.quarter.end
    return [(reported_value(indicator, first, last), False)
            for first in (period.quarter.start, period.year_start, dt.date.min)]  # fmt: skip


def indicator_rows(
    *, project: Mapping[str, Any], period: Period, parts: Sequence[Mapping[Any, Figures]]
) -> list[IndicatorRow]:
    """The results table of ``project``: its indicators over the spans of ``period``, from
    the figures of each span by country (``donor.span_parts``)."""
    year_label = period.spans()[1][1]
    rows: list[IndicatorRow] = []
    for indicator in indicators_of(project.get("indicators")):
        if indicator.measure is None:
            rows.append(_row(indicator, "", _reported(indicator, period), year_label, "reported"))
            continue
        counted = [measured_parts(indicator, by_country) for by_country in parts]
        # A country without records in a span: what no record measures there.
        nothing = measured(Figures(), indicator.measure, indicator.category)
        for part in counted[-1]:  # the life of the project has every part of the others
            spans = [_figure(found.get(part, nothing)) for found in counted]
            rows.append(_row(indicator, _part_label(part), spans, year_label, "records"))
    return rows


def indicator_report(
    session: Session,
    *,
    quarter: Quarter | None = None,
    fiscal_start: int = 1,
    project: str | None = None,
    today: dt.date | None = None,
    allow_empty: bool = False,
) -> IndicatorReport:
    """``nexus indicators``: the results framework for ``quarter`` (as ``report`` has it)."""
    from .donor import reporting

    chosen = reporting(session, quarter=quarter, fiscal_start=fiscal_start, project=project,
                       today=today, allow_empty=allow_empty)  # fmt: skip
    spans = chosen.period.spans()
    return IndicatorReport(
        project_id=str(chosen.project["id"]),
        period=spans[0][1],
        year=spans[1][1],
        rows=indicator_rows(project=chosen.project, period=chosen.period, parts=chosen.parts),
    )
