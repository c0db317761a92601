"""Records as CSV and JSON Lines (tabular.py): CSV in a file is for Excel (a byte order
mark, CRLF), on stdout plain; ``--delimiter`` for Excel in a Russian locale; a workbook
carries the same columns as CSV; ``-f jsonl`` is ``-f json`` one object a line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from .conftest import Run, Store

EXAMPLE = Path(__file__).parent / "sources" / "example-project.yaml"
CYRILLIC = ["add-training", "--no-input", "--title", "Обучение «экспертов»", "-c", "KZ",
            "--start", "2025-06-02", "--end", "2025-06-03", "-a", "МВД Республики Казахстан"]  # fmt: skip


@pytest.fixture
def with_cyrillic(loaded: Run) -> Run:
    added = loaded(*CYRILLIC)
    assert added.exit_code == 0, added.stderr
    return loaded


def _rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("listing", ["trainings", "handovers", "summary", "agencies"])
def test_csv_in_a_file_is_for_excel_and_on_stdout_plain(
    with_cyrillic: Run, tmp_path: Path, listing: str
) -> None:
    stdout = with_cyrillic(listing, "-f", "csv")
    assert stdout.exit_code == 0, stdout.stderr
    assert not stdout.stdout.startswith("\ufeff")
    assert "\r" not in stdout.stdout
    if listing == "agencies":  # a listing without -o: stdout only
        assert "МВД Республики Казахстан" in stdout.stdout
        return
    target = tmp_path / f"{listing}.csv"
    written = with_cyrillic(listing, "-f", "csv", "-o", str(target))
    assert written.exit_code == 0, written.stderr
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8 as UTF-8
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line ends CRLF
    with target.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == _rows(stdout.stdout)
    if listing == "trainings":
        assert "Обучение «экспертов»" in raw.decode("utf-8-sig")


@pytest.mark.parametrize("separator", [";", "tab"])
def test_a_delimiter_for_excel_in_other_locales(
    with_cyrillic: Run, tmp_path: Path, separator: str
) -> None:
    delimiter = ";" if separator == ";" else "\t"
    commas = _rows(with_cyrillic("trainings", "-f", "csv").stdout)
    piped = with_cyrillic("trainings", "-f", "csv", "--delimiter", separator)
    assert piped.exit_code == 0, piped.stderr
    assert piped.stdout.splitlines()[0].startswith(f"id{delimiter}project{delimiter}title")
    assert _rows(piped.stdout, delimiter) == commas  # lists joined with "; " are quoted
    target = tmp_path / "semicolons.csv"
    written = with_cyrillic("trainings", "-f", "csv", "--delimiter", separator, "-o", str(target))
    assert written.exit_code == 0, written.stderr
    with target.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle, delimiter=delimiter)) == commas
    agencies = with_cyrillic("agencies", "-f", "csv", "--delimiter", separator)
    assert agencies.stdout.startswith(f"id{delimiter}country{delimiter}")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["-f", "csv", "--delimiter", "|"], "--delimiter: '|': give , or ; or tab"),
        (["--delimiter", ";"], "--delimiter goes with --format csv"),
        (["-f", "json", "--delimiter", ";"], "--delimiter goes with --format csv"),
    ],
)
def test_a_wrong_delimiter_is_a_usage_error(
    loaded: Run, store: Store, options: list[str], message: str
) -> None:
    result = loaded("handovers", *options)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "command",
    [["trainings"], ["handovers"], ["summary", "--fiscal-year-start", "4"],
     ["indicators", "-q", "2025-Q1", "--fiscal-year-start", "4"]],
)  # fmt: skip
def test_csv_and_xlsx_carry_the_same_columns(
    nexus: Run, tmp_path: Path, command: list[str]
) -> None:
    assert nexus("load", str(EXAMPLE)).exit_code == 0
    header = _rows(nexus(*command, "-f", "csv").stdout)[0]
    workbook = tmp_path / "listing.xlsx"
    written = nexus(*command, "-f", "xlsx", "-o", str(workbook))
    assert written.exit_code == 0, written.stderr
    sheet = openpyxl.load_workbook(workbook, read_only=True).worksheets[0]
    first = next(sheet.iter_rows(max_row=1, values_only=True))
    assert list(first) == header


@pytest.mark.parametrize("listing", [["trainings"], ["handovers"], ["agencies"], ["sources"],
                                     ["summary"], ["show", "kg-2022-10-firearms-trafficking"]])  # fmt: skip
def test_jsonl_is_json_one_object_a_line(with_cyrillic: Run, listing: list[str]) -> None:
    whole = json.loads(with_cyrillic(*listing, "-f", "json").stdout)
    lines = with_cyrillic(*listing, "-f", "jsonl")
    assert lines.exit_code == 0, lines.stderr
    assert lines.stdout.endswith("\n")
    objects = [json.loads(line) for line in lines.stdout.splitlines()]
    assert objects == (whole if isinstance(whole, list) else [whole])
    assert objects
