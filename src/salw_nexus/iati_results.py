"""The results of an IATI activity (``nexus export --format iati``): each indicator of the
project's results framework, with its baseline, a period per reporting year and the life
of the project, and the actuals counted as ``summary`` and ``report`` count them.

The decisions are in the docstring of ``iati.py`` and in docs/iati.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import UsageError, option
from .figures import BY_COUNTRY, Count, Figures, figures
from .formatting import decimal_text
from .indicators import is_share, measured_parts, reported_value
from .models import IndicatorIn, Measure
from .periods import Quarter, year_label, year_range
from .reports import Filters

if TYPE_CHECKING:
    from sqlmodel import Session

Number = int | float

# ResultType and IndicatorMeasure codes used here.
OUTPUT, OTHER_RESULT = 1, 9
UNIT, PERCENTAGE = 1, 2
# What each measure counts, in words for the indicator's description.
COUNTED = {
    Measure.TRAININGS: "the trainings held",
    Measure.TRAINING_DAYS: "the days of training",
    Measure.PARTICIPANTS: "the participants of the trainings",
    Measure.FEMALE: "the women among the participants",
    Measure.MALE: "the men among the participants",
    Measure.PERSON_DAYS: "the person-days of training",
    Measure.AGENCIES_TRAINED: "the national agencies whose officials were trained",
    Measure.DELIVERIES: "the equipment handovers",
    Measure.RECIPIENTS: "the agencies that received equipment",
    Measure.ITEMS: "the items of {category} handed over",
    Measure.COUNTRIES: "the countries reached",
}
# Counted distinct within a period: a year's count and the next one's do not add up.
DISTINCT = {Measure.AGENCIES_TRAINED, Measure.RECIPIENTS, Measure.COUNTRIES}


@dataclass(frozen=True)
class Actual:
    value: Number
    comment: str | None = None
    dimension: tuple[str, str] | None = None  # ("sex", "female"), ("country", "KZ")


@dataclass(frozen=True)
class ResultPeriod:
    start: dt.date
    end: dt.date
    target: Number | None
    actuals: list[Actual]
    comment: str | None = None  # on every actual: "to 2026-11-23"


@dataclass(frozen=True)
class Baseline:
    year: int
    day: dt.date
    value: Number


@dataclass(frozen=True)
class Result:
    indicator_id: str
    type: int
    title: str
    measure: int
    description: str
    baseline: Baseline | None
    periods: list[ResultPeriod]
    ascending: bool | None = None  # more is better; None: the record does not say


def _years(
    project: Mapping[str, Any],
    indicators: Sequence[IndicatorIn],
    start: dt.date,
    last: dt.date,
    fiscal_start: int,
) -> list[int]:
    """The reporting years of the results: the project's so far, and any with a target,
    which must be a year of the project."""
    first_year = Quarter.of(start).fiscal_year(fiscal_start)
    end = project["end"]
    last_year = Quarter.of(end).fiscal_year(fiscal_start) if end else first_year + 100
    years = set(range(first_year, Quarter.of(last).fiscal_year(fiscal_start) + 1))
    labels = {year_label(y, fiscal_start): y for y in range(first_year, last_year + 1)}
    for indicator in indicators:
        for label in indicator.targets or {}:
            if label in labels:
                years.add(labels[label])
                continue
            where = f"project {project['id']}, indicator {indicator.id}: the target for {label}"
            if label.startswith("FY") == (fiscal_start == 1):
                asked = "calendar years" if fiscal_start == 1 else "fiscal years"
                raise UsageError(
                    f"{where} is for a {'fiscal' if fiscal_start == 1 else 'calendar'} year, "
                    f"and the export is in {asked}",
                    hint=f"Give {option('fiscal-year-start')} with the month the record's "
                    "fiscal years start (4: April)" if fiscal_start == 1 else
                    f"Leave out {option('fiscal-year-start')} for calendar years.",
                )  # fmt: skip
            raise UsageError(
                f"{where} is for a year outside the project ({start} to {end})"
                if end
                else f"{where} is for a year before the project starts ({start})",
                hint="A target is for a year of the project; correct the label or the "
                "project's start or end in the record file.",
            )
    return sorted(years)


def _count_actuals(count: Count, dimension: tuple[str, str] | None = None) -> list[Actual]:
    """A count as IATI actuals: known, or a lower bound with a comment; none if unknown
    (a lower bound of 0 says nothing either)."""
    if count.value is None or (count.lower_bound and count.value == 0):
        return []
    comment = (f"At least {count.value}: some records of the period do not state it."
               if count.lower_bound else None)  # fmt: skip
    return [Actual(count.value, comment, dimension)]


def _measured_actuals(indicator: IndicatorIn, parts: Mapping[Any, Figures]) -> list[Actual]:
    """A counted indicator's actuals: the whole, then a dimension per part it is split in."""
    return [actual for (dimension, value), count in measured_parts(indicator, parts).items()
            for actual in _count_actuals(count, (dimension, value) if dimension else None)]  # fmt: skip


def _explained(
    indicator: IndicatorIn, project: Mapping[str, Any], start: dt.date, *, life_apart: bool
) -> str:
    """The indicator's description: how its values come about, and how periods add up."""
    if indicator.measure is None:
        how = ("Values reported by the project per quarter; a period's actual is the latest "
               "value reported in it." if is_share(indicator) else
               "Values reported by the project per quarter; a period's actual is their sum.")  # fmt: skip
    else:
        counted = COUNTED[indicator.measure].format(category=indicator.category)
        how = (f"Counted from the project's records: {counted}, in each period"
               + ("; distinct within a period, so periods do not add up."
                  if indicator.measure in DISTINCT else "."))  # fmt: skip
    unit = f" {indicator.unit}" if indicator.unit else ""
    if indicator.target is not None and project["end"] is None:
        how += (f" Target over the life of the project: {decimal_text(indicator.target)}{unit} "
                "(the project declares no end date for a period to hold it).")  # fmt: skip
    elif life_apart:
        how += (f" The period from {start} to {project['end']} is the life of the project: "
                "it holds the yearly periods, so add only those.")  # fmt: skip
    return how


def iati_results(
    session: Session,
    project: Mapping[str, Any],
    indicators: Sequence[IndicatorIn],
    start: dt.date,
    fiscal_start: int,
    today: dt.date,
) -> list[Result]:
    """The results of ``project``, one per indicator, counted from ``start``."""
    if not indicators:
        return []
    project_id, end = str(project["id"]), project["end"]
    last = min(today, end) if end else today
    spans = []
    for year in _years(project, indicators, start, last, fiscal_start):
        first_day, last_day = year_range(year, fiscal_start)
        spans.append((year_label(year, fiscal_start), max(first_day, start),
                      min(last_day, end) if end else last_day))  # fmt: skip
    # The life of the project, unless it is one year already: its target goes on that year.
    life_apart = end is not None and not any(a == start and b == end for _, a, b in spans)
    if end is not None and life_apart:
        spans.append(("", start, end))
    parts = [figures(session, by=BY_COUNTRY, filters=Filters(start=a, end=b, project=project_id))
             if a <= today else {} for _, a, b in spans]  # fmt: skip
    results = []
    for indicator in indicators:
        periods = []
        for (label, first_day, last_day), found in zip(spans, parts, strict=True):
            target = (indicator.targets or {}).get(label) if label else indicator.target
            if target is None and end is not None and not life_apart:
                target = indicator.target  # the only year is the life of the project
            begun = first_day <= today
            if indicator.measure is not None:
                actuals = _measured_actuals(indicator, found) if begun else []
            else:
                value = reported_value(indicator, first_day, last_day)
                actuals = [Actual(value)] if value is not None else []
            if target is None and not actuals:
                continue  # nothing known of the period
            running = (
                f"To {today}: the period has not ended." if begun and last_day > today else None
            )
            periods.append(ResultPeriod(first_day, last_day, target, actuals, running))
        baseline = (Baseline(start.year, start, indicator.baseline)
                    if indicator.baseline is not None else None)  # fmt: skip
        results.append(Result(
            indicator_id=indicator.id,
            type=OTHER_RESULT if indicator.measure is None else OUTPUT,
            title=indicator.title,
            measure=PERCENTAGE if is_share(indicator) else UNIT,
            description=_explained(indicator, project, start, life_apart=life_apart),
            ascending=True if indicator.measure is not None else None,
            baseline=baseline,
            periods=periods,
        ))  # fmt: skip
    return results
