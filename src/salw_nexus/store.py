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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import NexusError, NotFoundError, RecordError
from .records import KINDS, SINGULAR, Parsed, Progress, RecordSet, Tally, chunks, gc_paused, shown

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Table
    from sqlmodel import Session

    from .models import DeliveryIn, ProjectIn, TrainingIn

# Stays well under SQLite's limit on bound parameters in one statement.
CHUNK = 500
# Records written per round of look-up, insert and update by load_records.
BATCH = 5000
T = TypeVar("T")
R = TypeVar("R", "ProjectIn", "TrainingIn", "DeliveryIn")


@dataclass
class KindCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class LoadResult:
    source: str
    dry_run: bool
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})


def fingerprint(record: BaseModel) -> str:
    return hashlib.blake2b(record.model_dump_json().encode(), digest_size=16).hexdigest()


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _stored_fingerprints(session: Session, table: Table, ids: Sequence[str]) -> dict[str, str]:
    from sqlalchemy import select

    stored: dict[str, str] = {}
    for chunk in chunks(ids, CHUNK):
        rows = session.execute(select(table.c.id, table.c.fingerprint).where(table.c.id.in_(chunk)))
        stored.update({row.id: row.fingerprint for row in rows})
    return stored


def _classify(
    session: Session, table: Table, parsed: Sequence[Parsed[Any]], counts: KindCounts
) -> tuple[list[tuple[Parsed[Any], str]], list[tuple[Parsed[Any], str]]]:
    """Split records into (new, changed), each with its fingerprint; count the unchanged.

    A new record whose id another kind of record has in the store is refused: an id names
    one record, so that `show`, `edit` and `remove` never have to guess."""
    stored = _stored_fingerprints(session, table, [p.record.id for p in parsed])
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
    _refuse_taken_ids(session, table, [p for p, _ in new])
    counts.added += len(new)
    counts.updated += len(changed)
    return new, changed


def _refuse_taken_ids(session: Session, table: Table, new: Sequence[Parsed[Any]]) -> None:
    from sqlalchemy import select

    kind = next(kind for kind, model in _models().items() if _table(model) is table)
    problems = []
    for other, model in _models().items():
        if other == kind or not new:
            continue
        others = _table(model)
        taken: set[str] = set()
        for chunk in chunks([p.record.id for p in new], CHUNK):
            taken.update(session.scalars(select(others.c.id).where(others.c.id.in_(chunk))))
        problems += [
            f"{p.where}: {SINGULAR[kind]} id {p.record.id!r} is the id of a {SINGULAR[other]} "
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


class _AgencyIds:
    """Ids of (country, name) agencies, inserting those the store lacks; kept across batches."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[tuple[str, str], int] = {}

    def __call__(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        from sqlalchemy import select

        from .models import Agency, search_key

        missing = set(wanted) - self.known.keys()
        if not missing:
            return self.known
        table = _table(Agency)
        countries = sorted({country for country, _ in missing})

        def stored() -> dict[tuple[str, str], int]:
            query = select(table.c.id, table.c.country, table.c.name)
            rows = self.session.execute(query.where(table.c.country.in_(countries)))
            return {(row.country, row.name): row.id for row in rows}

        self.known.update(stored())
        new = sorted(missing - self.known.keys())
        if new:
            rows = [{"country": c, "name": n, "search_key": search_key(n)} for c, n in new]
            _insert(self.session, table, rows)
            self.known.update(stored())
        return self.known


def _check_projects(session: Session, records: RecordSet) -> None:
    """Every project a record names is in the file or already in the store."""
    from sqlalchemy import select

    from .models import Project

    in_file = {p.record.id for p in records.projects}
    referencing = [
        (kind, p)
        for kind in ("trainings", "deliveries")
        for p in getattr(records, kind)
        if p.record.project is not None and p.record.project not in in_file
    ]
    if not referencing:
        return
    table = _table(Project)
    named = sorted({p.record.project for _, p in referencing})
    stored = set(session.scalars(select(table.c.id).where(table.c.id.in_(named))))
    problems = [
        f"{p.where}: {SINGULAR[kind]} {p.record.id!r}, field 'project': unknown project "
        f"{p.record.project!r}; define it under 'projects:' in a record file and load that"
        for kind, p in referencing
        if p.record.project not in stored
    ]
    if problems:
        raise RecordError(problems, hint="Nothing was written.")


def _project_row(record: ProjectIn) -> dict[str, Any]:
    return record.model_dump()


def _training_row(record: TrainingIn) -> dict[str, Any]:
    row = record.model_dump(exclude={"agencies", "project"})
    row["project_id"] = record.project
    return row


def _delivery_row(record: DeliveryIn, agency_id: int) -> dict[str, Any]:
    row = record.model_dump(exclude={"agency", "items", "officials", "project"})
    row["project_id"] = record.project
    row["agency_id"] = agency_id
    return row


def _upsert_rows(
    session: Session,
    table: Table,
    parsed: Sequence[Parsed[R]],
    counts: KindCounts,
    to_row: Callable[[R], dict[str, Any]],
    now: dt.datetime,
) -> tuple[list[R], list[str]]:
    """Insert the new records, update the changed ones; returns (written, ids of changed)."""
    new, changed = _classify(session, table, parsed, counts)

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


@gc_paused()
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
    from .models import Project

    result = LoadResult(source=records.source, dry_run=dry_run)
    now = dt.datetime.now(dt.timezone.utc)
    savepoint = session.begin_nested()
    _check_projects(session, records)
    agency_ids = _AgencyIds(session)
    counts = result.counts
    tally = Tally(sum(records.counts().values()), progress)

    # Projects first: trainings and deliveries refer to them.
    for projects in _batches(records.projects, tally):
        _upsert_rows(session, _table(Project), projects, counts["projects"], _project_row, now)
    for trainings in _batches(records.trainings, tally):
        _load_trainings(session, trainings, counts["trainings"], agency_ids, now)
    for deliveries in _batches(records.deliveries, tally):
        _load_deliveries(session, deliveries, counts["deliveries"], agency_ids, now)

    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return result


def _load_trainings(
    session: Session,
    batch: Sequence[Parsed[TrainingIn]],
    counts: KindCounts,
    agency_ids: _AgencyIds,
    now: dt.datetime,
) -> None:
    from .models import Training, TrainingAgency

    trainings, changed = _upsert_rows(session, _table(Training), batch, counts, _training_row, now)
    ids = agency_ids((t.country, a) for t in trainings for a in t.agencies)
    links = [
        {"training_id": t.id, "position": i, "agency_id": ids[(t.country, a)]}
        for t in trainings
        for i, a in enumerate(t.agencies)
    ]
    _replace_children(session, _table(TrainingAgency), "training_id", changed, links)


def _load_deliveries(
    session: Session,
    batch: Sequence[Parsed[DeliveryIn]],
    counts: KindCounts,
    agency_ids: _AgencyIds,
    now: dt.datetime,
) -> None:
    from .models import Delivery, DeliveryItem, Official

    ids = agency_ids((p.record.country, p.record.agency) for p in batch)

    def delivery_row(record: DeliveryIn) -> dict[str, Any]:
        return _delivery_row(record, ids[(record.country, record.agency)])

    deliveries, changed = _upsert_rows(session, _table(Delivery), batch, counts, delivery_row, now)
    for table, attribute in ((_table(DeliveryItem), "items"), (_table(Official), "officials")):
        rows = [
            {"delivery_id": d.id, "position": i, **part.model_dump()}
            for d in deliveries
            for i, part in enumerate(getattr(d, attribute))
        ]
        _replace_children(session, table, "delivery_id", changed, rows)


def export_records(
    session: Session, *, record_id: str | None = None, progress: Progress | None = None
) -> RecordSet:
    """The whole store (or the records with one id) as records, by date then id (built
    without validating them again: see ``models.trusted_project``).

    ``progress`` hears (records read, records in the store) every thousand records.
    """
    from sqlalchemy import func, select

    from .models import (
        Agency,
        Delivery,
        DeliveryItem,
        Official,
        Project,
        Training,
        TrainingAgency,
        trusted_delivery,
        trusted_project,
        trusted_training,
    )

    label = "store"
    result = RecordSet(source=label)
    project, training, delivery = _table(Project), _table(Training), _table(Delivery)
    agency, link = _table(Agency), _table(TrainingAgency)
    item, official = _table(DeliveryItem), _table(Official)

    def only(query: Any, table: Table, id_column: Any = None) -> Any:
        if record_id is None:
            return query
        return query.where((table.c.id if id_column is None else id_column) == record_id)

    total = 0
    if progress:
        for table in (project, training, delivery):
            total += session.scalar(only(select(func.count()).select_from(table), table)) or 0

    def read(added: list[Any]) -> None:
        if progress and len(added) % 1000 == 0:
            progress(len(result.projects) + len(result.trainings) + len(result.deliveries), total)

    for row in session.execute(only(select(project), project).order_by(project.c.id)).mappings():
        result.projects.append(Parsed(trusted_project(_strip_meta(row)), label))

    agencies_of: dict[str, list[str]] = defaultdict(list)
    query = (
        select(link.c.training_id, agency.c.name)
        .join(agency, agency.c.id == link.c.agency_id)
        .order_by(link.c.training_id, link.c.position)
    )
    for training_id, name in session.execute(only(query, link, link.c.training_id)):
        agencies_of[training_id].append(name)
    query = only(select(training), training).order_by(training.c.start, training.c.id)
    for row in session.execute(query).mappings():
        data = _strip_meta(row)
        data["project"] = data.pop("project_id")
        data["agencies"] = agencies_of.get(row["id"], [])
        result.trainings.append(Parsed(trusted_training(data), label))
        read(result.trainings)

    items_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = only(select(item), item, item.c.delivery_id)
    for row in session.execute(query.order_by(item.c.delivery_id, item.c.position)).mappings():
        items_of[row["delivery_id"]].append(
            {"name": row["name"], "quantity": row["quantity"], "value_usd": row["value_usd"]}
        )
    officials_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = only(select(official), official, official.c.delivery_id)
    for row in session.execute(
        query.order_by(official.c.delivery_id, official.c.position)
    ).mappings():
        officials_of[row["delivery_id"]].append({"name": row["name"], "title": row["title"]})
    query = (
        only(select(delivery, agency.c.name.label("agency_name")), delivery)
        .join(agency, agency.c.id == delivery.c.agency_id)
        .order_by(delivery.c.date, delivery.c.id)
    )
    for row in session.execute(query).mappings():
        data = _strip_meta(row)
        data["project"] = data.pop("project_id")
        data["agency"] = data.pop("agency_name")
        del data["agency_id"]
        data["items"] = items_of.get(row["id"], [])
        data["officials"] = officials_of.get(row["id"], [])
        result.deliveries.append(Parsed(trusted_delivery(data), label))
        read(result.deliveries)
    return result


def _strip_meta(row: Any) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("fingerprint", "created_at", "updated_at")}


# --- one record at a time (the add, edit and remove commands) ---------------------------

COMMAND_LINE = "command line"


def not_found(record_id: str) -> NotFoundError:
    return NotFoundError(
        f"no training, delivery or project has the id {shown(record_id)}",
        hint="`nexus trainings` and `nexus handovers` list the ids.",
    )


def kinds_with_id(session: Session, *, record_id: str) -> list[str]:
    """The kinds with a record of this id: one, or none. (Stores written before ids were
    unique across kinds may have two: ``one_kind_of`` refuses to guess between them.)"""
    from sqlalchemy import literal, select, union_all

    from .models import SLUG_RE

    if not SLUG_RE.fullmatch(record_id):
        return []  # no record can have it: not worth a query (nor a bad string's encoding)
    query = union_all(
        *(
            select(literal(kind)).where(_table(model).c.id == record_id)
            for kind, model in _models().items()
        )
    )
    return list(session.scalars(query))


def one_kind_of(session: Session, *, record_id: str) -> str:
    """The kind of the record with this id; NotFoundError, or a NexusError when two
    records of an older store share it (show, edit and remove must not pick one)."""
    kinds = kinds_with_id(session, record_id=record_id)
    if not kinds:
        raise not_found(record_id)
    if len(kinds) > 1:
        named = " and a ".join(SINGULAR[kind] for kind in kinds)
        raise NexusError(
            f"the id {record_id!r} names a {named}: records of an older release; nothing was done",
            hint="Give one of them another id in a record file: `nexus export -o all.yaml`, "
            "change the id there, then load the file into a new store (--db new.db).",
        )
    return kinds[0]


def get_record(session: Session, *, record_id: str) -> ProjectIn | TrainingIn | DeliveryIn:
    """The record with this id, as its input model (what ``edit`` starts from)."""
    kind = one_kind_of(session, record_id=record_id)
    found: list[Parsed[Any]] = getattr(export_records(session, record_id=record_id), kind)
    record: ProjectIn | TrainingIn | DeliveryIn = found[0].record
    return record


def _models() -> dict[str, Any]:
    from .models import Delivery, Project, Training

    return {"trainings": Training, "deliveries": Delivery, "projects": Project}


def _kind_of(record: TrainingIn | DeliveryIn) -> str:
    from .models import TrainingIn

    return "trainings" if isinstance(record, TrainingIn) else "deliveries"


def _write_one(session: Session, record: TrainingIn | DeliveryIn) -> LoadResult:
    kind = _kind_of(record)
    records = RecordSet(source=COMMAND_LINE)
    getattr(records, kind).append(Parsed(record, COMMAND_LINE))
    return load_records(session, records=records)


def only_project(session: Session) -> str | None:
    """The id of the store's project when it has exactly one (the default for new records)."""
    from sqlalchemy import select

    from .models import Project

    ids = session.scalars(select(_table(Project).c.id).limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def add_record(session: Session, *, record: TrainingIn | DeliveryIn) -> TrainingIn | DeliveryIn:
    """Add one new record; an id that exists already is refused. Returns what was stored."""
    taken = kinds_with_id(session, record_id=record.id)
    if taken:
        raise RecordError(
            [f"--id: a {SINGULAR[taken[0]]} with the id {record.id!r} exists already"],
            hint="Choose another --id (or leave it out to have one made), or use `nexus edit`.",
        )
    if record.project is None:
        record = record.model_copy(update={"project": only_project(session)})
    _write_one(session, record)
    return record


def update_record(session: Session, *, record: TrainingIn | DeliveryIn) -> None:
    """Replace a stored record by a new version with the same id (``created_at`` is kept)."""
    _write_one(session, record)


def unique_id(session: Session, *, base: str) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever no record has (inside the caller's
    lock)."""
    candidate, number = base, 1
    while kinds_with_id(session, record_id=candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def remove_record(session: Session, *, record_id: str) -> str:
    """Delete a training or delivery (with its agencies, items and officials); returns its kind.

    A project is removed only when no record refers to it.
    """
    from sqlalchemy import delete, func, select

    from .models import Delivery, Project, Training

    kind = one_kind_of(session, record_id=record_id)
    if kind != "projects":
        table = _table(_models()[kind])
        session.connection().execute(delete(table).where(table.c.id == record_id))
        return kind
    project = _table(Project)
    users = sum(
        int(session.scalar(select(func.count()).where(_table(m).c.project_id == record_id)) or 0)
        for m in (Training, Delivery)
    )
    if users:
        raise RecordError(
            [f"project {record_id!r} still has {users} training(s) and delivery(ies)"],
            hint="Remove or re-assign them first.",
        )
    session.connection().execute(delete(project).where(project.c.id == record_id))
    return "projects"


def known_countries(session: Session) -> list[str]:
    """Alpha-2 codes the store already has records for."""
    from sqlalchemy import select, union

    from .models import Delivery, Training

    query = union(select(_table(Training).c.country), select(_table(Delivery).c.country))
    return sorted(session.scalars(query))


def known_agencies(session: Session, *, country: str | None = None) -> list[str]:
    """Agency names in the store (of one country when given), for prompts and completion."""
    from sqlalchemy import select

    from .models import Agency

    table = _table(Agency)
    query = select(table.c.name).distinct().order_by(table.c.name)
    if country:
        query = query.where(table.c.country == country)
    return list(session.scalars(query))
