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
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import typer
from pydantic import BaseModel, ValidationError

from salw_nexus import text as text_rules
from salw_nexus.errors import RecordError, UsageError
from salw_nexus.kinds import AGENCIES_FIELD, DATED, Kind
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


def _known_sources(db_option: str | None) -> list[str]:
    from salw_nexus import db
    from salw_nexus.agencies import list_sources

    try:
        with db.session_scope(db_option) as session:
            return [row.id for row in list_sources(session).sources]
    except db.EmptyStore:
        return []


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


# --- what the donor report uses: asked for too, each skippable ---------------------------

NUMBERS = ("participants", "female", "male")
QUESTIONS = {
    "participants": "Participants",
    "female": "Women among them",
    "male": "Men among them",
    "audience": "Audience (several: separate with ;)",
    "sources": "Source ids (several: separate with ;)",
}
SKIP = " (Enter: not known)"


def prompt_reported(kind: Kind, data: dict[str, Any], db_option: str | None) -> None:
    """Ask for each field the donor report counts or cites that was not given
    (``Kind.reported``); Enter leaves it not known. Each answer is checked as the
    option would be, and asked again when it is wrong."""
    from salw_nexus import render

    for name in kind.reported:
        if name in data:
            continue
        if name == "approximate":
            if data.get("participants") is not None:
                data[name] = typer.confirm(
                    f'Is {data["participants"]} a lower bound ("over {data["participants"]}")?',
                    default=False,
                )
            continue
        if name == AGENCIES_FIELD:
            agencies = _ask_agencies(data, db_option)
            if agencies:
                data[name] = agencies
            continue
        known = _known_sources(db_option) if name == "sources" else []
        if known:
            render.message(f"sources in the store: {', '.join(known)}")
        while True:
            answer = typer.prompt(QUESTIONS[name] + SKIP, default="", show_default=False).strip()
            if not answer:
                break
            value: Any = answer
            if name in NUMBERS:
                # isascii: "²" is a digit to isdigit() but no number to int()
                value = int(answer) if answer.isascii() and answer.isdigit() else answer
            else:
                value = [part.strip() for part in answer.split(";") if part.strip()]
            problem = check_field(kind.model, data, name, value)
            unknown = [v for v in value if v not in known] if name == "sources" else []
            if problem is None and unknown:  # asked again now, not refused after every answer
                problem = f"no source has the id {unknown[0]!r} (nexus sources lists them)"
            if problem is None:
                data[name] = value
                break
            render.message(f"--{kind.option(name)}: {problem}")


def _ask_agencies(data: dict[str, Any], db_option: str | None) -> list[str]:
    """The agencies represented, one a line (Tab completes the country's known ones, by
    any part of a name or id); Enter alone when done."""
    from salw_nexus import render

    _, known = _known(db_option, data.get("country"))
    if known:
        render.message(f"agencies of the country in the store (name or id): {'; '.join(known)}")
    candidates = [part for entry in known for part in _name_and_id(entry)]
    chosen: list[str] = []
    with completing(candidates):
        while True:
            number = len(chosen) + 1
            skip = SKIP if number == 1 else " (Enter: no more)"
            answer = typer.prompt(f"Agency {number}{skip}", default="", show_default=False)
            if not answer.strip():
                return chosen
            chosen.append(answer.strip())


def _name_and_id(entry: str) -> tuple[str, str]:
    """``Ministry of Internal Affairs (kz-mvd)`` -> the name and the id."""
    name, _, rest = entry.rpartition(" (")
    return name, rest.removesuffix(")")


@contextlib.contextmanager
def completing(candidates: Sequence[str]) -> Iterator[None]:
    """Tab in a prompt completes from ``candidates``, by any part in any case (GNU
    readline or libedit; where there is neither, as on Windows, prompts work without)."""
    try:
        import readline
    except ImportError:  # Windows' Python has no readline
        yield
        return
    from salw_nexus.models import search_key

    def complete(text: str, state: int) -> str | None:
        needle = search_key(text)
        matches = [c for c in candidates if needle in search_key(c)]
        return matches[state] if state < len(matches) else None

    previous, delimiters = readline.get_completer(), readline.get_completer_delims()
    readline.set_completer(complete)
    readline.set_completer_delims("")  # the whole answer is one name
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    try:
        yield
    finally:
        readline.set_completer(previous)
        readline.set_completer_delims(delimiters)


def confirm_new(
    kind: Kind, record: Any, db_option: str | None, *, allow_duplicate: bool
) -> tuple[Any, bool]:
    """Show the record exactly as it will be saved (the store's project filled in) and
    ask; a record like one recorded is named and needs a yes of its own. Returns the
    record and whether it may be a duplicate; no means nothing is saved (exit 1)."""
    from salw_nexus import db, render
    from salw_nexus.duplicates import likely_duplicates
    from salw_nexus.editing import only_project
    from salw_nexus.kinds import PROJECT_FIELD

    try:
        with db.session_scope(db_option) as session:
            project, found = only_project(session), likely_duplicates(session, record=record)
    except db.EmptyStore:  # the first record of a new store
        project, found = None, []
    if getattr(record, PROJECT_FIELD) is None and project is not None:
        record = record.model_copy(update={PROJECT_FIELD: project})
    render.preview(record)
    if found and not allow_duplicate:
        render.message(f"a {kind.singular} like this one is recorded already:")
        for line in found:
            render.message(f"  {line}")
        if not typer.confirm(f"Save this {kind.singular} all the same?", default=False):
            render.message("nothing was saved")
            raise typer.Exit(1)
        return record, True
    if not typer.confirm(f"Save this {kind.singular}?", default=True):
        render.message("nothing was saved")
        raise typer.Exit(1)
    return record, allow_duplicate
