"""Everything the user sees on stdout, drawn in one place. The only module importing rich.

A report (plain data from ``reports.py``) is rendered in one of four formats, chosen in
``report()``:

- ``table``: a Rich table for people (grouped, with subtotals and a total row);
- ``markdown``: the same grid as a Markdown table;
- ``json``: an array of objects with snake_case keys (one object for ``show``);
- ``csv``: a header row, then one row per record; lists joined with ``; ``.

Shown in tables: a lower-bound count as ``≥16``, an unknown one as ``?``.
Totals and subtotals appear in ``table`` and ``markdown`` only: JSON and CSV carry records.

Output for people (tables, Markdown, the donor report, messages) never writes a control
character that came from data (``text.for_people``); CSV cells that a spreadsheet would run
as a formula start with ``'`` (``text.spreadsheet_cell``); JSON stays exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, get_origin, get_type_hints

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import settings
from .records import CSV_LIST_SEPARATOR, Progress, csv_cell, indented_json, officials_text
from .terminal import displayable, is_utf
from .text import for_people, spreadsheet_cell

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .donor import DonorReport
    from .records import RecordSet
    from .reports import (
        HandoverReport,
        HandoverRow,
        ProjectView,
        RecordView,
        Summary,
        SummaryRow,
        TrainingList,
    )
    from .store import LoadResult

FORMATS = ("table", "csv", "json", "markdown")
UNKNOWN = "?"
CHART_WIDTH = 40
MAX_WORD = 16  # a longer word may be broken rather than widen its column
COMFORTABLE = 20  # the width below which wrapped text becomes hard to read


class _Console(Console):
    """A Rich console that leaves a closed pipe to the CLI's error boundary.

    Rich's own answer is to exit with status 1; the boundary knows better: after a write
    was committed, a reader that went away must not turn success into failure.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def stdout() -> Console:
    # Made per call, so that whatever sys.stdout is at the time (a test runner's) is used.
    return _Console(highlight=False)


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
        table.add_row(kind, str(counts.added), str(counts.updated), str(counts.unchanged))
    console.print(table)
    if result.dry_run:
        message("dry run: nothing was written")


def check_result(records: RecordSet) -> None:
    counts = records.counts()
    stdout().print(
        for_people(
            f"{records.source}: valid — {counts['projects']} project(s), "
            f"{counts['trainings']} training(s), {counts['deliveries']} delivery(ies)",
            one_line=True,
        ),
        markup=False,
    )


# --- the grid shared by table and markdown ----------------------------------------------


@dataclass
class Grid:
    """Display strings in rows; ``styles`` marks subtotal/total rows, ``breaks`` sections."""

    title: str
    headers: list[str]
    right: set[int] = field(default_factory=set)  # right-aligned (numeric) columns
    nowrap: set[int] = field(default_factory=set)  # ids and dates are never broken
    rows: list[list[str]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)  # "", "group", "subtotal" or "total"
    breaks: set[int] = field(default_factory=set)  # a section ends after these rows

    def __post_init__(self) -> None:
        self.title = for_people(self.title)

    def add(self, row: Sequence[str], style: str = "") -> None:
        self.rows.append([for_people(cell) for cell in row])
        self.styles.append(style)

    def shown_in(self, encoding: str) -> Grid:
        """The grid as a console in ``encoding`` shows it (``terminal.displayable``)."""
        if is_utf(encoding):
            return self
        fit = partial(displayable, encoding=encoding)
        return Grid(
            title=fit(self.title),
            headers=[fit(h) for h in self.headers],
            right=self.right,
            nowrap=self.nowrap,
            rows=[[fit(cell) for cell in row] for row in self.rows],
            styles=self.styles,
            breaks=self.breaks,
        )

    def end_section(self) -> None:
        if self.rows:
            self.breaks.add(len(self.rows) - 1)


def count(value: int | None, lower_bound: bool = False) -> str:
    if value is None:
        return UNKNOWN
    return f"≥{value}" if lower_bound else str(value)


def _date_range(start: dt.date, end: dt.date) -> str:
    return str(start) if start == end else f"{start} → {end}"


def _items(row: HandoverRow) -> str:
    return "; ".join(
        i["name"] + ("" if i["quantity"] is None else f" × {i['quantity']}") for i in row.items
    )


def _officials(row: HandoverRow) -> str:
    return officials_text(row.officials)


def _trainings_grid(data: TrainingList) -> Grid:
    trainings = list(data.trainings)
    grid = Grid(
        title=f"Trainings ({len(trainings)})",
        headers=["Dates", "Country", "Title", "Participants", "F", "M", "Agencies", "ID"],
        right={3, 4, 5},
        nowrap={0, 7},
    )
    for t in trainings:
        grid.add(
            [
                _date_range(t.start, t.end),
                t.country_name,
                t.title,
                count(t.participants, t.approximate),
                count(t.female),
                count(t.male),
                "; ".join(t.agencies),
                t.id,
            ]
        )
    return grid


def _handovers_grid(data: HandoverReport) -> Grid:
    from .reports import by_country

    groups = by_country(data.handovers)
    total = sum(len(group.handovers) for group in groups)
    grid = Grid(
        title=f"Handovers by country ({total})",
        headers=["Date", "Recipient", "Handed over", "Officials", "ID"],
        nowrap={0, 4},
    )
    for group in groups:
        grid.add([group.country_name, "", "", "", ""], "group")
        for h in group.handovers:
            recipient = h.agency + (f" — {h.unit}" if h.unit else "")
            grid.add([str(h.date), recipient, _items(h), _officials(h), h.id])
        units = f"{group.quantity_stated} unit(s) counted" if group.quantity_stated else ""
        if not group.quantities_complete:
            units = (units + ", " if units else "") + "some quantities not stated"
        handovers = f"{len(group.handovers)} handover(s)"
        grid.add([f"Subtotal {group.country}", handovers, units, "", ""], "subtotal")
        grid.end_section()
    return grid


SUMMARY_HEADERS = [
    "Period", "Start", "End", "Trainings", "Training days", "Participants",
    "Female", "Male", "Person-days", "Deliveries", "Countries",
]  # fmt: skip


def _summary_cells(row: SummaryRow) -> list[str]:
    return [
        row.period,
        str(row.start or ""),
        str(row.end or ""),
        str(row.trainings),
        str(row.training_days),
        count(row.participants, row.participants_approximate),
        count(row.female) if row.trainings else "",
        count(row.male) if row.trainings else "",
        count(row.person_days, row.participants_approximate),
        str(row.deliveries),
        " ".join(row.countries),
    ]


def _summary_grid(data: Summary) -> Grid:
    calendar = "calendar quarters" if data.fiscal_start == 1 else "fiscal quarters"
    grid = Grid(
        title=f"Quarterly summary ({calendar})",
        headers=SUMMARY_HEADERS,
        right=set(range(3, 10)),
        nowrap={0, 1, 2},
    )
    for row in data.rows:
        grid.add(_summary_cells(row))
    grid.end_section()
    grid.add(_summary_cells(data.total), "total")
    return grid


def _record_grid(data: RecordView) -> Grid:
    kind = type(data).__name__.removesuffix("Row").removesuffix("View").lower()
    noun = {"handover": "delivery"}.get(kind, kind)
    grid = Grid(title=f"{noun} {data.id}", headers=["Field", "Value"])
    for key, value in _record_dict(data).items():
        grid.add([key, _display(key, value)])
    return grid


def _display(key: str, value: Any) -> str:
    if value is None:
        return UNKNOWN if key in ("participants", "female", "male", "quantity") else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "\n".join(
                "; ".join(f"{k}: {_display(k, v)}" for k, v in entry.items() if _display(k, v))
                for entry in value
            )
        return "; ".join(str(v) for v in value)
    return str(value)


def _grid(data: Any) -> Grid:
    from .reports import HandoverReport, Summary, TrainingList

    if isinstance(data, TrainingList):
        return _trainings_grid(data)
    if isinstance(data, HandoverReport):
        return _handovers_grid(data)
    if isinstance(data, Summary):
        return _summary_grid(data)
    return _record_grid(data)


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


def _print_grid(grid: Grid) -> None:
    console = stdout()
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


def _markdown(grid: Grid) -> str:
    def cell(text: str, style: str) -> str:
        text = text.replace("|", "\\|").replace("\n", "<br>")
        return (
            f"**{text}**"
            if text and style in ("group", "total")
            else (f"*{text}*" if text and style == "subtotal" else text)
        )

    lines = [f"### {grid.title}", ""]
    lines.append("| " + " | ".join(grid.headers) + " |")
    lines.append(
        "|" + "|".join("---:" if i in grid.right else "---" for i in range(len(grid.headers))) + "|"
    )
    for row, style in zip(grid.rows, grid.styles, strict=True):
        lines.append("| " + " | ".join(cell(c, style) for c in row) + " |")
    return "\n".join(lines) + "\n"


def preview(record: BaseModel) -> None:
    """An input model as the record it will be stored as (before add, remove)."""
    kind = type(record).__name__.removesuffix("In").lower()
    grid = Grid(title=f"{kind} {getattr(record, 'id', '')}", headers=["Field", "Value"], nowrap={0})
    for key, value in record.model_dump().items():
        grid.add([key, _display(key, value)])
    _print_grid(grid)


def changes(before: BaseModel, after: BaseModel) -> None:
    """What an edit changed, field by field (before → after)."""
    old, new = before.model_dump(), after.model_dump()
    changed = [key for key in new if old.get(key) != new[key]]
    if not changed:
        message(f"{getattr(after, 'id', '')}: nothing changed")
        return
    grid = Grid(
        title=f"changed {getattr(after, 'id', '')}",
        headers=["Field", "Before", "After"],
        nowrap={0},
    )
    for key in changed:
        grid.add([key, _display(key, old.get(key)), _display(key, new[key])])
    _print_grid(grid)


# --- records for json and csv -----------------------------------------------------------

LISTING_EXCLUDES = ("created_at", "updated_at")


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


def _as_records(data: Any) -> Records:
    from .reports import HandoverReport, HandoverRow, Summary, SummaryRow, TrainingList, TrainingRow

    row_type: type
    rows: Iterable[Any]
    if isinstance(data, TrainingList):
        row_type, rows = TrainingRow, data.trainings
    elif isinstance(data, HandoverReport):
        row_type, rows = HandoverRow, data.handovers
    elif isinstance(data, Summary):
        row_type, rows = SummaryRow, data.rows
    else:
        row_type, rows = type(data), [data]
    single = row_type is type(data)
    hints = get_type_hints(row_type)
    names = list(hints)
    if isinstance(data, (TrainingList, HandoverReport)):
        names = [name for name in names if name not in LISTING_EXCLUDES]
    return Records(hints, names, rows, single)


def _record_dict(data: Any) -> dict[str, Any]:
    records = _as_records(data)
    return dict(zip(records.names, records.values(data), strict=True))


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _json(records: Records) -> Iterator[str]:
    """The records as one JSON array (one object for ``show``), a record at a time."""
    values = records.values

    def dump(row: Any, margin: str) -> str:
        record = dict(zip(records.names, values(row), strict=True))
        return indented_json(record, margin, default=_json_default)

    if records.single:
        yield from (dump(row, "") + "\n" for row in records.rows)
        return
    written = 0
    for row in records.rows:
        yield ("[\n  " if written == 0 else ",\n  ") + dump(row, "  ")
        written += 1
    yield "\n]\n" if written else "[]\n"


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
        elif get_origin(hint) is list:
            formatters.append((column, partial(_listed_cell, name)))
    return formatters


def _csv(records: Records) -> Iterator[list[Any]]:
    """A header row, then one row of cells per record."""
    formatters, values = _csv_formatters(records), records.values
    yield records.names
    for row in records.rows:
        cells = list(values(row))
        for column, formatter in formatters:
            cells[column] = formatter(cells[column])
        yield cells


# --- the one place a format is chosen ---------------------------------------------------


def report(
    data: TrainingList | HandoverReport | Summary | RecordView | ProjectView, fmt: str
) -> None:
    """Write a report to stdout in ``fmt`` (one of FORMATS).

    JSON and CSV are written a record at a time as the report is read from the store, so
    a listing of any length runs in constant memory; a table or Markdown grid (for
    people) is gathered first.
    """
    if fmt == "json":
        sys.stdout.writelines(_json(_as_records(data)))
    elif fmt == "csv":
        csv.writer(sys.stdout, lineterminator="\n").writerows(_csv(_as_records(data)))
    elif fmt == "markdown":
        sys.stdout.write(_markdown(_grid(data)))
    else:
        _print_grid(_grid(data))


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


# --- the quarterly donor report ---------------------------------------------------------

REPORT_FORMATS = ("markdown", "html")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
CHART_COLOURS = {"trainings": "#1f6fb2", "deliveries": "#c2571a"}


def _long_date(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _markdown_text(text: str) -> str:
    """Text safe inside a Markdown table cell or list line (GitHub's renderer)."""
    for special in ("\\", "|", "*", "_", "`", "<", "[", "]"):
        text = text.replace(special, "\\" + special)
    return " ".join(text.split())


def _units(figures: Any) -> str:
    if not figures.item_lines:
        return "0"
    return count(figures.units, figures.units_lower_bound)


def _figure_rows() -> list[tuple[str, Callable[[Any], str]]]:
    """The key-figure rows: a label and how to show it from a span's Figures."""
    return [
        ("Trainings", lambda f: str(f.trainings)),
        ("Training days", lambda f: str(f.training_days)),
        ("Participants", lambda f: count(f.participants, f.participants_lower_bound)),
        ("– female", lambda f: str(f.female)),
        ("– male", lambda f: str(f.male)),
        ("– not reported by sex", lambda f: count(f.unknown, f.participants_lower_bound)),
        ("Person-days", lambda f: count(f.person_days, f.participants_lower_bound)),
        ("Handovers", lambda f: str(f.deliveries)),
        ("Item lines handed over", lambda f: str(f.item_lines)),
        ("Units, where stated", _units),
        ("Countries reached", lambda f: f"{len(f.countries)}" + (f" ({', '.join(f.countries)})" if f.countries else "")),
    ]  # fmt: skip


def _bar(value: int, scale: int) -> str:
    """A Markdown cell: a bar of up to 20 blocks, then the figure."""
    if not value:
        return "·"
    return "█" * max(1, round(20 * value / (scale or 1))) + f" {value}"


@dataclass(frozen=True)
class _ChartScale:
    trainings: int
    participants: int
    deliveries: int


def _svg_chart(report: DonorReport) -> dict[str, Any]:
    """Geometry of the inline SVG bar chart: trainings and handovers per quarter."""
    quarters = report.chart
    left, right_margin, top, bottom = 34.0, 10.0, 26.0, 62.0
    slot = max(14.0, min(48.0, 620.0 / max(len(quarters), 1)))
    width = left + slot * len(quarters) + right_margin
    plot_height, height = 150.0, top + 150.0 + bottom
    peak = max([max(q.trainings, q.deliveries) for q in quarters] + [1])
    step = max(1, -(-peak // 5))  # about five gridlines, whole numbers
    ceiling = step * -(-peak // step)
    baseline = top + plot_height

    def y(value: float) -> float:
        return round(baseline - plot_height * value / ceiling, 1)

    bars, labels = [], []
    bar_width = round(slot * 0.36, 1)
    highlight_x = -1000.0
    for index, quarter in enumerate(quarters):
        x = left + slot * index
        if quarter.is_report_quarter:
            highlight_x = x
        for offset, (kind, value) in enumerate(
            (("trainings", quarter.trainings), ("deliveries", quarter.deliveries))
        ):
            if value:
                noun = "training(s)" if kind == "trainings" else "handover(s)"
                bars.append({
                    "x": round(x + slot * 0.12 + offset * bar_width, 1), "y": y(value),
                    "width": bar_width, "height": round(baseline - y(value), 1),
                    "colour": CHART_COLOURS[kind], "title": f"{quarter.label}: {value} {noun}",
                })  # fmt: skip
        labels.append({"x": round(x + slot * 0.6, 1), "y": baseline + 12, "text": quarter.label,
                       "bold": quarter.is_report_quarter})  # fmt: skip
    ticks = [{"value": v, "y": y(v)} for v in range(0, ceiling + 1, step)]
    return {
        "width": round(width, 1), "height": height, "left": left, "right": round(width - right_margin, 1),
        "top": top, "plot_height": plot_height, "slot": round(slot, 1), "bars": bars,
        "labels": labels, "ticks": ticks, "highlight_x": round(highlight_x, 1),
        "colours": CHART_COLOURS,
    }  # fmt: skip


def donor_report(report: DonorReport, fmt: str) -> str:
    """The report as a Markdown document or a self-contained HTML page (Jinja2 templates)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    html = fmt == "html"

    def finalize(value: Any) -> Any:
        # Every value written into the document: no control character from the records.
        if isinstance(value, str) and not isinstance(value, Markup):
            return for_people(value)
        return value

    environment = Environment(
        loader=PackageLoader("salw_nexus", "templates"),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=finalize,
    )

    def reference(number: int | None) -> str:
        return "" if number is None else f"[{number}]"

    def reference_html(number: int | None) -> Markup:
        if number is None:
            return Markup("")
        return Markup(f'<a class="ref" href="#source-{number}">[{number}]</a>')

    environment.filters.update(
        md=lambda text: _markdown_text(str(text)),
        long_date=_long_date,
        month_name=lambda month: MONTHS[month - 1],
        date_range=lambda start, end: _date_range(start, end).replace("→", "–"),
        count=count,
        ref=reference,
        ref_html=reference_html,
        items=_items,
        officials=_officials,
        bar=_bar,
    )
    scale = _ChartScale(
        trainings=max([q.trainings for q in report.chart] + [0]),
        participants=max([q.participants for q in report.chart] + [0]),
        deliveries=max([q.deliveries for q in report.chart] + [0]),
    )
    template = environment.get_template("report.html.j2" if html else "report.md.j2")
    return template.render(
        r=report,
        figure_rows=_figure_rows(),
        chart=_svg_chart(report) if html else None,
        chart_scale=scale,
    )
