"""The quarterly donor report (``nexus report``): one project, one quarter, as plain data.

Every figure is aggregated in SQL from the records of the project and can be traced to
them: the report lists the quarter's records one line each, and every record's
``source`` in a numbered "Sources" section that those lines refer to.

Decisions (also in the README):
- The report quarter defaults to the last complete calendar quarter before today.
- Three spans: the quarter; the year to date (from the first day of the calendar or, with
  ``--fiscal-year-start``, fiscal year that holds the quarter, to the quarter's end); and
  the life of the project (from its first record to the quarter's end: a report for
  2025-Q1 says nothing of April 2025).
- Participants are split into female, male and unknown: female and male are the sums of
  the counts the records give; unknown is the rest of each training's participants. A
  count is a lower bound (``≥``) when any training in the span gives an approximate
  count or none at all.
- Items: the item lines handed over, and per category (``equipment.py``) the quantity
  where one is stated, the lines that state none and the value per currency where stated.
  Quantities of different categories are never added; a missing one is never 0 or 1.
- The project is ``--project``, or the only project in the store.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .agencies import citation
from .bounds import EARLIEST
from .countries import name_of
from .equipment import CategoryTotal, added, rank
from .errors import NotFoundError, UsageError, option
from .kinds import DELIVERIES, PROJECT_FIELD, SOURCES, TRAININGS
from .periods import Quarter, check_fiscal_start, day_span, year_label, year_range
from .reports import (
    DELIVERY,
    ITEM,
    PROJECT,
    TRAINING,
    Filters,
    HandoverRow,
    TrainingRow,
    list_handovers,
    list_trainings,
)
from .summary import participants_uncertain, quarterly_summary

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class Figures:
    """What one span (or one country in it) adds up to."""

    trainings: int = 0
    training_days: int = 0
    participants: int = 0
    female: int = 0
    male: int = 0
    unknown: int = 0
    participants_lower_bound: bool = False  # participants, unknown and person-days
    person_days: int = 0
    deliveries: int = 0
    item_lines: int = 0
    equipment: tuple[CategoryTotal, ...] = ()  # per category, in the list's order
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Span:
    name: str  # "Quarter", "Year to date", "Life of project"
    label: str  # the quarter or year it is: "2025-Q1", "FY2024-25"; "" for the project's life
    start: dt.date
    end: dt.date
    figures: Figures


@dataclass(frozen=True)
class CountryFigures:
    country: str
    country_name: str
    quarter: Figures
    life: Figures


@dataclass(frozen=True)
class QuarterActivity:
    """One bar group of the chart."""

    label: str
    trainings: int
    participants: int
    deliveries: int
    is_report_quarter: bool


@dataclass(frozen=True)
class Source:
    number: int
    text: str
    record_ids: list[str]


@dataclass(frozen=True)
class DonorReport:
    project_id: str
    project_title: str
    implementers: list[str]
    donors: list[str]
    frameworks: list[str]
    quarter: str  # calendar label: 2025-Q1
    fiscal_quarter: str | None  # FY2024-25 Q4, or None for a calendar-year report
    fiscal_start: int
    start: dt.date
    end: dt.date
    spans: list[Span]
    trainings: list[TrainingRow]  # the quarter's, by start date
    handovers: list[HandoverRow]  # the quarter's, by date
    countries: list[CountryFigures]
    chart: list[QuarterActivity]
    sources: list[Source]
    generated: dt.date

    def source_of(self, record_id: str) -> int | None:
        """The number of the source a record cites, for a reference like ``[1]``."""
        for source in self.sources:
            if record_id in source.record_ids:
                return source.number
        return None


def last_complete_quarter(today: dt.date) -> Quarter:
    return Quarter.of(today) + -1


def _figures(
    session: Session, *, project: str, start: dt.date | None, end: dt.date
) -> dict[str | None, Figures]:
    """The figures of the span, in total (key None) and by country, in three queries."""
    from sqlalchemy import case, func, select

    t, d, i = TRAINING.c, DELIVERY.c, ITEM.c
    days = day_span(t.start, t.end)
    training_in = [t.project_id == project, t.start <= end]
    delivery_in = [d.project_id == project, d.date <= end]
    if start is not None:
        training_in.append(t.start >= start)
        delivery_in.append(d.date >= start)
    known = func.coalesce(t.participants, 0)
    trainings = (
        select(
            t.country,
            func.count().label(TRAININGS.plural),
            func.sum(days).label("training_days"),
            func.sum(known).label("participants"),
            func.sum(func.coalesce(t.female, 0)).label("female"),
            func.sum(func.coalesce(t.male, 0)).label("male"),
            func.sum(
                case(
                    (t.participants.is_(None), 0),
                    else_=t.participants - func.coalesce(t.female, 0) - func.coalesce(t.male, 0),
                )
            ).label("unknown"),
            func.max(participants_uncertain()).label("participants_lower_bound"),
            func.sum(known * days).label("person_days"),
        )
        .where(*training_in)
        .group_by(t.country)
    )
    items = select(i.delivery_id, func.count().label("lines")).group_by(i.delivery_id).subquery()
    deliveries = (
        select(
            d.country,
            func.count().label(DELIVERIES.plural),
            func.coalesce(func.sum(items.c.lines), 0).label("item_lines"),
        )
        .select_from(DELIVERY.outerjoin(items, items.c.delivery_id == d.id))
        .where(*delivery_in)
        .group_by(d.country)
    )
    handed_over = DELIVERY.join(ITEM, i.delivery_id == d.id)
    categories = (
        select(
            d.country,
            i.category,
            func.count().label("lines"),
            func.coalesce(func.sum(i.quantity), 0).label("quantity"),
            func.sum(case((i.quantity.is_(None), 1), else_=0)).label("unstated"),
        )
        .select_from(handed_over)
        .where(*delivery_in)
        .group_by(d.country, i.category)
    )
    valued = (
        select(d.country, i.category, i.currency, func.sum(i.value).label("value"))
        .select_from(handed_over)
        .where(*delivery_in, i.value.is_not(None))
        .group_by(d.country, i.category, i.currency)
    )
    # Both queries label their columns with the names of Figures' fields.
    by_country: dict[str | None, dict[str, Any]] = {}
    for query in (trainings, deliveries):
        for row in session.execute(query).mappings():
            values = by_country.setdefault(row["country"], {})
            for name, value in row.items():
                if name != "country":
                    values[name] = bool(value) if name.endswith("_lower_bound") else int(value)
    totals: dict[tuple[str, str], CategoryTotal] = {}
    for country, category, lines, quantity, unstated in session.execute(categories):
        totals[(country, category)] = CategoryTotal(
            category, int(lines), int(quantity), int(unstated)
        )
    for country, category, currency, value in session.execute(valued):
        totals[(country, category)].values[currency] = float(value)
    for (country, _), total in sorted(totals.items(), key=lambda kv: rank(kv[0][1])):
        equipment = by_country[country].setdefault("equipment", ())
        by_country[country]["equipment"] = (*equipment, total)
    figures = {
        country: Figures(countries=(str(country),), **values)
        for country, values in sorted(by_country.items(), key=lambda kv: str(kv[0]))
    }
    figures[None] = _add_up(list(figures.values()))
    return figures


def _add_up(parts: list[Figures]) -> Figures:
    return Figures(
        trainings=sum(p.trainings for p in parts),
        training_days=sum(p.training_days for p in parts),
        participants=sum(p.participants for p in parts),
        female=sum(p.female for p in parts),
        male=sum(p.male for p in parts),
        unknown=sum(p.unknown for p in parts),
        participants_lower_bound=any(p.participants_lower_bound for p in parts),
        person_days=sum(p.person_days for p in parts),
        deliveries=sum(p.deliveries for p in parts),
        item_lines=sum(p.item_lines for p in parts),
        equipment=tuple(added(t for p in parts for t in p.equipment)),
        countries=tuple(sorted({c for p in parts for c in p.countries})),
    )


def _project(session: Session, project_id: str | None) -> dict[str, Any]:
    from sqlalchemy import select

    projects = session.execute(select(PROJECT).order_by(PROJECT.c.id)).mappings().all()
    if project_id is not None:
        for project in projects:
            if project["id"] == project_id:
                return dict(project)
        raise NotFoundError(
            f"{option(PROJECT_FIELD)}: no project has the id {project_id!r}",
            hint="Projects in the store: " + (", ".join(p["id"] for p in projects) or "none"),
        )
    if len(projects) == 1:
        return dict(projects[0])
    if not projects:
        raise NotFoundError(
            "the store holds no project to report on",
            hint="Load the records first: nexus load",
        )
    raise UsageError(
        f"the store holds several projects; choose one with {option(PROJECT_FIELD)}",
        hint="Projects: " + ", ".join(p["id"] for p in projects),
    )


def _sources(session: Session, *, project: str, end: dt.date) -> list[Source]:
    """Every source cited by the project's records up to ``end``, numbered by first use,
    each as a donor can look it up: title, publisher, date and web address."""
    from sqlalchemy import literal, select, union_all

    t, d, p = TRAINING.c, DELIVERY.c, PROJECT.c
    cited = union_all(
        select(t.start.label("day"), t.id, t.sources).where(
            t.project_id == project, t.start <= end
        ),
        select(d.date.label("day"), d.id, d.sources).where(d.project_id == project, d.date <= end),
        select(literal(dt.date.min).label("day"), p.id, p.sources).where(p.id == project),
    ).subquery()
    by_id: dict[str, list[str]] = {}
    query = select(cited.c.id, cited.c.sources).order_by(cited.c.day, cited.c.id)
    for record_id, sources in session.execute(query):
        for source_id in sources:
            by_id.setdefault(source_id, []).append(record_id)
    table = SOURCES.table
    found = session.execute(select(table).where(table.c.id.in_(list(by_id)))).mappings()
    citations = {row["id"]: citation(row) for row in found}
    return [
        Source(number, citations.get(source_id, source_id), ids)
        for number, (source_id, ids) in enumerate(by_id.items(), start=1)
    ]


def donor_report(
    session: Session,
    *,
    quarter: Quarter | None = None,
    fiscal_start: int = 1,
    project: str | None = None,
    today: dt.date | None = None,
) -> DonorReport:
    """The report for ``quarter`` (default: the last complete one before ``today``)."""
    from sqlalchemy import func, select, union_all

    try:
        check_fiscal_start(fiscal_start)
    except ValueError as exc:
        raise UsageError(f"{option('fiscal-year-start')}: {exc}") from None
    today = today or dt.date.today()
    chosen = quarter or last_complete_quarter(today)
    stored = _project(session, project)
    project_id = str(stored["id"])

    t, d = TRAINING.c, DELIVERY.c
    days = union_all(
        select(t.start.label("day")).where(t.project_id == project_id),
        select(d.date.label("day")).where(d.project_id == project_id),
    ).subquery()
    first_day = session.scalar(select(func.min(days.c.day)))
    first = first_day if isinstance(first_day, dt.date) else chosen.start
    # Not before the years records may have: a store written before the bounds (or by SQL)
    # may hold a date in year 1, and its chart would run for 8,000 years.
    first = max(min(first, chosen.start), EARLIEST)

    fiscal_year = chosen.fiscal_year(fiscal_start)
    year_start, _ = year_range(fiscal_year, fiscal_start)
    fiscal_label = chosen.label(fiscal_start) if fiscal_start != 1 else None

    quarter_figures = _figures(session, project=project_id, start=chosen.start, end=chosen.end)
    life_figures = _figures(session, project=project_id, start=None, end=chosen.end)
    year_figures = _figures(session, project=project_id, start=year_start, end=chosen.end)
    spans = [
        Span("Quarter", fiscal_label or chosen.label(), chosen.start, chosen.end,
             quarter_figures[None]),
        Span("Year to date", year_label(fiscal_year, fiscal_start), year_start, chosen.end,
             year_figures[None]),
        Span("Life of project", "", first, chosen.end, life_figures[None]),
    ]  # fmt: skip
    empty = Figures()
    countries = [
        CountryFigures(code, name_of(code), quarter_figures.get(code, empty), figures)
        for code, figures in life_figures.items()
        if code is not None
    ]
    countries.sort(key=lambda c: c.country_name)

    in_quarter = Filters(start=chosen.start, end=chosen.end, project=project_id)
    with closing(list_trainings(session, filters=in_quarter)) as listing:
        trainings = list(listing.trainings)
    with closing(list_handovers(session, filters=in_quarter)) as handover_listing:
        handovers = sorted(handover_listing.handovers, key=lambda h: (h.date, h.id))

    over_life = Filters(start=first, end=chosen.end, project=project_id)
    summary = quarterly_summary(session, filters=over_life, fiscal_start=fiscal_start, empty=True)
    chart = [
        QuarterActivity(
            label=row.period,
            trainings=row.trainings,
            participants=row.participants,
            deliveries=row.deliveries,
            is_report_quarter=row.start == chosen.start,
        )
        for row in summary.rows
    ]
    return DonorReport(
        project_id=project_id,
        project_title=str(stored["title"]),
        implementers=list(stored["implementers"] or []),
        donors=list(stored["donors"] or []),
        frameworks=list(stored["frameworks"] or []),
        quarter=chosen.label(),
        fiscal_quarter=fiscal_label,
        fiscal_start=fiscal_start,
        start=chosen.start,
        end=chosen.end,
        spans=spans,
        trainings=trainings,
        handovers=handovers,
        countries=countries,
        chart=chart,
        sources=_sources(session, project=project_id, end=chosen.end),
        generated=today,
    )
