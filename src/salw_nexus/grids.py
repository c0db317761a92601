"""Reports as grids of display text: the table for people and its Markdown form.

A grid is what a report looks like to a person: headers, rows of display strings, the
group, subtotal and total rows marked, sections. ``render.py`` draws it with Rich (the
table format); ``markdown()`` writes it as a GitHub table. Building a grid draws nothing.

Shown in grids: a lower-bound count as ``≥16``, one not reported as ``—`` (never 0). Text from the
records never brings a control character along (``text.for_people``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from . import equipment
from .formatting import officials_text
from .terminal import displayable, is_utf
from .text import for_people

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .agencies import AgencyList, Merge, SourceList
    from .figures import Count
    from .indicators import IndicatorReport
    from .reports import HandoverReport, HandoverRow, RecordView, TrainingList
    from .summary import Summary, SummaryRow

UNKNOWN = "—"  # not reported: never shown as 0
NOT_KNOWN = "not known"  # a field of the report left empty when a record is added
MAX_WORD = 16  # a longer word may be broken rather than widen its column
COMFORTABLE = 20  # the width below which wrapped text becomes hard to read


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


def count(value: float | None, lower_bound: bool = False) -> str:
    """``16``, ``≥16`` (a lower bound) or ``—`` (not reported); a fraction as entered."""
    if value is None:
        return UNKNOWN
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"≥{text}" if lower_bound else text


def count_of(figure: Count) -> str:
    return count(figure.value, figure.lower_bound)


def date_range(start: dt.date, end: dt.date) -> str:
    return str(start) if start == end else f"{start} → {end}"


def items_text(row: HandoverRow) -> str:
    """``Laptop × 4 (IT equipment, 5,200 USD)``: each item with its category and value."""
    texts = []
    for i in row.items:
        category = equipment.label(i["category"])
        same = i["category"] == equipment.OTHER or category.casefold() == i["name"].casefold()
        details = [] if same else [category]
        if i["value"] is not None:
            details.append(equipment.money(i["value"], i["currency"] or ""))
        quantity = "" if i["quantity"] is None else f" × {i['quantity']}"
        texts.append(f"{i['name']}{quantity}" + (f" ({', '.join(details)})" if details else ""))
    return "; ".join(texts)


def officials_of(row: HandoverRow) -> str:
    return officials_text(row.officials)


def trainings_grid(data: TrainingList) -> Grid:
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
                date_range(t.start, t.end),
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


def handovers_grid(data: HandoverReport) -> Grid:
    groups = data.groups()
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
            grid.add([str(h.date), recipient, items_text(h), officials_of(h), h.id])
        units = "\n".join(total.text() for total in group.by_category())
        handovers = f"{len(group.handovers)} handover(s)"
        grid.add([f"Subtotal {group.country}", handovers, units, "", ""], "subtotal")
        grid.end_section()
    return grid


SUMMARY_HEADERS = [
    "Period", "Start", "End", "Trainings", "Days", "Participants",
    "Female", "Male", "Sex not stated", "Person-days", "Deliveries", "Countries",
]  # fmt: skip


def _summary_cells(row: SummaryRow) -> list[str]:
    return [
        row.period,
        str(row.start or ""),
        str(row.end or ""),
        str(row.trainings),
        str(row.training_days),
        count(row.participants, row.participants_approximate),
        count(row.female, row.female_approximate) if row.trainings else "",
        count(row.male, row.male_approximate) if row.trainings else "",
        count(row.not_reported_by_sex, row.participants_approximate) if row.trainings else "",
        count(row.person_days, row.participants_approximate),
        str(row.deliveries),
        " ".join(row.countries),
    ]


def summary_grid(data: Summary) -> Grid:
    calendar = "calendar quarters" if data.fiscal_start == 1 else "fiscal quarters"
    grid = Grid(
        title=f"Quarterly summary ({calendar})",
        headers=SUMMARY_HEADERS,
        right=set(range(3, 11)),
        nowrap={0, 1, 2},
    )
    for row in data.rows:
        grid.add(_summary_cells(row))
    grid.end_section()
    grid.add(_summary_cells(data.total), "total")
    return grid


def record_grid(data: RecordView) -> Grid:
    from .agencies import AgencyRow, SourceRow
    from .kinds import AGENCIES, DELIVERIES, PROJECTS, SOURCES, TRAININGS
    from .reports import HandoverRow, TrainingRow
    from .tabular import record_dict

    kind = {TrainingRow: TRAININGS, HandoverRow: DELIVERIES, AgencyRow: AGENCIES,
            SourceRow: SOURCES}.get(type(data), PROJECTS)  # fmt: skip
    grid = Grid(title=f"{kind.singular} {data.id}", headers=["Field", "Value"])
    for key, value in record_dict(data).items():
        grid.add([key, display(key, value)])
    return grid


def display(key: str, value: Any) -> str:
    if value is None:
        return UNKNOWN if key in ("participants", "female", "male", "quantity") else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "\n".join(
                "; ".join(f"{k}: {display(k, v)}" for k, v in entry.items() if display(k, v))
                for entry in value
            )
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):  # an agency's names in other languages
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def agencies_grid(data: AgencyList) -> Grid:
    grid = Grid(
        title=f"Agencies ({len(data.agencies)})",
        headers=["Country", "Name", "Other names", "Trainings", "Deliveries", "ID"],
        right={3, 4},
        nowrap={5},
    )
    for a in data.agencies:
        others = [*(f"{name} ({tag})" for tag, name in a.names.items()), *a.aliases]
        grid.add([a.country_name, a.name, "; ".join(others), str(a.trainings),
                  str(a.deliveries), a.id])  # fmt: skip
    return grid


def merge_grid(merged: Merge) -> Grid:
    """KEEP and OTHER before, KEEP after: names, and what each took part in."""
    from .tabular import record_dict

    columns = [merged.before, merged.other, merged.after]
    grid = Grid(
        title=f"Merge of {merged.other.id} into {merged.before.id}",
        headers=[
            "Field",
            f"{merged.before.id} before",
            f"{merged.other.id} before",
            f"{merged.after.id} after",
        ],
    )
    values = [record_dict(row) for row in columns]
    for key in values[0]:
        grid.add([key, *(display(key, value[key]) for value in values)])
    return grid


def sources_grid(data: SourceList) -> Grid:
    from .agencies import citation

    grid = Grid(
        title=f"Sources ({len(data.sources)})",
        headers=["Source", "Cited by", "ID"],
        nowrap={2},
    )
    for s in data.sources:
        grid.add([citation(s._asdict()), f"{len(s.cited_by)} record(s)", s.id])
    return grid


def percent_text(value: float | None, lower_bound: bool) -> str:
    """``45%``, ``≥45%``; ``""`` where there is no target to measure against."""
    return "" if value is None else ("≥" if lower_bound else "") + f"{value:g}%"


def indicators_grid(data: IndicatorReport) -> Grid:
    """The results framework: an indicator a row, its parts (by sex, country) under it."""
    grid = Grid(
        title=f"Results framework: {data.project_id}, {data.period}",
        headers=["Indicator", "Baseline", "Target", f"Target {data.year}", "Quarter",
                 "Year to date", "Life of project", "% of target"],
        right=set(range(1, 8)),
    )  # fmt: skip

    def number(value: float | None) -> str:
        return "" if value is None else count(value)

    for row in data.rows:
        if not row.part and grid.rows:
            grid.end_section()
        unit = f" ({row.unit})" if row.unit else ""
        reported = " [reported]" if row.basis == "reported" else ""
        grid.add([
            f"  – {row.part}" if row.part else f"{row.title}{unit}{reported}",
            number(row.baseline), number(row.target), number(row.year_target),
            count(row.quarter, row.quarter_approximate),
            count(row.year_to_date, row.year_to_date_approximate),
            count(row.life_of_project, row.life_of_project_approximate),
            percent_text(row.percent_of_target, row.percent_of_target_approximate),
        ])  # fmt: skip
    return grid


@cache
def _builders() -> dict[type, Callable[[Any], Grid]]:
    """Which grid shows which report: a new report adds its line here."""
    from .agencies import AgencyList, AgencyRow, SourceList, SourceRow
    from .indicators import IndicatorReport
    from .reports import HandoverReport, HandoverRow, ProjectView, TrainingList, TrainingRow
    from .summary import Summary

    return {
        IndicatorReport: indicators_grid,
        AgencyList: agencies_grid,
        SourceList: sources_grid,
        AgencyRow: record_grid,
        SourceRow: record_grid,
        TrainingList: trainings_grid,
        HandoverReport: handovers_grid,
        Summary: summary_grid,
        TrainingRow: record_grid,
        HandoverRow: record_grid,
        ProjectView: record_grid,
    }


def grid_of(report: Any) -> Grid:
    """The grid of any report."""
    return _builders()[type(report)](report)


def markdown(grid: Grid) -> str:
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


def preview_grid(record: BaseModel) -> Grid:
    """An input model as the record it will be stored as (before add, remove)."""
    from .kinds import of_record

    kind = of_record(record)
    grid = Grid(
        title=f"{kind.singular} {getattr(record, 'id', '')}", headers=["Field", "Value"], nowrap={0}
    )
    for key, value in record.model_dump().items():
        unknown = key in kind.reported and value in (None, [])
        grid.add([key, NOT_KNOWN if unknown else display(key, value)])
    return grid


def changes_grid(before: BaseModel, after: BaseModel) -> Grid | None:
    """What an edit changed, field by field (before → after); None when nothing did."""
    old, new = before.model_dump(), after.model_dump()
    changed = [key for key in new if old.get(key) != new[key]]
    if not changed:
        return None
    grid = Grid(
        title=f"changed {getattr(after, 'id', '')}",
        headers=["Field", "Before", "After"],
        nowrap={0},
    )
    for key in changed:
        grid.add([key, display(key, old.get(key)), display(key, new[key])])
    return grid
