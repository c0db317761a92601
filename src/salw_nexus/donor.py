"""The quarterly donor report (``nexus report``): one project, one quarter, as plain data.

Every figure is aggregated in SQL from the records of the project and can be traced to
them: the report lists the quarter's records one line each, and every record's
``source`` in a numbered "Sources" section that those lines refer to.

Decisions (also in the README):
- The report quarter defaults to the last complete calendar quarter before today.
- Three spans: the quarter; the year to date (from the first day of the calendar or, with
  ``--fiscal-year-start``, fiscal year that holds the quarter, to the quarter's end); and
  the life of the project (from its declared ``start``, or its first record where that is
  earlier or no start is declared, to the quarter's end: a report for 2025-Q1 says nothing
  of April 2025).
- A quarter that starts after today, or ends before the project starts, is refused
  (``--allow-empty-period`` reports on it all the same).
- Every figure is counted as ``figures.py`` defines it (the same as ``summary`` and
  ``indicators``): known, a lower bound (``≥``) or not reported (``—``); participants are
  split into female, male and not reported by sex; the share of women is over the
  trainings that state it.
- Equipment per category (``equipment.py``): handovers, recipients, the quantity where
  one is stated, the handovers that state none, and the value per currency where stated.
  Quantities of different categories are never added; a missing one is never 0 or 1.
- Per agency: the trainings an agency took part in, with all their participants (a
  training of several agencies counts for each: these rows do not add up), and the
  handovers it received.
- The document shows no record ids unless asked (``--ids``, for internal review).
- The project is ``--project``, or the only project in the store.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .agencies import citation
from .bounds import EARLIEST
from .countries import name_of
from .errors import NotFoundError, UsageError, option
from .figures import BY_AGENCY, BY_COUNTRY, Figures, figures
from .kinds import PROJECT_FIELD, SOURCES
from .periods import Quarter, check_fiscal_start, year_label, year_range
from .reports import (
    AGENCY,
    DELIVERY,
    PROJECT,
    TRAINING,
    Filters,
    HandoverRow,
    TrainingRow,
    list_handovers,
    list_trainings,
)
from .summary import quarterly_summary

if TYPE_CHECKING:
    from sqlmodel import Session

    from .indicators import IndicatorRow


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
class AgencyFigures:
    """An agency's trainings (all their participants) and the handovers it received."""

    agency_id: str
    name: str
    country: str
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
    source_id: str
    text: str  # the citation: title, publisher, date (the address is ``url``)
    title: str
    publisher: str | None
    date: str | None
    url: str | None
    record_ids: list[str]
    kind: str | None = None  # "press release", "project document"
    language: str | None = None  # a BCP 47 tag


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
    agencies: list[AgencyFigures]
    chart: list[QuarterActivity]
    sources: list[Source]
    generated: dt.date
    results: list[IndicatorRow] = field(default_factory=list)
    ids: bool = False  # record ids in the document, for internal review (--ids)

    def source_of(self, record_id: str) -> int | None:
        """The number of the source a record cites, for a reference like ``[1]``."""
        for source in self.sources:
            if record_id in source.record_ids:
                return source.number
        return None


def last_complete_quarter(today: dt.date) -> Quarter:
    return Quarter.of(today) + -1


def find_project(session: Session, project_id: str | None) -> dict[str, Any]:
    """The project ``project_id``, or the only project in the store."""
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


@dataclass(frozen=True)
class Period:
    """The quarter reported on, and the spans it is seen in."""

    quarter: Quarter
    fiscal_start: int
    project_start: dt.date  # the life of the project starts here

    @property
    def year_start(self) -> dt.date:
        return year_range(self.quarter.fiscal_year(self.fiscal_start), self.fiscal_start)[0]

    def spans(self) -> list[tuple[str, str, dt.date]]:
        """(name, label, start) of the quarter, the year to date and the life of project."""
        chosen, fiscal = self.quarter, self.fiscal_start
        return [
            ("Quarter", chosen.label(fiscal), chosen.start),
            ("Year to date", year_label(chosen.fiscal_year(fiscal), fiscal), self.year_start),
            ("Life of project", "", self.project_start),
        ]


def checked_fiscal_start(month: int) -> int:
    """``--fiscal-year-start`` as a report or an export takes it: 1, 4, 7 or 10."""
    try:
        return check_fiscal_start(month)
    except ValueError as exc:
        raise UsageError(f"{option('fiscal-year-start')}: {exc}") from None


def record_span(session: Session, *, project_id: str) -> tuple[dt.date | None, dt.date | None]:
    """The days of the project's first and last training or handover (None: it has none)."""
    from sqlalchemy import func, select, union_all

    t, d = TRAINING.c, DELIVERY.c
    days = union_all(
        select(t.start.label("day")).where(t.project_id == project_id),
        select(d.date.label("day")).where(d.project_id == project_id),
    ).subquery()
    first, last = session.execute(select(func.min(days.c.day), func.max(days.c.day))).one()
    return first, last


def report_period(
    session: Session,
    *,
    project: dict[str, Any],
    quarter: Quarter | None,
    fiscal_start: int,
    today: dt.date,
    allow_empty: bool = False,
) -> Period:
    """The period of a report on ``project``: ``quarter`` (default: the last complete one
    before ``today``); a quarter after today or before the project starts is refused."""
    checked_fiscal_start(fiscal_start)
    chosen = quarter or last_complete_quarter(today)
    first_record, _ = record_span(session, project_id=str(project["id"]))
    declared = project.get("start")
    known = [day for day in (declared, first_record) if isinstance(day, dt.date)]
    # Not before the years records may have: a store written before the bounds (or by SQL)
    # may hold a date in year 1, and its chart would run for 8,000 years.
    starts = max(min(known), EARLIEST) if known else None
    label = chosen.label(fiscal_start)
    if not allow_empty:
        hint = (
            f"Choose another {option('quarter')}, or report on it all the same: "
            f"{option('allow-empty-period')}"
        )
        if chosen.start > today:
            raise UsageError(f"{label} has not begun: today is {today}", hint=hint)
        if starts is None:
            raise UsageError(
                f"project {project['id']} has no records and no declared start", hint=hint
            )
        if chosen.end < starts:
            raise UsageError(f"{label} ends before the project starts ({starts})", hint=hint)
    project_start = chosen.start if starts is None or starts > chosen.end else starts
    return Period(chosen, fiscal_start, project_start)


def span_parts(session: Session, *, project_id: str, period: Period) -> list[dict[Any, Figures]]:
    """The figures of each span of ``period`` (quarter, year to date, life), by country.

    The life of the project counts every record of the project up to the quarter's end:
    its start is the earliest record's at the latest, so none is left out.
    """
    end = period.quarter.end
    return [
        figures(session, by=BY_COUNTRY, filters=Filters(
            start=None if name == "Life of project" else start, end=end, project=project_id))
        for name, _, start in period.spans()
    ]  # fmt: skip


@dataclass(frozen=True)
class Reporting:
    """What the report and the results framework start from: the project, the quarter
    and its spans, and the figures of each span by country (``span_parts``)."""

    project: dict[str, Any]
    period: Period
    parts: list[dict[Any, Figures]]


def reporting(
    session: Session,
    *,
    quarter: Quarter | None,
    fiscal_start: int,
    project: str | None,
    today: dt.date | None,
    allow_empty: bool,
) -> Reporting:
    """The project ``project`` (or the only one) seen in ``quarter`` (default: the last
    complete one before ``today``)."""
    stored = find_project(session, project)
    period = report_period(session, project=stored, quarter=quarter, fiscal_start=fiscal_start,
                           today=today or dt.date.today(), allow_empty=allow_empty)  # fmt: skip
    return Reporting(stored, period, span_parts(session, project_id=str(stored["id"]),
                                                period=period))  # fmt: skip


def cited_sources(session: Session, *, project: str, end: dt.date) -> list[Source]:
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
    stored = {row["id"]: row for row in found}
    listed = []
    for number, (source_id, ids) in enumerate(by_id.items(), start=1):
        row = stored.get(source_id)
        if row is None:  # a store written by hand: the id is all there is
            listed.append(Source(number, source_id, source_id, source_id, None, None, None, ids))
            continue
        text = citation({**row, "url": None})  # the address is linked on its own
        listed.append(Source(number, source_id, text, row["title"], row["publisher"],
                             row["date"], row["url"], ids, row["kind"], row["language"]))  # fmt: skip
    return listed


def _agencies(session: Session, quarter: Filters, life: Filters) -> list[AgencyFigures]:
    from sqlalchemy import select

    in_life = figures(session, filters=life, by=BY_AGENCY)
    in_quarter = figures(session, filters=quarter, by=BY_AGENCY)
    named = session.execute(
        select(AGENCY.c.id, AGENCY.c.name, AGENCY.c.country).where(AGENCY.c.id.in_(list(in_life)))
    )
    agencies = [
        AgencyFigures(
            agency_id, name, country, in_quarter.get(agency_id, Figures()), in_life[agency_id]
        )
        for agency_id, name, country in named
    ]
    agencies.sort(key=lambda a: (name_of(a.country), a.name.casefold(), a.agency_id))
    return agencies


def donor_report(
    session: Session,
    *,
    quarter: Quarter | None = None,
    fiscal_start: int = 1,
    project: str | None = None,
    today: dt.date | None = None,
    allow_empty: bool = False,
    ids: bool = False,
) -> DonorReport:
    """The report for ``quarter`` (default: the last complete one before ``today``)."""
    from .indicators import indicator_rows

    today = today or dt.date.today()
    seen = reporting(session, quarter=quarter, fiscal_start=fiscal_start, project=project,
                     today=today, allow_empty=allow_empty)  # fmt: skip
    stored, period, parts_of_spans = seen.project, seen.period, seen.parts
    project_id = str(stored["id"])
    chosen = period.quarter
    fiscal_label = chosen.label(fiscal_start) if fiscal_start != 1 else None

    spans = []
    by_country: dict[str, dict[str, Figures]] = {}
    for (name, label, start), parts in zip(period.spans(), parts_of_spans, strict=True):
        spans.append(Span(name, label, start, chosen.end, sum(parts.values(), Figures())))
        for country, part in parts.items():
            by_country.setdefault(str(country), {})[name] = part
    countries = [
        CountryFigures(
            code, name_of(code), found.get("Quarter", Figures()), found["Life of project"]
        )
        for code, found in by_country.items()
        if "Life of project" in found
    ]
    countries.sort(key=lambda c: c.country_name)

    in_quarter = Filters(start=chosen.start, end=chosen.end, project=project_id)
    over_life = Filters(end=chosen.end, project=project_id)
    with closing(list_trainings(session, filters=in_quarter)) as listing:
        trainings = list(listing.trainings)
    with closing(list_handovers(session, filters=in_quarter)) as handover_listing:
        handovers = sorted(handover_listing.handovers, key=lambda h: (h.date, h.id))

    charted = Filters(start=period.project_start, end=chosen.end, project=project_id)
    summary = quarterly_summary(session, filters=charted, fiscal_start=fiscal_start, empty=True)
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
        agencies=_agencies(session, in_quarter, over_life),
        chart=chart,
        sources=cited_sources(session, project=project_id, end=chosen.end),
        generated=today,
        results=indicator_rows(project=stored, period=period, parts=parts_of_spans),
        ids=ids,
    )
