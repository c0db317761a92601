"""Workbooks (XLSX) for spreadsheets: sheets of typed cells, made into one file's bytes.

A ``Sheet`` is a name, a header row and rows of cells; ``workbook_bytes`` makes the
workbook file of one or more sheets (XlsxWriter, imported only here and only when a
workbook is made). Rows are read once and written out one by one (XlsxWriter's
``constant_memory``: a temporary file, not a table of every cell), so a listing's
workbook takes about the memory of its CSV; the finished file is held as bytes. What a
cell holds decides how it is written:

- ``int`` and ``float`` as numbers, ``bool`` as a boolean, ``dt.date`` as a date
  (``yyyy-mm-dd``; a ``dt.datetime`` with its time), ``None`` or ``""`` as an empty cell;
- ``str`` always as text: a value starting with ``=`` is text, never a formula, and no
  ``'`` is added (CSV needs one; a workbook says what is text);
- a list of strings joined with ``; `` (as in CSV);
- ``Noted(value, note)``: the value with a note (a comment) on its cell.

The header row is bold and frozen (with the title lines above it, if any), with an
autofilter over the data; columns are as wide as their content (10 to 60 characters).
Text longer than a cell holds (32,767 characters) is cut, with a note saying so. The same
sheets give the same bytes: the file's creation date is fixed (or given).

``records_sheet`` makes the sheet of a report's records (``tabular.Records``): the
columns of ``-f json`` and ``-f csv``, in their order, with the same values (lists,
items and officials as CSV spells them), and a note on each lower bound: a bool field
``<name>_approximate`` marks the cell of ``<name>`` in the same row when true, and a bare
``approximate`` marks the count just before it (as the record format writes
``participants: 16`` then ``approximate: true``). The flag's own column stays.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import FileError, option
from .formatting import CSV_LIST_SEPARATOR, csv_cell

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from .tabular import Records

SHEET_NAME_MAX = 31  # Excel's limit on a sheet's name
SHEET_NAME_FORBIDDEN = frozenset("[]:*?/\\")
MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header and title lines included
MAX_TEXT = 32_767  # characters (UTF-16 units) a cell holds
NARROWEST, WIDEST = 10, 60  # column widths, in characters
FILTER_BUTTON = 2  # room for the autofilter's button beside a header
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# The file's creation date when none is given: fixed, so that the same sheets give the
# same bytes (XlsxWriter already dates the parts of the zip file 1980-01-01).
CREATED = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)
LOWER_BOUND = "lower bound: the source gives an approximate count or none"
APPROXIMATE = "approximate"


@dataclass(frozen=True)
class Noted:
    """A cell's value with a note (an Excel comment) on the cell."""

    value: object
    note: str


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, header row and rows (read once, as the workbook is made).

    ``notes`` puts a note on cells by position, (row, column) counted from 0 in ``rows``
    (besides ``Noted`` cells); ``title`` lines go above the header; ``number_formats``
    gives a column, by its header, an Excel number format for its numbers (``"#,##0"``,
    ``"0.0"``).
    """

    name: str
    headers: list[str]
    rows: Iterable[Sequence[object]]
    notes: Mapping[tuple[int, int], str] = field(default_factory=dict)
    title: Sequence[str] = ()
    number_formats: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        name = self.name
        if not name.strip() or len(name) > SHEET_NAME_MAX:
            raise ValueError(f"a sheet's name has 1 to {SHEET_NAME_MAX} characters: {name!r}")
        if SHEET_NAME_FORBIDDEN & set(name) or name.startswith("'") or name.endswith("'"):
            raise ValueError(f"a sheet's name may not hold [ ] : * ? / \\ nor start or end with ': {name!r}")  # fmt: skip
        if name.casefold() == "history":
            raise ValueError("Excel keeps the sheet name 'History' for itself")
        unknown = set(self.number_formats) - set(self.headers)
        if unknown:
            raise ValueError(f"number formats for columns the sheet has not: {sorted(unknown)}")


class TooManyRows(FileError):
    """More rows than a sheet holds: nothing was written."""


def workbook_bytes(sheets: Sequence[Sheet], *, created: dt.datetime | None = None) -> bytes:
    """The XLSX file of ``sheets``, in their order; ``created`` is the file's creation
    date (a fixed one by default, so that the same sheets give the same bytes)."""
    import xlsxwriter

    names = [sheet.name.casefold() for sheet in sheets]
    if not sheets or len(set(names)) < len(names):
        raise ValueError(f"a workbook needs sheets of different names: {names}")
    buffer = io.BytesIO()
    # XlsxWriter's temporary files go into a directory of our own, removed however it ends.
    with tempfile.TemporaryDirectory(prefix="nexus-xlsx-") as scratch:
        book = xlsxwriter.Workbook(
            buffer,
            {
                "constant_memory": True,  # rows go to a temporary file as they are written
                "tmpdir": scratch,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "remove_timezone": True,
            },
        )
        try:
            book.set_properties({"created": created or CREATED})
            styles = _Styles(book)
            for sheet in sheets:
                _write_sheet(book.add_worksheet(sheet.name), sheet, styles)
            book.close()
        except BaseException:
            _abandon(book)
            raise
    return buffer.getvalue()


def _abandon(book: Workbook) -> None:
    """Close the temporary files of a workbook that will not be finished (XlsxWriter keeps
    each sheet's rows in one, open until ``close()``); their directory is removed after."""
    for sheet in book.worksheets():
        handle = getattr(sheet, "row_data_fh", None)
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()


class _Styles:
    """The workbook's cell formats, each made once."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.made: dict[tuple[tuple[str, Any], ...], Format] = {}

    def get(self, **properties: Any) -> Format:
        key = tuple(sorted(properties.items()))
        if key not in self.made:
            self.made[key] = self.book.add_format(properties)
        return self.made[key]


def _write_sheet(worksheet: Worksheet, sheet: Sheet, styles: _Styles) -> None:
    bold = styles.get(bold=True)
    for line, text in enumerate(sheet.title):
        worksheet.write_string(line, 0, text, bold)
    header = len(sheet.title)
    widths = [len(name) + FILTER_BUTTON for name in sheet.headers]
    for column, name in enumerate(sheet.headers):
        worksheet.write_string(header, column, name, bold)
    number_formats = {
        sheet.headers.index(name): styles.get(num_format=number_format)
        for name, number_format in sheet.number_formats.items()
    }
    writer = _CellWriter(worksheet, styles, number_formats, widths)
    first = header + 1
    placed: dict[int, list[tuple[int, str]]] = {}  # the notes given by position, by row
    for (row, column), note in sheet.notes.items():
        placed.setdefault(first + row, []).append((column, note))
    last = header
    for last, cells in enumerate(sheet.rows, start=first):
        if last >= MAX_ROWS:
            raise TooManyRows(
                f"a sheet holds at most {MAX_ROWS - first:,} rows of data; nothing was written",
                hint=f"Page the listing with {option('limit')} and {option('offset')}, "
                "or write CSV or JSON.",
            )
        for column, note in placed.get(last, ()):
            writer.note(last, column, note)
        for column, value in enumerate(cells):
            writer.write(last, column, value)
        writer.write_notes()  # with its row: rows are written out one by one
    worksheet.freeze_panes(first, 0)
    if sheet.headers:
        worksheet.autofilter(header, 0, last, len(sheet.headers) - 1)
    for column, width in enumerate(widths):
        worksheet.set_column(column, column, min(max(width, NARROWEST), WIDEST))


class _CellWriter:
    """Writes cells by their Python type, keeping each column's widest content."""

    def __init__(
        self,
        worksheet: Worksheet,
        styles: _Styles,
        number_formats: dict[int, Format],
        widths: list[int],
    ) -> None:
        self.worksheet = worksheet
        self.number_formats = number_formats
        self.widths = widths
        self.date = styles.get(num_format=DATE_FORMAT)
        self.datetime = styles.get(num_format=DATETIME_FORMAT)
        self.wrapped = styles.get(text_wrap=True)
        self.notes: dict[tuple[int, int], list[str]] = {}

    def note(self, row: int, column: int, text: str) -> None:
        self.notes.setdefault((row, column), []).append(text)

    def write_notes(self) -> None:
        """Write the notes gathered since the last call (of the row just written)."""
        for (row, column), texts in self.notes.items():
            self.worksheet.write_comment(row, column, "\n".join(texts)[:MAX_TEXT], {"x_scale": 2})
        self.notes.clear()

    def _widen(self, column: int, width: int) -> None:
        while column >= len(self.widths):
            self.widths.append(0)
        self.widths[column] = max(self.widths[column], width)

    def write(self, row: int, column: int, value: object) -> None:
        if isinstance(value, Noted):
            self.note(row, column, value.note)
            value = value.value
        if value is None or value == "":
            return
        sheet = self.worksheet
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value)
            self._widen(column, 5)
        elif isinstance(value, (int, float)):
            if not math.isfinite(value):  # Excel has no NaN nor infinity
                self._text(row, column, str(value))
                return
            sheet.write_number(row, column, value, self.number_formats.get(column))
            self._widen(column, len(f"{value:,}"))
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(row, column, value, self.datetime)
            self._widen(column, len(DATETIME_FORMAT))
        elif isinstance(value, dt.date):
            sheet.write_datetime(row, column, dt.datetime.combine(value, dt.time()), self.date)
            self._widen(column, len(DATE_FORMAT))
        elif isinstance(value, str):
            self._text(row, column, value)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            if value:
                self._text(row, column, CSV_LIST_SEPARATOR.join(value))
        else:
            raise TypeError(f"a workbook cell cannot hold {type(value).__name__}: {value!r}")

    def _text(self, row: int, column: int, text: str) -> None:
        multiline = "\n" in text
        cut = self.worksheet.write_string(row, column, text, self.wrapped if multiline else None)
        if cut == -2:
            self.note(
                row, column, f"cut to the {MAX_TEXT:,} characters a cell holds, of {len(text):,}"
            )
        self._widen(column, max(map(len, text.splitlines())) if multiline else len(text))


def lower_bounds(names: Sequence[str], hints: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(flag column, count column): the columns a bool flag marks as a lower bound when
    true. ``<name>_approximate`` marks ``<name>``; a bare ``approximate`` marks the
    column just before it, when that is a count (``int`` or ``int | None``)."""
    marked = []
    suffix = "_" + APPROXIMATE
    for flag, name in enumerate(names):
        if hints.get(name) is not bool:
            continue
        if name.endswith(suffix) and name.removesuffix(suffix) in names:
            marked.append((flag, names.index(name.removesuffix(suffix))))
        elif name == APPROXIMATE and flag > 0 and hints.get(names[flag - 1]) in (int, int | None):
            marked.append((flag, flag - 1))
    return marked


def records_sheet(records: Records, name: str) -> Sheet:
    """A report's records as one sheet: the columns and values of ``-f json``, lists and
    mappings as their CSV cells, a ``LOWER_BOUND`` note on each lower-bound count."""
    values, names = records.values, list(records.names)
    marked = lower_bounds(names, records.hints)

    def rows() -> Iterator[list[object]]:
        for row in records.rows:
            cells: list[object] = list(values(row))
            for column, cell in enumerate(cells):
                if isinstance(cell, (list, dict)):
                    cells[column] = csv_cell(names[column], cell)
            for flag, count in marked:
                if cells[flag]:
                    cells[count] = Noted(cells[count], LOWER_BOUND)
            yield cells

    return Sheet(name=name, headers=names, rows=rows())
