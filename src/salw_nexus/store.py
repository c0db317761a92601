"""Keyword-only services over a ``Session``: load (upsert), export, look-ups.

Writes use SQLAlchemy Core ``insert``/``update`` with lists of rows (one
``executemany`` per table), never ORM objects: the ORM costs ~50x more per row here.
Whether a record is new, changed or unchanged is decided in bulk, by comparing a
fingerprint of the validated record with the one stored beside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .agencies import AgencyDirectory
from .batches import Progress, Tally, chunks
from .errors import RecordError
from .kinds import (
    AGENCIES,
    AGENCIES_FIELD,
    AGENCY_FIELD,
    CITING,
    DATED,
    DELIVERIES,
    KINDS,
    PROJECT_COLUMN,
    PROJECT_FIELD,
    PROJECTS,
    SOURCES,
    SOURCES_FIELD,
    TRAININGS,
    Kind,
)
from .records import Parsed, RecordSet

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Table
    from sqlmodel import Session

    from .models import AgencyIn, DeliveryIn, ProjectIn, SourceIn, TrainingIn

# Stays well under SQLite's limit on bound parameters in one statement.
CHUNK = 500
# Records written per round of look-up, insert and update by load_records.
BATCH = 5000
T = TypeVar("T")
R = TypeVar("R", "SourceIn", "AgencyIn", "ProjectIn", "TrainingIn", "DeliveryIn")


@dataclass
class KindCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class LoadResult:
    source: str
    dry_run: bool
    counts: dict[Kind, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    # Agencies a record named that neither the file nor the store had (counted as added).
    agencies_made: list[str] = field(default_factory=list)


def fingerprint(record: BaseModel) -> str:
    return hashlib.blake2b(record.model_dump_json().encode(), digest_size=16).hexdigest()


def _stored_fingerprints(session: Session, table: Table, ids: Sequence[str]) -> dict[str, str]:
    from sqlalchemy import select

    stored: dict[str, str] = {}
    for chunk in chunks(ids, CHUNK):
        rows = session.execute(select(table.c.id, table.c.fingerprint).where(table.c.id.in_(chunk)))
        stored.update({row.id: row.fingerprint for row in rows})
    return stored


def _classify(
    session: Session, kind: Kind, parsed: Sequence[Parsed[Any]], counts: KindCounts
) -> tuple[list[tuple[Parsed[Any], str]], list[tuple[Parsed[Any], str]]]:
    """Split records into (new, changed), each with its fingerprint; count the unchanged.

    A new record whose id another kind of record has in the store is refused: an id names
    one record, so that `show`, `edit` and `remove` never have to guess."""
    stored = _stored_fingerprints(session, kind.table, [p.record.id for p in parsed])
    new: list[tuple[Parsed[Any], str]] = []
    changed: list[tuple[Parsed[Any], str]] = []
    for item in parsed:
        digest = fingerprint(item.record)
        previous = stored.get(item.record.id)
        if previous is None:
            new.append((item, digest))
        elif previous != digest:
            changed.append((item, digest))
        else:
            counts.unchanged += 1
    _refuse_taken_ids(session, kind, [p for p, _ in new])
    counts.added += len(new)
    counts.updated += len(changed)
    return new, changed


def _refuse_taken_ids(session: Session, kind: Kind, new: Sequence[Parsed[Any]]) -> None:
    from sqlalchemy import select

    problems = []
    for other in KINDS:
        if other is kind or not new:
            continue
        others = other.table
        taken: set[str] = set()
        for chunk in chunks([p.record.id for p in new], CHUNK):
            taken.update(session.scalars(select(others.c.id).where(others.c.id.in_(chunk))))
        problems += [
            f"{p.where}: {kind.singular} id {p.record.id!r} is the id of a {other.singular} "
            "in the store already; an id names one record"
            for p in new
            if p.record.id in taken
        ]
    if problems:
        raise RecordError(problems, hint="Nothing was written.")


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in one ``executemany`` through the driver.

    SQLAlchemy compiles the statement for the store's dialect and supplies each column's
    bind processor (dates, JSON, booleans); only the loop applying them is here. Going
    through ``session.execute(insert(table), rows)`` does the same work but rebuilds the
    parameters row by row in Python, which made it 3x slower than the driver here.
    """
    from sqlalchemy import JSON, insert

    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
    names = list(compiled.positiontup or compiled.binds)
    processors = [
        (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
    ]
    values = [[row[name] for name, _ in processors] for row in rows]
    for column, (name, process) in enumerate(processors):
        if process is None:
            continue
        if isinstance(table.c[name].type, JSON):
            for value in values:
                value[column] = process(value[column])
        else:  # dates and times repeat (every row has the same created_at): convert each once
            converted: dict[Any, Any] = {}
            for value in values:
                raw = value[column]
                if raw not in converted:
                    converted[raw] = process(raw)
                value[column] = converted[raw]
    parameters: list[Any] = (
        [tuple(v) for v in values]
        if compiled.positional
        else [dict(zip(names, v, strict=True)) for v in values]
    )
    connection.exec_driver_sql(compiled.string, parameters)


def _update(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Update rows by id in one executemany; ``created_at`` is kept."""
    from sqlalchemy import bindparam, update

    if not rows:
        return
    columns = [name for name in rows[0] if name not in ("id", "created_at")]
    statement = (
        update(table)
        .where(table.c.id == bindparam("key_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    session.execute(
        statement,
        [{"key_id": row["id"], **{f"new_{name}": row[name] for name in columns}} for row in rows],
    )


def _delete_children(
    session: Session, table: Table, parent_column: str, ids: Sequence[str]
) -> None:
    from sqlalchemy import delete

    for chunk in chunks(ids, CHUNK):
        session.execute(delete(table).where(table.c[parent_column].in_(chunk)))


def _check_projects(session: Session, records: RecordSet) -> None:
    """Every project a record names is in the file or already in the store."""
    from sqlalchemy import select

    in_file = {p.record.id for p in records.of(PROJECTS)}
    referencing = [
        (kind, p)
        for kind in DATED
        for p in records.of(kind)
        if p.record.project is not None and p.record.project not in in_file
    ]
    if not referencing:
        return
    table = PROJECTS.table
    named = sorted({p.record.project for _, p in referencing})
    stored = set(session.scalars(select(table.c.id).where(table.c.id.in_(named))))
    problems = [
        f"{p.where}: {kind.singular} {p.record.id!r}, field 'project': unknown project "
        f"{p.record.project!r}; define it under 'projects:' in a record file and load that"
        for kind, p in referencing
        if p.record.project not in stored
    ]
    if problems:
        raise RecordError(problems, hint="Nothing was written.")


def _check_sources(session: Session, records: RecordSet) -> None:
    """Every source a record cites is in the file or already in the store."""
    from sqlalchemy import select

    in_file = {p.record.id for p in records.of(SOURCES)}
    citing = [
        (kind, p, cited)
        for kind in CITING
        for p in records.of(kind)
        for cited in p.record.sources
        if cited not in in_file
    ]
    if not citing:
        return
    table = SOURCES.table
    stored: set[str] = set()
    for chunk in chunks(sorted({cited for _, _, cited in citing}), CHUNK):
        stored.update(session.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
    problems = [
        f"{p.where}: {kind.singular} {p.record.id!r}, field '{SOURCES_FIELD}': unknown source "
        f"{cited!r}; define it under '{SOURCES.plural}:' in a record file and load that"
        for kind, p, cited in citing
        if cited not in stored
    ]
    if problems:
        raise RecordError(problems, hint="Nothing was written.")


def _reuse_stored_sources(session: Session, records: RecordSet) -> None:
    """A source made from version 1's text cites the store's source of that very title
    instead, when there is one (the seed's, loaded before)."""
    from sqlalchemy import select

    made = [p for p in records.of(SOURCES) if p.record.id in records.made_sources]
    if not made:
        return
    table = SOURCES.table
    titles = sorted({p.record.title for p in made})
    stored: dict[str, str] = {}
    for chunk in chunks(titles, CHUNK):
        query = select(table.c.id, table.c.title).where(table.c.title.in_(chunk))
        for source_id, title in session.execute(query.order_by(table.c.id)):
            stored.setdefault(title, source_id)
    moved = {
        p.record.id: stored[p.record.title]
        for p in made
        if stored.get(p.record.title, p.record.id) != p.record.id
    }
    if not moved:
        return
    records.of(SOURCES)[:] = [p for p in records.of(SOURCES) if p.record.id not in moved]
    for kind in CITING:
        for parsed in records.of(kind):
            cited = parsed.record.sources
            if any(source_id in moved for source_id in cited):
                renamed = [moved.get(source_id, source_id) for source_id in cited]
                parsed.record.__dict__[SOURCES_FIELD] = list(dict.fromkeys(renamed))


def _plain_row(record: SourceIn) -> dict[str, Any]:
    return record.model_dump()


def _project_row(record: ProjectIn) -> dict[str, Any]:
    # Indicators and IATI references as JSON values (a measure as its name, a recipient
    # country's share keyed by its code), as indicators_of and iati_of read them back.
    as_json = record.model_dump(mode="json", include={"indicators", "iati"})
    return {**record.model_dump(), **as_json}


def _agency_row(record: AgencyIn) -> dict[str, Any]:
    from .models import names_key

    return {**record.model_dump(), "search_key": names_key(record.all_names())}


def _training_row(record: TrainingIn) -> dict[str, Any]:
    row = record.model_dump(exclude={AGENCIES_FIELD, PROJECT_FIELD})
    row[PROJECT_COLUMN] = record.project
    return row


def _delivery_row(record: DeliveryIn) -> dict[str, Any]:
    row = record.model_dump(exclude={AGENCY_FIELD, "items", "officials", PROJECT_FIELD})
    row[PROJECT_COLUMN] = record.project
    row["agency_id"] = record.agency  # an agency's id once the load resolved it
    return row


def _upsert_rows(
    session: Session,
    kind: Kind,
    parsed: Sequence[Parsed[R]],
    counts: KindCounts,
    to_row: Callable[[R], dict[str, Any]],
    now: dt.datetime,
) -> tuple[list[R], list[str]]:
    """Insert the new records, update the changed ones; returns (written, ids of changed)."""
    new, changed = _classify(session, kind, parsed, counts)
    table = kind.table

    def rows(pairs: list[tuple[Parsed[R], str]]) -> list[dict[str, Any]]:
        return [
            {**to_row(p.record), "fingerprint": f, "created_at": now, "updated_at": now}
            for p, f in pairs
        ]

    _insert(session, table, rows(new))
    _update(session, table, rows(changed))
    return [p.record for p, _ in new + changed], [p.record.id for p, _ in changed]


def _replace_children(
    session: Session,
    table: Table,
    parent_column: str,
    changed_ids: Sequence[str],
    rows: list[dict[str, Any]],
) -> None:
    """The rows listed under the written records: a changed record's old ones go first."""
    _delete_children(session, table, parent_column, changed_ids)
    _insert(session, table, rows)


def _batches(items: Sequence[T], tally: Tally) -> Iterator[Sequence[T]]:
    """``items`` in batches of BATCH, each counted on ``tally`` once it is written."""
    for batch in chunks(items, BATCH):
        yield batch
        tally.add(len(batch))


def load_records(
    session: Session,
    *,
    records: RecordSet,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> LoadResult:
    """Upsert a validated record file by id: add new, update changed, leave the rest.

    Everything happens inside a savepoint of the caller's transaction; a dry run rolls it
    back, so it exercises every check (constraints included) and writes nothing. Records
    are written in batches of ``BATCH``, so the rows being built never outgrow one batch;
    ``progress`` hears (records written, records in the file) after each.
    """
    result = LoadResult(source=records.source, dry_run=dry_run)
    now = dt.datetime.now(dt.timezone.utc)
    savepoint = session.begin_nested()
    _check_projects(session, records)
    _reuse_stored_sources(session, records)
    _check_sources(session, records)
    result.agencies_made = AgencyDirectory.of(session, records).resolve(records)
    counts = result.counts
    tally = Tally(len(records), progress)
    # In the registry's order: what is referred to first.
    for kind in KINDS:
        for batch in _batches(records.of(kind), tally):
            _LOADERS[kind](session, batch, counts[kind], now)

    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return result


def _loader(kind: Kind, to_row: Callable[[Any], dict[str, Any]]) -> Callable[..., None]:
    """The loader of a kind whose record is one row and lists nothing under it."""

    def load(
        session: Session, batch: Sequence[Parsed[Any]], counts: KindCounts, now: dt.datetime
    ) -> None:
        _upsert_rows(session, kind, batch, counts, to_row, now)

    return load


def _load_trainings(
    session: Session, batch: Sequence[Parsed[TrainingIn]], counts: KindCounts, now: dt.datetime
) -> None:
    from .models import TrainingAgency, table_of

    trainings, changed = _upsert_rows(session, TRAININGS, batch, counts, _training_row, now)
    links = [
        {"training_id": t.id, "position": i, "agency_id": agency_id}
        for t in trainings
        for i, agency_id in enumerate(t.agencies)
    ]
    _replace_children(session, table_of(TrainingAgency), "training_id", changed, links)


def _load_deliveries(
    session: Session, batch: Sequence[Parsed[DeliveryIn]], counts: KindCounts, now: dt.datetime
) -> None:
    from .models import DeliveryItem, Official, table_of

    deliveries, changed = _upsert_rows(session, DELIVERIES, batch, counts, _delivery_row, now)
    for table, attribute in ((table_of(DeliveryItem), "items"), (table_of(Official), "officials")):
        rows = [
            {"delivery_id": d.id, "position": i, **part.model_dump()}
            for d in deliveries
            for i, part in enumerate(getattr(d, attribute))
        ]
        _replace_children(session, table, "delivery_id", changed, rows)


# What writing a batch of each kind involves: its rows, and the rows listed under them.
_LOADERS: dict[Kind, Callable[..., None]] = {
    SOURCES: _loader(SOURCES, _plain_row),
    AGENCIES: _loader(AGENCIES, _agency_row),
    PROJECTS: _loader(PROJECTS, _project_row),
    TRAININGS: _load_trainings,
    DELIVERIES: _load_deliveries,
}


def export_records(
    session: Session, *, record_id: str | None = None, progress: Progress | None = None
) -> RecordSet:
    """The whole store (or the records with one id) as records: sources by id, agencies by
    country and id, projects by id, trainings and deliveries by date then id (built without
    validating them again: see ``models.trusted_project``).

    ``progress`` hears (records read, records in the store) every thousand records.
    """
    from sqlalchemy import func, select

    from .models import (
        DeliveryItem,
        Official,
        TrainingAgency,
        table_of,
        trusted_agency,
        trusted_delivery,
        trusted_project,
        trusted_source,
        trusted_training,
    )

    label = "store"
    result = RecordSet(source=label)
    training, delivery = TRAININGS.table, DELIVERIES.table
    link, item, official = table_of(TrainingAgency), table_of(DeliveryItem), table_of(Official)

    def only(query: Any, table: Table, id_column: Any = None) -> Any:
        if record_id is None:
            return query
        return query.where((table.c.id if id_column is None else id_column) == record_id)

    total = 0
    if progress:
        for kind in KINDS:
            table = kind.table
            total += session.scalar(only(select(func.count()).select_from(table), table)) or 0

    def read(added: list[Any]) -> None:
        if progress and len(added) % 1000 == 0:
            progress(len(result), total)

    for kind, order, trusted in (
        (SOURCES, ("id",), trusted_source),
        (AGENCIES, ("country", "id"), trusted_agency),
        (PROJECTS, ("id",), trusted_project),
    ):
        table = kind.table
        query = only(select(table), table).order_by(*(table.c[name] for name in order))
        if kind is AGENCIES:  # the search key is made from the names: not a field
            query = query.with_only_columns(*(c for c in table.c if c.name != "search_key"))
        for row in session.execute(query).mappings():
            result.of(kind).append(Parsed(trusted(_strip_meta(row)), label))

    trainings, deliveries = result.of(TRAININGS), result.of(DELIVERIES)
    agencies_of: dict[str, list[str]] = defaultdict(list)
    query = select(link.c.training_id, link.c.agency_id).order_by(
        link.c.training_id, link.c.position
    )
    for training_id, agency_id in session.execute(only(query, link, link.c.training_id)):
        agencies_of[training_id].append(agency_id)
    query = only(select(training), training).order_by(training.c.start, training.c.id)
    for row in session.execute(query).mappings():
        data = _strip_meta(row)
        data[PROJECT_FIELD] = data.pop(PROJECT_COLUMN)
        data[AGENCIES_FIELD] = agencies_of.get(row["id"], [])
        trainings.append(Parsed(trusted_training(data), label))
        read(trainings)

    items_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = only(select(item), item, item.c.delivery_id)
    for row in session.execute(query.order_by(item.c.delivery_id, item.c.position)).mappings():
        items_of[row["delivery_id"]].append(_strip_part(row))
    officials_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = only(select(official), official, official.c.delivery_id)
    for row in session.execute(
        query.order_by(official.c.delivery_id, official.c.position)
    ).mappings():
        officials_of[row["delivery_id"]].append(_strip_part(row))
    query = only(select(delivery), delivery).order_by(delivery.c.date, delivery.c.id)
    for row in session.execute(query).mappings():
        data = _strip_meta(row)
        data[PROJECT_FIELD] = data.pop(PROJECT_COLUMN)
        data[AGENCY_FIELD] = data.pop("agency_id")
        data["items"] = items_of.get(row["id"], [])
        data["officials"] = officials_of.get(row["id"], [])
        deliveries.append(Parsed(trusted_delivery(data), label))
        read(deliveries)
    return result


def _strip_part(row: Any) -> dict[str, Any]:
    """A row listed under a delivery, as the record lists it: without its place."""
    return {k: v for k, v in row.items() if k not in ("delivery_id", "position")}


def _strip_meta(row: Any) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("fingerprint", "created_at", "updated_at")}
