"""Reports as records for programs: a JSON array of objects, or CSV rows.

Keys are the report rows' field names (snake_case), in their order; a listing leaves out
when each record was created and updated. Both are written a record at a time as the
report is read from the store, so a listing of any length runs in constant memory. JSON
keeps the exact text; CSV cells a spreadsheet would run as a formula start with ``'``
(``text.spreadsheet_cell``), and lists are joined with ``; ``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import islice
from operator import attrgetter
from typing import Any, get_origin, get_type_hints

from .formatting import CSV_LIST_SEPARATOR, csv_cell, indented_json
from .text import spreadsheet_cell


@dataclass(frozen=True)
class Records:
    """A report as records: their field names, how to read them from a row, and the rows.

    ``rows`` may be a stream from the store: it is iterated once, as it is written.
    """

    hints: dict[str, Any]  # the row type's fields and their types
    names: list[str]  # the fields written; several, so that ``values`` gives a tuple
    rows: Iterable[Any]
    single: bool  # `show`: one object rather than an array

    @property
    def values(self) -> Callable[[Any], tuple[Any, ...]]:
        """A row's values in the order of ``names`` (one C-level call per row)."""
        return attrgetter(*self.names)


def as_records(report: Any) -> Records:
    """Any report as Records: a listing (one with ``rows``) by its ``row_type``'s fields
    less those ``left_out``; anything else is one record (``show``)."""
    if not hasattr(report, "rows"):
        hints = get_type_hints(type(report))
        return Records(hints, list(hints), [report], single=True)
    hints = get_type_hints(report.row_type)
    names = [name for name in hints if name not in report.left_out]
    return Records(hints, names, report.rows, single=False)


def record_dict(data: Any) -> dict[str, Any]:
    records = as_records(data)
    return dict(zip(records.names, records.values(data), strict=True))


def json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def json_pieces(records: Records) -> Iterator[str]:
    """The records as one JSON array (one object for ``show``), a record at a time."""
    values = records.values

    def dump(row: Any, margin: str) -> str:
        record = dict(zip(records.names, values(row), strict=True))
        return indented_json(record, margin, default=json_default)

    if records.single:
        yield from (dump(row, "") + "\n" for row in records.rows)
        return
    written = 0
    for row in records.rows:
        yield ("[\n  " if written == 0 else ",\n  ") + dump(row, "  ")
        written += 1
    yield "\n]\n" if written else "[]\n"


def jsonl_pieces(records: Records) -> Iterator[str]:
    """The records as JSON Lines: one compact object a line, each the object ``json``
    has for that record."""
    import json

    values = records.values
    for row in records.rows:
        record = dict(zip(records.names, values(row), strict=True))
        yield json.dumps(record, ensure_ascii=False, default=json_default) + "\n"


CSV_BOOLEAN = {True: "true", False: "false"}


def _text_cell(value: str | None) -> str | None:
    return spreadsheet_cell(value) if value else value


def _joined_cell(values: list[str]) -> str:
    return spreadsheet_cell(CSV_LIST_SEPARATOR.join(values))


def _listed_cell(name: str, value: Any) -> str:
    return spreadsheet_cell(csv_cell(name, value))


def _csv_formatters(records: Records) -> list[tuple[int, Callable[[Any], Any]]]:
    """(column, formatter) for the cells the csv module would not write as ``csv_cell`` does.

    Chosen once from the row type's declared fields, the cheapest that gives the same
    cell: text is made safe for spreadsheets (``spreadsheet_cell``), lists of strings are
    joined, booleans looked up, lists of items and officials go through ``csv_cell``;
    numbers, dates and None (an empty cell) are written as they are.
    """
    formatters: list[tuple[int, Callable[[Any], Any]]] = []
    for column, name in enumerate(records.names):
        hint = records.hints[name]
        if hint is bool:
            formatters.append((column, CSV_BOOLEAN.__getitem__))
        elif hint in (str, str | None):
            formatters.append((column, _text_cell))
        elif hint == list[str]:
            formatters.append((column, _joined_cell))
        elif get_origin(hint) in (list, dict):  # items, officials; an agency's names
            formatters.append((column, partial(_listed_cell, name)))
    return formatters


def csv_rows(records: Records) -> Iterator[list[Any]]:
    """A header row, then one row of cells per record."""
    formatters, values = _csv_formatters(records), records.values
    yield records.names
    for row in records.rows:
        cells = list(values(row))
        for column, formatter in formatters:
            cells[column] = formatter(cells[column])
        yield cells


CSV_PIECE = 1000  # rows of CSV written as one piece of text
BOM = "\ufeff"


@dataclass(frozen=True)
class CsvStyle:
    """How CSV is written. For Excel (a file, ``-o``): a byte order mark, without which
    Excel on Windows reads UTF-8 as the ANSI code page (Cyrillic and “quotes” garbled),
    and CRLF line ends (RFC 4180). On stdout: plain UTF-8 and LF, for pipes. The
    delimiter: Excel in a Russian or Kazakh locale expects ``;``."""

    delimiter: str = ","
    for_excel: bool = False

    @property
    def line_end(self) -> str:
        return "\r\n" if self.for_excel else "\n"


def csv_pieces(records: Records, style: CsvStyle | None = None) -> Iterator[str]:
    """The CSV text of ``records``, CSV_PIECE rows at a time."""
    style = style or CsvStyle()
    buffer = io.StringIO()
    if style.for_excel:
        buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator=style.line_end)
    rows = csv_rows(records)
    while piece := list(islice(rows, CSV_PIECE)):
        writer.writerows(piece)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
