"""One definition of every figure the reports print: ``summary``, ``report`` and
``indicators`` all count through here, so they cannot disagree on the same records.

A figure is a ``Count``: known, a lower bound (``≥``), or not reported (``—``, JSON
``null``). The rules, per training (also in the README):

- **participants** counted are the stated count, or the women and men stated where those
  are more (a lower bound "over 16" may be exceeded by them); the count is a lower bound
  when the source gives an approximate count or none;
- **female** and **male** are the sums of the counts the records state: known when every
  training states it, a lower bound when only some do, not reported when none does;
- **not reported by sex** is the rest: female + male + not reported = participants;
- the **share of women** is taken over the trainings that state the number of women and
  an exact participant count, and says over how many it was taken;
- **person-days** are participants × inclusive training days, a lower bound with them.

Sums and counts are gathered in SQL (``TrainingTally``, additive: the total of a summary
is the sum of its quarters), and turned into Counts in Python, in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from .equipment import CategoryTotal, added, rank
from .kinds import DELIVERIES, TRAININGS
from .periods import day_span, quarter_index
from .reports import (
    AGENCY,
    DELIVERY,
    ITEM,
    LINK,
    TRAINING,
    Filters,
    filter_deliveries,
    filter_trainings,
)

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class Count:
    """A figure as the record supports it: ``value`` None is "not reported"."""

    value: int | None
    lower_bound: bool = False

    @property
    def reported(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Share:
    """The share of women, over the trainings that state it (``over`` of ``of``)."""

    percent: float | None  # None when no training states the number of women
    over: int
    of: int


@dataclass(frozen=True)
class TrainingTally:
    """Sums and counts over some trainings, as SQL gives them: each adds across parts."""

    trainings: int = 0
    training_days: int = 0
    participants: int = 0  # counted participants (stated, or women + men where more)
    uncertain: int = 0  # trainings whose participant count is a lower bound
    female: int = 0
    female_stated: int = 0  # trainings stating the number of women
    male: int = 0
    male_stated: int = 0
    sex_not_reported: int = 0
    female_days: int = 0
    male_days: int = 0
    share_female: int = 0  # women, over trainings stating them and an exact count
    share_participants: int = 0
    share_trainings: int = 0
    person_days: int = 0

    def __add__(self, other: TrainingTally) -> TrainingTally:
        return TrainingTally(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> TrainingTally:
        """From a row of ``tally_columns()`` (an aggregate over no rows gives nulls: 0)."""
        return cls(**{f.name: int(row[f.name] or 0) for f in fields(cls)})

    @property
    def lower_bound(self) -> bool:
        return self.uncertain > 0

    def _stated(self, total: int, stated: int) -> Count:
        if self.trainings and not stated:
            return Count(None)
        return Count(total, stated < self.trainings)

    @property
    def participants_count(self) -> Count:
        return Count(self.participants, self.lower_bound)

    @property
    def female_count(self) -> Count:
        return self._stated(self.female, self.female_stated)

    @property
    def male_count(self) -> Count:
        return self._stated(self.male, self.male_stated)

    @property
    def not_reported_count(self) -> Count:
        """Participants whose sex no record states: female + male + this = participants."""
        return Count(self.sex_not_reported, self.lower_bound)

    @property
    def person_days_count(self) -> Count:
        return Count(self.person_days, self.lower_bound)

    @property
    def female_days_count(self) -> Count:
        return self._stated(self.female_days, self.female_stated)

    @property
    def male_days_count(self) -> Count:
        return self._stated(self.male_days, self.male_stated)

    @property
    def not_reported_days_count(self) -> Count:
        """Person-days of the participants whose sex no record states."""
        return Count(self.person_days - self.female_days - self.male_days, self.lower_bound)

    @property
    def women_share(self) -> Share:
        percent = None
        if self.share_participants:
            percent = round(100 * self.share_female / self.share_participants, 1)
        return Share(percent, self.share_trainings, self.trainings)


def tally_columns() -> list[Any]:
    """The aggregates of ``TrainingTally`` over selected trainings, labelled by its fields."""
    from sqlalchemy import and_, case, func

    t = TRAINING.c
    days = day_span(t.start, t.end)
    female, male = func.coalesce(t.female, 0), func.coalesce(t.male, 0)
    stated = func.coalesce(t.participants, 0)
    counted = case((female + male > stated, female + male), else_=stated)
    exact = and_(t.female.is_not(None), t.participants.is_not(None), t.approximate.is_(False))
    return [
        func.count().label(TRAININGS.plural),
        func.sum(days).label("training_days"),
        func.sum(counted).label("participants"),
        func.sum(case((t.approximate | t.participants.is_(None), 1), else_=0)).label("uncertain"),
        func.sum(t.female).label("female"),
        func.count(t.female).label("female_stated"),
        func.sum(t.male).label("male"),
        func.count(t.male).label("male_stated"),
        func.sum(counted - female - male).label("sex_not_reported"),
        func.sum(t.female * days).label("female_days"),
        func.sum(t.male * days).label("male_days"),
        func.sum(case((exact, t.female), else_=0)).label("share_female"),
        func.sum(case((exact, t.participants), else_=0)).label("share_participants"),
        func.sum(case((exact, 1), else_=0)).label("share_trainings"),
        func.sum(counted * days).label("person_days"),
    ]


@dataclass(frozen=True)
class Figures:
    """What some records (a span, a country, an agency) add up to."""

    tally: TrainingTally = TrainingTally()  # of the trainings
    agencies_trained: int = 0  # distinct agencies represented at the trainings
    deliveries: int = 0
    recipients: int = 0  # distinct recipient agencies
    equipment: tuple[CategoryTotal, ...] = ()  # per category, in the list's order
    countries: tuple[str, ...] = ()

    def __add__(self, other: Figures) -> Figures:
        """Figures of two parts that share no agency (two countries, say)."""
        return Figures(
            tally=self.tally + other.tally,
            agencies_trained=self.agencies_trained + other.agencies_trained,
            deliveries=self.deliveries + other.deliveries,
            recipients=self.recipients + other.recipients,
            equipment=tuple(added([*self.equipment, *other.equipment])),
            countries=tuple(sorted({*self.countries, *other.countries})),
        )

    def category(self, category: str) -> CategoryTotal:
        for total in self.equipment:
            if total.category == category:
                return total
        return CategoryTotal(category)


def item_quantity(total: CategoryTotal) -> Count:
    """The units of a category handed over: not reported when no line of it states a
    quantity, a lower bound when a handover has a line that states none."""
    if total.handovers and not total.quantity_known:
        return Count(None)
    return Count(total.quantity, total.quantity_lower_bound)


# --- grouping ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Grouping:
    """How records are grouped: SQL for a training's key and for a delivery's (None: one
    group of everything); ``by_agency`` counts a training once for each agency at it."""

    training: Callable[[], Any] | None = None
    delivery: Callable[[], Any] | None = None
    by_agency: bool = False


TOTAL = Grouping()
BY_COUNTRY = Grouping(lambda: TRAINING.c.country, lambda: DELIVERY.c.country)
BY_QUARTER = Grouping(
    lambda: quarter_index(TRAINING.c.start), lambda: quarter_index(DELIVERY.c.date)
)
BY_AGENCY = Grouping(lambda: LINK.c.agency_id, lambda: DELIVERY.c.agency_id, by_agency=True)


@dataclass
class _Gathered:
    values: dict[str, Any] = field(default_factory=dict)
    equipment: dict[str, CategoryTotal] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)


def figures(
    session: Session, *, filters: Filters, by: Grouping = TOTAL, equipment: bool = True
) -> dict[Any, Figures]:
    """The figures of the records ``filters`` select, per group of ``by`` (key None for
    TOTAL), in a few queries. Without ``equipment``: no categories nor distinct agencies."""
    from sqlalchemy import distinct, func, null, select

    t, d = TRAINING.c, DELIVERY.c
    t_key = (by.training or null)().label("key")
    d_key = (by.delivery or null)().label("key")
    trained = TRAINING.join(LINK, LINK.c.training_id == t.id)
    to_agency = DELIVERY.join(AGENCY, AGENCY.c.id == d.agency_id)

    def grouped(query: Any) -> Any:
        return query.group_by(t_key) if by.training else query

    def grouped_d(query: Any, *more: Any) -> Any:
        return query.group_by(d_key, *more) if by.delivery else query.group_by(*more)

    gathered: dict[Any, _Gathered] = {}

    def at(key: Any) -> _Gathered:
        return gathered.setdefault(key, _Gathered())

    trainings = select(t_key, *tally_columns()).select_from(trained if by.by_agency else TRAINING)
    for row in session.execute(grouped(filter_trainings(trainings, filters))).mappings():
        if row[TRAININGS.plural]:
            at(row["key"]).values["tally"] = TrainingTally.of(row)
    deliveries = select(
        d_key,
        func.count().label(DELIVERIES.plural),
        func.count(distinct(d.agency_id)).label("recipients"),
    ).select_from(to_agency)
    for row in session.execute(grouped_d(filter_deliveries(deliveries, filters))).mappings():
        if row[DELIVERIES.plural]:
            at(row["key"]).values.update({DELIVERIES.plural: int(row[DELIVERIES.plural]),
                                          "recipients": int(row["recipients"])})  # fmt: skip
    reached = (
        filter_trainings(
            select(t_key, t.country).select_from(trained if by.by_agency else TRAINING), filters
        ),
        filter_deliveries(select(d_key, d.country).select_from(to_agency), filters),
    )
    for query in reached:
        for key, country in session.execute(query.distinct()):
            at(key).countries.add(country)
    if equipment:
        _equipment(session, filters, by, at, t_key, d_key, trained, to_agency)
    return {
        key: Figures(
            countries=tuple(sorted(g.countries)),
            equipment=tuple(sorted(g.equipment.values(), key=lambda e: rank(e.category))),
            **g.values,
        )
        for key, g in gathered.items()
    }


def _equipment(
    session: Session,
    filters: Filters,
    by: Grouping,
    at: Callable[[Any], _Gathered],
    t_key: Any,
    d_key: Any,
    trained: Any,
    to_agency: Any,
) -> None:
    """Distinct agencies trained, and per category what was handed over."""
    from sqlalchemy import case, distinct, func, select

    d, i = DELIVERY.c, ITEM.c
    agencies = filter_trainings(
        select(t_key, func.count(distinct(LINK.c.agency_id)).label("agencies")).select_from(
            trained
        ),
        filters,
    )
    if by.training:
        agencies = agencies.group_by(t_key)
    for key, count in session.execute(agencies):
        if count:
            at(key).values["agencies_trained"] = int(count)
    handed_over = to_agency.join(ITEM, i.delivery_id == d.id)
    keys = [d_key, i.category] if by.delivery else [i.category]
    categories = filter_deliveries(
        select(
            d_key,
            i.category,
            func.count(distinct(d.id)).label("handovers"),
            func.count(distinct(d.agency_id)).label("recipients"),
            func.coalesce(func.sum(i.quantity), 0).label("quantity"),
            func.count(i.quantity).label("stated"),
            func.count(distinct(case((i.quantity.is_(None), d.id)))).label("unstated"),
        ).select_from(handed_over),
        filters,
    ).group_by(*keys)
    for row in session.execute(categories).mappings():
        at(row["key"]).equipment[row["category"]] = CategoryTotal(
            row["category"],
            handovers=int(row["handovers"]),
            recipients=int(row["recipients"]),
            quantity=int(row["quantity"]),
            stated=int(row["stated"]),
            unstated=int(row["unstated"]),
        )
    valued = filter_deliveries(
        select(d_key, i.category, i.currency, func.sum(i.value).label("value"))
        .select_from(handed_over)
        .where(i.value.is_not(None)),
        filters,
    ).group_by(*keys, i.currency)
    for key, category, currency, value in session.execute(valued):
        at(key).equipment[category].values[currency] = float(value)


def iter_counts(tally: TrainingTally) -> Iterator[tuple[str, Count]]:
    """The sex-disaggregated counts of a tally, by name, in the order reports show them."""
    yield "participants", tally.participants_count
    yield "female", tally.female_count
    yield "male", tally.male_count
    yield "not_reported_by_sex", tally.not_reported_count
