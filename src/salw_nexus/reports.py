"""Listings and single records: filtered in SQL, returned as plain data (the quarterly
summary, built on the same filters, is in ``summary.py``).

Nothing here draws or prints; ``render.py`` does. Queries use only portable SQL (the
quarter and day-span expressions of ``periods.py``), so SQLite and PostgreSQL give the
same answers.

Decisions (also in the README):
- ``--agency`` matches trainings where any agency represented matches, and deliveries whose
  recipient matches; names and query are NFKC-normalised and case-folded (``search_key``).
- ``--year`` is the calendar year, or with ``--fiscal-year-start`` the fiscal year that
  starts in that year (``--year 2024 --fiscal-year-start 4``: April 2024 – March 2025).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, TypedDict

from .agencies import AgencyRow, SourceRow, list_agencies, list_sources
from .bounds import MAX_ROWS
from .countries import name_of
from .equipment import CategoryTotal, by_category
from .errors import UsageError, option
from .kinds import AGENCIES, DELIVERIES, PROJECT_COLUMN, PROJECT_FIELD, SOURCES, TRAININGS
from .models import (
    Agency,
    Delivery,
    DeliveryItem,
    Official,
    Project,
    Training,
    TrainingAgency,
    name_key,
    table_of,
)
from .periods import (
    Quarter,
    check_year,
    day_span,
    year_range,
)

if TYPE_CHECKING:
    from sqlalchemy import Select, Table
    from sqlmodel import Session


TRAINING, DELIVERY, AGENCY = table_of(Training), table_of(Delivery), table_of(Agency)
LINK, ITEM, OFFICIAL, PROJECT = (
    table_of(TrainingAgency),
    table_of(DeliveryItem),
    table_of(Official),
    table_of(Project),
)


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


def make_filters(
    *,
    country: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    quarter: Quarter | None = None,
    year: int | None = None,
    fiscal_start: int = 1,
    agency: str | None = None,
    project: str | None = None,
) -> Filters:
    """What the filter options chose (values already parsed) -> Filters. A quarter and a
    year narrow the dates; options that leave no date between them are an error."""
    ranges: list[tuple[dt.date, dt.date]] = []
    if quarter is not None:
        ranges.append((quarter.start, quarter.end))
    if year is not None:
        try:
            check_year(year)
        except ValueError as exc:
            raise UsageError(f"{option('year')}: {exc}") from None
        ranges.append(year_range(year, fiscal_start))
    for first, last in ranges:  # every range given narrows the selection
        start = max(start, first) if start else first
        end = min(end, last) if end else last
    if start and end and end < start:
        raise UsageError(f"the options select no dates: from {start} to {end}")
    needle = name_key(agency) if agency else None
    return Filters(country=country, start=start, end=end, agency=needle or None, project=project)


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


def filter_trainings(query: Select[Any], filters: Filters) -> Select[Any]:
    """Trainings by start date; ``--agency`` matches any agency represented."""
    from sqlalchemy import select

    query = _filter_common(query, filters, TRAINING, "start")
    if filters.agency:
        # The few matching agencies first, then their trainings through the link's index:
        # far cheaper than testing every training's agencies against the pattern.
        matching = select(AGENCY.c.id).where(_agency_matches(filters.agency))
        represented = select(LINK.c.training_id).where(LINK.c.agency_id.in_(matching))
        query = query.where(TRAINING.c.id.in_(represented))
    return query


def filter_deliveries(query: Select[Any], filters: Filters) -> Select[Any]:
    """Deliveries by date; ``--agency`` matches the recipient (the query joins AGENCY)."""
    query = _filter_common(query, filters, DELIVERY, "date")
    if filters.agency:
        query = query.where(_agency_matches(filters.agency))
    return query


# --- listings ---------------------------------------------------------------------------

# Listings are read, completed (agencies, items, officials) and handed on this many rows at
# a time, so memory stays flat however many records match; a renderer that needs them all
# (a table for people) gathers them itself.
CHUNK = 1000


STAMPS = ("created_at", "updated_at")


class TrainingRow(NamedTuple):
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
    sources: list[str]
    notes: str | None
    created_at: dt.datetime | None  # read for `show` only: listings leave them out
    updated_at: dt.datetime | None


class ItemRow(TypedDict):
    name: str
    category: str
    quantity: int | None
    value: float | None
    currency: str | None


class OfficialRow(TypedDict):
    name: str
    title: str | None


class HandoverRow(NamedTuple):
    id: str
    project: str | None
    date: dt.date
    country: str
    country_name: str
    agency: str
    agency_id: str
    unit: str | None
    items: list[ItemRow]
    purpose: str | None
    officials: list[OfficialRow]
    sources: list[str]
    notes: str | None
    created_at: dt.datetime | None  # as for TrainingRow
    updated_at: dt.datetime | None


def _positions(row_type: Any) -> dict[str, int]:
    """Where each field of a row type sits: a row's values are looked up by field name."""
    return {name: index for index, name in enumerate(row_type._fields)}


TRAINING_AT, HANDOVER_AT = _positions(TrainingRow), _positions(HandoverRow)


@dataclass(frozen=True)
class CountryHandovers:
    """One country's handovers and its subtotal."""

    country: str
    country_name: str
    handovers: list[HandoverRow]

    def by_category(self) -> list[CategoryTotal]:
        """What was handed over, per category (never added across categories)."""
        return by_category(self.handovers)


def by_country(handovers: Iterable[HandoverRow]) -> list[CountryHandovers]:
    """Handovers (already in country order) gathered into one group per country."""
    return [
        CountryHandovers(code, name_of(code), list(rows))
        for code, rows in groupby(handovers, key=attrgetter("country"))
    ]


@dataclass(frozen=True)
class TrainingList:
    """Trainings in listing order, read from the store as they are iterated (once).

    ``close()`` (or ``contextlib.closing``) before the session ends: a reader that stopped
    early would otherwise leave the store's cursor to be closed after its connection.
    """

    trainings: Generator[TrainingRow, None, None]
    # As records (JSON, CSV): one per row, without when each was created and updated.
    row_type: ClassVar[type] = TrainingRow
    left_out: ClassVar[tuple[str, ...]] = STAMPS

    @property
    def rows(self) -> Generator[TrainingRow, None, None]:
        return self.trainings

    def close(self) -> None:
        self.trainings.close()


@dataclass(frozen=True)
class HandoverReport:
    """Handovers by country name, then date and id, read as they are iterated (once):
    one by one (``handovers``), or gathered by country with a subtotal each (``groups``).

    ``close()`` before the session ends, as for TrainingList.
    """

    handovers: Generator[HandoverRow, None, None]
    row_type: ClassVar[type] = HandoverRow  # as TrainingList
    left_out: ClassVar[tuple[str, ...]] = STAMPS

    @property
    def rows(self) -> Generator[HandoverRow, None, None]:
        return self.handovers

    def groups(self) -> list[CountryHandovers]:
        return by_country(self.handovers)

    def close(self) -> None:
        self.handovers.close()


@dataclass(frozen=True)
class Page:
    """Which of the matching records a listing shows: ``limit`` of them after ``offset``."""

    limit: int | None = None
    offset: int = 0

    def of(self, query: Select[Any]) -> Select[Any]:
        # Beyond MAX_ROWS a limit means "all" and an offset "past the end" just as well;
        # the databases take no integer beyond 64 bits.
        limit = None if self.limit is None else min(self.limit, MAX_ROWS)
        return query.limit(limit).offset(min(self.offset, MAX_ROWS) or None)


ALL = Page()


def _in_chunks(session: Session, query: Select[Any]) -> Iterator[Sequence[Any]]:
    """The rows of ``query``, CHUNK at a time, from a cursor kept open between chunks."""
    result = session.execute(query, execution_options={"yield_per": CHUNK})
    try:
        yield from result.partitions()
    finally:
        result.close()  # also when the reader stops early (`show` takes the first row)


def _stored_columns(table: Table, row_type: Any, stamps: bool, **computed: Any) -> list[Any]:
    """One column per field of ``row_type`` (a NamedTuple), in its order and labelled with
    its name: the store's column (``project_id`` for ``project``), a ``computed`` one, or
    NULL for what is filled in as the rows are read. The query is made from
    the row type's fields, so a row's values are the row type's, field for field."""
    from sqlalchemy import null

    columns = []
    for name in row_type._fields:
        if name == PROJECT_FIELD:
            columns.append(table.c[PROJECT_COLUMN].label(name))
        elif name in computed:
            columns.append(computed[name].label(name))
        elif name in STAMPS:
            columns.append(table.c[name] if stamps else null().label(name))
        elif name in table.c:
            columns.append(table.c[name])
        else:
            columns.append(null().label(name))
    return columns


def _training_columns(stamps: bool) -> list[Any]:
    c = TRAINING.c
    return _stored_columns(TRAINING, TrainingRow, stamps, days=day_span(c.start, c.end))


def _ordered(
    chosen: Callable[[Select[Any]], Select[Any]],
    source: Any,
    page: Page,
    order: Sequence[Any],
    page_order: Sequence[Any] | None = None,
) -> Callable[..., Select[Any]]:
    """A maker of queries over the records ``chosen`` (filters applied to a select from
    ``source``), all in one ``order`` that ends with the records' id, ready for a merge
    join: ``selected(columns)`` reads the records themselves, and
    ``selected(columns, joined, then)`` their child rows (agencies, items, officials)
    from ``joined`` (``source`` joined to the child table), by ``then`` within a record.

    A page (``--limit``/``--offset``) is chosen by id in ``page_order`` (``order`` unless
    given), the same subquery in every query, so records and children see the same page.
    """
    from sqlalchemy import select

    key = order[-1]

    def selected(
        columns: Sequence[Any], joined: Any = source, then: Sequence[Any] = ()
    ) -> Select[Any]:
        query = chosen(select(*columns).select_from(joined))
        if page != ALL:
            ids = chosen(select(key).select_from(source)).order_by(*(page_order or order))
            query = query.where(key.in_(page.of(ids).scalar_subquery()))
        return query.order_by(*order, *then)

    return selected


def _rows(session: Session, query: Select[Any]) -> Generator[Any, None, None]:
    for rows in _in_chunks(session, query):
        yield from rows


def _belonging(children: Iterator[Any]) -> Callable[[str], list[Any]]:
    """A reader of ``children`` (rows whose first column is their record's id, in the
    records' order) for one record at a time, as the records are read: a merge join."""
    groups = groupby(children, key=itemgetter(0))
    pending = next(groups, None)

    def of(record_id: str) -> list[Any]:
        nonlocal pending
        if pending is None or pending[0] != record_id:
            return []
        rows = list(pending[1])
        pending = next(groups, None)
        return rows

    return of


def list_trainings(
    session: Session, *, filters: Filters, page: Page = ALL, stamps: bool = False
) -> TrainingList:
    """Trainings by start date, then id, with the agencies represented in record order;
    with ``stamps``, when each was created and last updated.

    The agencies are read in one query in the same order and matched to their training
    as both are read (a merge join): no query per training or per chunk.
    """
    t, link = TRAINING.c, LINK.c
    selected = _ordered(partial(filter_trainings, filters=filters), TRAINING, page, (t.start, t.id))
    agencies = TRAINING.join(LINK, link.training_id == t.id).join(
        AGENCY, AGENCY.c.id == link.agency_id
    )
    return TrainingList(
        _trainings(
            session,
            selected(_training_columns(stamps)),
            selected((link.training_id, AGENCY.c.name), agencies, (link.position,)),
        )
    )


def _trainings(
    session: Session, query: Select[Any], agencies_query: Select[Any]
) -> Generator[TrainingRow, None, None]:
    with (
        closing(_rows(session, query)) as trainings,
        closing(_rows(session, agencies_query)) as agencies,
    ):
        agencies_of = _belonging(agencies)
        at = TRAINING_AT
        record_id, country = at["id"], at["country"]
        country_name, agencies_at = at["country_name"], at["agencies"]
        for row in trainings:
            values = list(row)
            values[country_name] = name_of(values[country])
            values[agencies_at] = [name for _, name in agencies_of(values[record_id])]
            yield TrainingRow._make(values)


def _country_order(session: Session) -> Any:
    """An ORDER BY term putting deliveries in the order of their countries' English names."""
    from sqlalchemy import case, select

    codes = session.scalars(select(DELIVERY.c.country).distinct()).all()
    ranks = {code: rank for rank, code in enumerate(sorted(codes, key=name_of))}
    return case(ranks, value=DELIVERY.c.country, else_=len(ranks)) if ranks else DELIVERY.c.country


def list_handovers(
    session: Session, *, filters: Filters, page: Page = ALL, stamps: bool = False
) -> HandoverReport:
    """Deliveries by country (by country name), then date, then id; ``stamps`` as for
    ``list_trainings``.

    A page is taken in date order over all countries, then put in country order. Items
    and officials are read in the same order, each in one query, and matched to their
    delivery as the three are read (a merge join): no query per delivery or per chunk.
    """
    c = DELIVERY.c
    joined = DELIVERY.join(AGENCY, AGENCY.c.id == c.agency_id)
    # One country needs no ranking of countries (and the store need not sort by it).
    order = (c.date, c.id) if filters.country else (_country_order(session), c.date, c.id)
    selected = _ordered(
        partial(filter_deliveries, filters=filters), joined, page, order, (c.date, c.id)
    )
    item, official = ITEM.c, OFFICIAL.c
    return HandoverReport(
        _handovers(
            session,
            selected(_stored_columns(DELIVERY, HandoverRow, stamps, agency=AGENCY.c.name)),
            selected((item.delivery_id, item.name, item.category, item.quantity, item.value,
                      item.currency),
                     joined.join(ITEM, item.delivery_id == c.id), (item.position,)),
            selected((official.delivery_id, official.name, official.title),
                     joined.join(OFFICIAL, official.delivery_id == c.id), (official.position,)),
        )
    )  # fmt: skip


def _handovers(
    session: Session, query: Select[Any], items_query: Select[Any], officials_query: Select[Any]
) -> Generator[HandoverRow, None, None]:
    with (
        closing(_rows(session, query)) as deliveries,
        closing(_rows(session, items_query)) as items,
        closing(_rows(session, officials_query)) as officials,
    ):
        items_of, officials_of = _belonging(items), _belonging(officials)
        at = HANDOVER_AT
        key, country, country_name = at["id"], at["country"], at["country_name"]
        items_at, officials_at = at["items"], at["officials"]
        for row in deliveries:
            values = list(row)
            record_id = values[key]
            values[country_name] = name_of(values[country])
            values[items_at] = [
                {"name": n, "category": c, "quantity": q, "value": v, "currency": u}
                for _, n, c, q, v, u in items_of(record_id)
            ]
            values[officials_at] = [{"name": n, "title": t} for _, n, t in officials_of(record_id)]
            yield HandoverRow._make(values)


# --- one record -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectView:
    id: str
    title: str
    start: dt.date | None
    end: dt.date | None
    implementers: list[str]
    donors: list[str]
    frameworks: list[str]
    iati: dict[str, Any] | None  # the IATI references as stored: iati_refs.iati_of reads them
    indicators: list[dict[str, Any]]  # as stored: models.indicators_of reads them
    sources: list[str]
    notes: str | None
    trainings: int
    deliveries: int
    created_at: dt.datetime
    updated_at: dt.datetime


RecordView = TrainingRow | HandoverRow | ProjectView | AgencyRow | SourceRow


def show_record(session: Session, *, record_id: str) -> RecordView:
    """The training, delivery or project with this id."""
    from sqlalchemy import func, select

    from .editing import one_kind_of

    kind = one_kind_of(session, record_id=record_id)
    if kind is AGENCIES:
        return list_agencies(session, record_id=record_id).agencies[0]
    if kind is SOURCES:
        return list_sources(session, record_id=record_id).sources[0]
    by_id = Filters(record_id=record_id)
    if kind is TRAININGS:
        with closing(list_trainings(session, filters=by_id, stamps=True)) as trainings:
            return next(trainings.trainings)
    if kind is DELIVERIES:
        with closing(list_handovers(session, filters=by_id, stamps=True)) as handovers:
            return next(handovers.handovers)
    project = session.execute(select(PROJECT).where(PROJECT.c.id == record_id)).mappings().one()

    def count(table: Table) -> int:
        query = select(func.count()).select_from(table).where(table.c.project_id == record_id)
        return int(session.scalar(query) or 0)

    fields = {k: v for k, v in project.items() if k != "fingerprint"}
    return ProjectView(**fields, trainings=count(TRAINING), deliveries=count(DELIVERY))
