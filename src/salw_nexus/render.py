"""Everything the user sees, chosen and drawn in one place. The only module importing rich.

A report (plain data from ``reports.py`` and ``donor.py``) is written in a format by
the renderer ``RENDERERS`` names for its type and that format (``output()``):

- ``table``: a Rich table for people (grouped, with subtotals and a total row), from the
  report's grid (``grids.py``); narrower than the grid needs, one block per row;
- ``markdown``: the same grid as a Markdown table (``grids.markdown``);
- ``json``: an array of objects with snake_case keys (one object for ``show``);
- ``csv``: a header row, then one row per record; lists joined with ``; ``
  (both ``tabular.py``);
- ``xlsx``: a workbook of one sheet, the columns and values of ``json`` (``workbook.py``),
  as bytes, to a file only (``-o``): never binary on a terminal;
- the donor report: ``markdown`` or ``html`` (``document.py``).

Totals and subtotals appear in ``table`` and ``markdown`` only: JSON, CSV and XLSX carry
records.
Messages for the person at the terminal go to stderr; output for people never writes a
control character that came from data (``text.for_people``).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache, partial
from typing import TYPE_CHECKING, Any, cast

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import settings
from .batches import Progress
from .errors import UsageError, option
from .grids import COMFORTABLE, MAX_WORD, Grid, changes_grid, merge_grid, preview_grid
from .text import for_people

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .agencies import Merge
    from .export import Exported
    from .files import Target
    from .records import RecordSet
    from .store import LoadResult
    from .summary import Summary
    from .tabular import CsvStyle

CHART_WIDTH = 40


class _Console(Console):
    """A Rich console that leaves a closed pipe to the CLI's error boundary.

    Rich's own answer is to exit with status 1; the boundary knows better: after a write
    was committed, a reader that went away must not turn success into failure.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def stdout() -> Console:
    """The console of standard output. Not a terminal (a pipe, a file: ``nexus trainings
    > list.txt``), it has no width to fit, and tables get their natural width rather than
    Rich's 80 columns, unless COLUMNS says otherwise."""
    # Made per call, so that whatever sys.stdout is at the time (a test runner's) is used.
    console = _Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = FILE_WIDTH
    return console


def stderr() -> Console:
    return _Console(stderr=True, highlight=False)


def message(text: str) -> None:
    """A one-line message for the person at the terminal (stderr: not part of the data)."""
    stderr().print(for_people(text, one_line=True), markup=False)


# --- progress ---------------------------------------------------------------------------

# Work that ends sooner than this shows no bar at all: a flash of one would be noise.
# NEXUS_PROGRESS_DELAY (seconds) changes it; 0 shows the bar from the start.
PROGRESS_DELAY_S = 1.0


def progress_delay() -> float:
    """Seconds before a bar is shown (NEXUS_PROGRESS_DELAY); a bad value is a usage error."""
    return settings.number(
        "NEXUS_PROGRESS_DELAY", PROGRESS_DELAY_S, read=float, low=0.0, high=86400.0,
        means="a number of seconds",
    )  # fmt: skip


class ProgressBar:
    """A bar on stderr for work that runs longer than PROGRESS_DELAY_S, on a terminal only.

    ``bar.step("reading FILE")`` gives the ``(done, total)`` callback the services take;
    a new step relabels the same bar. When stderr is not a terminal (a pipe, a file, a
    test) nothing is ever drawn, so output that is kept stays clean.
    """

    def __init__(self, console: Console) -> None:
        import time

        self.clock = time.monotonic
        self.started = self.clock()
        self.delay = progress_delay()
        self.console = console
        self.bar: Any = None
        self.task: Any = None
        self.description = ""

    def step(self, description: str) -> Progress:
        def report(done: int, total: int) -> None:
            self.update(description, done, total)

        return report

    def update(self, description: str, done: int, total: int) -> None:
        if self.bar is None:
            if not self.console.is_terminal or self.clock() - self.started < self.delay:
                return
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(description, total=total)
        if description != self.description:
            self.description = description
            self.bar.reset(self.task, description=description, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def progress_bar() -> Iterator[ProgressBar]:
    """A ProgressBar for the ``with`` block, cleared from the terminal when it ends."""
    bar = ProgressBar(stderr())
    try:
        yield bar
    finally:
        bar.close()


# --- loads ------------------------------------------------------------------------------


def load_result(result: LoadResult) -> None:
    console = stdout()
    heading = f"{'Dry run of' if result.dry_run else 'Loaded'} {result.source}"
    console.print(for_people(heading, one_line=True), markup=False)
    table = Table()
    table.add_column("kind")
    for heading in ("added", "updated", "unchanged"):
        table.add_column(heading, justify="right")
    for kind, counts in result.counts.items():
        table.add_row(kind.plural, str(counts.added), str(counts.updated), str(counts.unchanged))
    console.print(table)
    agencies_made(result.agencies_made)
    if result.dry_run:
        message("dry run: nothing was written")


def check_result(records: RecordSet) -> None:
    counted = ", ".join(
        f"{number} {kind.singular}" + ("(ies)" if kind.singular.endswith("y") else "(s)")
        for kind, number in records.counts().items()
    )
    stdout().print(for_people(f"{records.source}: valid — {counted}", one_line=True), markup=False)


# --- tables for people ------------------------------------------------------------------


STYLES = {"group": "bold", "subtotal": "italic", "total": "bold"}


def _fitted_table(grid: Grid, console: Console) -> Table:
    """The grid as columns when they fit the terminal, else stacked (one block a row).

    "Fit": ids and dates whole, and wrapped text with room for a few words a line. Narrower than that, a wide table turns into slivers, so each row
    becomes its first cell and then one ``Header: value`` line per other non-empty cell.
    """
    if _least_width(grid) <= console.width:
        return _rich_table(grid)
    stacked = Table(title=grid.title, title_justify="left")
    stacked.add_column(grid.headers[0], no_wrap=True)
    stacked.add_column("Details")
    for index, (row, style) in enumerate(zip(grid.rows, grid.styles, strict=True)):
        if style == "subtotal":  # its cells are not the columns' kind of value: no labels
            details = Text(", ").join(Text(cell) for cell in row[1:] if cell)
        else:
            details = Text("\n").join(
                Text.assemble((f"{header}: ", "dim"), cell)
                for header, cell in zip(grid.headers[1:], row[1:], strict=True)
                if cell
            )
        stacked.add_row(
            Text(row[0]), details, style=STYLES.get(style), end_section=index in grid.breaks
        )
    return stacked


def print_grid(grid: Grid) -> None:
    draw_grid(grid, stdout())


def draw_grid(grid: Grid, console: Console) -> None:
    console.print(_fitted_table(grid.shown_in(console.encoding), console))


def _least_width(grid: Grid) -> int:
    """Width the grid needs with every column wrapped at word boundaries, borders included."""
    needed = 1
    for index, header in enumerate(grid.headers):
        cells = [header] + [row[index] for row in grid.rows]
        if index in grid.nowrap:
            widest = max(cell_len(line) for cell in cells for line in cell.splitlines() or [""])
        else:  # wrapped text needs room for a few words per line, and its longest word
            longest_cell = max(cell_len(cell) for cell in cells)
            longest_word = max(cell_len(word) for cell in cells for word in cell.split() or [""])
            widest = max(min(longest_cell, COMFORTABLE), min(longest_word, MAX_WORD))
        needed += widest + 3  # padding and a border
    return needed


def _rich_table(grid: Grid) -> Table:
    table = Table(title=grid.title, title_justify="left", show_lines=False)
    for index, header in enumerate(grid.headers):
        table.add_column(
            header,
            justify="right" if index in grid.right else "left",
            no_wrap=index in grid.nowrap,
        )
    for index, (row, style) in enumerate(zip(grid.rows, grid.styles, strict=True)):
        table.add_row(
            *(Text(cell) for cell in row), style=STYLES.get(style), end_section=index in grid.breaks
        )
    return table


def preview(record: BaseModel) -> None:
    """An input model as the record it will be stored as (before add, remove)."""
    print_grid(preview_grid(record))


def changes(before: BaseModel, after: BaseModel) -> None:
    """What an edit changed, field by field (before → after)."""
    grid = changes_grid(before, after)
    if grid is None:
        message(f"{getattr(after, 'id', '')}: nothing changed")
    else:
        print_grid(grid)


def agencies_made(made: list[str]) -> None:
    """Tell which agencies a write made for names no agency of the country had."""
    if made:
        noun = "agency" if len(made) == 1 else "agencies"
        message(
            f"{len(made)} new {noun} made for names no agency of the country had: "
            f"{', '.join(made)} (counted as added; `nexus agencies merge` joins two that "
            "are one)"
        )


def merge(merged: Merge) -> None:
    """Two agencies before a merge, and the one after."""
    print_grid(merge_grid(merged))


def wrote(paths: Iterable[Any]) -> None:
    """Tell which files were written."""
    written = ", ".join(str(path) for path in paths)
    if written:
        message(f"wrote {written}")


def exported(result: Exported) -> None:
    """Tell what an export wrote, after what its reader should know of it."""
    for note in result.notes:
        message(f"note: {note}")
    wrote(result.paths)


def chart(summary: Summary) -> None:
    """Bars of trainings, participants and deliveries per quarter, scaled to the largest."""
    rows = summary.rows
    table = Table(title="Activity per quarter", title_justify="left", box=None, pad_edge=False)
    table.add_column("Period")
    measures = (
        ("Trainings", "cyan", [r.trainings for r in rows]),
        ("Participants", "green", [r.participants for r in rows]),
        ("Deliveries", "magenta", [r.deliveries for r in rows]),
    )
    for name, _, _ in measures:
        table.add_column(name)
    scales = [max(values, default=0) or 1 for _, _, values in measures]
    width = CHART_WIDTH // len(measures)
    for index, row in enumerate(rows):
        cells = []
        for (_, colour, values), scale in zip(measures, scales, strict=True):
            value = values[index]
            bar = "█" * max(1 if value else 0, round(width * value / scale))
            cells.append(Text(bar, style=colour) + Text(f" {value}" if value else " ·"))
        table.add_row(row.period, *cells)
    stdout().print(table)


# --- the one place a format is chosen ---------------------------------------------------

# A renderer gives the report's text piece by piece, or a binary file's bytes (a workbook:
# a format in BINARY); one for the terminal gives a Drawing, which output() draws on the
# terminal, or as plain text (no colours) into a file.
Drawing = Callable[[Console], None]
Renderer = Callable[[Any], Iterable[str] | Iterable[bytes] | Drawing]
BINARY = frozenset({"xlsx"})  # formats written to a file only, never to a terminal


def needs_file(fmt: str, output: object | None) -> None:
    """A format in BINARY (a workbook) is written to a file only: without one (``output``
    None), a usage error naming the option, before anything is read or written."""
    if fmt in BINARY and output is None:
        raise UsageError(
            f"{fmt} is a workbook: give {option('output')} FILE",
            hint="A workbook is binary: it is written to a file, never to the terminal.",
        )


def _table(report: Any) -> Drawing:
    from .grids import grid_of

    return partial(draw_grid, grid_of(report))


def _markdown(report: Any) -> Iterable[str]:
    from .grids import grid_of, markdown

    return [markdown(grid_of(report))]


def _json(report: Any) -> Iterable[str]:
    from .tabular import as_records, json_pieces

    return json_pieces(as_records(report))


def _csv(report: Any, style: CsvStyle | None = None) -> Iterable[str]:
    from .tabular import as_records, csv_pieces

    return csv_pieces(as_records(report), style)


def _jsonl(report: Any) -> Iterable[str]:
    from .tabular import as_records, jsonl_pieces

    return jsonl_pieces(as_records(report))


def _xlsx(report: Any, *, sheet: str) -> Iterable[bytes]:
    """A workbook of one sheet named ``sheet``: the report's records (as ``_json``)."""
    from .tabular import as_records
    from .workbook import records_sheet, workbook_bytes

    return [workbook_bytes([records_sheet(as_records(report), sheet)])]


def _donor_json(report: Any) -> Iterable[str]:
    from .formatting import indented_json
    from .report_data import report_data
    from .tabular import json_default

    return [indented_json(report_data(report), "", default=json_default) + "\n"]


def _donor_xlsx(report: Any) -> Iterable[bytes]:
    from .report_workbook import report_sheets
    from .workbook import workbook_bytes

    created = dt.datetime.combine(report.generated, dt.time(), tzinfo=dt.timezone.utc)
    return [workbook_bytes(report_sheets(report), created=created)]


def _donor(report: Any, *, html: bool) -> Iterable[str]:
    from .document import donor_document

    return [donor_document(report, html=html)]


@cache
def renderers() -> dict[tuple[type, str], Renderer]:
    """(report type, format) -> renderer. A format is one renderer and a line per report
    type here; a report is a line per format."""
    from .agencies import AgencyList, AgencyRow, SourceList, SourceRow
    from .donor import DonorReport
    from .indicators import IndicatorReport
    from .kinds import AGENCIES, SOURCES, TRAININGS
    from .reports import HandoverReport, HandoverRow, ProjectView, TrainingList, TrainingRow
    from .summary import Summary

    registry: dict[tuple[type, str], Renderer] = {}
    for report in (TrainingList, HandoverReport, Summary, TrainingRow, HandoverRow, ProjectView,
                   IndicatorReport,
                   AgencyList, SourceList, AgencyRow, SourceRow):  # fmt: skip
        registry[report, "table"] = _table
        registry[report, "markdown"] = _markdown
        registry[report, "json"] = _json
        registry[report, "csv"] = _csv
        registry[report, "jsonl"] = _jsonl
    sheets = {TrainingList: TRAININGS.plural, HandoverReport: "handovers", Summary: "summary",
              IndicatorReport: "indicators",
              AgencyList: AGENCIES.plural, SourceList: SOURCES.plural}  # fmt: skip
    for listing, sheet in sheets.items():
        registry[listing, "xlsx"] = partial(_xlsx, sheet=sheet)
    registry[DonorReport, "markdown"] = partial(_donor, html=False)
    registry[DonorReport, "html"] = partial(_donor, html=True)
    registry[DonorReport, "json"] = _donor_json
    registry[DonorReport, "xlsx"] = _donor_xlsx
    return registry


# A table written to a file has no terminal to fit: its columns get their natural widths.
FILE_WIDTH = 10_000


def _drawn_as_text(drawing: Drawing) -> str:
    """What ``drawing`` draws, as plain text (no colours), for a file."""
    import io

    buffer = io.StringIO()
    drawing(Console(
        file=buffer, width=FILE_WIDTH, color_system=None, force_terminal=False,
        highlight=False, emoji=False, legacy_windows=False,
    ))  # fmt: skip
    return buffer.getvalue()


def output(
    report: Any, fmt: str, *, to: Target | None = None, csv_style: CsvStyle | None = None
) -> None:
    """Write ``report`` in ``fmt`` to stdout, or to the file ``to`` (checked beforehand
    with ``files.target``; written whole or not at all). A format in ``BINARY`` (a
    workbook) needs a file: without one it is a usage error, never bytes on a terminal.

    JSON and CSV are written a record at a time as the report is read from the store, so
    a listing of any length runs in constant memory; a grid (for people) and a workbook
    are gathered first. CSV in a file is for Excel (``CsvStyle``: a BOM, CRLF); on
    stdout, plain; ``csv_style`` gives the delimiter.
    """
    needs_file(fmt, to)
    renderer = renderers()[type(report), fmt]
    if fmt == "csv":
        from .tabular import CsvStyle

        style = csv_style or CsvStyle()
        renderer = partial(_csv, style=replace(style, for_excel=to is not None))
    rendered = renderer(report)
    if callable(rendered):  # a drawing, for the terminal
        if to is None:
            rendered(stdout())
            return
        rendered = [_drawn_as_text(rendered)]
    if to is None:
        # Text: a BINARY format never comes here.
        sys.stdout.writelines(cast("Iterable[str]", rendered))
    else:
        from .files import write_files

        write_files({to: rendered})
