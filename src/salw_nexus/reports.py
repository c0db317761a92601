"""Listings and quarterly summaries: filtered and aggregated in SQL, returned as plain data.

Nothing here draws or prints; ``render.py`` does. Queries use only portable SQL (the
quarter and day-span expressions of ``periods.py``), so SQLite and PostgreSQL give the
same answers.

Decisions (also in the README):
- ``participants`` of a summary row is a lower bound (``participants_approximate``) when
  any training in it has an approximate count or none at all; ``person_days`` likewise.
- ``female``/``male`` of a row are the sums when every training in it reports them, and
  ``null`` (unknown) otherwise: unknown is never counted as 0.
- ``--agency`` matches trainings where any agency represented matches, and deliveries whose
  recipient matches; names and query are NFKC-normalised and case-folded (``search_key``).
- ``--year`` is the calendar year, or with ``--fiscal-year-start`` the fiscal year that
  starts in that year (``--year 2024 --fiscal-year-start 4``: April 2024 – March 2025).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .countries import UnknownCountry, name_of, to_alpha2
from .errors import NotFoundError, UsageError
from .models import (
    Agency,
    Delivery,
    DeliveryItem,
    Official,
    Project,
    Training,
    TrainingAgency,
    parse_date,
    search_key,
)
from .periods import Quarter, check_fiscal_start, day_span, quarter_index, year_range

if TYPE_CHECKING:
    from sqlalchemy import Select, Table
    from sqlmodel import Session


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


TRAINING, DELIVERY, AGENCY = _t(Training), _t(Delivery), _t(Agency)
LINK, ITEM, OFFICIAL, PROJECT = _t(TrainingAgency), _t(DeliveryItem), _t(Official), _t(Project)


# --- filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the shared options select; dates are inclusive."""

    country: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    agency: str | None = None
    project: str | None = None
    record_id: str | None = None


def _option_date(option: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def make_filters(
    *,
    country: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    quarter: str | None = None,
    year: int | None = None,
    fiscal_start: int = 1,
    agency: str | None = None,
    project: str | None = None,
) -> Filters:
    """Options as given on the command line -> Filters; bad values name their option."""
    code = None
    if country is not None:
        try:
            code = to_alpha2(country)
        except UnknownCountry as exc:
            raise UsageError(f"--country: {exc}") from None
    start, end = _option_date("--from", date_from), _option_date("--to", date_to)
    ranges: list[tuple[dt.date, dt.date]] = []
    if quarter is not None:
        try:
            chosen = Quarter.parse(quarter)
        except ValueError as exc:
            raise UsageError(f"--quarter: {exc}") from None
        ranges.append((chosen.start, chosen.end))
    if year is not None:
        ranges.append(year_range(year, fiscal_start))
    for first, last in ranges:  # every range given narrows the selection
        start = max(start, first) if start else first
        end = min(end, last) if end else last
    if start and end and end < start:
        raise UsageError(f"the options select no dates: from {start} to {end}")
    needle = search_key(agency).strip() if agency else None
    return Filters(country=code, start=start, end=end, agency=needle or None, project=project)


def _agency_matches(needle: str) -> Any:
    return AGENCY.c.search_key.contains(needle, autoescape=True)


def _filter_common(query: Select[Any], filters: Filters, table: Table, date: str) -> Select[Any]:
    """Id, country, dates (on ``date``) and project: the same for every kind."""
    columns = table.c
    if filters.record_id is not None:
        query = query.where(columns.id == filters.record_id)
    if filters.country:
        query = query.where(columns.country == filters.country)
    if filters.start:
        query = query.where(columns[date] >= filters.start)
    if filters.end:
        query = query.where(columns[date] <= filters.end)
    if filters.project:
        query = query.where(columns.project_id == filters.project)
    return query


def _filter_trainings(query: Select[Any], filters: Filters) -> Select[Any]:
    """Trainings by start date; ``--agency`` matches any agency represented."""
    from sqlalchemy import exists, select

    query = _filter_common(query, filters, TRAINING, "start")
    if filters.agency:
        represented = (
            select(LINK.c.training_id)
            .join(AGENCY, AGENCY.c.id == LINK.c.agency_id)
            .where(LINK.c.training_id == TRAINING.c.id, _agency_matches(filters.agency))
        )
        query = query.where(exists(represented))
    return query


def _filter_deliveries(query: Select[Any], filters: Filters) -> Select[Any]:
    """Deliveries by date; ``--agency`` matches the recipient (the query joins AGENCY)."""
    query = _filter_common(query, filters, DELIVERY, "date")
    if filters.agency:
        query = query.where(_agency_matches(filters.agency))
    return query


# --- listings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRow:
    id: str
    project: str | None
    title: str
    country: str
    country_name: str
    city: str | None
    start: dt.date
    end: dt.date
    days: int
    participants: int | None
    approximate: bool
    female: int | None
    male: int | None
    agencies: list[str]
    audience: list[str]
    topics: list[str]
    organisers: list[str]
    source: str | None
    notes: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class ItemRow:
    name: str
    quantity: int | None
    value_usd: float | None


@dataclass(frozen=True)
class OfficialRow:
    name: str
    title: str | None


@dataclass(frozen=True)
class HandoverRow:
    id: str
    project: str | None
    date: dt.date
    country: str
    country_name: str
    agency: str
    unit: str | None
    items: list[ItemRow]
    purpose: str | None
    officials: list[OfficialRow]
    source: str | None
    notes: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class CountryHandovers:
    """One country's handovers and its subtotal."""

    country: str
    country_name: str
    handovers: list[HandoverRow]

    @property
    def item_lines(self) -> int:
        return sum(len(h.items) for h in self.handovers)

    @property
    def quantity_stated(self) -> int:
        """Units handed over where the source gives a number."""
        return sum(i.quantity or 0 for h in self.handovers for i in h.items)

    @property
    def quantities_complete(self) -> bool:
        return all(i.quantity is not None for h in self.handovers for i in h.items)


@dataclass(frozen=True)
class HandoverReport:
    groups: list[CountryHandovers]

    @property
    def handovers(self) -> list[HandoverRow]:
        return [h for g in self.groups for h in g.handovers]


@dataclass(frozen=True)
class TrainingList:
    trainings: list[TrainingRow]


@dataclass(frozen=True)
class Page:
    """Which of the matching records a listing shows: ``limit`` of them after ``offset``."""

    limit: int | None = None
    offset: int = 0

    def of(self, query: Select[Any]) -> Select[Any]:
        return query.limit(self.limit).offset(self.offset or None)


ALL = Page()


def list_trainings(session: Session, *, filters: Filters, page: Page = ALL) -> TrainingList:
    """Trainings by start date, then id, with the agencies represented in record order."""
    from sqlalchemy import select

    order = (TRAINING.c.start, TRAINING.c.id)
    query = _filter_trainings(
        select(TRAINING, day_span(TRAINING.c.start, TRAINING.c.end).label("days")), filters
    ).order_by(*order)
    rows = session.execute(page.of(query)).mappings().all()
    selected = page.of(_filter_trainings(select(TRAINING.c.id), filters).order_by(*order))
    agencies: dict[str, list[str]] = defaultdict(list)
    links = (
        select(LINK.c.training_id, AGENCY.c.name)
        .join(AGENCY, AGENCY.c.id == LINK.c.agency_id)
        .where(LINK.c.training_id.in_(selected.scalar_subquery()))
        .order_by(LINK.c.training_id, LINK.c.position)
    )
    for training_id, name in session.execute(links):
        agencies[training_id].append(name)
    return TrainingList(
        [
            TrainingRow(
                id=row["id"],
                project=row["project_id"],
                title=row["title"],
                country=row["country"],
                country_name=name_of(row["country"]),
                city=row["city"],
                start=row["start"],
                end=row["end"],
                days=row["days"],
                participants=row["participants"],
                approximate=row["approximate"],
                female=row["female"],
                male=row["male"],
                agencies=agencies[row["id"]],
                audience=row["audience"],
                topics=row["topics"],
                organisers=row["organisers"],
                source=row["source"],
                notes=row["notes"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
            for row in rows
        ]
    )


def list_handovers(session: Session, *, filters: Filters, page: Page = ALL) -> HandoverReport:
    """Deliveries grouped by country (by country name), each group by date, then id.

    A page is taken in date order over all countries, then grouped: subtotals are the page's.
    """
    from sqlalchemy import select

    order = (DELIVERY.c.date, DELIVERY.c.id)
    query = _filter_deliveries(
        select(DELIVERY, AGENCY.c.name.label("agency_name")).join(
            AGENCY, AGENCY.c.id == DELIVERY.c.agency_id
        ),
        filters,
    ).order_by(*order)
    rows = session.execute(page.of(query)).mappings().all()
    selected = page.of(
        _filter_deliveries(
            select(DELIVERY.c.id).join(AGENCY, AGENCY.c.id == DELIVERY.c.agency_id), filters
        ).order_by(*order)
    ).scalar_subquery()
    items: dict[str, list[ItemRow]] = defaultdict(list)
    query = (
        select(ITEM)
        .where(ITEM.c.delivery_id.in_(selected))
        .order_by(ITEM.c.delivery_id, ITEM.c.position)
    )
    for item in session.execute(query).mappings():
        items[item["delivery_id"]].append(
            ItemRow(item["name"], item["quantity"], item["value_usd"])
        )
    officials: dict[str, list[OfficialRow]] = defaultdict(list)
    query = (
        select(OFFICIAL)
        .where(OFFICIAL.c.delivery_id.in_(selected))
        .order_by(OFFICIAL.c.delivery_id, OFFICIAL.c.position)
    )
    for official in session.execute(query).mappings():
        officials[official["delivery_id"]].append(OfficialRow(official["name"], official["title"]))
    by_country: dict[str, list[HandoverRow]] = defaultdict(list)
    for row in rows:
        by_country[row["country"]].append(
            HandoverRow(
                id=row["id"],
                project=row["project_id"],
                date=row["date"],
                country=row["country"],
                country_name=name_of(row["country"]),
                agency=row["agency_name"],
                unit=row["unit"],
                items=items[row["id"]],
                purpose=row["purpose"],
                officials=officials[row["id"]],
                source=row["source"],
                notes=row["notes"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
        )
    groups = [
        CountryHandovers(code, name_of(code), handovers) for code, handovers in by_country.items()
    ]
    return HandoverReport(sorted(groups, key=lambda g: g.country_name))


# --- one record -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectView:
    id: str
    title: str
    implementers: list[str]
    donors: list[str]
    frameworks: list[str]
    source: str | None
    notes: str | None
    trainings: int
    deliveries: int
    created_at: dt.datetime
    updated_at: dt.datetime


RecordView = TrainingRow | HandoverRow | ProjectView


def show_record(session: Session, *, record_id: str) -> RecordView:
    """The training, delivery or project with this id (ids are unique per kind)."""
    from sqlalchemy import func, select

    by_id = Filters(record_id=record_id)
    trainings = list_trainings(session, filters=by_id).trainings
    if trainings:
        return trainings[0]
    handovers = list_handovers(session, filters=by_id).handovers
    if handovers:
        return handovers[0]
    project = session.execute(select(PROJECT).where(PROJECT.c.id == record_id)).mappings().first()
    if project is None:
        raise NotFoundError(
            f"no training, delivery or project has the id {record_id!r}",
            hint="`nexus trainings` and `nexus handovers` list the ids.",
        )

    def count(table: Table) -> int:
        query = select(func.count()).select_from(table).where(table.c.project_id == record_id)
        return int(session.scalar(query) or 0)

    fields = {k: v for k, v in project.items() if k != "fingerprint"}
    return ProjectView(**fields, trainings=count(TRAINING), deliveries=count(DELIVERY))


# --- quarterly summary ------------------------------------------------------------------


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


def quarterly_summary(
    session: Session, *, filters: Filters, fiscal_start: int = 1, empty: bool = False
) -> Summary:
    """One row per quarter with activity (every quarter in range with ``empty``), and a total."""
    from sqlalchemy import Integer, case, func, select, union

    try:
        check_fiscal_start(fiscal_start)
    except ValueError as exc:
        raise UsageError(f"--fiscal-year-start: {exc}") from None
    t, d = TRAINING.c, DELIVERY.c
    days = day_span(t.start, t.end)
    t_quarter, d_quarter = quarter_index(t.start), quarter_index(d.date)
    uncertain = case((t.approximate | t.participants.is_(None), 1), else_=0)
    trainings_query = _filter_trainings(
        select(
            t_quarter.label("quarter"),
            func.count().label("trainings"),
            func.sum(days).label("training_days"),
            func.coalesce(func.sum(t.participants), 0).label("participants"),
            func.max(uncertain).label("uncertain"),
            func.sum(t.female).label("female"),
            func.count(t.female).label("female_known"),
            func.sum(t.male).label("male"),
            func.count(t.male).label("male_known"),
            func.coalesce(func.sum(t.participants * days), 0).label("person_days"),
        ),
        filters,
    ).group_by(t_quarter)
    deliveries_query = _filter_deliveries(
        select(d_quarter.label("quarter"), func.count().label("deliveries")).join(
            AGENCY, AGENCY.c.id == d.agency_id
        ),
        filters,
    ).group_by(d_quarter)
    reached = union(
        _filter_trainings(select(t_quarter.label("quarter"), t.country), filters).distinct(),
        _filter_deliveries(
            select(d_quarter.label("quarter"), d.country).join(AGENCY, AGENCY.c.id == d.agency_id),
            filters,
        ).distinct(),
    ).subquery()

    activity: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in session.execute(trainings_query).mappings():
        count = int(row["trainings"])
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
        activity[int(row["quarter"])]["deliveries"] = int(row["deliveries"])
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
