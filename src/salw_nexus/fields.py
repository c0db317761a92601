"""The value types records are made of: text, ids, countries, dates, counts, amounts.

Each is an ``Annotated`` type carrying its own rules, so that an input model
(``models.py``) states a field's rules by its type alone. Kept apart from the models so
that the models module holds models; ``models`` re-exports the names other modules use
(``parse_date``, ``search_key``, ``name_key``, ``names_key``, ``SLUG_RE``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .bounds import EARLIEST, LATEST, MAX_COUNT, MAX_LINE, MAX_NOTES, MAX_VALUE
from .countries import UnknownCountry, to_alpha2
from .equipment import CATEGORIES
from .periods import Quarter, check_year, year_label
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
        meant = " or ".join(iso_forms(text))
        guess = f"; did you mean {meant}?" if meant else ""
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}{guess}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"impossible date {text}: {exc}") from None


# Other ways of writing a day, each read as (year, month, day) groups of the match.
_DAY_FORMS = (
    (re.compile(r"(\d{4})[./-](\d{1,2})[./-](\d{1,2})"), "ymd"),  # 2022/10/24, 2022-1-5
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), "dmy"),  # 24.10.2022: the Russian way
    (re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})"), "dmy mdy"),  # 24/10/2022, 10/24/2022
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), "ymd"),  # 20221024
)
_NAMED_MONTH_FORMS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y")  # 24 Oct 2022


def iso_forms(text: str) -> list[str]:
    """The days ``text`` may stand for, as YYYY-MM-DD: ``24.10.2022`` -> 2022-10-24;
    ``05/10/2022`` -> both 2022-10-05 and 2022-05-10 (it cannot be told which). Offered,
    never taken: the person says which."""
    found: list[dt.date] = []
    for pattern, orders in _DAY_FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        for order in orders.split():
            parts = dict(zip(order, (int(group) for group in match.groups()), strict=True))
            with contextlib.suppress(ValueError):
                found.append(dt.date(parts["y"], parts["m"], parts["d"]))
    words = " ".join(text.replace(",", " ").split())
    for form in _NAMED_MONTH_FORMS:
        with contextlib.suppress(ValueError):
            found.append(dt.datetime.strptime(words, form).date())
    return list(dict.fromkeys(day.isoformat() for day in found))


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


StrictMoney = Annotated[
    Money | None, BeforeValidator(lambda v: v if v is None else _strict_money(v))
]


# --- a project's results framework (models.IndicatorIn) ----------------------------------


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value}")
    return value


# A baseline, a target or a reported value: a number, a whole one kept whole (200 is
# written back as 200, not 200.0).
Amount = Annotated[
    int | float, BeforeValidator(lambda v: _finite(_strict_money(v))), Field(ge=0, le=MAX_VALUE)
]
FISCAL_YEAR_RE = re.compile(r"FY(\d{4})-(\d{2})", re.IGNORECASE)


def _year_label(value: str) -> str:
    """A calendar year ``2026`` or a fiscal year ``FY2025-26``, as ``periods.year_label``
    writes them (the year a fiscal year starts in, then the one it ends in)."""
    text = value.strip()
    if re.fullmatch(r"\d{4}", text):
        return year_label(check_year(int(text)))
    match = FISCAL_YEAR_RE.fullmatch(text)
    if not match:
        raise ValueError(
            f"{value!r} is not a year: write a calendar year such as 2026, or a fiscal year "
            "such as FY2025-26"
        )
    first = check_year(int(match.group(1)))
    label = year_label(first, fiscal_start=4)  # a fiscal year's label is the same from any month
    if label != f"FY{first}-{match.group(2)}":
        raise ValueError(f"{value!r}: the fiscal year starting in {first} is {label}")
    return label


def _quarter_label(value: str) -> str:
    """``2025-Q1`` (also read as ``2025Q1`` or ``2025-q1``, as ``--quarter`` takes it)."""
    return Quarter.parse(value).label()


def _each_once(label: Callable[[str], str]) -> Callable[[Any], Any]:
    """A check that no two keys of a mapping are one period once written alike
    (``2025-Q1`` and ``2025Q1``): read as a mapping, the last would silently win."""

    def check(value: Any) -> Any:
        if isinstance(value, dict):
            seen: dict[str, str] = {}
            for key in value:
                try:
                    same = label(key)
                except (ValueError, AttributeError):
                    continue  # not a period: reported by the key's own validation
                if same in seen:
                    raise ValueError(f"names {same} twice (as {seen[same]!r} and {key!r})")
                seen[same] = key
        return value

    return check


YearLabel = Annotated[str, Field(strict=True), AfterValidator(_year_label)]
QuarterLabel = Annotated[str, Field(strict=True), AfterValidator(_quarter_label)]
# Per year (calendar or fiscal), per quarter: in the order given.
YearTargets = Annotated[
    dict[YearLabel, Amount], Field(default_factory=dict), BeforeValidator(_each_once(_year_label))
]
QuarterValues = Annotated[
    dict[QuarterLabel, Amount] | None, BeforeValidator(_each_once(_quarter_label))
]
Disaggregation = Annotated[
    list[Literal["sex", "country"]], Field(default_factory=list), AfterValidator(_no_repeats)
]


class InputModel(BaseModel):
    """Base of every input model: unknown keys are errors, values are validated on assignment."""

    # defer_build: the validators are built on first use (a load or an add), so the
    # commands that only read never pay for them.
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, defer_build=True
    )


def value_errors(problems: Sequence[tuple[tuple[str | int, ...], Any, str]]) -> list[Any]:
    """``problems`` (where, the value, the message) as pydantic's error details, each a
    value error at its own field: for ``ValidationError.from_exception_data`` in a rule
    that sees several fields (or list items) at once."""
    from pydantic_core import InitErrorDetails, PydanticCustomError

    return [
        InitErrorDetails(type=PydanticCustomError("value_error", "{error}", {"error": message}),
                         loc=loc, input=value)
        for loc, value, message in problems
    ]  # fmt: skip
