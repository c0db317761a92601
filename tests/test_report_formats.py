"""The donor report and the results framework of an example project with indicators
(tests/sources/example-project.yaml), in every format: Markdown, HTML, JSON and XLSX carry
the same figures, and so do `summary` and `indicators`.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine

from .conftest import Run, json_of

EXAMPLE = Path(__file__).parent / "sources" / "example-project.yaml"
Q1 = ["--quarter", "2025-Q1", "--fiscal-year-start", "4"]
SPANS = ("quarter", "year_to_date", "life_of_project")


@pytest.fixture
def example(nexus: Run) -> Run:
    result = nexus("load", str(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    return nexus


def _shown(value: Any, lower_bound: bool) -> str:
    """How the documents print a figure: ``—`` not reported, ``≥`` a lower bound."""
    if value is None:
        return "—"
    text = f"{value:,}" if isinstance(value, int) else f"{value:g}"
    return ("≥" if lower_bound else "") + text


def _count(figure: dict[str, Any]) -> str:
    return _shown(figure["value"], figure["lower_bound"])


def test_summary_and_report_agree_on_every_span(example: Run) -> None:
    report = json_of(example, "report", *Q1)
    quarter, year, life = (span["figures"] for span in report["spans"])
    for figures, options in (
        (quarter, ["--quarter", "2025-Q1"]),
        (year, ["--year", "2024", "--fiscal-year-start", "4"]),
        (life, ["--to", "2025-03-31"]),
    ):
        total = json_of(example, "summary", "--project", "example-project", *options)
        rows = total if isinstance(total, list) else [total]
        summed = {key: sum(row[key] for row in rows) for key in ("trainings", "deliveries")}
        assert (figures["trainings"], figures["handovers"]) == (
            summed["trainings"], summed["deliveries"],
        )  # fmt: skip
        participants = sum(row["participants"] for row in rows)
        assert figures["participants"]["value"] == participants
        female = [row["female"] for row in rows if row["trainings"]]
        if all(value is None for value in female):
            assert figures["female"]["value"] is None
        else:
            assert figures["female"]["value"] == sum(value or 0 for value in female)
        # female + male + not reported = participants, in every span
        parts = (figures[name]["value"] or 0 for name in ("female", "male", "not_reported_by_sex"))
        assert sum(parts) == figures["participants"]["value"]


def test_indicators_are_the_reports_results(example: Run) -> None:
    report = json_of(example, "report", *Q1)
    indicators = json_of(example, "indicators", *Q1)
    assert report["results"] == indicators
    rows = {(r["indicator_id"], r["part"]): r for r in indicators}
    life = report["spans"][2]["figures"]
    trained = rows["officials-trained", ""]
    assert trained["life_of_project"] == life["participants"]["value"]
    assert trained["life_of_project_approximate"] == life["participants"]["lower_bound"]
    women = rows["officials-trained", "female"]
    assert (women["life_of_project"], women["life_of_project_approximate"]) == (
        life["female"]["value"], life["female"]["lower_bound"],
    )  # fmt: skip
    for indicator, figure in (("trainings-held", "trainings"), ("handovers", "handovers"),
                              ("agencies-trained", "agencies_trained"),
                              ("recipient-agencies", "recipients")):  # fmt: skip
        assert rows[indicator, ""]["life_of_project"] == life[figure], indicator
    assert rows["countries-reached", ""]["life_of_project"] == len(life["countries"])
    laptops = rows["it-equipment-delivered", ""]
    it = next(e for e in life["equipment"] if e["category"] == "it-equipment")
    assert (laptops["life_of_project"], laptops["life_of_project_approximate"]) == (
        it["quantity"]["value"], it["quantity"]["lower_bound"],
    )  # fmt: skip


def test_markdown_and_html_print_the_json_figures(example: Run) -> None:
    report = json_of(example, "report", *Q1)
    markdown = example("report", *Q1).stdout
    html = unescape(re.sub(r"<[^>]+>", " ", example("report", *Q1, "--format", "html").stdout))
    html = " ".join(html.split())
    labels = {"participants": "Participants", "female": "– female", "male": "– male",
              "not_reported_by_sex": "– not reported by sex", "person_days": "Person-days"}  # fmt: skip
    for key, label in labels.items():
        cells = [_count(span["figures"][key]) for span in report["spans"]]
        assert f"| {label} | {' | '.join(cells)} |" in markdown, label
        assert f"{label} {' '.join(cells)}" in html, label
    for row in report["results"]:
        cells = [_shown(row[span], row[f"{span}_approximate"]) for span in SPANS]
        assert " | ".join(cells) in markdown, row
        assert " ".join(cells) in html, row
    assert "Share of trainees reporting improved knowledge" in markdown


def test_the_indicators_formats_agree(example: Run, tmp_path: Path) -> None:
    rows = json_of(example, "indicators", *Q1)
    table = example("indicators", *Q1).stdout
    markdown = example("indicators", *Q1, "--format", "markdown").stdout
    csv = example("indicators", *Q1, "--format", "csv").stdout.splitlines()
    assert csv[0].split(",")[:3] == ["indicator_id", "title", "part"]
    assert len(csv) == len(rows) + 1
    for row in rows:
        life = _shown(row["life_of_project"], row["life_of_project_approximate"])
        assert life in table
        assert life in markdown
    path = tmp_path / "results.xlsx"
    assert example("indicators", *Q1, "-f", "xlsx", "-o", str(path)).exit_code == 0
    sheet = openpyxl.load_workbook(path).worksheets[0]
    read = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert read[0] == list(rows[0])
    assert [dict(zip(read[0], r, strict=True)) for r in read[1:]] == [
        {k: (None if v == "" else v) for k, v in row.items()} for row in rows
    ]


def _workbook_by_both(path: Path) -> dict[str, tuple[list[list[Any]], list[list[Any]]]]:
    """Each sheet's rows as openpyxl and as python-calamine read them."""
    by_openpyxl = {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in openpyxl.load_workbook(path).worksheets
    }
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {
        name: (rows, book.get_sheet_by_name(name).to_python(skip_empty_area=False))
        for name, rows in by_openpyxl.items()
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):

        def day(v: Any) -> Any:
            return v.date() if isinstance(v, dt.datetime) else v

        return bool(day(a) == day(b))
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return bool(a == b)


def test_the_workbook_reads_back_with_the_json_figures(example: Run, tmp_path: Path) -> None:
    path = tmp_path / "q1.xlsx"
    result = example("report", *Q1, "-f", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    report = json_of(example, "report", *Q1)
    sheets = _workbook_by_both(path)
    assert list(sheets) == ["Key figures", "Results", "By country", "By agency", "Trainings",
                            "Handovers", "Equipment", "Sources"]  # fmt: skip
    for name, (first, second) in sheets.items():  # two readers, one workbook
        assert len(first) == len(second), name
        for a, b in zip(first, second, strict=True):
            assert all(_same(x, y) for x, y in zip(a, b, strict=False)), (name, a, b)

    rows, _ = sheets["Key figures"]
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "span")
    header = rows[header_at]
    spans = [dict(zip(header, row, strict=True)) for row in rows[header_at + 1 :]]
    for line, span in zip(spans, report["spans"], strict=True):
        figures = span["figures"]
        assert line["start"].date() == dt.date.fromisoformat(span["start"])
        for key in ("participants", "female", "male", "not_reported_by_sex", "person_days"):
            assert line[key] == figures[key]["value"], key
            assert line[f"{key}_approximate"] == figures[key]["lower_bound"], key
        assert line["handovers"] == figures["handovers"]
    results, _ = sheets["Results"]
    assert [dict(zip(results[0], row, strict=True)) for row in results[1:]] == [
        {k: (None if v == "" else v) for k, v in row.items()} for row in report["results"]
    ]
    # A lower bound is noted on its cell too.
    sheet = openpyxl.load_workbook(path)["Key figures"]
    column = header.index("participants") + 1
    noted = [sheet.cell(row=header_at + 2 + i, column=column).comment for i in range(3)]
    bounds = [span["figures"]["participants"]["lower_bound"] for span in report["spans"]]
    assert [note is not None for note in noted] == bounds
    assert sheet.freeze_panes is not None
    # Dates are dates, numbers numbers, and no record id without --ids.
    trainings, _ = sheets["Trainings"]
    assert "id" not in trainings[0]
    assert all(isinstance(row[trainings[0].index("start")], dt.datetime) for row in trainings[1:])
