"""Records one at a time: look one up, add one (with a made id), edit one, remove one.

The services behind ``show``, ``add-*``, ``edit`` and ``remove``. A record is written by
the same bulk load a record file goes through (``store.load_records``), so every check
of a load holds for it too.

Decisions (also in the README):
- An id left out is made from country, date and the first words of the title (or of the
  first item): ``kg-2022-10-24-countering-international-firearms-trafficking``; ``-2``,
  ``-3`` ... is added when it is taken.
- In an edit, an empty value clears an optional field; a list replaces the whole list.
- The agency given to an edit is the agencies represented at a training, and the one
  recipient of a delivery.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import DuplicateIdError, NexusError, NotFoundError, RecordError, UsageError, option
from .formatting import shown
from .ids import ascii_words
from .kinds import (
    AGENCIES,
    AGENCIES_FIELD,
    AGENCY_FIELD,
    DATED,
    KINDS,
    PROJECT_FIELD,
    PROJECTS,
    SOURCES,
    Kind,
    of_record,
)
from .records import Parsed, RecordSet
from .store import export_records, load_records

if TYPE_CHECKING:
    from sqlmodel import Session

    from .models import DeliveryIn, ProjectIn, TrainingIn

    Record = ProjectIn | TrainingIn | DeliveryIn
    Dated = TrainingIn | DeliveryIn

COMMAND_LINE = "command line"
SLUG_WORDS = 5  # words of the title in a made id (each at most ids.LONGEST_WORD letters)
HARD_AND_SOFT_SIGNS = str.maketrans(dict.fromkeys("ьъЬЪ", ""))
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def not_found(record_id: str) -> NotFoundError:
    return NotFoundError(
        f"no training, delivery or project has the id {shown(record_id)}",
        hint="`nexus trainings` and `nexus handovers` list the ids.",
    )


def kinds_with_id(session: Session, *, record_id: str) -> list[Kind]:
    """The kinds with a record of this id: one, or none. (Stores written before ids were
    unique across kinds may have two: ``one_kind_of`` refuses to guess between them.)"""
    from sqlalchemy import literal, select, union_all

    from .models import SLUG_RE

    if not SLUG_RE.fullmatch(record_id):
        return []  # no record can have it: not worth a query (nor a bad string's encoding)
    query = union_all(
        *(select(literal(kind.plural)).where(kind.table.c.id == record_id) for kind in KINDS)
    )
    found = set(session.scalars(query))
    return [kind for kind in KINDS if kind.plural in found]


def one_kind_of(session: Session, *, record_id: str) -> Kind:
    """The kind of the record with this id; NotFoundError, or a NexusError when two
    records of an older store share it (show, edit and remove must not pick one)."""
    kinds = kinds_with_id(session, record_id=record_id)
    if not kinds:
        raise not_found(record_id)
    if len(kinds) > 1:
        named = " and a ".join(kind.singular for kind in kinds)
        raise NexusError(
            f"the id {record_id!r} names a {named}: records of an older release; nothing was done",
            hint="Give one of them another id in a record file: `nexus export -o all.yaml`, "
            f"change the id there, then load the file into a new store ({option('db')} new.db).",
        )
    return kinds[0]


def get_record(session: Session, *, record_id: str) -> Record:
    """The record with this id, as its input model (what ``edit`` starts from)."""
    kind = one_kind_of(session, record_id=record_id)
    record: Record = export_records(session, record_id=record_id).of(kind)[0].record
    return record


def _write_one(session: Session, record: Dated) -> list[str]:
    """Write one record through the load; returns the ids of the agencies it made."""
    records = RecordSet(source=COMMAND_LINE)
    records.of(of_record(record)).append(Parsed(record, COMMAND_LINE))
    return load_records(session, records=records).agencies_made


def only_project(session: Session) -> str | None:
    """The id of the store's project when it has exactly one (the default for new records)."""
    from sqlalchemy import select

    ids = session.scalars(select(PROJECTS.table.c.id).limit(2)).all()
    return ids[0] if len(ids) == 1 else None


# --- adding -----------------------------------------------------------------------------


def suggest_id(kind: Kind, data: Mapping[str, Any]) -> str:
    """A readable id from country, date and title (or the first item's name), from the
    values as given (before validation: a bad one is reported by validation itself)."""
    from .countries import UnknownCountry, to_alpha2

    try:
        country = to_alpha2(str(data.get("country", ""))).lower()
    except UnknownCountry:
        country = "xx"
    day = str(data.get(kind.date_field or "", "")).strip()
    named = data.get(kind.id_words_from or "")
    if isinstance(named, list):  # items: the first one's name
        named = (named or [{}])[0].get("name", "")
    # Transliterated: a Cyrillic title gives kz-2025-10-06-obuchenie-po-..., not "training";
    # the soft and hard signs (an apostrophe in Latin letters) do not split a word.
    words = ascii_words(str(named or "").translate(HARD_AND_SOFT_SIGNS))[:SLUG_WORDS]
    day_part = day if ISO_DAY.fullmatch(day) else ""
    return "-".join(part for part in (country, day_part, *(words or [kind.singular])) if part)


def unique_id(session: Session, *, base: str) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever no record has (inside the caller's
    lock)."""
    candidate, number = base, 1
    while kinds_with_id(session, record_id=candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def add_record(
    session: Session, *, record: Dated, id_made: bool = False, allow_duplicate: bool = False
) -> tuple[Dated, list[str]]:
    """Add one new record; returns what was stored, and the ids of the agencies made for
    names the store did not know. A made id (``id_made``) gets ``-2``, ``-3`` ... when it
    is taken; an id given that exists already is refused; so is a record like one
    recorded (``duplicates.py``) unless ``allow_duplicate``."""
    from .duplicates import LikelyDuplicate, likely_duplicates

    if id_made:
        record = record.model_copy(update={"id": unique_id(session, base=record.id)})
    taken = kinds_with_id(session, record_id=record.id)
    if taken:
        raise DuplicateIdError(record.id, taken[0].singular)
    if not allow_duplicate:
        found = likely_duplicates(session, record=record)
        if found:
            raise LikelyDuplicate(of_record(record).singular, found)
    if record.project is None:
        record = record.model_copy(update={PROJECT_FIELD: only_project(session)})
    made = _write_one(session, record)
    return record, made


# --- editing ----------------------------------------------------------------------------


def edit_record(
    session: Session,
    *,
    record_id: str,
    changes: Mapping[str, Any],
    agencies: list[str] | None = None,
    validate: Callable[[Kind, dict[str, Any]], Record],
) -> tuple[Record, Record, list[str]]:
    """Change fields of a stored record; returns (before, after). ``agencies``: the
    agencies represented at a training, or the one recipient of a delivery.
    ``validate(kind, data)`` builds the changed record (the caller names its problems).
    Also returns the ids of the agencies made for names the store did not know."""
    before = get_record(session, record_id=record_id)
    kind = of_record(before)
    if not kind.editable:
        raise UsageError(f"{record_id!r} is a {kind.singular}; edit {kind.plural} in a record file")
    changes = dict(changes)
    if agencies:
        if AGENCIES_FIELD in kind.fields:
            changes[AGENCIES_FIELD] = agencies
        elif len(agencies) > 1:
            raise UsageError(f"{option(AGENCY_FIELD)}: a {kind.singular} has one recipient agency")
        else:
            changes[AGENCY_FIELD] = agencies[0]
    after = _merged(kind, before, changes, validate)
    made: list[str] = []
    if after != before:
        made = _write_one(session, after)  # type: ignore[arg-type]  # only dated kinds are editable
    return before, after, made


def _merged(
    kind: Kind,
    record: Record,
    changes: Mapping[str, Any],
    validate: Callable[[Kind, dict[str, Any]], Record],
) -> Record:
    """The record with the given fields replaced, validated as a whole."""
    fields = kind.model.model_fields
    # Named by the option that set them, whichever kind has the field.
    foreign = [
        option(next(k for k in DATED if name in k.model.model_fields).option(name))
        for name in changes
        if name not in fields
    ]
    if foreign:
        raise UsageError(f"{', '.join(foreign)}: not a field of a {kind.singular}")
    data = record.model_dump()
    for name, value in changes.items():
        data[name] = _cleared(kind, name, value, required=fields[name].is_required())
    return validate(kind, data)


def _cleared(kind: Kind, name: str, value: Any, *, required: bool) -> Any:
    if value == "" and not required:
        return None
    if isinstance(value, list) and value == [""]:
        if required:
            raise UsageError(f"{option(kind.option(name))}: cannot be emptied")
        return []
    return value


# --- removing ---------------------------------------------------------------------------


def remove_record(session: Session, *, record_id: str) -> Kind:
    """Delete a training or delivery (with its agencies, items and officials); returns its
    kind. A project, an agency or a source is removed only when no record refers to it."""
    from sqlalchemy import delete

    kind = one_kind_of(session, record_id=record_id)
    users = _referring(session, kind, record_id)
    if users:
        raise RecordError(
            [f"{kind.singular} {record_id!r} is still named by {len(users)} record(s): "
             + ", ".join(users[:10]) + (" ..." if len(users) > 10 else "")],
            hint="Remove or change them first"
            + (" (or `nexus agencies merge` it into another)." if kind is AGENCIES else "."),
        )  # fmt: skip
    table = kind.table
    session.connection().execute(delete(table).where(table.c.id == record_id))
    return kind


def _referring(session: Session, kind: Kind, record_id: str) -> list[str]:
    """The ids of the records that name this project, agency or source."""
    from sqlalchemy import select, union

    from .kinds import PROJECT_COLUMN
    from .models import Delivery, TrainingAgency, table_of

    if kind is PROJECTS:
        query: Any = union(
            *(select(k.table.c.id).where(k.table.c[PROJECT_COLUMN] == record_id) for k in DATED)
        )
    elif kind is AGENCIES:
        link, delivery = table_of(TrainingAgency), table_of(Delivery)
        query = union(
            select(link.c.training_id).where(link.c.agency_id == record_id),
            select(delivery.c.id).where(delivery.c.agency_id == record_id),
        )
    elif kind is SOURCES:
        from .agencies import list_sources

        return list_sources(session, record_id=record_id).sources[0].cited_by
    else:
        return []
    return sorted(session.scalars(query))


# --- what the store knows (prompts and completion) --------------------------------------


def known_countries(session: Session) -> list[str]:
    """Alpha-2 codes the store already has records for."""
    from sqlalchemy import select, union

    return sorted(session.scalars(union(*(select(kind.table.c.country) for kind in DATED))))


def known_agencies(session: Session, *, country: str | None = None) -> list[str]:
    """``NAME (ID)`` of each agency in the store (of one country when given): a prompt's
    offer, where either may be typed."""
    from sqlalchemy import select

    from .kinds import AGENCIES

    table = AGENCIES.table
    query = select(table.c.id, table.c.name).order_by(table.c.name, table.c.id)
    if country:
        query = query.where(table.c.country == country)
    return [f"{row.name} ({row.id})" for row in session.execute(query)]


def record_ids(session: Session) -> list[str]:
    """The id of every training, delivery and project: what ``show``, ``edit`` and
    ``remove`` take, for completion."""
    from sqlalchemy import select, union

    from .kinds import PROJECTS

    tables = [kind.table for kind in (PROJECTS, *DATED)]
    return sorted(session.scalars(union(*(select(table.c.id) for table in tables))))


def agency_names(session: Session) -> list[str]:
    """Every agency id and name (translations and aliases included): what ``--agency``
    takes, for completion."""
    from sqlalchemy import select

    from .kinds import AGENCIES

    table = AGENCIES.table
    names: set[str] = set()
    query = select(table.c.id, table.c.name, table.c.names, table.c.aliases)
    for row in session.execute(query):
        names.update([row.id, row.name, *row.names.values(), *row.aliases])
    return sorted(names)
