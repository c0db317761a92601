"""Agencies as entities: a record's agency reference resolved to one agency of its country.

A training lists the agencies represented at it and a delivery names its recipient; each
reference is an agency's id, or any of its names (its name, a name in another language,
an alias) compared as ``--agency`` compares them (``models.name_key``: Unicode form, case
and runs of spaces aside), among the agencies of the record's own country. A name no
agency of that country has makes a new agency (its id made by ``ids.made_agency_id``);
a name two agencies share is refused, naming both, since the load cannot choose.

References are resolved before anything is written, against the agencies of the file and
of the store together (the file's definition of an id wins: the load will write it), and
replaced by the ids they name, so that a record is stored, fingerprinted and exported
with ids: an export loaded again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from .countries import name_of
from .errors import NotFoundError, RecordError, UsageError
from .kinds import (
    AGENCIES,
    AGENCIES_FIELD,
    AGENCY_FIELD,
    CITING,
    DELIVERIES,
    SOURCES,
    SOURCES_FIELD,
    TRAININGS,
    Kind,
)
from .records import Parsed

if TYPE_CHECKING:
    from sqlmodel import Session

    from .models import AgencyIn
    from .records import RecordSet


@dataclass
class AgencyDirectory:
    """The agencies a load can refer to: by id, and by (country, name key)."""

    by_id: dict[str, AgencyIn] = field(default_factory=dict)
    by_name: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)  # every id of the file, for made ids
    session: Session | None = None  # the store, whose ids a made id must not take either

    @classmethod
    def of(cls, session: Session | None, records: RecordSet) -> AgencyDirectory:
        """The store's agencies that the file's records may refer to, then the file's;
        without a store (``nexus check``), the file's only."""
        from sqlalchemy import or_, select

        from .models import SLUG_RE, trusted_agency

        table = AGENCIES.table
        countries = {p.record.country for kind in (TRAININGS, DELIVERIES) for p in records.of(kind)}
        ids = {ref for ref in _references(records) if SLUG_RE.fullmatch(ref)}
        directory = cls(taken={p.record.id for records_of in records.by_kind.values()
                               for p in records_of}, session=session)  # fmt: skip
        if session is not None and (countries or ids):
            query = select(table.c.id, table.c.country, table.c.name, table.c.names,
                           table.c.aliases)  # fmt: skip
            query = query.where(or_(table.c.country.in_(sorted(countries)),
                                    table.c.id.in_(sorted(ids))))  # fmt: skip
            for row in session.execute(query).mappings():
                directory.by_id[row["id"]] = trusted_agency(dict(row))
        for parsed in records.of(AGENCIES):
            directory.by_id[parsed.record.id] = parsed.record
        for agency in directory.by_id.values():
            directory._index(agency)
        return directory

    def _index(self, agency: AgencyIn) -> None:
        from .models import name_key

        for key in dict.fromkeys(name_key(name) for name in agency.all_names()):
            self.by_name.setdefault((agency.country, key), []).append(agency.id)

    def find(self, country: str, reference: str) -> str | None:
        """The id of the agency of ``country`` that ``reference`` names; None when none
        does; ValueError when it is another country's or two agencies share the name."""
        from .models import name_key

        agency = self.by_id.get(reference)
        if agency is not None:
            if agency.country != country:
                raise ValueError(
                    f"agency {reference!r} is an agency of {name_of(agency.country)}, "
                    f"not of {name_of(country)}"
                )
            return reference
        found = self.by_name.get((country, name_key(reference)), [])
        if len(found) > 1:
            named = " and ".join(f"{i!r} ({self.by_id[i].name})" for i in found)
            raise ValueError(
                f"{reference!r} is a name of {len(found)} agencies of {name_of(country)}: "
                f"{named}; give the id of the one meant"
            )
        return found[0] if found else None

    def make(self, country: str, name: str) -> str:
        """A new agency of ``country`` named ``name``; returns its id."""
        from .ids import made_agency_id
        from .models import AgencyIn

        agency_id = made_agency_id(country, name, _Taken(self))
        agency = AgencyIn.model_construct(
            id=agency_id, country=country, name=name, names={}, aliases=[]
        )
        self.by_id[agency_id] = agency
        self.taken.add(agency_id)
        self._index(agency)
        return agency_id

    def resolve(self, records: RecordSet) -> list[str]:
        """Replace every agency reference of ``records`` by its agency's id, adding the
        agencies made for new names to the records; returns the ids of those made.
        RecordError lists every reference that names no single agency."""
        problems: list[str] = []
        made: list[str] = []
        # A file names the same few agencies over and over: each (country, reference)
        # is resolved once.
        known: dict[tuple[str, str], str] = {}

        def resolved(parsed: Parsed[Any], kind: Kind, field_name: str, reference: str) -> str:
            country = parsed.record.country
            found = known.get((country, reference))
            if found is not None:
                return found
            try:
                found = self.find(country, reference)
            except ValueError as exc:
                problems.append(
                    f"{parsed.where}: {kind.singular} {parsed.record.id!r}, "
                    f"field '{field_name}': {exc}"
                )
                return reference
            if found is None:
                found = self.make(country, reference)
                made.append(found)
                records.of(AGENCIES).append(
                    Parsed(self.by_id[found], parsed.label, parsed.find_line)
                )
            known[(country, reference)] = found
            return found

        for parsed in records.of(TRAININGS):
            record = parsed.record
            ids = [
                resolved(parsed, TRAININGS, f"{AGENCIES_FIELD}[{i}]", ref)
                for i, ref in enumerate(record.agencies)
            ]
            if len(set(ids)) < len(ids):
                problems.append(
                    f"{parsed.where}: {TRAININGS.singular} {record.id!r}, field "
                    f"'{AGENCIES_FIELD}': names agency {_repeated(ids)!r} twice; list each once"
                )
            record.__dict__[AGENCIES_FIELD] = ids  # valid ids: no need to validate again
        for parsed in records.of(DELIVERIES):
            record = parsed.record
            record.__dict__[AGENCY_FIELD] = resolved(
                parsed, DELIVERIES, AGENCY_FIELD, record.agency
            )
        if problems:
            raise RecordError(problems, hint="Nothing was written.")
        return made


class _Taken:
    """The ids a made id must avoid: the file's, the directory's, and the store's."""

    def __init__(self, directory: AgencyDirectory) -> None:
        self.directory = directory

    def __contains__(self, candidate: object) -> bool:
        from .editing import kinds_with_id

        directory = self.directory
        if candidate in directory.taken or candidate in directory.by_id:
            return True
        session = directory.session
        return session is not None and bool(kinds_with_id(session, record_id=str(candidate)))


def _references(records: RecordSet) -> Iterable[str]:
    for parsed in records.of(TRAININGS):
        yield from parsed.record.agencies
    for parsed in records.of(DELIVERIES):
        yield parsed.record.agency


def _repeated(ids: list[str]) -> str | None:
    seen: set[str] = set()
    for agency_id in ids:
        if agency_id in seen:
            return agency_id
        seen.add(agency_id)
    return None


# --- the agencies and sources listings --------------------------------------------------


class AgencyRow(NamedTuple):
    id: str
    country: str
    country_name: str
    name: str
    names: dict[str, str]  # language tag -> name
    aliases: list[str]
    trainings: int  # trainings it was represented at
    deliveries: int  # deliveries it received


@dataclass(frozen=True)
class AgencyList:
    """Agencies by country name, then name."""

    agencies: list[AgencyRow]
    row_type: ClassVar[type] = AgencyRow
    left_out: ClassVar[tuple[str, ...]] = ()

    @property
    def rows(self) -> list[AgencyRow]:
        return self.agencies


def list_agencies(
    session: Session, *, country: str | None = None, agency: str | None = None,
    record_id: str | None = None,
) -> AgencyList:  # fmt: skip
    """Each agency (of ``country``; with a name, translation or alias holding ``agency``,
    compared as ``--agency`` compares), with the trainings it was represented at and the
    deliveries it received, counted in SQL."""
    from sqlalchemy import func, select

    from .models import Delivery, TrainingAgency, name_key, table_of

    table, link, delivery = AGENCIES.table, table_of(TrainingAgency), table_of(Delivery)
    trainings = (
        select(link.c.agency_id, func.count(func.distinct(link.c.training_id)).label("n"))
        .group_by(link.c.agency_id)
        .subquery()
    )
    deliveries = (
        select(delivery.c.agency_id, func.count().label("n"))
        .group_by(delivery.c.agency_id)
        .subquery()
    )
    query = (
        select(
            table.c.id,
            table.c.country,
            table.c.name,
            table.c.names,
            table.c.aliases,
            func.coalesce(trainings.c.n, 0),
            func.coalesce(deliveries.c.n, 0),
        )
        .outerjoin(trainings, trainings.c.agency_id == table.c.id)
        .outerjoin(deliveries, deliveries.c.agency_id == table.c.id)
    )
    if country:
        query = query.where(table.c.country == country)
    if agency:
        query = query.where(table.c.search_key.contains(name_key(agency), autoescape=True))
    if record_id:
        query = query.where(table.c.id == record_id)
    rows = [
        AgencyRow(key, code, name_of(code), name, names, aliases, int(t), int(d))
        for key, code, name, names, aliases, t, d in session.execute(query)
    ]
    return AgencyList(sorted(rows, key=lambda r: (r.country_name, r.name.casefold(), r.id)))


class SourceRow(NamedTuple):
    id: str
    title: str
    publisher: str | None
    kind: str | None
    date: str | None
    url: str | None
    language: str | None
    cited_by: list[str]  # the ids of the records citing it


@dataclass(frozen=True)
class SourceList:
    """Sources by id, each with the records that cite it."""

    sources: list[SourceRow]
    row_type: ClassVar[type] = SourceRow
    left_out: ClassVar[tuple[str, ...]] = ()

    @property
    def rows(self) -> list[SourceRow]:
        return self.sources


def list_sources(session: Session, *, record_id: str | None = None) -> SourceList:
    """Every source (or the one with ``record_id``) and the records citing it.

    The citations are JSON lists on the records: read once, in order, and gathered here
    (SQLite and PostgreSQL unpack JSON arrays with different functions)."""
    from sqlalchemy import select

    table = SOURCES.table
    query = select(*(table.c[name] for name in SourceRow._fields[:-1])).order_by(table.c.id)
    if record_id:
        query = query.where(table.c.id == record_id)
    found = session.execute(query).all()
    cited_by: dict[str, list[str]] = {row.id: [] for row in found}
    for kind in CITING:
        records = kind.table
        for citing_id, sources in session.execute(
            select(records.c.id, records.c[SOURCES_FIELD]).order_by(records.c.id)
        ):
            for source_id in sources:
                if source_id in cited_by:
                    cited_by[source_id].append(citing_id)
    return SourceList([SourceRow._make([*row, cited_by[row.id]]) for row in found])


def citation(source: Any) -> str:
    """``Title. Publisher, 2025-04. https://...``: what a reader needs to find it."""
    text: str = source["title"].rstrip(".") + "."
    published = ", ".join(filter(None, [source["publisher"], source["date"]]))
    if published:
        text += f" {published}."
    if source["url"]:
        text += f" {source['url']}"
    return text


# --- merging ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Merge:
    """What ``agencies merge`` did: the agency kept, before and after, and what moved."""

    before: AgencyRow
    other: AgencyRow
    after: AgencyRow


def merge_agencies(session: Session, *, keep: str, other: str) -> Merge:
    """Make ``other`` one with ``keep``: its names become aliases of ``keep``, every
    training and delivery naming it names ``keep`` (a training that named both, once, where
    ``keep`` was), and ``other`` is removed. The changed records are written by the load
    (``store.load_records``), so the store ends as loading the merged file would leave
    it; one transaction, the caller's."""
    from sqlalchemy import delete

    from .records import RecordSet
    from .store import export_records, load_records

    if keep == other:
        raise UsageError(f"{keep!r} and {other!r} are one agency already; nothing to merge")
    kept, merged = _one_agency(session, keep), _one_agency(session, other)
    if kept.country != merged.country:
        raise UsageError(
            f"{keep!r} is an agency of {kept.country_name} and {other!r} of "
            f"{merged.country_name}: only agencies of one country can be merged"
        )
    stored = export_records(session)
    changed = RecordSet(source=f"merge of {other} into {keep}")
    for parsed in stored.of(AGENCIES):
        if parsed.record.id == keep:
            agency = parsed.record
            agency.__dict__["aliases"] = _aliases_after_merge(agency, merged)
            changed.of(AGENCIES).append(parsed)
    for parsed in stored.of(TRAININGS):
        ids = parsed.record.agencies
        if other in ids:
            moved = [keep if i == other else i for i in ids]
            parsed.record.__dict__[AGENCIES_FIELD] = list(dict.fromkeys(moved))
            changed.of(TRAININGS).append(parsed)
    for parsed in stored.of(DELIVERIES):
        if parsed.record.agency == other:
            parsed.record.__dict__[AGENCY_FIELD] = keep
            changed.of(DELIVERIES).append(parsed)
    load_records(session, records=changed)
    table = AGENCIES.table
    session.execute(delete(table).where(table.c.id == other))
    return Merge(before=kept, other=merged, after=_one_agency(session, keep))


def _aliases_after_merge(kept: AgencyIn, merged: AgencyRow) -> list[str]:
    """``kept``'s aliases, then every name of ``merged`` that ``kept`` has not."""
    from .models import name_key

    aliases = list(kept.aliases)
    known = {name_key(name) for name in kept.all_names()}
    for name in [merged.name, *merged.names.values(), *merged.aliases]:
        if name_key(name) not in known:
            known.add(name_key(name))
            aliases.append(name)
    return aliases


def _one_agency(session: Session, agency_id: str) -> AgencyRow:
    found = list_agencies(session, record_id=agency_id).agencies
    if not found:
        raise NotFoundError(
            f"no agency has the id {agency_id!r}", hint="`nexus agencies` lists them."
        )
    return found[0]
