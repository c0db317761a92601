"""Listings, the quarterly summary and `show`, on the seed, through the CLI.

Expected figures are read off the source documents (tests/sources/):
- trainings: Kyrgyz Republic 24–28 Oct 2022, "over 16"; Kazakhstan 31 Oct – 4 Nov 2022, 20;
- handovers: KZ 15 Nov 2024; UZ 12 Dec 2024 and 14 Feb 2025; TJ 24 Dec 2024 and 25 Feb 2025;
  TM 10 Feb 2025; KG 3 Apr 2025.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from .conftest import NEXUS_SCRIPT, REPO, Run, Store, write


def table_rows(stdout: str) -> list[list[str]]:
    """The cells of each row of a Rich table (continuation lines of wrapped cells skipped)."""
    rows = [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in stdout.splitlines()
        if line.startswith("│")
    ]
    return [row for row in rows if row[0]]


def table_cells(stdout: str) -> list[list[str]]:
    """The cells of each row of a Rich table, a cell's lines joined with a line break (on a
    terminal wide enough not to wrap, the line breaks the cell itself holds)."""
    cells: list[list[str]] = []
    for line in stdout.splitlines():
        if not line.startswith("│"):
            continue
        row = [c.strip() for c in line.split("│")[1:-1]]
        if row[0] or not cells:
            cells.append(row)
        else:
            cells[-1] = [f"{a}\n{b}" if b else a for a, b in zip(cells[-1], row, strict=True)]
    return cells


def data(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


# --- handovers ---------------------------------------------------------------------------


def test_handovers_per_country_match_the_documents(loaded: Run) -> None:
    rows = data(loaded("handovers", "--format", "json"))
    per_country: dict[str, list[str]] = {}
    for row in rows:
        per_country.setdefault(row["country"], []).append(row["date"])
    assert per_country == {
        "KZ": ["2024-11-15"],
        "KG": ["2025-04-03"],
        "TJ": ["2024-12-24", "2025-02-25"],
        "TM": ["2025-02-10"],
        "UZ": ["2024-12-12", "2025-02-14"],
    }
    assert [r["country_name"] for r in rows][:2] == ["Kazakhstan", "Kyrgyzstan"]  # by name


def test_what_did_we_hand_over_to_tajikistan(loaded: Run) -> None:
    for spelling in ("TJ", "tjk", "Tajikistan"):
        rows = data(loaded("handovers", "--country", spelling, "--format", "json"))
        assert [(r["date"], r["unit"], [i["name"] for i in r["items"]]) for r in rows] == [
            ("2024-12-24", "Expert-Forensic Department", ["IT equipment"]),
            ("2025-02-25", None, ["Specialized binocular microscopes"]),
        ]
        assert rows[1]["officials"] == [
            {
                "name": "Gurez Dastagul",
                "title": "Police Colonel, Deputy Head of the Department of the Ministry of Internal Affairs of Tajikistan",
            }
        ]


def test_deliveries_is_an_alias(loaded: Run) -> None:
    assert (
        loaded("deliveries", "--format", "json").stdout
        == loaded("handovers", "--format", "json").stdout
    )


def test_handovers_table_groups_by_country_with_subtotals(
    loaded: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "320")  # wide enough that no cell wraps
    result = loaded("handovers", "--quarter", "2025-Q1")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].strip() == "Handovers by country (3)"
    cells = table_cells(result.stdout)
    assert [row[0] for row in cells] == [
        "Tajikistan", "2025-02-25", "Subtotal TJ",
        "Turkmenistan", "2025-02-10", "Subtotal TM",
        "Uzbekistan", "2025-02-14", "Subtotal UZ",
    ]  # fmt: skip
    assert cells[7][1] == "Ministry of Internal Affairs — Main Expert-Forensic Center"
    # Each item with its category, unless the name says it already ("IT equipment").
    assert cells[7][2] == "Digital forensic comparison microscope × 1 (Comparison microscopes)"
    assert cells[7][3] == "Saidolim Nuriddinov (Police Colonel)"
    assert cells[1][2] == "Specialized binocular microscopes (Binocular microscopes)"
    assert cells[4][2] == "IT equipment"
    # Subtotals per category: a stated quantity, or lines whose quantity is not stated.
    assert cells[8][1:3] == ["1 handover(s)", "Comparison microscopes: 1 stated"]
    assert cells[2][1:3] == ["1 handover(s)", "Binocular microscopes: 1 handover without quantity"]
    assert cells[5][1:3] == ["1 handover(s)", "IT equipment: 1 handover without quantity"]


def test_handovers_subtotal_never_adds_across_categories(
    loaded: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uzbekistan: IT equipment (no quantity stated) and one comparison microscope: a line
    per category, in the categories' order, and no count of "units" over both."""
    monkeypatch.setenv("COLUMNS", "320")
    result = loaded("handovers", "--country", "UZ")
    assert result.exit_code == 0, result.stderr
    subtotal = table_cells(result.stdout)[-1]
    assert subtotal[:3] == [
        "Subtotal UZ",
        "2 handover(s)",
        "IT equipment: 1 handover without quantity\nComparison microscopes: 1 stated",
    ]
    assert "unit(s)" not in result.stdout


def test_handovers_csv_shape(loaded: Run) -> None:
    result = loaded("handovers", "--country", "UZ", "--format", "csv")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "id,project,date,country,country_name,agency,agency_id,unit,items,purpose,officials,"
        "sources,notes"
    )
    # The items cell as --item spells an item: NAME[:QTY] / CATEGORY [/ VALUE CURRENCY].
    assert lines[2].startswith(
        "uz-2025-02-14-comparison-microscope,tac-nexus,2025-02-14,UZ,Uzbekistan,"
        "Ministry of Internal Affairs,uz-mvd,Main Expert-Forensic Center,"
        "Digital forensic comparison microscope:1 / comparison-microscope,"
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["agency_id"], r["items"]) for r in rows] == [
        ("uz-mvd", "IT equipment / it-equipment"),
        ("uz-mvd", "Digital forensic comparison microscope:1 / comparison-microscope"),
    ]
    assert [r["sources"] for r in rows] == ["unodc-2024-2025-ca-equipment-handovers"] * 2
    assert len(lines) == 3


def test_handovers_markdown_shape(loaded: Run) -> None:
    result = loaded("handovers", "--country", "KZ", "--format", "markdown")
    assert result.stdout == (
        "### Handovers by country (1)\n\n"
        "| Date | Recipient | Handed over | Officials | ID |\n"
        "|---|---|---|---|---|\n"
        "| **Kazakhstan** |  |  |  |  |\n"
        "| 2024-11-15 | Ministry of Internal Affairs | IT equipment |  | kz-2024-11-15-it-equipment |\n"
        "| *Subtotal KZ* | *1 handover(s)* | *IT equipment: 1 handover without quantity* |  |  |\n"
    )
    # Two categories: a line each within the one subtotal cell.
    uzbek = loaded("handovers", "--country", "UZ", "--format", "markdown").stdout
    assert uzbek.splitlines()[-1] == (
        "| *Subtotal UZ* | *2 handover(s)* | *IT equipment: 1 handover without quantity<br>"
        "Comparison microscopes: 1 stated* |  |  |"
    )


def test_items_by_category_with_quantities_and_values(
    nexus: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four laptops with their value and one comparison microscope: each item keeps its
    category, quantity and value; the subtotal counts each category alone, never "5"."""
    added = nexus("add-delivery", "--no-input", "--id", "kz-forensic-kit", "--date", "2025-03-04",
                  "--country", "KZ", "--agency", "Ministry of Internal Affairs",
                  "--item", "Laptop:4 / it-equipment / 5200 USD",
                  "--item", "Microscope:1 / comparison-microscope")  # fmt: skip
    assert added.exit_code == 0, added.stderr

    [row] = data(nexus("handovers", "-f", "json"))
    assert row["items"] == [
        {"name": "Laptop", "category": "it-equipment", "quantity": 4, "value": 5200,
         "currency": "USD"},
        {"name": "Microscope", "category": "comparison-microscope", "quantity": 1, "value": None,
         "currency": None},
    ]  # fmt: skip

    monkeypatch.setenv("COLUMNS", "250")
    table = nexus("handovers")
    assert table.exit_code == 0, table.stderr
    cells = table_cells(table.stdout)
    assert [row[0] for row in cells] == ["Kazakhstan", "2025-03-04", "Subtotal KZ"]
    assert cells[1][2] == (
        "Laptop × 4 (IT equipment, 5,200 USD); Microscope × 1 (Comparison microscopes)"
    )
    subtotal = cells[2][2].splitlines()
    assert subtotal == ["IT equipment: 4 stated; 5,200 USD", "Comparison microscopes: 1 stated"]
    assert "IT equipment: 4 stated" in table.stdout
    assert "Comparison microscopes: 1 stated" in table.stdout
    # 4 + 1 is never shown: no figure 5 anywhere (5,200 is the laptops' value).
    assert re.findall(r"(?<![\d,.])5(?![\d,.])", table.stdout) == []
    assert "unit(s)" not in table.stdout

    # The CSV items cell spells each item as --item does.
    [line] = list(csv.DictReader(io.StringIO(nexus("handovers", "-f", "csv").stdout)))
    assert (
        line["items"] == "Laptop:4 / it-equipment / 5200 USD; Microscope:1 / comparison-microscope"
    )


# --- trainings ---------------------------------------------------------------------------


def test_trainings_listing(loaded: Run) -> None:
    rows = data(loaded("trainings", "--format", "json"))
    assert [
        (r["id"], r["start"], r["days"], r["participants"], r["approximate"]) for r in rows
    ] == [
        ("kg-2022-10-firearms-trafficking", "2022-10-24", 5, 16, True),
        ("kz-2022-10-firearms-trafficking", "2022-10-31", 5, 20, False),
    ]
    assert set(rows[0]) == {
        "id", "project", "title", "country", "country_name", "city", "start", "end", "days",
        "participants", "approximate", "female", "male", "agencies", "audience", "topics",
        "organisers", "sources", "notes",
    }  # fmt: skip
    assert [r["sources"] for r in rows] == [["unodc-2022-kg-kz-trainings"]] * 2
    # Listings name the agencies (records refer to them by id).
    assert rows[1]["agencies"] == [
        "Ministry of Foreign Affairs", "Security Council", "National Security Committee",
        "Ministry of Internal Affairs", "Courts",
    ]  # fmt: skip


def test_trainings_table_marks_the_lower_bound(
    loaded: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    cells = next(
        row for row in table_rows(loaded("trainings").stdout) if row[-1].startswith("kg-2022-10")
    )
    assert cells[:2] == ["2022-10-24 → 2022-10-28", "Kyrgyzstan"]
    assert cells[3:6] == ["≥16", "—", "—"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--country", "Kyrgyz Republic"], ["kg-2022-10-firearms-trafficking"]),
        (["--from", "2022-10-25"], ["kz-2022-10-firearms-trafficking"]),  # by start date
        (["--to", "2022-10-30"], ["kg-2022-10-firearms-trafficking"]),
        (["--agency", "supreme"], ["kg-2022-10-firearms-trafficking"]),
        (
            ["--agency", "INTERNAL AFFAIRS"],
            ["kg-2022-10-firearms-trafficking", "kz-2022-10-firearms-trafficking"],
        ),
        (
            ["--quarter", "2022Q4"],
            ["kg-2022-10-firearms-trafficking", "kz-2022-10-firearms-trafficking"],
        ),
        (["--quarter", "2025-Q1"], []),
        (
            ["--project", "tac-nexus", "--agency", "security council"],
            ["kz-2022-10-firearms-trafficking"],
        ),
        (["--project", "other"], []),
    ],
)
def test_training_filters(loaded: Run, options: list[str], expected: list[str]) -> None:
    assert [r["id"] for r in data(loaded("trainings", *options, "--format", "json"))] == expected


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--quarter", "2025-Q5"], "--quarter: '2025-Q5' is not a quarter"),
        (["--from", "2025-02-30"], "--from: impossible date 2025-02-30"),
        (["--to", "yesterday"], "--to: expected a date YYYY-MM-DD"),
        (["--country", "Atlantis"], "--country: unknown country 'Atlantis'"),
        (["--from", "2025-02-01", "--to", "2025-01-01"], "the options select no dates"),
    ],
)
def test_bad_filter_values_name_the_option(loaded: Run, options: list[str], fragment: str) -> None:
    result = loaded("trainings", *options)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert result.stdout == ""


# --- Unicode agency search ----------------------------------------------------------------

CYRILLIC = """\
version: 1
deliveries:
  - id: tj-ru-1
    date: 2025-05-05
    country: TJ
    agency: МВД Республики Таджикистан
    items: [{name: Ноутбук, quantity: 3}]
  - id: kz-ru-2
    date: 2025-05-06
    country: KZ
    agency: Министерство внутренних дел
    items: [{name: Микроскоп}]
  - id: kg-nfd-3
    date: 2025-05-07
    country: KG
    agency: {nfd}
    items: [{name: Microscope}]
"""


@pytest.fixture
def cyrillic(loaded: Run, tmp_path: Path) -> Run:
    decomposed = unicodedata.normalize("NFD", "Ministère de l'Intérieur")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    path = tmp_path / "ru.yaml"
    path.write_text(CYRILLIC.replace("{nfd}", f'"{decomposed}"'), encoding="utf-8")
    assert loaded("load", str(path)).exit_code == 0
    return loaded


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("мвд", ["tj-ru-1"]),
        ("МВД", ["tj-ru-1"]),
        ("министерство", ["kz-ru-2"]),
        ("ВНУТРЕННИХ", ["kz-ru-2"]),
        ("ministère", ["kg-nfd-3"]),
        (unicodedata.normalize("NFD", "intérieur"), ["kg-nfd-3"]),
        ("MINISTÈRE DE L'INTÉRIEUR", ["kg-nfd-3"]),
        ("100%", []),
        ("_", []),
    ],
)
def test_agency_search_is_unicode_aware(cyrillic: Run, query: str, expected: list[str]) -> None:
    rows = data(
        cyrillic("handovers", "--agency", query, "--from", "2025-05-01", "--format", "json")
    )
    assert [r["id"] for r in rows] == expected


# --- quarterly summary --------------------------------------------------------------------

CALENDAR_ROWS = [
    {"period": "2022-Q4", "start": "2022-10-01", "end": "2022-12-31", "trainings": 2,
     "training_days": 10, "participants": 36, "participants_approximate": True, "female": None, "female_approximate": False,
     "male": None, "male_approximate": False, "not_reported_by_sex": 36, "women_share": None, "women_share_over": 0, "person_days": 180, "deliveries": 0, "countries": ["KG", "KZ"]},
    {"period": "2024-Q4", "start": "2024-10-01", "end": "2024-12-31", "trainings": 0,
     "training_days": 0, "participants": 0, "participants_approximate": False, "female": 0, "female_approximate": False,
     "male": 0, "male_approximate": False, "not_reported_by_sex": 0, "women_share": None, "women_share_over": 0, "person_days": 0, "deliveries": 3, "countries": ["KZ", "TJ", "UZ"]},
    {"period": "2025-Q1", "start": "2025-01-01", "end": "2025-03-31", "trainings": 0,
     "training_days": 0, "participants": 0, "participants_approximate": False, "female": 0, "female_approximate": False,
     "male": 0, "male_approximate": False, "not_reported_by_sex": 0, "women_share": None, "women_share_over": 0, "person_days": 0, "deliveries": 3, "countries": ["TJ", "TM", "UZ"]},
    {"period": "2025-Q2", "start": "2025-04-01", "end": "2025-06-30", "trainings": 0,
     "training_days": 0, "participants": 0, "participants_approximate": False, "female": 0, "female_approximate": False,
     "male": 0, "male_approximate": False, "not_reported_by_sex": 0, "women_share": None, "women_share_over": 0, "person_days": 0, "deliveries": 1, "countries": ["KG"]},
]  # fmt: skip


def test_summary_rows_match_the_documents(loaded: Run) -> None:
    # 2022-Q4: two five-day courses, 16+ and 20 participants: ≥36 people, ≥ 16*5 + 20*5 person-days.
    assert data(loaded("summary", "--format", "json")) == CALENDAR_ROWS


def test_summary_april_fiscal_year(loaded: Run) -> None:
    rows = data(loaded("summary", "--fiscal-year-start", "4", "--format", "json"))
    assert [r["period"] for r in rows] == [
        "FY2022-23 Q3",
        "FY2024-25 Q3",
        "FY2024-25 Q4",
        "FY2025-26 Q1",
    ]
    assert [{k: v for k, v in r.items() if k != "period"} for r in rows] == [
        {k: v for k, v in r.items() if k != "period"} for r in CALENDAR_ROWS
    ]


@pytest.mark.parametrize(
    ("options", "periods"),
    [
        (["--year", "2025"], ["2025-Q1", "2025-Q2"]),
        (["--year", "2024", "--fiscal-year-start", "4"], ["FY2024-25 Q3", "FY2024-25 Q4"]),
        (["--quarter", "2025-Q1"], ["2025-Q1"]),
        (["--quarter", "2025Q1", "--fiscal-year-start", "4"], ["FY2024-25 Q4"]),
        (["--country", "KG"], ["2022-Q4", "2025-Q2"]),
        (["--year", "2023"], []),
    ],
)
def test_summary_selections(loaded: Run, options: list[str], periods: list[str]) -> None:
    assert [r["period"] for r in data(loaded("summary", *options, "--format", "json"))] == periods


def test_summary_country_counts_only_that_country(loaded: Run) -> None:
    rows = data(loaded("summary", "--country", "KG", "--format", "json"))
    assert (rows[0]["trainings"], rows[0]["participants"], rows[0]["countries"]) == (1, 16, ["KG"])
    assert (rows[1]["deliveries"], rows[1]["countries"]) == (1, ["KG"])


def test_summary_empty_quarters(loaded: Run) -> None:
    rows = data(loaded("summary", "--empty", "--format", "json"))
    assert rows[0]["period"] == "2022-Q4"
    assert rows[-1]["period"] == "2025-Q2"
    assert len(rows) == 11  # 2022-Q4 .. 2025-Q2
    assert rows[1] == {
        "period": "2023-Q1", "start": "2023-01-01", "end": "2023-03-31", "trainings": 0,
        "training_days": 0, "participants": 0, "participants_approximate": False, "female": 0,
        "female_approximate": False, "male": 0, "male_approximate": False,
        "not_reported_by_sex": 0, "women_share": None, "women_share_over": 0, "person_days": 0,
        "deliveries": 0, "countries": [],
    }  # fmt: skip
    year = data(loaded("summary", "--empty", "--year", "2023", "--format", "json"))
    assert [r["period"] for r in year] == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]


def test_course_across_a_quarter_end_counts_in_its_start_quarter(
    nexus: Run, tmp_path: Path
) -> None:
    text = (
        "version: 1\ntrainings:\n"
        "  - {id: a, title: A, country: KZ, start: 2024-03-30, end: 2024-04-02, participants: 10, female: 4, male: 6}\n"
        "  - {id: b, title: B, country: KG, start: 2024-02-28, end: 2024-03-01, participants: 5, female: 5, male: 0}\n"
    )
    assert nexus("load", str(write(tmp_path, "x.yaml", text))).exit_code == 0
    rows = data(nexus("summary", "--format", "json"))
    assert [(r["period"], r["trainings"], r["training_days"], r["person_days"]) for r in rows] == [
        ("2024-Q1", 2, 4 + 3, 10 * 4 + 5 * 3)  # leap year: 28 Feb – 1 Mar is three days
    ]
    assert (rows[0]["female"], rows[0]["male"], rows[0]["participants_approximate"]) == (
        9,
        6,
        False,
    )


def test_unknown_counts_stay_unknown(nexus: Run, tmp_path: Path) -> None:
    text = (
        "version: 1\ntrainings:\n"
        "  - {id: a, title: A, country: KZ, start: 2024-01-10, end: 2024-01-10, participants: 10, female: 4, male: 6}\n"
        "  - {id: b, title: B, country: KZ, start: 2024-01-11, end: 2024-01-11}\n"
    )
    assert nexus("load", str(write(tmp_path, "x.yaml", text))).exit_code == 0
    row = data(nexus("summary", "--format", "json"))[0]
    assert (row["participants"], row["participants_approximate"]) == (10, True)  # b's count unknown
    # b's split unknown: 4 and 6 are what the records state, lower bounds, never exact.
    assert (row["female"], row["female_approximate"]) == (4, True)
    assert (row["male"], row["male_approximate"]) == (6, True)
    assert row["not_reported_by_sex"] == 0  # of a lower bound: ≥0
    assert (row["women_share"], row["women_share_over"]) == (40.0, 1)  # a's 4 of 10


def test_summary_table_at_fixed_width(loaded: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    result = loaded("summary", "--fiscal-year-start", "4")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout  # no colour codes when not on a terminal
    assert [line.rstrip() for line in result.stdout.splitlines()] == SUMMARY_TABLE.splitlines()


SUMMARY_TABLE = """\
Quarterly summary (fiscal quarters)
┏━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┓
┃ Period       ┃ Start      ┃ End        ┃ Trainings ┃ Days ┃ Participants ┃ Female ┃ Male ┃ Sex not stated ┃ Person-days ┃ Deliveries ┃ Countries      ┃
┡━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━┩
│ FY2022-23 Q3 │ 2022-10-01 │ 2022-12-31 │         2 │   10 │          ≥36 │      — │    — │            ≥36 │        ≥180 │          0 │ KG KZ          │
│ FY2024-25 Q3 │ 2024-10-01 │ 2024-12-31 │         0 │    0 │            0 │        │      │                │           0 │          3 │ KZ TJ UZ       │
│ FY2024-25 Q4 │ 2025-01-01 │ 2025-03-31 │         0 │    0 │            0 │        │      │                │           0 │          3 │ TJ TM UZ       │
│ FY2025-26 Q1 │ 2025-04-01 │ 2025-06-30 │         0 │    0 │            0 │        │      │                │           0 │          1 │ KG             │
├──────────────┼────────────┼────────────┼───────────┼──────┼──────────────┼────────┼──────┼────────────────┼─────────────┼────────────┼────────────────┤
│ total        │ 2022-10-01 │ 2025-06-30 │         2 │   10 │          ≥36 │      — │    — │            ≥36 │        ≥180 │          7 │ KG KZ TJ TM UZ │
└──────────────┴────────────┴────────────┴───────────┴──────┴──────────────┴────────┴──────┴────────────────┴─────────────┴────────────┴────────────────┘
"""


def test_summary_csv_shape(loaded: Run) -> None:
    lines = loaded("summary", "--format", "csv").stdout.splitlines()
    assert lines[0] == (
        "period,start,end,trainings,training_days,participants,participants_approximate,"
        "female,female_approximate,male,male_approximate,not_reported_by_sex,women_share,"
        "women_share_over,person_days,deliveries,countries"
    )
    assert lines[1] == "2022-Q4,2022-10-01,2022-12-31,2,10,36,true,,false,,false,36,,0,180,0,KG; KZ"
    assert len(lines) == 5  # no total row in data formats


def test_summary_markdown_shape(loaded: Run) -> None:
    lines = loaded("summary", "--year", "2025", "--format", "markdown").stdout.splitlines()
    assert lines == [
        "### Quarterly summary (calendar quarters)",
        "",
        "| Period | Start | End | Trainings | Days | Participants | Female | Male | Sex not stated | Person-days | Deliveries | Countries |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        "| 2025-Q1 | 2025-01-01 | 2025-03-31 | 0 | 0 | 0 |  |  |  | 0 | 3 | TJ TM UZ |",
        "| 2025-Q2 | 2025-04-01 | 2025-06-30 | 0 | 0 | 0 |  |  |  | 0 | 1 | KG |",
        "| **total** | **2025-01-01** | **2025-12-31** | **0** | **0** | **0** |  |  |  | **0** | **4** | **KG TJ TM UZ** |",
    ]


def test_summary_chart(loaded: Run) -> None:
    result = loaded("summary", "--chart")
    assert result.exit_code == 0
    chart = result.stdout.split("Activity per quarter")[1].splitlines()
    bars = {line.split()[0]: line for line in chart if line.strip()[:4].isdigit()}
    assert set(bars) == {"2022-Q4", "2024-Q4", "2025-Q1", "2025-Q2"}
    assert bars["2022-Q4"].count("█") > 0
    assert bars["2024-Q4"].rstrip().endswith("█ 3")
    assert bars["2025-Q2"].rstrip().endswith("█ 1")
    # 3 deliveries draw a longer bar than 1
    assert bars["2024-Q4"].count("█") > bars["2025-Q2"].count("█")


@pytest.mark.parametrize("month", ["2", "13"])
def test_bad_fiscal_year_start(loaded: Run, month: str) -> None:
    result = loaded("summary", "--fiscal-year-start", month)
    assert result.exit_code == 2
    assert "--fiscal-year-start" in result.stderr


def test_summary_of_an_empty_store(emptied: Run) -> None:
    assert data(emptied("summary", "--format", "json")) == []
    assert emptied("summary").exit_code == 0


# --- show ---------------------------------------------------------------------------------


def test_show_delivery_has_every_field(loaded: Run) -> None:
    record = data(loaded("show", "tm-2025-02-10-it-equipment", "--format", "json"))
    assert record["unit"] == "Ballistic-Forensic Department"
    assert record["items"] == [
        {"name": "IT equipment", "category": "it-equipment", "quantity": None, "value": None,
         "currency": None}
    ]  # fmt: skip
    assert (record["agency"], record["agency_id"]) == ("Ministry of Internal Affairs", "tm-mvd")
    assert record["sources"] == ["unodc-2024-2025-ca-equipment-handovers"]
    assert record["officials"][0]["name"] == "Geldimurad Halmuradov"
    assert {"created_at", "updated_at", "sources", "purpose", "notes"} <= set(record)


def test_show_training_table(loaded: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    out = loaded("show", "kz-2022-10-firearms-trafficking").stdout
    assert out.splitlines()[0].strip() == "training kz-2022-10-firearms-trafficking"
    fields = dict(table_rows(out))
    assert fields["participants"] == "20"
    assert fields["approximate"] == "no"
    assert fields["female"] == "—"
    assert fields["agencies"].startswith("Ministry of Foreign Affairs; Security Council")


def test_show_project(loaded: Run) -> None:
    record = data(loaded("show", "tac-nexus", "--format", "json"))
    assert (record["trainings"], record["deliveries"], record["donors"]) == (2, 7, ["Canada"])


def test_show_unknown_id(loaded: Run) -> None:
    result = loaded("show", "nope")
    assert result.exit_code == 1
    assert "no training, delivery or project has the id 'nope'" in result.stderr


def test_narrow_terminal_stacks_each_row(loaded: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns the wide table would be slivers: each row becomes a block of lines."""
    monkeypatch.setenv("COLUMNS", "80")
    out = [line.rstrip() for line in loaded("handovers", "--country", "UZ").stdout.splitlines()]
    assert max(len(line) for line in out) <= 80
    assert "│ 2025-02-14  │ Recipient: Ministry of Internal Affairs — Main Expert-Forensic │" in out
    assert any("Handed over: Digital forensic comparison microscope × 1" in line for line in out)
    assert any("ID: uz-2025-02-14-comparison-microscope" in line for line in out)
    assert any("(Comparison microscopes)" in line for line in out)
    assert "│ Subtotal UZ │ 2 handover(s), IT equipment: 1 handover without quantity       │" in out
    assert "│             │ Comparison microscopes: 1 stated                               │" in out
    assert not any("unit(s)" in line for line in out)
    summary = loaded("summary").stdout
    assert max(len(line.rstrip()) for line in summary.splitlines()) <= 80
    assert "Participants: ≥36" in summary


@pytest.mark.parametrize("command", ["trainings", "handovers"])
def test_limit_and_offset_page_through_the_listing(loaded: Run, command: str) -> None:
    everything = json.loads(loaded(command, "--format", "json").stdout)
    assert len(everything) >= 2
    page = json.loads(loaded(command, "--format", "json", "--limit", "2", "--offset", "1").stdout)
    by_date = sorted(everything, key=lambda r: (r.get("start") or r["date"], r["id"]))
    # The page is taken in date order (handovers are then grouped by country).
    assert {r["id"] for r in page} == {r["id"] for r in by_date[1:3]}
    assert page == [r for r in everything if r["id"] in {p["id"] for p in page}]  # lists too
    past_the_end = loaded(command, "--format", "json", "--offset", str(len(everything)))
    assert json.loads(past_the_end.stdout) == []


def test_limit_must_be_positive(loaded: Run) -> None:
    result = loaded("trainings", "--limit", "0")
    assert result.exit_code == 2
    assert "--limit" in result.stderr


# --- listings longer than one chunk (reports.CHUNK rows are read at a time) --------------


@pytest.fixture(scope="module")
def generated_file(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """2,500 trainings and 1,250 deliveries from the bench generator (several chunks)."""
    path = tmp_path_factory.mktemp("generated") / "records.json"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), "--trainings", "2500",
         "--format", "json", "-o", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    document["path"] = path
    return document


def as_listed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Version 1 items (the bench generator's) as a listing shows them: no category is
    ``other``, and ``value_usd`` is a value in USD."""
    return [
        {"name": i["name"], "category": i.get("category", "other"), "quantity": i["quantity"],
         "value": i.get("value_usd"), "currency": None if i.get("value_usd") is None else "USD"}
        for i in items
    ]  # fmt: skip


@pytest.fixture
def generated(nexus: Run, generated_file: dict[str, Any]) -> Run:
    result = nexus("load", str(generated_file["path"]))
    assert result.exit_code == 0, result.stderr
    return nexus


def test_long_listings_keep_every_record_whole_across_chunks(
    generated: Run, generated_file: dict[str, Any]
) -> None:
    from salw_nexus.countries import name_of
    from salw_nexus.reports import CHUNK

    deliveries = generated_file["deliveries"]
    trainings = generated_file["trainings"]
    assert len(deliveries) > CHUNK
    assert len(trainings) > 2 * CHUNK

    listed = json.loads(generated("handovers", "--format", "json").stdout)
    expected = sorted(deliveries, key=lambda d: (name_of(d["country"]), d["date"], d["id"]))
    assert [h["id"] for h in listed] == [d["id"] for d in expected]
    for shown, source in zip(listed, expected, strict=True):
        assert (shown["agency"], shown["items"], shown["officials"]) == (
            source["agency"], as_listed(source["items"]), source["officials"],
        )  # fmt: skip

    listed = json.loads(generated("trainings", "--format", "json").stdout)
    expected = sorted(trainings, key=lambda t: (t["start"], t["id"]))
    assert [t["id"] for t in listed] == [t["id"] for t in expected]
    for shown, source in zip(listed, expected, strict=True):
        assert (shown["agencies"], shown["topics"]) == (source["agencies"], source["topics"])

    rows = list(csv.reader(io.StringIO(generated("trainings", "--format", "csv").stdout)))
    assert len(rows) == len(trainings) + 1
    assert [row[0] for row in rows[1:]] == [t["id"] for t in expected]


def test_a_page_past_the_first_chunk(generated: Run, generated_file: dict[str, Any]) -> None:
    deliveries = sorted(generated_file["deliveries"], key=lambda d: (d["date"], d["id"]))
    page = json.loads(
        generated("handovers", "--format", "json", "--limit", "40", "--offset", "1100").stdout
    )
    assert {h["id"] for h in page} == {d["id"] for d in deliveries[1100:1140]}
    assert [h["country_name"] for h in page] == sorted(h["country_name"] for h in page)


@pytest.mark.parametrize("paged", [False, True])
def test_filtered_listings_keep_their_children_across_chunks(
    generated: Run, generated_file: dict[str, Any], paged: bool
) -> None:
    """A country's handovers with their items and officials, and the trainings of matching
    agencies with all their agencies: children are matched to records as both stream."""
    from salw_nexus.reports import CHUNK

    def page(offset: int, limit: int) -> tuple[list[str], slice]:
        if not paged:
            return [], slice(None)
        return ["--limit", str(limit), "--offset", str(offset)], slice(offset, offset + limit)

    tajik = sorted(
        (d for d in generated_file["deliveries"] if d["country"] == "TJ"),
        key=lambda d: (d["date"], d["id"]),
    )
    options, chosen = page(60, 40)
    listed = json.loads(generated("handovers", "--country", "TJ", "-f", "json", *options).stdout)
    expected = tajik[chosen]
    assert len(expected) == (40 if paged else len(tajik)) > 0
    assert [(h["id"], h["items"], h["officials"]) for h in listed] == [
        (d["id"], as_listed(d["items"]), d["officials"]) for d in expected
    ]

    with_e = sorted(
        (t for t in generated_file["trainings"]
         if any("e" in unicodedata.normalize("NFKC", a).casefold() for a in t["agencies"])),
        key=lambda t: (t["start"], t["id"]),
    )  # fmt: skip
    assert len(with_e) > 1.5 * CHUNK
    options, chosen = page(500, CHUNK + 200)  # more than a chunk: one boundary inside
    listed = json.loads(generated("trainings", "--agency", "E", "-f", "json", *options).stdout)
    assert len(listed) == (CHUNK + 200 if paged else len(with_e))
    assert [(t["id"], t["agencies"]) for t in listed] == [
        (t["id"], t["agencies"]) for t in with_e[chosen]
    ]


def test_a_reader_that_stops_early_ends_the_listing_quietly(generated: Run, store: Store) -> None:
    with subprocess.Popen(
        [str(NEXUS_SCRIPT), "trainings", "--format", "csv"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NEXUS_DB": store.target},
    ) as process:  # fmt: skip
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b"id,project,title,")
        process.stdout.close()  # as `| head -1` does
        errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == 1
    assert errors == ""  # no traceback, no "unexpected failure"
