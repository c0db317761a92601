"""The store written out: the record format (YAML, JSON), or one CSV table per kind.

``export_store`` is the service behind ``nexus export``: it reads the store's records
(``store.export_records``), turns them into the record-file document (plain values in
the record format's field order) and writes it in the chosen format. YAML and JSON are
written a piece of EXPORT_PIECE records at a time, so the text of a large store is never
held twice; CSV is for spreadsheets, one table per kind, all written or none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .batches import Progress, Tally, chunks
from .formatting import csv_cell, indented_json
from .kinds import KINDS, PLURALS
from .text import spreadsheet_cell

if TYPE_CHECKING:
    from sqlmodel import Session

    from .files import Target
    from .records import RecordSet

FORMATS = ("yaml", "json", "csv", "iati")


def _records_in(document: Mapping[str, Any]) -> int:
    return sum(len(document.get(kind) or []) for kind in PLURALS)


def to_document(records: RecordSet) -> dict[str, Any]:
    """The record-file structure (plain values, DESIGN field order) of a RecordSet."""
    from .records import VERSION

    document: dict[str, Any] = {"version": VERSION}
    for kind in KINDS:
        document[kind.plural] = [p.record.model_dump(mode="json") for p in records.of(kind)]
    return document


def _yaml_dumper() -> type[Any]:
    import yaml
    from yamlcore import CoreDumper

    class SafeCoreDumper(yaml.CSafeDumper):
        """Quotes every string that YAML 1.1 *or* 1.2 would read as something else.

        The 1.1 resolvers come with SafeDumper; the 1.2 core ones are added, so that a
        string such as ``0o17`` is quoted too and any YAML reader gets the text back.
        """

    for first, resolvers in CoreDumper.yaml_implicit_resolvers.items():
        for tag, regexp in resolvers:
            SafeCoreDumper.add_implicit_resolver(tag, regexp, [first])
    return SafeCoreDumper


DATE_FIELDS = frozenset({"start", "end", "date"})


# Records per piece of an export: the text is written (and progress told) piece by piece.
EXPORT_PIECE = 1000


def yaml_pieces(document: Mapping[str, Any], *, progress: Progress | None = None) -> Iterator[str]:
    """A document's YAML, EXPORT_PIECE records at a time: together, the text of one dump.

    PyYAML writes a list under a key without indenting it, just as it writes a list at
    the top, so the pieces of each list join into the same text.
    """
    import yaml

    dumper = _yaml_dumper()

    def dump(value: Any) -> str:
        text: str = yaml.dump(
            value,
            Dumper=dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=1 << 16,
        )
        return text

    tally = Tally(_records_in(document), progress)
    for key, value in document.items():
        if key not in PLURALS or not value:
            yield dump({key: value})
            continue
        yield f"{key}:\n"
        for piece in chunks(value, EXPORT_PIECE):
            yield dump([_with_dates(record) for record in piece])
            tally.add(len(piece))


def _with_dates(record: Mapping[str, Any]) -> dict[str, Any]:
    """Date fields as ``datetime.date``, so that the dumper writes them unquoted as people do."""
    return {
        # A source's date may be known to the month or year only: that one stays text.
        k: dt.date.fromisoformat(v)
        if k in DATE_FIELDS and isinstance(v, str) and len(v) == 10
        else v
        for k, v in record.items()
    }


def json_pieces(document: Mapping[str, Any], *, progress: Progress | None = None) -> Iterator[str]:
    """A document's JSON (indent 2), EXPORT_PIECE records at a time: the text of one dump."""
    tally = Tally(_records_in(document), progress)
    yield "{"
    for position, (key, value) in enumerate(document.items()):
        yield ("\n" if position == 0 else ",\n") + f"  {json.dumps(key, ensure_ascii=False)}: "
        if key not in PLURALS or not value:
            yield indented_json(value, "  ")
            continue
        yield "["
        for number, piece in enumerate(chunks(value, EXPORT_PIECE)):
            yield ("\n    " if number == 0 else ",\n    ") + ",\n    ".join(
                indented_json(record, "    ") for record in piece
            )
            tally.add(len(piece))
        yield "\n  ]"
    yield "\n}\n"


def dump_csv_tables(document: Mapping[str, Any]) -> dict[str, str]:
    """One CSV text per kind (``projects.csv`` ...), lists flattened with ``; ``.

    Items are written as ``--item`` spells them (``NAME:QTY / CATEGORY / VALUE CURRENCY``),
    officials as ``NAME (TITLE)``, an agency's names as ``LANG: NAME; ...``. A cell a spreadsheet would
    run as a formula starts with ``'`` (see ``text.spreadsheet_cell``). CSV is for
    spreadsheets: only YAML and JSON exports load back. Being files, each is written for
    Excel as a listing's ``-o`` is (``tabular.CsvStyle``): a BOM and CRLF line ends.
    """
    from .tabular import BOM, CsvStyle

    excel = CsvStyle(for_excel=True)
    tables: dict[str, str] = {}
    for kind in KINDS:
        buffer = io.StringIO(BOM)
        buffer.seek(0, io.SEEK_END)
        writer = csv.writer(buffer, lineterminator=excel.line_end)
        names = list(kind.fields)
        writer.writerow(names)
        for record in document.get(kind.plural, []):
            writer.writerow([spreadsheet_cell(csv_cell(name, record.get(name))) for name in names])
        tables[f"{kind.plural}.csv"] = buffer.getvalue()
    return tables


CSV_NAMES = tuple(f"{kind}.csv" for kind in PLURALS)


def csv_targets(directory: Path, *, protected: Collection[Path] = ()) -> list[Target]:
    """Where ``export --format csv`` writes: one table per kind (sources.csv ...
    deliveries.csv) in ``directory`` (made when they are written), each checked as any output is."""
    from .errors import FileError
    from .files import target

    directory = directory.expanduser()
    if directory.exists() and not directory.is_dir():
        raise FileError(
            f"{directory}: exists and is not a directory; csv export writes a directory"
        )
    return [
        target(directory / name, protected=protected, directory_made_later=True)
        for name in CSV_NAMES
    ]


def write_csv_tables(document: Mapping[str, Any], targets: Sequence[Target]) -> list[Path]:
    """Write the tables: all of them, or (on a full disk, a crash) none, the old set
    left whole. Returns the paths written."""
    from .errors import FileError
    from .files import write_files

    for directory in {chosen.real.parent for chosen in targets}:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileError(f"{directory}: cannot create directory: {exc.strerror}") from None
    tables = dump_csv_tables(document)
    write_files({chosen: tables[chosen.given.name] for chosen in targets})
    return [chosen.given for chosen in targets]


def destination(fmt: str, output: Path | None, *, protected: Collection[Path]) -> list[Target]:
    """Where an export in ``fmt`` goes (none: stdout), checked before the store is read,
    so that a refusal comes at once. ``protected``: the store's own files."""
    from .files import target

    if output is None:
        return []
    if fmt == "csv":
        return csv_targets(output, protected=protected)
    return [target(output, protected=protected)]


# How each format is written: YAML and JSON as a stream of pieces, CSV as a set of files.
PIECES: dict[str, Callable[..., Iterator[str]]] = {"yaml": yaml_pieces, "json": json_pieces}


@dataclass(frozen=True)
class Exported:
    """What an export wrote (no path: stdout), and what its reader should know of it."""

    paths: list[Path]
    notes: list[str] = field(default_factory=list)


def export_store(
    session: Session,
    *,
    fmt: str,
    targets: Sequence[Target],
    progress: Callable[[str], Progress] | None = None,
    project: str | None = None,
    fiscal_start: int = 1,
) -> Exported:
    """Write every record of the store in ``fmt`` to ``targets`` (from ``destination``;
    none: stdout). ``progress(step)`` gives the callback for a step of the work ("reading
    the store", "writing YAML"). ``iati`` writes the projects (or ``project``) as IATI
    activities, their results in years from ``fiscal_start``."""
    from .files import write_files
    from .store import export_records

    def told(step: str) -> Progress | None:
        return progress(step) if progress else None

    if fmt == "iati":
        return _export_iati(session, targets, project=project, fiscal_start=fiscal_start)
    stored = export_records(session, progress=told("reading the store"))
    document = to_document(stored)
    del stored  # the document holds the same records as plain values
    if fmt == "csv":
        return Exported(write_csv_tables(document, targets))
    pieces = PIECES[fmt](document, progress=told(f"writing {fmt.upper()}"))
    if not targets:
        sys.stdout.writelines(pieces)
        return Exported([])
    write_files({targets[0]: pieces})
    return Exported([targets[0].given])


def _export_iati(
    session: Session, targets: Sequence[Target], *, project: str | None, fiscal_start: int
) -> Exported:
    from .files import write_files
    from .iati import iati_activities
    from .iati_xml import iati_xml

    document = iati_activities(session, project=project, fiscal_start=fiscal_start)
    notes = [
        f"{a.project_id}: the recipient countries' percentages are an even split; the "
        "record holds no budget shares (give them as iati.recipient_countries)"
        for a in document.activities
        if a.even_split
    ]
    text = iati_xml(document)
    if not targets:
        sys.stdout.write(text)
        return Exported([], notes)
    write_files({targets[0]: [text]})
    return Exported([targets[0].given], notes)
