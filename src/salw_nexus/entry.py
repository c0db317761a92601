"""Records given as command-line options: the same input models as record files.

No typer here: the CLI collects option values into a dict keyed by field name, and this
module validates it (naming the *option* in every error), makes a readable id, parses
``--item "NAME[:QTY]"`` and ``--official "NAME[:TITLE]"``, and merges an edit.

Decisions (also in the README):
- An id left out is made from country, date and the first words of the title (or of the
  first item): ``kg-2022-10-24-countering-international-firearms-trafficking``; ``-2``,
  ``-3`` ... is added when it is taken.
- ``--item "Microscope:2"`` is two microscopes; without ``:QTY`` the quantity is not stated.
  What follows the last colon must be a plain whole number; a name holding a colon ends
  with one more (``--item "Ratio 1:20:"``); see ``text.parse_item``.
  ``--official "Saidolim Nuriddinov:Police Colonel"``: the title follows the first colon.
- In ``edit``, an empty value (``--city ""``) clears an optional field; a list option
  replaces the whole list.
- Text arrives as typed even under a locale that is not UTF-8 (``text.from_argv``).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import text as text_rules
from .errors import RecordError, UsageError
from .models import DeliveryIn, TrainingIn
from .records import SINGULAR, describe_error

M = TypeVar("M", bound=BaseModel)

MODELS: dict[str, type[TrainingIn] | type[DeliveryIn]] = {
    "trainings": TrainingIn,
    "deliveries": DeliveryIn,
}
REQUIRED = {
    "trainings": ("title", "country", "start", "end"),
    "deliveries": ("date", "country", "agency", "items"),
}
# Fields whose option is not simply --field.
OPTION_NAMES = {
    "agencies": "--agency",
    "topics": "--topic",
    "organisers": "--organiser",
    "items": "--item",
    "officials": "--official",
}
SLUG_WORDS = 5
LONGEST_WORD = 24  # letters of one word in a made id: ids stay short (at most 120)


def option_name(field: str) -> str:
    return OPTION_NAMES.get(field, "--" + field.replace("_", "-"))


def _option_for(loc: Sequence[str | int]) -> str:
    """``("items", 1, "quantity")`` -> ``--item 2``: the option, and which one of several."""
    if not loc:
        return "options"
    name = option_name(str(loc[0]))
    return f"{name} {loc[1] + 1}" if len(loc) > 1 and isinstance(loc[1], int) else name


def build(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate option values; every problem names its option."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise RecordError(
            [f"{_option_for(tuple(e['loc']))}: {describe_error(e, model)}" for e in exc.errors()]
        ) from None


def check_field(
    model: type[BaseModel], data: Mapping[str, Any], field: str, value: Any
) -> str | None:
    """The problem with one value given the others (for a prompt to ask again), or None."""
    validator = model.__pydantic_validator__
    partial = model.model_construct()
    for name in model.model_fields:  # in field order, so that `end` can see `start`
        if name != field and name in data:
            with contextlib.suppress(ValidationError):  # reported when the whole is validated
                validator.validate_assignment(partial, name, data[name])
    try:
        validator.validate_assignment(partial, field, value)
    except ValidationError as exc:
        return "; ".join(describe_error(e, model) for e in exc.errors())
    return None


def missing(kind: str, data: Mapping[str, Any]) -> list[str]:
    return [name for name in REQUIRED[kind] if data.get(name) in (None, [], "")]


def parse_item(text: str) -> dict[str, Any]:
    """``--item "NAME[:QTY]"`` as an item; ValueError says what is wrong with it."""
    name, quantity = text_rules.parse_item(text_rules.from_argv(text))
    return {"name": name} if quantity is None else {"name": name, "quantity": quantity}


def parse_items(texts: Sequence[str]) -> list[dict[str, Any]]:
    """Every ``--item`` given, in order; RecordError names the one that is wrong."""
    items, problems = [], []
    for number, text in enumerate(texts, start=1):
        try:
            items.append(parse_item(text))
        except ValueError as exc:
            problems.append(f"--item {number}: {exc}")
    if problems:
        raise RecordError(problems)
    return items


def parse_official(text: str) -> dict[str, Any]:
    name, colon, title = text_rules.from_argv(text).partition(":")
    return {"name": name, "title": title.strip() or None} if colon else {"name": name}


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", folded)


def suggest_id(kind: str, data: Mapping[str, Any]) -> str:
    """A readable id from country, date and title (or the first item's name)."""
    from .countries import UnknownCountry, to_alpha2

    try:
        country = to_alpha2(str(data.get("country", ""))).lower()
    except UnknownCountry:
        country = "xx"  # validation reports the country itself
    day = str(data.get("start" if kind == "trainings" else "date", "")).strip()
    if kind == "trainings":
        words = _ascii_words(str(data.get("title", "")))
    else:
        items = data.get("items") or [{}]
        words = _ascii_words(str(items[0].get("name", "")))
    words = [word[:LONGEST_WORD] for word in words[:SLUG_WORDS]] or [SINGULAR[kind]]
    day_part = "-".join(_ascii_words(day)) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) else ""
    return "-".join(part for part in (country, day_part, *words) if part)


def merge(record: TrainingIn | DeliveryIn, changes: Mapping[str, Any]) -> TrainingIn | DeliveryIn:
    """The record with the given fields replaced, validated as a whole."""
    fields = type(record).model_fields
    foreign = [option_name(name) for name in changes if name not in fields]
    if foreign:
        noun = "training" if isinstance(record, TrainingIn) else "delivery"
        raise UsageError(f"{', '.join(foreign)}: not a field of a {noun}")
    data = record.model_dump()
    for name, value in changes.items():
        data[name] = _cleared(value, fields[name].is_required(), name)
    return build(type(record), data)


def _cleared(value: Any, required: bool, name: str) -> Any:
    if value == "" and not required:
        return None
    if isinstance(value, list) and value == [""]:
        if required:
            raise UsageError(f"{option_name(name)}: cannot be emptied")
        return []
    return value


def given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The options actually given (None and empty repeatable options dropped), their text
    as typed (``text.from_argv``)."""
    return {k: _as_typed(v) for k, v in values.items() if v is not None and v != []}


def _as_typed(value: Any) -> Any:
    if isinstance(value, str):
        return text_rules.from_argv(value)
    if isinstance(value, list):
        return [_as_typed(v) for v in value]
    return value
