"""Text rules: no control characters in, none out to people; spreadsheets never run a
cell; one spelling of items; lists that name a thing once; surrogates refused alike."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
from pathlib import Path

import pexpect
import pytest

from .conftest import NEXUS_SCRIPT, Run, Store, sqlite_only, write

TRAINING = ["add-training", "--country", "KZ", "--start", "2025-03-03", "--end", "2025-03-04",
            "--no-input"]  # fmt: skip
HOSTILE = {
    "ESC (clear screen)": "Evil\x1b[2Jcourse",
    "OSC (window title)": "Evil\x1b]0;pwned\x07course",
    "C1 CSI": "Evil\x9b2Jcourse",
    "NUL": "Evil\x00course",
    "DEL": "Evil\x7fcourse",
    "BEL": "Evil\x07course",
    "RLO": "Evil\u202ecourse",
    "LRI": "Evil\u2066course",
    "line separator": "Evil\u2028course",
    "tag characters": "Evil\U000e0041\U000e0042course",
}
ANY_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\U000e0000-\U000e007f]"
)


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text``, every character but printable
    ASCII written as an escape (YAML takes no control character raw)."""
    escaped = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            escaped.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            escaped.append(char)
        elif code <= 0xFF:
            escaped.append(f"\\x{code:02x}")
        else:
            escaped.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return '"' + "".join(escaped) + '"'


# --- 7. control characters ------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_control_characters_in_a_record_file_are_refused(
    loaded: Run, store: Store, tmp_path: Path, text: str
) -> None:
    before = store.snapshot()
    path = write(
        tmp_path,
        "r.yaml",
        "version: 1\ntrainings:\n  - id: t-1\n    title: Fine\n    country: KZ\n"
        f"    start: 2025-01-01\n    end: 2025-01-01\n    city: {yaml_string(text)}\n",
    )
    for command in ("check", "load"):
        result = loaded(command, str(path))
        assert result.exit_code == 1
        assert f"{path}:8: training 't-1', field 'city': contains a" in result.stderr
        assert "at character 5" in result.stderr
        assert ANY_CONTROL.search(result.stderr) is None
    assert store.snapshot() == before


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_control_characters_in_flags_are_refused(loaded: Run, store: Store, text: str) -> None:
    before = store.snapshot()
    result = loaded(*TRAINING, "--title", text)
    assert result.exit_code == 1
    assert "--title: contains a" in result.stderr
    assert ANY_CONTROL.search(result.stderr) is None
    agency = loaded(*TRAINING, "--title", "Fine", "--agency", text)
    assert agency.exit_code == 1
    assert "--agency 1: contains a" in agency.stderr
    assert store.snapshot() == before


def test_tabs_and_line_breaks_only_in_notes(loaded: Run) -> None:
    tab = loaded(*TRAINING, "--title", "A\tB")
    assert tab.exit_code == 1
    assert "--title: contains a tab at character 2; only notes may span lines" in tab.stderr
    added = loaded(*TRAINING, "--title", "Fine", "--notes", "Line one\r\n\tLine two")
    assert added.exit_code == 0, added.stderr
    shown = json.loads(loaded("show", added.stdout.strip(), "-f", "json").stdout)
    assert shown["notes"] == "Line one\n\tLine two"  # a Windows line end made plain


@sqlite_only
def test_output_for_people_never_writes_a_control_character(loaded: Run, store: Store) -> None:
    """A store written before these rules (here: by SQL) still holds such text."""
    assert store.path is not None
    evil = "Evil\x1b[2J\x1b]0;pwned\x07\u202ecourse"
    with sqlite3.connect(store.path) as connection:
        connection.execute("UPDATE training SET title = ?, notes = ?", (evil, evil))
        connection.execute("UPDATE agency SET name = ? || id", (evil,))
    record = "kz-2022-10-firearms-trafficking"
    for command in (
        ["trainings"], ["trainings", "-f", "markdown"], ["show", record],
        ["show", record, "-f", "markdown"], ["handovers"],
        ["report", "-q", "2022-Q4"], ["report", "-q", "2022-Q4", "-f", "html"],
    ):  # fmt: skip
        result = loaded(*command)
        assert result.exit_code == 0, (command, result.stderr)
        assert ANY_CONTROL.search(result.stdout) is None, command
        assert "Evil\\x1b" in result.stdout, command  # shown, as an escape
    # For programs the text stays exact; it exports, so that it can be corrected.
    exported = json.loads(loaded("export", "-f", "json").stdout)
    assert exported["trainings"][0]["title"] == evil
    assert json.loads(loaded("show", record, "-f", "json").stdout)["title"] == evil


def test_error_messages_never_write_a_control_character(tmp_path: Path) -> None:
    """On a terminal, where it matters (click strips some escapes from pipes only)."""
    env = {**os.environ, "NEXUS_DB": str(tmp_path / "s.db"), "NO_COLOR": "1", "TERM": "dumb"}
    for args in (
        ["check", str(tmp_path / "no\x1b[2Jsuch.yaml")],
        ["check", str(tmp_path / "no\x1b]0;pwned\x07such.yaml")],
        ["trainings", "--country", "\x1b]0;pwned\x07"],
        ["trainings", "--\x1b[2J"],
        ["\x1b[2J"],
    ):
        child = pexpect.spawn(str(NEXUS_SCRIPT), args, env=env, encoding="utf-8", timeout=30)
        child.expect(pexpect.EOF)
        child.close()
        shown = str(child.before).replace("\r\n", "\n")
        assert child.exitstatus in (1, 2), (args, shown)
        assert ANY_CONTROL.search(shown) is None, (args, shown)


# --- 8. CSV for spreadsheets ----------------------------------------------------------------


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]


def test_csv_cells_never_start_a_formula(loaded: Run, tmp_path: Path) -> None:
    # A source is cited by id: formulas go into the source entities' title and publisher.
    sources = "".join(
        f"  - {{id: s-{number}, title: {yaml_string(formula)}, "
        f"publisher: {yaml_string(formula + ' Ltd')}}}\n"
        for number, formula in enumerate(FORMULAS)
    )
    loaded_sources = loaded(
        "load", str(write(tmp_path, "s.yaml", f"version: 2\nsources:\n{sources}"))
    )
    assert loaded_sources.exit_code == 0, loaded_sources.stderr
    for number, formula in enumerate(FORMULAS):
        added = loaded(*TRAINING, "--id", f"t-{number}", "--title", formula,
                       "--agency", formula, "--source", f"s-{number}")  # fmt: skip
        assert added.exit_code == 0, added.stderr
    delivery = loaded("add-delivery", "--date", "2025-03-03", "--country", "KZ",
                      "--agency", "=1+1", "--item", "-Laptop:2", "--no-input")  # fmt: skip
    assert delivery.exit_code == 0, delivery.stderr
    outputs = [
        loaded("trainings", "-f", "csv").stdout,
        loaded("handovers", "-f", "csv").stdout,
        loaded("summary", "-f", "csv").stdout,
        loaded("sources", "-f", "csv").stdout,
        loaded("agencies", "-f", "csv").stdout,
    ]
    assert loaded("export", "-f", "csv", "-o", str(tmp_path / "tables")).exit_code == 0
    tables = sorted((tmp_path / "tables").iterdir())
    assert {p.name for p in tables} >= {"sources.csv", "agencies.csv", "trainings.csv"}
    outputs += [p.read_text(encoding="utf-8") for p in tables]
    cells = [cell for text in outputs for row in csv.reader(io.StringIO(text)) for cell in row]
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    for formula in FORMULAS:
        # Made safe wherever it is written: the trainings listing (title, agency), the
        # sources and agencies listings, and the export's trainings, sources and agencies.
        assert cells.count("'" + formula) == 7, formula
        assert "'" + formula + " Ltd" in cells  # the source's publisher
    assert "'-Laptop:2" in cells
    # JSON stays exact.
    listed = json.loads(loaded("trainings", "-f", "json").stdout)
    assert {t["title"] for t in listed} >= set(FORMULAS)


# --- 10. one spelling of items ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        (
            "Laptop:abc",
            "the quantity after the last ':' must be a whole number such as 4, got 'abc'",
        ),
        ("Laptop:1e3", "got '1e3'"),
        ("Laptop:012", "got '012'"),
        ("Laptop:-1", "got '-1'"),
        ("Laptop:+4", "got '+4'"),
        ("Microscope: digital", "end with one more: 'Microscope: digital:'"),
        (
            "Ratio 1:20",
            "'Ratio 1:20' is ambiguous: write 'Ratio 1: 20' for 20 of 'Ratio 1', or 'Ratio 1:20:'",
        ),
        ("Laptop:10000000000000000000000", "the quantity 100000000000... is far too large"),
        ("Laptop:2000000", "must be at most 1,000,000, got 2000000"),
    ],
)
def test_bad_items_are_refused_naming_the_option(
    loaded: Run, store: Store, item: str, fragment: str
) -> None:
    before = store.snapshot()
    result = loaded("add-delivery", "--date", "2025-03-03", "--country", "KZ", "--agency", "X",
                    "--item", "Printer", "--item", item, "--no-input")  # fmt: skip
    assert result.exit_code == 1
    assert "--item 2" in result.stderr
    assert fragment in result.stderr
    assert "unexpected" not in result.stderr
    assert store.snapshot() == before


@pytest.mark.parametrize(
    ("item", "name", "quantity"),
    [
        ("Laptop:4", "Laptop", 4),
        ("Laptop : 4 ", "Laptop", 4),
        ("Printer", "Printer", None),
        ("Ratio 1:20:", "Ratio 1:20", None),
        ("Ratio 1:20: 3", "Ratio 1:20", 3),
        ("Model X2: 4", "Model X2", 4),
        ("Note::", "Note:", None),
    ],
)
def test_items_round_trip_through_csv(
    loaded: Run, tmp_path: Path, item: str, name: str, quantity: int | None
) -> None:
    added = loaded("add-delivery", "--date", "2025-03-03", "--country", "KZ", "--agency", "X",
                   "--item", item, "--no-input")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    stored = json.loads(loaded("show", added.stdout.strip(), "-f", "json").stdout)["items"]
    assert [(i["name"], i["quantity"]) for i in stored] == [(name, quantity)]
    # The CSV cell spells it so that --item reads it back the same.
    rows = list(csv.DictReader(io.StringIO(loaded("handovers", "-f", "csv").stdout)))
    cell = next(r["items"] for r in rows if r["id"] == added.stdout.strip())
    again = loaded("add-delivery", "--date", "2025-03-04", "--country", "KZ", "--agency", "X",
                   "--item", cell, "--no-input")  # fmt: skip
    assert again.exit_code == 0, again.stderr
    restored = json.loads(loaded("show", again.stdout.strip(), "-f", "json").stdout)["items"]
    assert [(i["name"], i["quantity"]) for i in restored] == [(name, quantity)]


# --- 11. a list names each thing once -----------------------------------------------------------


def test_repeated_agencies_are_refused_in_files_and_flags(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    before = store.snapshot()
    path = write(
        tmp_path,
        "r.yaml",
        "version: 1\ntrainings:\n  - {id: t-1, title: T, country: KZ, start: 2025-01-01,"
        " end: 2025-01-01, agencies: [Supreme Court, supreme  court]}\n",
    )
    for command in ("check", "load"):
        result = loaded(command, str(path))
        assert result.exit_code == 1
        assert (
            f"{path}:3: training 't-1', field 'agencies': names 'supreme  court' twice "
            "(as 'Supreme Court'); list each once"
        ) in result.stderr
    flags = loaded(
        *TRAINING, "--title", "T", "--agency", "Supreme Court", "--agency", "Supreme Court"
    )
    assert flags.exit_code == 1
    assert "--agency: names 'Supreme Court' twice; list each once" in flags.stderr
    assert "--agency" in flags.stderr
    assert store.snapshot() == before


# --- 12. unpaired surrogates --------------------------------------------------------------------


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\udcd0"])
def test_a_lone_surrogate_is_refused_by_check_and_load_alike(
    loaded: Run, store: Store, tmp_path: Path, escape: str
) -> None:
    before = store.snapshot()
    path = tmp_path / "r.json"
    path.write_text(
        '{"version": 1, "trainings": [\n {"id": "t-1", "title": "T", "country": "KZ",\n'
        f'  "start": "2025-01-01", "end": "2025-01-01", "city": "Bishkek{escape}"}}]}}\n',
        encoding="utf-8",
    )
    for command in ("check", "load"):
        result = loaded(command, str(path))
        assert result.exit_code == 1, command
        assert (
            f"{path}:3: training 't-1', field 'city': contains an unpaired surrogate"
            in result.stderr
        )
    assert store.snapshot() == before


@pytest.mark.parametrize("text", ["\ufeff", "\u200c", "Min\u200bistry", "Min\ufeffistry"])
def test_text_that_shows_nothing_or_hides_a_break_is_refused(loaded: Run, text: str) -> None:
    result = loaded(*TRAINING, "--title", "Fine", "--city", text)
    assert result.exit_code == 1
    assert "--city: " in result.stderr
    assert "no visible character" in result.stderr or "invisible character" in result.stderr
