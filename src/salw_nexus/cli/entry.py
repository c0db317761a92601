"""Records given as command-line options: the same input models as record files.

The options a command was given are gathered by field (``fields_given``: the
``Kind``'s option names say which option sets which field), validated naming the
*option* in every error (``build``), and the fields a new record still needs are asked
for on a terminal (``prompt_missing``).

Decisions (also in the README):
- ``--item "Microscope:2"`` is two microscopes; without ``:QTY`` the quantity is not stated.
  What follows the last colon must be a plain whole number; a name holding a colon ends
  with one more (``--item "Ratio 1:20:"``); see ``text.parse_item``. A category and a
  value follow, each after `` / ``: ``--item "Laptop:4 / it-equipment / 5200 USD"``
  (``text.parse_item_spec``).
  ``--official "Saidolim Nuriddinov:Police Colonel"``: the title follows the first colon.
- Text arrives as typed even under a locale that is not UTF-8 (``text.from_argv``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import typer
from pydantic import BaseModel, ValidationError

from salw_nexus import text as text_rules
from salw_nexus.errors import RecordError, UsageError
from salw_nexus.kinds import DATED, Kind
from salw_nexus.records import describe_error

# Fields whose options take "NAME[:...]" text, parsed into a mapping each.
PARSED_FIELDS = ("items", "officials")


def _option_for(kind: Kind, loc: Sequence[str | int]) -> str:
    """``("items", 1, "quantity")`` -> ``--item 2``: the option, and which one of several."""
    if not loc:
        return "options"
    name = "--" + kind.option(str(loc[0]))
    return f"{name} {loc[1] + 1}" if len(loc) > 1 and isinstance(loc[1], int) else name


def build(kind: Kind, data: Mapping[str, Any]) -> Any:
    """A record of ``kind`` from option values; every problem names its option."""
    model = kind.model
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise RecordError(
            [
                f"{_option_for(kind, tuple(e['loc']))}: {describe_error(e, model)}"
                for e in exc.errors()
            ]
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


def missing(kind: Kind, data: Mapping[str, Any]) -> list[str]:
    return [name for name in kind.required if data.get(name) in (None, [], "")]


def parse_item(text: str) -> dict[str, Any]:
    """``--item "NAME[:QTY] [/ CATEGORY] [/ VALUE CURRENCY]"`` as an item; ValueError says
    what is wrong with it."""
    return text_rules.parse_item_spec(text_rules.from_argv(text))


def parse_official(text: str) -> dict[str, Any]:
    name, colon, title = text_rules.from_argv(text).partition(":")
    return {"name": name, "title": title.strip() or None} if colon else {"name": name}


def _parsed(field: str, texts: Sequence[str], *, editing: bool) -> list[Any]:
    """Every ``--item`` (or ``--official``) given, in order; RecordError names the one that
    is wrong. In an edit, ``--item ""`` alone clears the list, and an empty ``--official``
    is kept for validation to report."""
    if editing and list(texts) == [""]:
        return [""]
    parsed: list[Any] = []
    problems = []
    for number, text in enumerate(texts, start=1):
        try:
            if field == "items":
                parsed.append(parse_item(text))
            else:
                parsed.append(parse_official(text) if text or not editing else text)
        except ValueError as exc:
            problems.append(f"--{'item' if field == 'items' else 'official'} {number}: {exc}")
    if problems:
        raise RecordError(problems)
    return parsed


def fields_given(
    options: Mapping[str, Any], kinds: Sequence[Kind] = DATED, *, editing: bool = False
) -> dict[str, Any]:
    """The options actually given (None and empty repeatable options dropped), by the
    field of ``kinds`` each sets, in the fields' order; their text as typed
    (``text.from_argv``). ``options``: a command's parameters (``record_id`` is ``--id``)."""
    by_option = {kind.option(field): field for kind in kinds for field in kind.fields}
    fields: dict[str, Any] = {}
    for name, field in by_option.items():
        value = options.get("record_id" if name == "id" else name.replace("-", "_"))
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        value = _as_typed(value)
        fields[field] = _parsed(field, value, editing=editing) if field in PARSED_FIELDS else value
    return fields


def _as_typed(value: Any) -> Any:
    if isinstance(value, str):
        return text_rules.from_argv(value)
    if isinstance(value, (list, tuple)):
        return [_as_typed(v) for v in value]
    return value


def refuse_missing(kind: Kind, data: Mapping[str, Any]) -> None:
    """Without a terminal to ask on, a missing required field is a usage error."""
    absent = missing(kind, data)
    if absent:
        options = ", ".join("--" + kind.option(name) for name in absent)
        raise UsageError(
            f"missing {options}",
            hint="Give them as options, or run on a terminal without --no-input to be asked.",
        )


def _known(db_option: str | None, country: Any = None) -> tuple[list[str], list[str]]:
    """Countries in the store, and agency names (of ``country`` when it is a known one)."""
    from salw_nexus import db
    from salw_nexus.countries import UnknownCountry, to_alpha2
    from salw_nexus.editing import known_agencies, known_countries

    try:
        code = to_alpha2(str(country)) if country else None
    except UnknownCountry:
        code = None
    try:
        with db.session_scope(db_option) as session:
            return known_countries(session), known_agencies(session, country=code)
    except db.EmptyStore:  # the first record of a new store: nothing to offer yet
        return [], []


def prompt_missing(kind: Kind, data: dict[str, Any], db_option: str | None) -> None:
    """Ask for each missing required field, offering what the store knows; re-ask until valid."""
    from salw_nexus import render

    for name in missing(kind, data):
        countries, agencies = _known(db_option, data.get("country"))
        if name == "country" and countries:
            render.message(f"countries in the store: {', '.join(countries)}")
        if name == "agency" and agencies:
            render.message(f"agencies in the store (name or id): {'; '.join(agencies)}")
        option = "--" + kind.option(name)
        while True:
            answer = typer.prompt(kind.option(name).capitalize())
            try:
                value: Any = [parse_item(answer)] if name == "items" else answer
            except ValueError as exc:
                render.message(f"{option}: {exc}")
                continue
            problem = check_field(kind.model, data, name, value)
            if problem is None:
                data[name] = value
                break
            render.message(f"{option}: {problem}")
