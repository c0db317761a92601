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
- Projects also take optional ``sources`` and ``notes``, like the other records.
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
import re
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import BaseModel as _PydanticBase
from sqlalchemy import JSON, CheckConstraint, Date, DateTime, Index, Table
from sqlmodel import Field as TableField
from sqlmodel import SQLModel

from .bounds import EARLIEST, LATEST, MAX_COUNT, MAX_LINE, MAX_NOTES, MAX_VALUE
from .countries import UnknownCountry, to_alpha2
from .equipment import CATEGORIES, OTHER
from .text import unsafe_character

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A date known to the year, the month or the day (a source's publication date).
PARTIAL_DATE_RE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
# A BCP 47 language tag as people write them: ru, kk, uz-Latn, ru-KZ.
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def search_key(text: str) -> str:
    """Normalised, case-folded form of a name for substring search.

    SQLite's ``lower()``/``LIKE`` fold ASCII only; folding in Python on write (and the
    query the same way on read) makes ``мвд`` find ``МВД`` on every database alike.
    NFKC also makes a decomposed (NFD) name equal to its composed form.
    """
    return unicodedata.normalize("NFKC", text).casefold()


def name_key(name: str) -> str:
    """A name as two spellings of it compare equal: folded, runs of spaces made one."""
    return " ".join(search_key(name).split())


def names_key(names: list[str]) -> str:
    """An agency's ``search_key``: each of its names folded, one per line."""
    return "\n".join(dict.fromkeys(name_key(name) for name in names))


# --- field types ----------------------------------------------------------------------


def _clean_text(value: str, *, multiline: bool = False) -> str:
    if multiline:
        value = value.replace("\r\n", "\n")  # a file saved on Windows
    # Checked before NFC: normalising a string with an unpaired surrogate fails.
    problem = unsafe_character(value, multiline=multiline)
    if problem:
        raise ValueError(problem)
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("must not be empty (write null when it is not known)")
    if not any(unicodedata.category(char)[0] in "LNPS" for char in value):
        raise ValueError("has no visible character (write null when it is not known)")
    limit = MAX_NOTES if multiline else MAX_LINE
    if len(value) > limit:
        raise ValueError(f"is {len(value):,} characters long, over the limit of {limit:,}")
    return value


def _clean_notes(value: str) -> str:
    return _clean_text(value, multiline=True)


def _no_repeats(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        key = name_key(value)
        if key in seen:
            same = "" if seen[key] == value else f" (as {seen[key]!r})"
            raise ValueError(f"names {value!r} twice{same}; list each once")
        seen[key] = value
    return values


def _to_slug(value: str) -> str:
    if not SLUG_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid id: use lower-case letters, digits and single hyphens"
        )
    return value


def _to_country(value: str) -> str:
    try:
        return to_alpha2(value)
    except UnknownCountry as exc:
        raise ValueError(str(exc)) from None


def _plausible_date(day: dt.date) -> dt.date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(
            f"date {day} is outside {EARLIEST.year}–{LATEST.year}; is the year a typo?"
        )
    return day


def parse_date(value: Any) -> dt.date:
    """A strict ISO ``YYYY-MM-DD`` date (or a ``date``); ValueError says what is wrong."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"expected a date YYYY-MM-DD, got a date and time {value.isoformat()}")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
    text = value.strip()
    if not ISO_DATE_RE.fullmatch(text):
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"impossible date {text}: {exc}") from None


def _partial_date(value: Any) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not PARTIAL_DATE_RE.fullmatch(text.strip()):
        raise ValueError(f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    text = text.strip()
    year, month, day = (int(part) for part in (text + "-01-01").split("-")[:3])
    try:
        _plausible_date(dt.date(year, month, day))
    except ValueError as exc:
        raise ValueError(f"impossible date {text}: {exc}") from None
    return text


def _language(value: str) -> str:
    if not LANGUAGE_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a language tag (BCP 47) such as en, ru, kk or uz-Latn")
    return value


def _category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"unknown category {value!r}; one of: {', '.join(CATEGORIES)}")
    return value


def _currency(value: str) -> str:
    import pycountry

    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code such as USD, EUR or KZT")
    return code


def _url(value: str) -> str:
    if not re.match(r"https?://[^\s/]+", value):
        raise ValueError(f"expected a web address starting with https://, got {value!r}")
    return value


Text = Annotated[str, Field(strict=True), AfterValidator(_clean_text)]
Notes = Annotated[str, Field(strict=True), AfterValidator(_clean_notes)]
Slug = Annotated[str, Field(strict=True, max_length=120), AfterValidator(_to_slug)]
# No country's name is near 100 characters; the bound keeps fuzzy suggestions cheap.
Country = Annotated[str, Field(strict=True, max_length=100), AfterValidator(_to_country)]
IsoDate = Annotated[dt.date, BeforeValidator(parse_date), AfterValidator(_plausible_date)]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
Money = Annotated[float, Field(ge=0, le=MAX_VALUE, allow_inf_nan=False)]
TextList = Annotated[list[Text], Field(default_factory=list), AfterValidator(_no_repeats)]
SlugList = Annotated[list[Slug], Field(default_factory=list), AfterValidator(_no_repeats)]
PartialDate = Annotated[str, BeforeValidator(_partial_date)]
Language = Annotated[str, Field(strict=True, max_length=35), AfterValidator(_language)]
Category = Annotated[str, Field(strict=True), AfterValidator(_category)]
Currency = Annotated[str, Field(strict=True), AfterValidator(_currency)]
Url = Annotated[str, Field(strict=True), AfterValidator(_clean_text), AfterValidator(_url)]
# Version 1's free-text source: read, turned into a source entity, never written back.
LegacySource = Annotated[Text | None, Field(exclude=True)]


def _strict_money(value: Any) -> Any:
    # pydantic's lax float accepts "12.5" and true; a money amount must be a number.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {value!r}")
    return value


# --- input models -----------------------------------------------------------------------


class InputModel(_PydanticBase):
    """Base of every input model: unknown keys are errors, values are validated on assignment."""

    # defer_build: the validators are built on first use (a load or an add), so the
    # commands that only read never pay for them.
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, defer_build=True
    )


StrictMoney = Annotated[
    Money | None, BeforeValidator(lambda v: v if v is None else _strict_money(v))
]


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


class ProjectIn(InputModel):
    id: Slug
    title: Text
    implementers: TextList
    donors: TextList
    frameworks: TextList
    sources: SlugList
    source: LegacySource = None
    notes: Notes | None = None


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

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"end {end} is before start {start}")
        return end

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
    return ProjectIn.model_construct(**data)


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

    id: str = TableField(primary_key=True)
    title: str
    implementers: list[str] = _json_list()
    donors: list[str] = _json_list()
    frameworks: list[str] = _json_list()
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
