"""The donor report as a workbook (``report --format xlsx``): the figures of
``report --format json`` (``report_data.py``), a sheet per part, one row per figure line.

Sheets: Key figures (a row per span), Results, By country and By agency (a row per country
or agency and span), Trainings and Handovers (the quarter's), Equipment (a row per span,
category and currency), Sources. Numbers are numbers and dates dates; a count not reported
is an empty cell; a lower bound is ``true`` in its own ``…_approximate`` column and a note
on the cell (``workbook.records_sheet``). Without ``--ids`` no record id is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, get_type_hints

from .kinds import TRAININGS
from .report_data import report_data
from .tabular import Records

if TYPE_CHECKING:
    from .donor import DonorReport
    from .workbook import Sheet

IDS = ("id", "project", "agency_id", "sources")  # left out of a donor's workbook


@dataclass(frozen=True)
class FigureLine:
    """One span's figures (of the project, a country or an agency), as JSON has them."""

    country: str
    agency: str
    span: str
    start: dt.date | None
    end: dt.date | None
    trainings: int
    training_days: int
    participants: int
    participants_approximate: bool
    female: int | None
    female_approximate: bool
    male: int | None
    male_approximate: bool
    not_reported_by_sex: int
    not_reported_by_sex_approximate: bool
    women_share_percent: float | None
    women_share_over_trainings: int
    person_days: int
    person_days_approximate: bool
    agencies_trained: int
    handovers: int
    recipients: int
    countries: list[str]


@dataclass(frozen=True)
class EquipmentLine:
    span: str
    category: str
    handovers: int
    recipients: int
    quantity: int | None
    quantity_approximate: bool
    handovers_without_quantity: int
    value: float | None
    currency: str | None


@dataclass(frozen=True)
class SourceLine:
    number: int
    title: str
    publisher: str | None
    date: str | None
    url: str | None


def _figure_line(figures: dict[str, Any], *, span: str, start: dt.date | None = None,
                 end: dt.date | None = None, country: str = "", agency: str = "") -> FigureLine:  # fmt: skip
    counts: dict[str, Any] = {}
    for name in ("participants", "female", "male", "not_reported_by_sex", "person_days"):
        counts[name] = figures[name]["value"]
        counts[f"{name}_approximate"] = figures[name]["lower_bound"]
    share = figures["women_share"]
    return FigureLine(
        country=country, agency=agency, span=span,
        start=start, end=end,
        trainings=figures[TRAININGS.plural], training_days=figures["training_days"],
        women_share_percent=share["percent"], women_share_over_trainings=share["over_trainings"],
        agencies_trained=figures["agencies_trained"], handovers=figures["handovers"],
        recipients=figures["recipients"], countries=figures["countries"], **counts,
    )  # fmt: skip


def _sheet(name: str, row_type: type, rows: Iterable[Any], leave_out: Iterable[str] = ()) -> Sheet:
    from .workbook import records_sheet

    hints = get_type_hints(row_type)
    names = [field for field in hints if field not in set(leave_out)]
    return records_sheet(Records(hints, names, rows, single=False), name)


def _equipment(data: dict[str, Any]) -> Iterator[EquipmentLine]:
    for span in data["spans"]:
        for total in span["figures"]["equipment"]:
            quantity = total["quantity"]
            values = total["values"] or [{"value": None, "currency": None}]
            for value in values:
                yield EquipmentLine(
                    span=span["name"], category=total["label"], handovers=total["handovers"],
                    recipients=total["recipients"], quantity=quantity["value"],
                    quantity_approximate=quantity["lower_bound"],
                    handovers_without_quantity=total["handovers_without_quantity"],
                    value=value["value"], currency=value["currency"],
                )  # fmt: skip


def report_sheets(report: DonorReport) -> list[Sheet]:
    """The workbook's sheets, from the report's data (the same figures as its JSON)."""
    from .indicators import IndicatorRow
    from .reports import HandoverRow, TrainingRow

    data = report_data(report)
    hidden = () if report.ids else IDS
    key_figures = [_figure_line(s["figures"], span=f"{s['name']} {s['label']}".strip(),
                                start=s["start"], end=s["end"]) for s in data["spans"]]  # fmt: skip
    by_country = [
        _figure_line(c[span], span=name, country=c["country_name"])
        for c in data["countries"]
        for span, name in (("quarter", "Quarter"), ("life_of_project", "Life of project"))
    ]
    by_agency = [
        _figure_line(a[span], span=name, country=a["country"], agency=a["name"])
        for a in data["agencies"]
        for span, name in (("quarter", "Quarter"), ("life_of_project", "Life of project"))
    ]
    stamps = ("created_at", "updated_at")
    period = (
        f"{report.quarter} ({report.fiscal_quarter})" if report.fiscal_quarter else report.quarter
    )
    heading = [report.project_title, f"Quarterly progress report: {period}",
               f"Prepared {report.generated.isoformat()}"]  # fmt: skip
    return [
        replace(
            _sheet("Key figures", FigureLine, key_figures, ("country", "agency")), title=heading
        ),
        _sheet("Results", IndicatorRow, report.results),
        _sheet("By country", FigureLine, by_country, ("agency", "start", "end")),
        _sheet("By agency", FigureLine, by_agency, ("start", "end")),
        _sheet("Trainings", TrainingRow, report.trainings, (*stamps, *hidden)),
        _sheet("Handovers", HandoverRow, report.handovers, (*stamps, *hidden)),
        _sheet("Equipment", EquipmentLine, _equipment(data)),
        _sheet(
            "Sources",
            SourceLine,
            [SourceLine(s.number, s.title, s.publisher, s.date, s.url) for s in report.sources],
        ),
    ]
