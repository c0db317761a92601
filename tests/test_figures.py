"""One definition of every figure (figures.py): `summary`, `report` and `indicators` count
women, men, participants and equipment the same way, and never print unknown as 0.

The records below are made so that every rule shows: a training stating women and men, one
stating only its participants, one "over 30" (a lower bound), one with no count at all, one
attended by two agencies; handovers with and without quantities, in two currencies.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Run, json_of, write

RECORDS = """\
version: 2
sources:
  - {id: src-a, title: Source A, publisher: UNODC, url: "https://example.org/a"}
agencies:
  - {id: kz-mvd, country: KZ, name: Ministry of Internal Affairs}
  - {id: kz-knb, country: KZ, name: National Security Committee}
  - {id: kg-mvd, country: KG, name: Ministry of Internal Affairs}
projects:
  - id: p1
    title: Project one
    start: 2024-10-01
    implementers: [UNODC]
    donors: [Government of Canada]
    indicators:
      - {id: trained, title: Officials trained, unit: persons, baseline: 0, target: 200,
         measure: participants, disaggregate: [sex, country]}
      - {id: women, title: Women trained, unit: persons, target: 60, measure: female}
      - {id: laptops, title: IT equipment handed over, unit: units, target: 20,
         measure: items, category: it-equipment}
      - {id: knowledge, title: Trainees reporting improved knowledge, unit: percent,
         target: 80, reported: {2024-Q4: 70, 2025-Q1: 75}}
trainings:
  - {id: t1, project: p1, title: Stated, country: KZ, start: 2024-11-04, end: 2024-11-05,
     participants: 20, female: 8, male: 12, agencies: [kz-mvd, kz-knb], sources: [src-a]}
  - {id: t2, project: p1, title: Count only, country: KZ, start: 2025-01-13, end: 2025-01-13,
     participants: 10, agencies: [kz-mvd], sources: [src-a]}
  - {id: t3, project: p1, title: Over thirty, country: KG, start: 2025-02-03, end: 2025-02-04,
     participants: 30, approximate: true, female: 5, agencies: [kg-mvd], sources: [src-a]}
  - {id: t4, project: p1, title: No count, country: KG, start: 2025-03-10, end: 2025-03-10,
     agencies: [kg-mvd], sources: [src-a]}
deliveries:
  - id: d1
    project: p1
    date: 2025-01-20
    country: KZ
    agency: kz-mvd
    items:
      - {name: Laptop, category: it-equipment, quantity: 4, value: 5200, currency: USD}
      - {name: Printer, category: it-equipment}
    sources: [src-a]
  - id: d2
    project: p1
    date: 2025-02-20
    country: KG
    agency: kg-mvd
    items:
      - {name: Laptop, category: it-equipment, quantity: 2, value: 2000, currency: EUR}
      - {name: Microscope, category: comparison-microscope, quantity: 1}
    sources: [src-a]
"""
Q1 = ["--quarter", "2025-Q1"]


@pytest.fixture
def project(nexus: Run, tmp_path: Path) -> Run:
    result = nexus("load", str(write(tmp_path, "p1.yaml", RECORDS)))
    assert result.exit_code == 0, result.stderr
    return nexus


def test_summary_counts_women_and_men_as_the_records_state_them(project: Run) -> None:
    rows = json_of(project, "summary")
    by_period = {row["period"]: row for row in rows}
    q4, q1 = by_period["2024-Q4"], by_period["2025-Q1"]
    # 2024-Q4: one training stating 8 women and 12 men of 20: every figure known.
    assert (q4["participants"], q4["female"], q4["male"], q4["not_reported_by_sex"]) == (
        20, 8, 12, 0,
    )  # fmt: skip
    assert not (q4["participants_approximate"])
    assert not (q4["female_approximate"])
    assert (q4["women_share"], q4["women_share_over"]) == (40.0, 1)
    # 2025-Q1: 10 (no sex), over 30 with 5 women, none at all: women and men are lower
    # bounds (only one training of three states women; none states men -> null).
    assert q1["trainings"] == 3
    assert (q1["participants"], q1["participants_approximate"]) == (40, True)
    assert (q1["female"], q1["female_approximate"]) == (5, True)
    assert q1["male"] is None
    assert q1["not_reported_by_sex"] == 35  # 40 - 5 - 0: female + male + rest = participants
    # The share of women needs an exact count: "over 30" with 5 women says nothing of it.
    assert (q1["women_share"], q1["women_share_over"]) == (None, 0)


def test_summary_total_adds_the_quarters_and_keeps_the_lower_bounds(project: Run) -> None:
    total = project("summary", "--format", "csv").stdout.splitlines()
    assert total[0].split(",")[:16] == [
        "period", "start", "end", "trainings", "training_days", "participants",
        "participants_approximate", "female", "female_approximate", "male", "male_approximate",
        "not_reported_by_sex", "women_share", "women_share_over", "person_days", "deliveries",
    ]  # fmt: skip
    table = project("summary").stdout
    total_line = next(line for line in table.splitlines() if "total" in line)
    cells = [cell.strip() for cell in total_line.strip("│┃ ").split("│")]
    # trainings, days, participants, female, male, sex not stated, person-days, deliveries
    assert cells[3:11] == ["4", "6", "≥60", "≥13", "≥12", "≥35", "≥110", "2"]


def test_female_with_no_record_stating_it_is_never_zero(nexus: Run, tmp_path: Path) -> None:
    records = RECORDS.replace("participants: 20, female: 8, male: 12,", "participants: 20,")
    records = records.replace("approximate: true, female: 5,", "approximate: true,")
    assert nexus("load", str(write(tmp_path, "p1.yaml", records))).exit_code == 0
    rows = json_of(nexus, "summary")
    assert all(row["female"] is None and row["male"] is None for row in rows)
    report = nexus("report", *Q1).stdout
    assert "| – female | — | — | — |" in report
    assert "| – male | — | — | — |" in report
    assert "female 0" not in report
    assert "| – female | 0" not in report
    data = json_of(nexus, "report", *Q1)
    female = data["spans"][2]["figures"]["female"]
    assert female == {"value": None, "lower_bound": False, "reported": False}


def test_report_summary_and_indicators_agree(project: Run) -> None:
    report = json_of(project, "report", *Q1)
    summary = json_of(project, "summary", *Q1)
    assert len(summary) == 1
    quarter = report["spans"][0]["figures"]
    row = summary[0]
    for name in ("participants", "female", "male"):
        assert quarter[name]["value"] == row[name], name
        assert quarter[name]["lower_bound"] == row.get(f"{name}_approximate", False), name
    assert quarter["not_reported_by_sex"]["value"] == row["not_reported_by_sex"]
    assert quarter["trainings"] == row["trainings"]
    assert quarter["handovers"] == row["deliveries"]
    indicators = {(r["indicator_id"], r["part"]): r for r in json_of(project, "indicators", *Q1)}
    trained = indicators["trained", ""]
    assert (trained["quarter"], trained["quarter_approximate"]) == (40, True)
    life = report["spans"][2]["figures"]
    assert trained["life_of_project"] == life["participants"]["value"] == 60
    assert indicators["trained", "female"]["life_of_project"] == life["female"]["value"] == 13
    assert indicators["trained", "male"]["life_of_project"] == life["male"]["value"] == 12
    assert indicators["trained", "not reported by sex"]["life_of_project"] == 35
    # % of target over a lower bound is itself a lower bound: ≥60 of 200.
    assert (trained["percent_of_target"], trained["percent_of_target_approximate"]) == (30.0, True)
    assert report["results"] == list(json_of(project, "indicators", *Q1))


def test_indicators_by_country_and_reported_values(project: Run) -> None:
    rows = {(r["indicator_id"], r["part"]): r for r in json_of(project, "indicators", *Q1)}
    assert rows["trained", "Kazakhstan (KZ)"]["life_of_project"] == 30
    kyrgyzstan = rows["trained", "Kyrgyzstan (KG)"]
    assert (kyrgyzstan["life_of_project"], kyrgyzstan["life_of_project_approximate"]) == (30, True)
    # A percentage reported per quarter: the latest stands, it is never added up.
    knowledge = rows["knowledge", ""]
    assert (knowledge["quarter"], knowledge["life_of_project"], knowledge["basis"]) == (
        75, 75, "reported",
    )  # fmt: skip
    # Items of one category: 4 + 2 laptops stated, one printer line without a quantity.
    laptops = rows["laptops", ""]
    assert (laptops["life_of_project"], laptops["life_of_project_approximate"]) == (6, True)
    table = project("indicators", *Q1).stdout
    assert "Trainees reporting improved knowledge" in table
    assert "≥30%" in table  # 60 of 200 officials, a lower bound


def test_equipment_by_category_is_never_added_across_categories(project: Run) -> None:
    data = json_of(project, "report", *Q1)
    equipment = {e["category"]: e for e in data["spans"][0]["figures"]["equipment"]}
    it = equipment["it-equipment"]
    assert (it["handovers"], it["recipients"], it["handovers_without_quantity"]) == (2, 2, 1)
    assert it["quantity"] == {"value": 6, "lower_bound": True, "reported": True}
    assert it["values"] == [{"currency": "EUR", "value": 2000.0},
                            {"currency": "USD", "value": 5200.0}]  # fmt: skip
    assert equipment["comparison-microscope"]["quantity"]["value"] == 1
    text = project("report", *Q1).stdout
    assert (
        "| IT equipment | 2 | 2 | 6 stated; 1 handover without quantity | 2,000 EUR; 5,200 USD |"
        in text
    )
    assert "7 stated" not in text  # 6 laptops and 1 microscope are not 7 of anything


def test_the_donor_document_shows_no_record_ids_unless_asked(project: Run) -> None:
    plain = project("report", *Q1).stdout
    assert "`t2`" not in plain
    assert "`d1`" not in plain
    assert "p1" not in plain
    assert "Source A. UNODC. <https://example.org/a>" in plain
    internal = project("report", *Q1, "--ids").stdout
    assert "`t2`" in internal
    assert "| Project | `p1` |" in internal


def test_life_of_project_starts_at_the_declared_start(project: Run) -> None:
    first = project("report", "--quarter", "2024-Q4").stdout
    assert "Life of project<br>2024-10-01 – 2024-12-31" in first
    later = project("report", *Q1).stdout
    assert "Life of project<br>2024-10-01 – 2025-03-31" in later


@pytest.mark.parametrize(
    ("quarter", "message"),
    [
        ("2024-Q3", "2024-Q3 ends before the project starts (2024-10-01)"),
        ("2099-Q1", "2099-Q1 has not begun"),
    ],
)
def test_a_quarter_outside_the_project_is_refused(project: Run, quarter: str, message: str) -> None:
    for command in ("report", "indicators"):
        result = project(command, "--quarter", quarter)
        assert result.exit_code == 2, result.stdout
        assert message in result.stderr
        assert "--allow-empty-period" in result.stderr
    allowed = project("report", "--quarter", quarter, "--allow-empty-period")
    assert allowed.exit_code == 0, allowed.stderr


def test_a_project_without_indicators_says_so(loaded: Run) -> None:
    result = loaded("indicators", "--quarter", "2025-Q1", "--format", "json")
    assert result.exit_code == 0
    assert result.stdout == "[]\n"
    assert "project tac-nexus has no indicators" in result.stderr
