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
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from .bounds import MAX_ROWS, in_range
from .countries import UnknownCountry, name_of, to_alpha2
from .errors import UsageError
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
from .periods import (
    Quarter,
    check_fiscal_start,
    check_year,
    day_span,
    quarter_index,
    year_range,
)
from .text import from_argv

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
    """A --from/--to date, moved into the years records may have: ``--from 0001-01-01``
    selects what ``--from 1990-01-01`` does, and keeps quarters within what dates hold."""
    if text is None:
        return None
    try:
        return in_range(parse_date(text))
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
            code = to_alpha2(_option_text("--country", country))
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
        try:
            check_year(year)
        except ValueError as exc:
            raise UsageError(f"--year: {exc}") from None
        ranges.append(year_range(year, fiscal_start))
    for first, last in ranges:  # every range given narrows the selection
        start = max(start, first) if start else first
        end = min(end, last) if end else last
    if start and end and end < start:
        raise UsageError(f"the options select no dates: from {start} to {end}")
    needle = search_key(_option_text("--agency", agency)).strip() if agency else None
    if project is not None:
        project = _option_text("--project", project)
    return Filters(country=code, start=start, end=end, agency=needle or None, project=project)


def _option_text(option: str, value: str) -> str:
    """An option's text as typed (``text.from_argv``); bytes that are not UTF-8 are refused."""
    text = from_argv(value)
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise UsageError(f"{option}: not UTF-8 text: {text!r}")
    return text


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
    from sqlalchemy import select

    query = _filter_common(query, filters, TRAINING, "start")
    if filters.agency:
        # The few matching agencies first, then their trainings through the link's index:
        # far cheaper than testing every training's agencies against the pattern.
        matching = select(AGENCY.c.id).where(_agency_matches(filters.agency))
        represented = select(LINK.c.training_id).where(LINK.c.agency_id.in_(matching))
        query = query.where(TRAINING.c.id.in_(represented))
    return query


def _filter_deliveries(query: Select[Any], filters: Filters) -> Select[Any]:
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
    source: str | None
    notes: str | None
    created_at: dt.datetime | None  # read for `show` only: listings leave them out
    updated_at: dt.datetime | None


class ItemRow(TypedDict):
    name: str
    quantity: int | None
    value_usd: float | None


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
    unit: str | None
    items: list[ItemRow]
    purpose: str | None
    officials: list[OfficialRow]
    source: str | None
    notes: str | None
    created_at: dt.datetime | None  # as for TrainingRow
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class CountryHandovers:
    """One country's handovers and its subtotal."""

    country: str
    country_name: str
    handovers: list[HandoverRow]

    @property
    def quantity_stated(self) -> int:
        """Units handed over where the source gives a number."""
        return sum(i["quantity"] or 0 for h in self.handovers for i in h.items)

    @property
    def quantities_complete(self) -> bool:
        return all(i["quantity"] is not None for h in self.handovers for i in h.items)


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

    def close(self) -> None:
        self.trainings.close()


@dataclass(frozen=True)
class HandoverReport:
    """Handovers by country name, then date and id, read as they are iterated (once).

    ``close()`` before the session ends, as for TrainingList.
    """

    handovers: Generator[HandoverRow, None, None]

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


def _stamps(table: Table, stamps: bool) -> tuple[Any, Any]:
    """``created_at`` and ``updated_at``, or NULLs: a listing does not show them, and
    reading and converting two timestamps a row is a sixth of a long listing's work."""
    from sqlalchemy import null

    return (table.c.created_at, table.c.updated_at) if stamps else (null(), null())


def _training_columns(stamps: bool) -> tuple[Any, ...]:
    c = TRAINING.c
    return (
        c.id, c.project_id, c.title, c.country, c.city, c.start, c.end,
        day_span(c.start, c.end), c.participants, c.approximate, c.female, c.male,
        c.audience, c.topics, c.organisers, c.source, c.notes, *_stamps(TRAINING, stamps),
    )  # fmt: skip


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
    selected = _ordered(
        partial(_filter_trainings, filters=filters), TRAINING, page, (t.start, t.id)
    )
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
        for (id_, project, title, country, city, start, end, days, participants, approximate,
             female, male, audience, topics, organisers, source, notes, created, updated) in trainings:  # fmt: skip
            yield TrainingRow(
                id_, project, title, country, name_of(country), city, start, end, days,
                participants, approximate, female, male, [name for _, name in agencies_of(id_)],
                audience, topics, organisers, source, notes, created, updated,
            )  # fmt: skip


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
        partial(_filter_deliveries, filters=filters), joined, page, order, (c.date, c.id)
    )
    item, official = ITEM.c, OFFICIAL.c
    return HandoverReport(
        _handovers(
            session,
            selected((c.id, c.project_id, c.date, c.country, AGENCY.c.name, c.unit, c.purpose,
                      c.source, c.notes, *_stamps(DELIVERY, stamps))),
            selected((item.delivery_id, item.name, item.quantity, item.value_usd),
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
        for (id_, project, date, country, agency, unit, purpose, source, notes, created,
             updated) in deliveries:  # fmt: skip
            yield HandoverRow(
                id_, project, date, country, name_of(country), agency, unit,
                [{"name": n, "quantity": q, "value_usd": v} for _, n, q, v in items_of(id_)],
                purpose, [{"name": n, "title": t} for _, n, t in officials_of(id_)],
                source, notes, created, updated,
            )  # fmt: skip


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
    """The training, delivery or project with this id."""
    from sqlalchemy import func, select

    from .store import one_kind_of

    kind = one_kind_of(session, record_id=record_id)
    by_id = Filters(record_id=record_id)
    if kind == "trainings":
        with closing(list_trainings(session, filters=by_id, stamps=True)) as trainings:
            return next(trainings.trainings)
    if kind == "deliveries":
        with closing(list_handovers(session, filters=by_id, stamps=True)) as handovers:
            return next(handovers.handovers)
    project = session.execute(select(PROJECT).where(PROJECT.c.id == record_id)).mappings().one()

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
        raise UsageError(f"--fiscal-year-start: {exc}") from None
    t, d = TRAINING.c, DELIVERY.c
    days = day_span(t.start, t.end)
    t_quarter, d_quarter = quarter_index(t.start), quarter_index(d.date)
    trainings_query = _filter_trainings(
        select(
            t_quarter.label("quarter"),
            func.count().label("trainings"),
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
