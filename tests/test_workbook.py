"""Workbooks (``-f xlsx -o FILE``) of the listings and the summary, read back by two
independent readers (openpyxl and python-calamine): the columns and values of ``-f json``,
numbers as numbers, dates as dates, text always text; a frozen header, lower bounds noted;
written whole or not at all, and never to a terminal. And ``-o`` for every format.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, get_type_hints

import openpyxl
import pexpect
import pytest
import python_calamine
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.utils import get_column_letter

from salw_nexus import workbook
from salw_nexus.formatting import csv_cell
from salw_nexus.workbook import LOWER_BOUND, Noted, Sheet, workbook_bytes

from .conftest import NEXUS_SCRIPT, Run, Store, files_on, needs_tmpfs, on_small_disk, sqlite_only

LISTINGS = ["trainings", "handovers", "deliveries", "summary"]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FIRST_TRAINING = "kg-2022-10-firearms-trafficking"  # the seed's "over 16" participants


def written(nexus: Run, tmp_path: Path, *args: str, name: str = "out.xlsx") -> Path:
    path = tmp_path / name
    result = nexus(*args, "-f", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # only data goes to stdout, and a workbook goes to its file
    assert result.stderr == f"wrote {path}\n"
    return path


def note(cell: Cell | MergedCell) -> str | None:
    """The text of a cell's note (comment), if it has one."""
    return cell.comment.text if cell.comment else None


def by_openpyxl(path: Path) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    # openpyxl gives a date cell as a datetime at midnight
    return [[v.date() if isinstance(v, dt.datetime) else v for v in row] for row in rows]


def by_calamine(path: Path) -> list[list[Any]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    return [[None if v == "" else v for v in row] for row in rows]  # an empty cell is ""


def expected_cell(name: str, value: Any) -> Any:
    """What ``-f json``'s value should be in a workbook: lists and mappings as CSV spells
    them, ISO dates as dates, an empty text or list as an empty cell."""
    if isinstance(value, (list, dict)):
        value = csv_cell(name, value)
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    return None if value == "" else value


def same_cell(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or expected is None:
        return actual is expected
    if isinstance(expected, (int, float)):  # calamine reads every number as a float
        return type(actual) in (int, float) and actual == expected
    if isinstance(expected, dt.date):
        return type(actual) is dt.date and actual == expected
    return type(actual) is str and actual == expected


def assert_same_as_json(nexus: Run, rows: list[list[Any]], *args: str) -> None:
    result = nexus(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert records, "the seed gives every listing records"
    header, *data = rows
    assert header == list(records[0])
    assert len(data) == len(records)
    for row, record in zip(data, records, strict=True):
        expected = [expected_cell(name, value) for name, value in record.items()]
        assert len(row) == len(expected)
        for name, actual, wanted in zip(header, row, expected, strict=True):
            assert same_cell(actual, wanted), (record.get("id"), name, actual, wanted)


@pytest.mark.parametrize("command", LISTINGS)
def test_a_workbook_holds_the_json_values(loaded: Run, tmp_path: Path, command: str) -> None:
    path = written(loaded, tmp_path, command)
    assert_same_as_json(loaded, by_openpyxl(path), command)
    assert_same_as_json(loaded, by_calamine(path), command)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet.freeze_panes == "A2"  # the header stays in view
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"
    assert all(cell.font.b for cell in sheet[1])
    letters = [get_column_letter(column) for column in range(1, sheet.max_column + 1)]
    widths = [sheet.column_dimensions[letter].width for letter in letters]
    assert all(10 <= width <= 61 for width in widths), widths  # 10 to 60 characters


def test_filters_and_pages_apply_to_a_workbook(loaded: Run, tmp_path: Path) -> None:
    for args in (["handovers", "--country", "TJ"], ["trainings", "--limit", "1", "--offset", "1"],
                 ["summary", "--year", "2025"]):  # fmt: skip
        path = written(loaded, tmp_path, *args)
        assert_same_as_json(loaded, by_calamine(path), *args)


def test_the_approximate_count_is_noted_as_a_lower_bound(loaded: Run, tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(written(loaded, tmp_path, "trainings")).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    participants, approximate = header.index("participants") + 1, header.index("approximate") + 1
    noted = {}
    for row in range(2, sheet.max_row + 1):
        record_id = sheet.cell(row, 1).value
        noted[record_id] = note(sheet.cell(row, participants))
        assert sheet.cell(row, approximate).value is (noted[record_id] is not None)  # it stays
    assert noted[FIRST_TRAINING] == LOWER_BOUND
    assert [text for text in noted.values() if text is None]  # an exact count has no note
    assert sheet.cell(2, participants).value == 16

    sheet = openpyxl.load_workbook(written(loaded, tmp_path, "summary")).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    column = header.index("participants") + 1
    assert sheet.cell(2, header.index("participants_approximate") + 1).value is True
    assert note(sheet.cell(2, column)) == LOWER_BOUND  # 2022-Q4: "over 16" + 20


def test_text_that_looks_like_a_formula_stays_text(loaded: Run, tmp_path: Path) -> None:
    added = loaded(
        "add-training", "--no-input", "--id", "kg-2025-formula", "--title", "=1+1",
        "--country", "KG", "--start", "2025-05-12", "--end", "2025-05-14",
        "--participants", "12", "--agency", "kg-mvd", "--notes", "=HYPERLINK(\"http://x\")",
        "--city", "Бишкек",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    path = written(loaded, tmp_path, "trainings", "--from", "2025-01-01")
    assert_same_as_json(loaded, by_calamine(path), "trainings", "--from", "2025-01-01")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    title, notes, city = (
        sheet.cell(2, header.index(name) + 1) for name in ("title", "notes", "city")
    )
    assert (title.value, title.data_type) == ("=1+1", "s")  # no ' added, no formula made
    assert (notes.value, notes.data_type) == ('=HYPERLINK("http://x")', "s")
    assert city.value == "Бишкек"
    with zipfile.ZipFile(path) as parts:
        assert "<f>" not in parts.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_without_output_is_a_usage_error(
    loaded: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(os.listdir(tmp_path))
    for command in LISTINGS:
        result = loaded(command, "-f", "xlsx")
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.startswith("error: xlsx is a workbook: give --output FILE\n")
    assert sorted(os.listdir(tmp_path)) == before


def test_binary_is_never_written_to_a_terminal(loaded: Run, store: Store, tmp_path: Path) -> None:
    env = {**os.environ, "NEXUS_DB": store.target}
    for target in ("/dev/tty", "/dev/stdout"):
        child = pexpect.spawn(str(NEXUS_SCRIPT), ["trainings", "-f", "xlsx", "-o", target],
                              env=env, encoding="utf-8", timeout=60)  # fmt: skip
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 1, child.before
        assert f"{target}: is a terminal; a workbook is binary" in str(child.before)
        assert "PK" not in str(child.before)  # no zip file on the screen


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
def test_output_writes_what_stdout_would_show(loaded: Run, tmp_path: Path, fmt: str) -> None:
    for command in LISTINGS:
        path = tmp_path / f"{command}.{fmt}"
        result = loaded(command, "-f", fmt, "-o", str(path))
        assert result.exit_code == 0, result.stderr
        assert (result.stdout, result.stderr) == ("", f"wrote {path}\n")
        shown = loaded(command, "-f", fmt).stdout
        if fmt == "csv":  # for Excel: a byte order mark and CRLF, the same rows (test_tabular)
            assert path.read_bytes() == ("\ufeff" + shown.replace("\n", "\r\n")).encode()
        else:
            assert path.read_text(encoding="utf-8") == shown


def test_a_table_goes_to_a_file_as_plain_text(loaded: Run, tmp_path: Path) -> None:
    path = tmp_path / "handovers.txt"
    result = loaded("handovers", "-o", str(path))  # the default format: a table for people
    assert result.exit_code == 0, result.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith("Handovers by country (7)")
    assert "\x1b" not in text  # no colours in a file
    assert "Subtotal TJ" in text
    assert "┃ Recipient" in text  # columns, however narrow the terminal: a file has none


def test_an_existing_file_is_replaced_as_report_replaces_one(loaded: Run, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_text("an old workbook", encoding="utf-8")
    path.chmod(0o640)
    written(loaded, tmp_path, "handovers")
    assert zipfile.is_zipfile(path)
    assert path.stat().st_mode & 0o777 == 0o640  # it keeps its permissions
    assert [p.name for p in tmp_path.iterdir() if ".nexus-" in p.name] == []


@sqlite_only
def test_the_store_a_database_and_a_directory_are_refused(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    assert store.path is not None
    before = store.snapshot()
    backup = tmp_path / "backup.db"
    assert loaded("db", "backup", str(backup)).exit_code == 0
    kept = backup.read_bytes()
    for target, said in ((store.path, "is the store itself"), (backup, "is a SQLite database"),
                         (tmp_path, "is a directory")):  # fmt: skip
        for fmt in ("xlsx", "csv"):
            result = loaded("summary", "-f", fmt, "-o", str(target))
            assert result.exit_code == 1
            assert f"{target}: {said}" in result.stderr
    assert backup.read_bytes() == kept
    assert store.snapshot() == before


def _no_output(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".out", "out")))


def test_a_failure_while_writing_leaves_no_file(
    loaded: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    path = tmp_path / "out.xlsx"
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", full_disk)
        result = loaded("trainings", "-f", "xlsx", "-o", str(path))
    assert result.exit_code == 1
    assert f"{path}: the disk holding {tmp_path} is full; nothing was written" in result.stderr
    assert _no_output(tmp_path) == []  # neither the file nor its temporary

    path.write_bytes(b"the old file")
    calls = 0
    real_write = workbook._CellWriter.write

    def fails_midway(self: Any, row: int, column: int, value: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 20:
            raise RuntimeError("the machine gave up")
        real_write(self, row, column, value)

    monkeypatch.setattr(workbook._CellWriter, "write", fails_midway)
    result = loaded("trainings", "-f", "xlsx", "-o", str(path))
    assert result.exit_code == 1
    assert "unexpected failure: RuntimeError: the machine gave up" in result.stderr
    assert path.read_bytes() == b"the old file"
    assert _no_output(tmp_path) == ["out.xlsx"]


def test_a_stream_that_fails_midway_leaves_no_file(
    loaded: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salw_nexus.formatting import indented_json as real

    dumped = 0

    def fails_on_the_second(*args: Any, **kwargs: Any) -> str:
        nonlocal dumped
        dumped += 1
        if dumped == 2:
            raise RuntimeError("the store went away")
        return real(*args, **kwargs)

    monkeypatch.setattr("salw_nexus.tabular.indented_json", fails_on_the_second)
    result = loaded("handovers", "-f", "json", "-o", str(tmp_path / "out.json"))
    assert result.exit_code == 1
    assert dumped == 2
    assert _no_output(tmp_path) == []


def test_more_rows_than_a_sheet_holds_are_refused(
    loaded: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "MAX_ROWS", 5)
    result = loaded("handovers", "-f", "xlsx", "-o", str(tmp_path / "out.xlsx"))
    assert result.exit_code == 1
    assert "error: a sheet holds at most 4 rows of data; nothing was written" in result.stderr
    assert "--limit" in result.stderr
    assert _no_output(tmp_path) == []
    assert (
        loaded("handovers", "-f", "xlsx", "-o", str(tmp_path / "out.xlsx"), "-n", "4").exit_code
        == 0
    )


def test_the_same_records_give_the_same_bytes(loaded: Run, tmp_path: Path) -> None:
    first = written(loaded, tmp_path, "summary", name="a.xlsx").read_bytes()
    assert written(loaded, tmp_path, "summary", name="b.xlsx").read_bytes() == first


@sqlite_only
@needs_tmpfs
def test_a_full_disk_keeps_the_old_workbook(loaded: Run, store: Store, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    write, listing = on_small_disk(
        tmp_path, disk, setup=[f"printf 'my old workbook' > {disk}/out.xlsx"],
        env={"NEXUS_DB": store.target},
        commands=[[str(NEXUS_SCRIPT), "trainings", "-f", "xlsx", "-o", str(disk / "out.xlsx")],
                  files_on(disk)],
    )  # fmt: skip
    assert write.returncode == 1
    assert f"the disk holding {disk} is full; nothing was written" in write.stderr
    assert json.loads(listing.stdout) == {"out.xlsx": "my old workbook"}


def test_agencies_and_sources_have_workbooks_too(loaded: Run, store: Store, tmp_path: Path) -> None:
    """Registered in render.py (their commands take no -f xlsx yet): through render.output."""
    from salw_nexus import db, files, render
    from salw_nexus.agencies import list_agencies, list_sources

    with db.session_scope(store.target) as session:
        for listed in (list_agencies(session), list_sources(session)):
            path = tmp_path / "out.xlsx"
            render.output(listed, "xlsx", to=files.target(path))
            rows = by_calamine(path)
            assert rows[0] == list(get_type_hints(listed.row_type))
            assert len(rows) == len(listed.rows) + 1
            assert [row[0] for row in rows[1:]] == [row.id for row in listed.rows]


def test_help_and_other_formats_never_import_xlsxwriter(loaded: Run) -> None:
    code = (
        "import sys\n"
        "from salw_nexus.cli import app\n"
        "from typer.testing import CliRunner\n"
        "for args in (['--help'], ['trainings', '--help'], ['summary', '-f', 'json']):\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, result.output\n"
        "print('xlsxwriter' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- the workbook API, for the donor report ------------------------------------------------


def test_sheets_of_typed_cells() -> None:
    long_text = "ж" * 40_000
    rows: list[list[object]] = [
        ["trainings", 2, 0.5, dt.date(2025, 3, 31), True, ["KG", "KZ"], "=SUM(A1)"],
        ["participants", Noted(36, "lower bound"), None, None, False, [], long_text],
        ["not a number", float("nan"), 1.25, dt.datetime(2025, 1, 2, 3, 4, 5), None, (), ""],
    ]
    sheets = [
        Sheet(
            name="Ключевые цифры",
            headers=["what", "count", "share", "day", "flag", "list", "note"],
            rows=iter(rows),  # read once, as a listing's rows are
            notes={(0, 0): "a note by position"},
            title=["Quarterly report", "2025-Q1"],
            number_formats={"share": "0.0%"},
        ),
        Sheet(name="second", headers=["a"], rows=[]),
    ]
    data = workbook_bytes(sheets, created=dt.datetime(2025, 4, 1, tzinfo=dt.timezone.utc))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Ключевые цифры", "second"]
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A4"  # below the title lines and the header
    assert sheet.auto_filter.ref == "A3:G6"
    assert [sheet.cell(1, 1).value, sheet.cell(2, 1).value] == ["Quarterly report", "2025-Q1"]
    rows = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert rows[0] == ["trainings", 2, 0.5, dt.datetime(2025, 3, 31), True, "KG; KZ", "=SUM(A1)"]
    assert rows[1][:6] == ["participants", 36, None, None, False, None]
    assert rows[1][6] == long_text[: workbook.MAX_TEXT]
    assert rows[2][:4] == ["not a number", "nan", 1.25, dt.datetime(2025, 1, 2, 3, 4, 5)]
    assert note(sheet["A4"]) == "a note by position"
    assert note(sheet["B5"]) == "lower bound"
    assert note(sheet["G5"]) == "cut to the 32,767 characters a cell holds, of 40,000"
    assert sheet["C4"].number_format == "0.0%"
    assert sheet["D4"].number_format == "yyyy-mm-dd"
    assert book.properties.created == dt.datetime(2025, 4, 1)
    assert book.worksheets[1].freeze_panes == "A2"
    again = [Sheet(s.name, s.headers, [], title=s.title) for s in sheets]
    assert workbook_bytes(again) == workbook_bytes(again)  # no clock in the file


def test_a_workbook_that_fails_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    rows: list[list[object]] = [[1, "a"], [2, "b"], [3, object()]]  # no cell holds an object
    with pytest.raises(TypeError, match="a workbook cell cannot hold object"):
        workbook_bytes([Sheet(name="s", headers=["n", "t"], rows=rows)])
    gc.collect()  # an unclosed temporary file would warn here (and fail: warnings are errors)
    assert list(scratch.iterdir()) == []
    assert workbook_bytes([Sheet(name="s", headers=["n"], rows=[[1]])])
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("name", ["", "x" * 32, "a/b", "[x]", "'quoted'", "History"])
def test_sheet_names_follow_excels_rules(name: str) -> None:
    with pytest.raises(ValueError, match="sheet"):
        Sheet(name=name, headers=["a"], rows=[])


def test_lower_bounds_are_found_by_field_name() -> None:
    hints = {"participants": int | None, "approximate": bool, "female": int,
             "female_approximate": bool, "title": str, "male_approximate": bool}  # fmt: skip
    assert workbook.lower_bounds(list(hints), hints) == [(1, 0), (3, 2)]
    hints = {"title": str, "approximate": bool}  # the field before is no count: no note
    assert workbook.lower_bounds(list(hints), hints) == []
