"""Input models (validation) and SQLModel tables (storage).

Input models (``ProjectIn``, ``TrainingIn``, ``DeliveryIn``) are non-table models with
``extra="forbid"``: every record, from a file or from command-line flags, is validated
by them. Table models (``table=True``) do not validate, so they are only ever built from
an input model that already passed (see ``store.py``).

Decisions not spelt out in DESIGN §1 (also in the README):
- ``approximate`` omitted means ``false``: a count is exact unless the source says otherwise.
- When ``approximate`` is true, ``participants`` is a lower bound, so ``female + male`` may
  exceed it; when it is exact, ``female + male`` may not.
- Text is NFC-normalised and stripped of surrounding white space; empty text is an error
  (write ``null`` for "not known"). Control characters, bidirectional controls and unpaired
  surrogates are refused (``text.py``); only ``notes`` may hold tabs and line breaks.
- Counts, values and dates are bounded (``bounds.py``): up to 1,000,000 per count, dates
  from 1990 to 2100.
- A list of names (agencies, audience, topics, ...) may not name the same thing twice
  (compared as ``--agency`` searches, case, Unicode form and runs of spaces aside).
- Projects also take optional ``sources`` and ``notes``, like the other records, a
  declared period (``start``, ``end``: either may be null) and a results framework
  (``indicators``: ``IndicatorIn``, stored as a JSON list and read back by
  ``indicators_of``). An indicator has a ``measure`` the records count or values
  ``reported`` per quarter, never both; its numbers keep their type (200 stays 200); year
  and quarter keys are stored as ``periods`` labels them (``FY2025-26``, ``2025-Q1``).
- Text, ids, dates, counts and amounts are the types of ``fields.py``.
- Record format 2 (``SourceIn``, ``AgencyIn``, item categories and values) reads the
  fields of version 1 too, in either version: ``source: TEXT`` becomes a source entity
  (``records.py``) and an item's ``value_usd`` its ``value`` in ``USD``. They are never
  written back (``exclude``): an export is version 2.

Records read back from the store are built with ``trusted_*()``, without validation: the
store holds what was validated when it was written, and a store written before a rule was
added must still export, so that the file can be corrected and loaded again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from sqlalchemy import JSON, CheckConstraint, Date, DateTime, Index, Table
from sqlmodel import Field as TableField
from sqlmodel import SQLModel

from .equipment import CATEGORIES, OTHER

# What other modules take from here, though fields.py defines it (`X as X`: re-exported).
from .fields import SLUG_RE as SLUG_RE  # noqa: PLC0414
from .fields import (
    Amount,
    Category,
    Count,
    Country,
    Currency,
    Disaggregation,
    IsoDate,
    Language,
    LegacySource,
    Notes,
    PartialDate,
    QuarterValues,
    Slug,
    SlugList,
    StrictMoney,
    Text,
    TextList,
    Url,
    YearTargets,
    value_errors,
)
from .fields import InputModel as InputModel  # noqa: PLC0414
from .fields import name_key as name_key  # noqa: PLC0414
from .fields import names_key as names_key  # noqa: PLC0414
from .fields import parse_date as parse_date  # noqa: PLC0414
from .fields import search_key as search_key  # noqa: PLC0414
from .iati_refs import IatiIn, iati_of

# --- input models -----------------------------------------------------------------------


class ItemIn(InputModel):
    name: Text
    category: Category = OTHER
    quantity: Count | None = None
    value: StrictMoney = None
    currency: Currency | None = None
    # Version 1: a value in US dollars; read as value + USD.
    value_usd: Annotated[StrictMoney, Field(exclude=True)] = None

    @model_validator(mode="after")
    def _value_with_currency(self) -> ItemIn:
        if self.value_usd is not None:
            if self.value is not None or self.currency is not None:
                raise ValueError("give value and currency, or value_usd, not both")
            # Set without validate_assignment, which would run this validator again.
            self.__dict__.update(value=self.value_usd, currency="USD", value_usd=None)
        if self.value is not None and self.currency is None:
            raise ValueError("a value needs its currency: add currency (ISO 4217, e.g. USD)")
        if self.currency is not None and self.value is None:
            raise ValueError(f"currency {self.currency} is given without a value")
        return self


class SourceIn(InputModel):
    """A document that records cite: what a donor can look up."""

    id: Slug
    title: Text
    publisher: Text | None = None
    kind: Text | None = None
    date: PartialDate | None = None
    url: Url | None = None
    language: Language | None = None


class AgencyIn(InputModel):
    """A national agency, under its names in every language and its other spellings."""

    id: Slug
    country: Country
    name: Text
    names: Annotated[dict[Language, Text], Field(default_factory=dict)]
    aliases: TextList

    def all_names(self) -> list[str]:
        """Its name, its names in other languages and its aliases (what a reference or
        ``--agency`` may give)."""
        return [self.name, *self.names.values(), *self.aliases]


class OfficialIn(InputModel):
    name: Text
    title: Text | None = None


def _end_not_before_start(end: dt.date | None, info: ValidationInfo) -> dt.date | None:
    start = info.data.get("start")
    if start is not None and end is not None and end < start:
        raise ValueError(f"end {end} is before start {start}")
    return end


class Measure(str, Enum):
    """What an indicator counts from the records, as ``summary`` and ``report`` count it."""

    TRAININGS = "trainings"
    TRAINING_DAYS = "training_days"
    PARTICIPANTS = "participants"
    FEMALE = "female"
    MALE = "male"
    PERSON_DAYS = "person_days"
    AGENCIES_TRAINED = "agencies_trained"
    DELIVERIES = "deliveries"
    RECIPIENTS = "recipients"
    ITEMS = "items"
    COUNTRIES = "countries"


# The measures that may be split by sex (disaggregate: [sex]).
BY_SEX = (Measure.PARTICIPANTS, Measure.PERSON_DAYS)


def _known_measure(value: Any) -> Any:
    if isinstance(value, str) and value not in Measure._value2member_map_:
        raise ValueError(
            f"unknown measure {value!r}; one of: {', '.join(m.value for m in Measure)}"
        )
    return value


class IndicatorIn(InputModel):
    """An indicator of a project's results framework (PMF): counted from the records
    (``measure``), or given per quarter (``reported``), never both."""

    id: Slug
    title: Text
    unit: Text | None = None
    baseline: Amount | None = None
    target: Amount | None = None  # over the life of the project
    targets: YearTargets  # per year: "2026", "FY2025-26"
    measure: Annotated[Measure | None, BeforeValidator(_known_measure)] = None
    category: Annotated[Category | None, Field(validate_default=True)] = None
    disaggregate: Disaggregation
    reported: QuarterValues = None  # per quarter: "2025-Q1"

    @field_validator("category")
    @classmethod
    def _category_of_items(cls, category: str | None, info: ValidationInfo) -> str | None:
        if "measure" not in info.data:  # the measure is wrong itself
            return category
        if info.data["measure"] is Measure.ITEMS:
            if category is None:
                raise ValueError(
                    "measure items counts the items of one category: add category (one of: "
                    f"{', '.join(CATEGORIES)})"
                )
        elif category is not None:
            raise ValueError("a category goes with measure: items only")
        return category

    @field_validator("disaggregate")
    @classmethod
    def _split_a_measure(cls, parts: list[str], info: ValidationInfo) -> list[str]:
        measure = info.data.get("measure")
        if not parts or "measure" not in info.data:
            return parts
        if measure is None:
            raise ValueError(
                "only an indicator with a measure is disaggregated; a reported one is not"
            )
        if "sex" in parts and measure not in BY_SEX:
            raise ValueError(
                f"sex splits measure {' or '.join(m.value for m in BY_SEX)} only, not "
                f"{measure.value}"
            )
        return parts

    @model_validator(mode="after")
    def _measure_or_reported(self) -> IndicatorIn:
        if self.measure is not None and self.reported is not None:
            raise ValueError("give either measure or reported, not both")
        if self.measure is None and self.reported is None:
            raise ValueError(
                "give either measure or reported: measure for what the records count "
                f"({', '.join(m.value for m in Measure)}), reported for values per quarter"
            )
        return self


def _indicator_ids_once(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The indicators, each id once: a second use is reported at its own id, together with
    what else is wrong in them (a file's problems are listed at once)."""
    from pydantic_core import InitErrorDetails, ValidationError

    repeated: list[tuple[tuple[str | int, ...], Any, str]] = []
    first: dict[str, int] = {}
    for index, data in enumerate(value if isinstance(value, list) else ()):
        given = data.get("id") if isinstance(data, dict) else None
        if not isinstance(given, str):
            continue  # the indicator's own validation says what is wrong
        if given not in first:
            first[given] = index
            continue
        message = (
            f"indicator id {given!r} is used twice (first at indicators[{first[given]}]); "
            "an id names one indicator of the project"
        )
        repeated.append(((index, "id"), given, message))
    try:
        indicators = handler(value)
    except ValidationError as exc:
        if not repeated:
            raise
        errors = [
            InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"], ctx=e.get("ctx", {}))
            for e in exc.errors()
        ]
        raise ValidationError.from_exception_data(
            exc.title, errors + value_errors(repeated)
        ) from None
    if repeated:
        raise ValidationError.from_exception_data("indicators", value_errors(repeated))
    return indicators


class ProjectIn(InputModel):
    id: Slug
    title: Text
    start: IsoDate | None = None  # the project's declared period
    end: IsoDate | None = None
    implementers: TextList
    donors: TextList
    frameworks: TextList
    iati: IatiIn | None = None  # the IATI references an export needs (iati_refs.py)
    indicators: Annotated[
        list[IndicatorIn], Field(default_factory=list), WrapValidator(_indicator_ids_once)
    ]
    sources: SlugList
    source: LegacySource = None
    notes: Notes | None = None

    _end_after_start = field_validator("end")(_end_not_before_start)


class TrainingIn(InputModel):
    id: Slug
    project: Slug | None = None
    title: Text
    country: Country
    city: Text | None = None
    start: IsoDate
    end: IsoDate
    participants: Count | None = None
    approximate: Annotated[bool, Field(strict=True)] = False
    female: Count | None = None
    male: Annotated[Count | None, Field(validate_default=True)] = None
    audience: TextList
    agencies: TextList
    topics: TextList
    organisers: TextList
    sources: SlugList
    source: LegacySource = None
    notes: Notes | None = None

    _end_after_start = field_validator("end")(_end_not_before_start)

    @field_validator("female")
    @classmethod
    def _female_within_participants(cls, female: int | None, info: ValidationInfo) -> int | None:
        participants = info.data.get("participants")
        exact = not info.data.get("approximate", False)
        if female is not None and participants is not None and exact and female > participants:
            raise ValueError(f"female ({female}) exceeds participants ({participants})")
        return female

    @field_validator("male")
    @classmethod
    def _sexes_within_participants(cls, male: int | None, info: ValidationInfo) -> int | None:
        participants = info.data.get("participants")
        exact = not info.data.get("approximate", False)
        if male is None or participants is None or not exact:
            return male
        female = info.data.get("female") or 0
        if female + male > participants:
            raise ValueError(
                f"female + male ({female} + {male} = {female + male}) exceeds "
                f"participants ({participants}); set approximate: true if participants is "
                "a lower bound"
            )
        return male


class DeliveryIn(InputModel):
    id: Slug
    project: Slug | None = None
    date: IsoDate
    country: Country
    agency: Text
    unit: Text | None = None
    items: Annotated[list[ItemIn], Field(min_length=1)]
    purpose: Text | None = None
    officials: Annotated[list[OfficialIn], Field(default_factory=list)]
    sources: SlugList
    source: LegacySource = None
    notes: Notes | None = None


def trusted_source(data: dict[str, Any]) -> SourceIn:
    return SourceIn.model_construct(**data)


def trusted_agency(data: dict[str, Any]) -> AgencyIn:
    return AgencyIn.model_construct(**data)


def trusted_project(data: dict[str, Any]) -> ProjectIn:
    """A project read back from the store (not validated again: see the module's doc)."""
    indicators = indicators_of(data.pop("indicators", None))
    iati = iati_of(data.pop("iati", None))
    return ProjectIn.model_construct(**data, iati=iati, indicators=indicators)


def indicators_of(stored: Iterable[Mapping[str, Any]] | None) -> list[IndicatorIn]:
    """The indicators of a project row (its JSON column ``indicators``, as the store
    returns it) as input models, not validated again: ``measure`` a ``Measure``."""
    indicators = []
    for data in stored or ():
        values = dict(data)
        if values.get("measure") in Measure._value2member_map_:
            values["measure"] = Measure(values["measure"])
        indicators.append(IndicatorIn.model_construct(**values))
    return indicators


def trusted_training(data: dict[str, Any]) -> TrainingIn:
    return TrainingIn.model_construct(**data)


def trusted_delivery(data: dict[str, Any]) -> DeliveryIn:
    items = [ItemIn.model_construct(**item) for item in data.pop("items")]
    officials = [OfficialIn.model_construct(**o) for o in data.pop("officials")]
    return DeliveryIn.model_construct(**data, items=items, officials=officials)


# --- tables -----------------------------------------------------------------------------


def table_of(model: Any) -> Table:
    """The SQLAlchemy Core table of a table model (what the services query and write)."""
    table: Table = model.__table__
    return table


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _json_list() -> Any:
    return TableField(default_factory=list, sa_type=JSON, nullable=False)


class Stamped(SQLModel):
    """Columns every top-level record has besides its own fields."""

    # Hash of the validated record: lets a load tell "unchanged" from "updated" in bulk.
    fingerprint: str
    created_at: dt.datetime = TableField(
        default_factory=_utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
    updated_at: dt.datetime = TableField(
        default_factory=_utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class DeliveryPart(SQLModel):
    """A row listed under a delivery, kept in the record's order; goes with its delivery."""

    delivery_id: str = TableField(foreign_key="delivery.id", ondelete="CASCADE", primary_key=True)
    position: int = TableField(primary_key=True)


class Source(Stamped, table=True):
    __tablename__ = "source"

    id: str = TableField(primary_key=True)
    title: str
    publisher: str | None = None
    kind: str | None = None
    date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    url: str | None = None
    language: str | None = None


class Agency(Stamped, table=True):
    """A national agency; trainings and deliveries refer to it by id."""

    __tablename__ = "agency"

    id: str = TableField(primary_key=True)
    country: str = TableField(max_length=2, index=True)
    name: str
    names: dict[str, str] = TableField(default_factory=dict, sa_type=JSON, nullable=False)
    aliases: list[str] = _json_list()
    # Every name, translation and alias, folded (models.search_key), one per line: what
    # --agency searches (a query has no line break, so it never matches across two names).
    search_key: str


class Project(Stamped, table=True):
    __tablename__ = "project"
    __table_args__ = (CheckConstraint('"end" >= start', name="ck_project_end_after_start"),)

    id: str = TableField(primary_key=True)
    title: str
    start: dt.date | None = TableField(default=None, sa_type=Date)
    end: dt.date | None = TableField(default=None, sa_type=Date)
    implementers: list[str] = _json_list()
    donors: list[str] = _json_list()
    frameworks: list[str] = _json_list()
    # The IatiIn mapping as the record format writes it, or null: iati_refs.iati_of.
    iati: dict[str, Any] | None = TableField(default=None, sa_type=JSON)
    # Each indicator as the record format writes it (IndicatorIn, JSON values): indicators_of.
    indicators: list[dict[str, Any]] = _json_list()
    sources: list[str] = _json_list()
    notes: str | None = None


class Training(Stamped, table=True):
    __tablename__ = "training"
    __table_args__ = (
        Index("ix_training_start_country", "start", "country"),
        # The same checks as the input models, for writes that bypass them (migration 0002).
        CheckConstraint('"end" >= start', name="ck_training_end_after_start"),
        CheckConstraint(
            "participants >= 0 AND female >= 0 AND male >= 0", name="ck_training_counts"
        ),
    )

    id: str = TableField(primary_key=True)
    project_id: str | None = TableField(default=None, foreign_key="project.id", index=True)
    title: str
    country: str = TableField(max_length=2, index=True)
    city: str | None = None
    start: dt.date = TableField(sa_type=Date, nullable=False)
    end: dt.date = TableField(sa_type=Date, nullable=False)
    participants: int | None = None
    approximate: bool = False
    female: int | None = None
    male: int | None = None
    audience: list[str] = _json_list()
    topics: list[str] = _json_list()
    organisers: list[str] = _json_list()
    sources: list[str] = _json_list()
    notes: str | None = None


class TrainingAgency(SQLModel, table=True):
    """The agencies represented at a training, in the order the record lists them."""

    __tablename__ = "training_agency"

    training_id: str = TableField(foreign_key="training.id", ondelete="CASCADE", primary_key=True)
    position: int = TableField(primary_key=True)
    agency_id: str = TableField(foreign_key="agency.id", index=True)


class Delivery(Stamped, table=True):
    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_date_country", "date", "country"),)

    id: str = TableField(primary_key=True)
    project_id: str | None = TableField(default=None, foreign_key="project.id", index=True)
    date: dt.date = TableField(sa_type=Date, nullable=False)
    country: str = TableField(max_length=2, index=True)
    agency_id: str = TableField(foreign_key="agency.id", index=True)
    unit: str | None = None
    purpose: str | None = None
    sources: list[str] = _json_list()
    notes: str | None = None


class DeliveryItem(DeliveryPart, table=True):
    __tablename__ = "delivery_item"
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND value >= 0", name="ck_delivery_item_amounts"),
    )

    name: str
    category: str = TableField(default=OTHER, index=True)
    quantity: int | None = None
    value: float | None = None
    currency: str | None = TableField(default=None, max_length=3)


class Official(DeliveryPart, table=True):
    """An official who spoke at a handover, as the source names them."""

    __tablename__ = "official"

    name: str
    title: str | None = None
