"""A project's declared period and results framework (indicators) in the record format.

Through the real command line: the example record file (tests/sources/example-project.yaml)
checks, loads and exports back byte for byte; every rule of an indicator refuses a file
with file:line and field, exit status 1 and the store unchanged; numbers keep their type;
years and quarters are stored as ``periods`` labels them; a store of schema 0003 upgrades
and keeps its projects.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from salw_nexus import db
from salw_nexus.models import IndicatorIn, Measure, indicators_of

from .conftest import REPO, Run, Store, write
from .test_migrations import V2_EXPORT, check_sqlite, migrate, store_of_release
from .test_records import refused, refused_change

EXAMPLE = Path(__file__).parent / "sources" / "example-project.yaml"


def exported(run: Run, *args: str) -> dict[str, Any]:
    result = run(*args, "export", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def loads(run: Run, path: Path, *args: str) -> str:
    result = run(*args, "load", str(path))
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


# --- the example file ---------------------------------------------------------------------

OFFICIALS_TRAINED = {
    "id": "officials-trained",
    "title": "Number of criminal justice officials trained",
    "unit": "persons",
    "baseline": 0,
    "target": 200,
    "targets": {"FY2024-25": 80, "FY2025-26": 120},
    "measure": "participants",
    "category": None,
    "disaggregate": ["sex", "country"],
    "reported": None,
}
KNOWLEDGE_GAIN = {
    "id": "knowledge-gain",
    "title": "Share of trainees reporting improved knowledge",
    "unit": "percent",
    "baseline": 40,
    "target": 80,
    "targets": {},
    "measure": None,
    "category": None,
    "disaggregate": [],
    "reported": {"2024-Q4": 68, "2025-Q1": 72.5},
}


def test_example_file_checks_and_loads(nexus: Run, store: Store) -> None:
    checked = nexus("check", str(EXAMPLE))
    assert checked.exit_code == 0, checked.stderr
    assert "2 source(s), 5 agency(ies), 1 project(s), 5 training(s), 4 delivery(ies)" in (
        " ".join(checked.stdout.split())
    )
    assert not store.exists()  # check writes nothing
    loads(nexus, EXAMPLE)
    document = exported(nexus)
    project = document["projects"][0]
    assert (project["id"], project["start"], project["end"]) == (
        "example-project",
        "2024-10-01",
        None,
    )
    assert (project["implementers"], project["donors"]) == (
        ["UNODC", "UNOCT"],
        ["Government of Canada"],
    )
    indicators = project["indicators"]
    assert indicators[0] == OFFICIALS_TRAINED
    assert indicators[-1] == KNOWLEDGE_GAIN
    assert [(i["measure"], i["category"]) for i in indicators[1:-1]] == [
        ("female", None), ("trainings", None), ("agencies_trained", None), ("deliveries", None),
        ("recipients", None), ("items", "it-equipment"), ("countries", None),
    ]  # fmt: skip
    assert [s["url"] is None for s in document["sources"]] == [True, False]
    assert {a["country"] for a in document["agencies"]} == {"KZ", "KG"}
    trainings = {t["id"]: t for t in document["trainings"]}
    assert len(trainings) == 5
    assert all(t["project"] == "example-project" for t in trainings.values())
    stated = [
        (t["participants"], t["approximate"], t["female"], t["male"]) for t in trainings.values()
    ]
    assert (20, False, 8, 12) in stated  # female and male stated
    assert (15, False, None, None) in stated  # a total only
    assert (30, True, None, None) in stated  # "over 30"
    assert (None, False, None, None) in stated  # nothing said of participants
    assert max(len(t["agencies"]) for t in trainings.values()) == 3
    items = [i for d in document["deliveries"] for i in d["items"]]
    assert len(document["deliveries"]) == 4
    assert {i["category"] for i in items} == {"it-equipment", "comparison-microscope"}
    assert {i["currency"] for i in items} == {"USD", "EUR", None}
    assert any(i["quantity"] is None and i["category"] == "it-equipment" for i in items)


def test_example_file_loads_beside_the_seed(loaded: Run) -> None:
    result = loaded("load", str(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    assert "new agenc" not in result.stderr  # every agency it names is its own
    projects = {p["id"]: p for p in exported(loaded)["projects"]}
    assert set(projects) == {"tac-nexus", "example-project"}
    assert projects["tac-nexus"]["indicators"] == []  # the seed's project gained nothing


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_loads_back_byte_for_byte(nexus: Run, tmp_path: Path, fmt: str) -> None:
    loads(nexus, EXAMPLE)
    first = nexus("export", "--format", fmt)
    assert first.exit_code == 0, first.stderr
    path = write(tmp_path, f"export.{fmt}", first.stdout)
    again = str(tmp_path / "again.db")
    loads(nexus, path, "--db", again)
    second = nexus("--db", again, "export", "--format", fmt)
    assert second.stdout == first.stdout
    # Loaded over what it was exported from: nothing changed.
    reloaded = loads(nexus, path)
    assert "│ projects   │     0 │       0 │         1 │" in reloaded


def test_numbers_keep_their_type(nexus: Run, tmp_path: Path) -> None:
    text = BASE.replace("target: 200", "target: 200\n        baseline: 12.5").replace(
        "{FY2024-25: 80}", "{FY2024-25: 80.0}"
    )
    loads(nexus, write(tmp_path, "numbers.yaml", text))
    yaml_text = nexus("export").stdout
    assert re.search(r"^ +target: 200$", yaml_text, re.MULTILINE)  # 200, never 200.0
    assert re.search(r"^ +baseline: 12.5$", yaml_text, re.MULTILINE)
    assert re.search(r"^ +FY2024-25: 80.0$", yaml_text, re.MULTILINE)  # a float stays one
    assert re.search(r"^ +2025-Q1: 72$", yaml_text, re.MULTILINE)
    indicator = exported(nexus)["projects"][0]["indicators"][0]
    assert type(indicator["target"]) is int
    assert type(indicator["baseline"]) is float
    assert '"target": 200,' in nexus("export", "--format", "json").stdout


def test_years_and_quarters_are_stored_as_periods_label_them(nexus: Run, tmp_path: Path) -> None:
    text = BASE.replace("{FY2024-25: 80}", "{fy2024-25: 80, 2026: 50}").replace(
        "{2025-Q1: 72}", "{2025q1: 72, 2025-q2: 74}"
    )
    loads(nexus, write(tmp_path, "labels.yaml", text))
    first, second = exported(nexus)["projects"][0]["indicators"]
    assert first["targets"] == {"FY2024-25": 80, "2026": 50}  # a year written bare is read
    assert second["reported"] == {"2025-Q1": 72, "2025-Q2": 74}


def test_csv_export_writes_the_indicators_as_json(nexus: Run, tmp_path: Path) -> None:
    loads(nexus, EXAMPLE)
    result = nexus("export", "--format", "csv", "-o", str(tmp_path / "tables"))
    assert result.exit_code == 0, result.stderr
    with (tmp_path / "tables" / "projects.csv").open(encoding="utf-8-sig", newline="") as table:
        (row,) = list(csv.DictReader(table))
    assert (row["start"], row["end"]) == ("2024-10-01", "")
    assert json.loads(row["indicators"]) == exported(nexus)["projects"][0]["indicators"]


def test_show_gives_the_period_and_the_indicators(nexus: Run) -> None:
    loads(nexus, EXAMPLE)
    shown = nexus("show", "example-project")
    assert shown.exit_code == 0, shown.stderr
    text = " ".join(re.sub(r"[│┃]", " ", shown.stdout).split())
    assert "start 2024-10-01" in text
    assert "id: officials-trained" in text
    assert "measure: participants" in text
    assert "category: it-equipment" in text
    assert "reported: 2024-Q4: 68; 2025-Q1: 72.5" in text
    as_json = json.loads(nexus("show", "example-project", "--format", "json").stdout)
    assert (as_json["start"], as_json["end"]) == ("2024-10-01", None)
    assert as_json["indicators"] == exported(nexus)["projects"][0]["indicators"]


def test_stored_indicators_read_back_as_input_models(nexus: Run, store: Store) -> None:
    loads(nexus, EXAMPLE)
    (stored,) = store.rows("SELECT indicators FROM project")
    value = stored[0] if isinstance(stored[0], list) else json.loads(stored[0])
    indicators = indicators_of(value)
    assert all(isinstance(i, IndicatorIn) for i in indicators)
    assert indicators[0].measure is Measure.PARTICIPANTS
    assert indicators[0].model_dump(mode="json") == OFFICIALS_TRAINED
    assert indicators[-1].measure is None
    assert indicators[-1].reported == {"2024-Q4": 68, "2025-Q1": 72.5}
    assert indicators_of(None) == []


def test_the_readme_record_example_checks(nexus: Run, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The record format") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    result = nexus("check", str(write(tmp_path, "readme.yaml", block.group(1))))
    assert result.exit_code == 0, result.stderr
    assert "indicators:" in block.group(1)


# --- every rule refuses a file with its line and field ------------------------------------

# Lines: 5 start, 6 end, 8 the first indicator (10 target, 11 targets, 12 measure,
# 13 disaggregate), 14 the second (17 reported).
BASE = """\
version: 2
projects:
  - id: demo
    title: Demo project
    start: 2024-10-01
    end: 2025-09-30
    indicators:
      - id: trained
        title: Officials trained
        target: 200
        targets: {FY2024-25: 80}
        measure: participants
        disaggregate: [sex]
      - id: share
        title: Share of trainees reporting improved knowledge
        unit: percent
        reported: {2025-Q1: 72}
"""
REPORTED = "        reported: {2025-Q1: 72}\n"


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        ("end: 2025-09-30", "end: 2024-09-30",
         [":6:", "field 'end'", "end 2024-09-30 is before start 2024-10-01"]),
        ("start: 2024-10-01", "start: 2024-10",
         [":5:", "field 'start'", "expected a date YYYY-MM-DD"]),
        (REPORTED, REPORTED + "        measure: trainings\n",
         [":14:", "field 'indicators[1]'", "give either measure or reported, not both"]),
        (REPORTED, "",
         [":14:", "field 'indicators[1]'", "give either measure or reported"]),
        ("- id: share", "- id: trained",
         [":14:", "field 'indicators[1].id'",
          "indicator id 'trained' is used twice (first at indicators[0])"]),
        ("target: 200", "targte: 200",
         [":10:", "field 'indicators[0].targte'", "unknown field; did you mean 'target'?"]),
        ("        disaggregate: [sex]\n", "        colour: blue\n",
         [":13:", "field 'indicators[0].colour'", "allowed: id, title, unit, baseline"]),
        ("measure: participants\n        disaggregate: [sex]", "measure: items",
         [":8:", "field 'indicators[0].category'", "add category (one of: it-equipment,"]),
        ("measure: participants", "measure: participants\n        category: it-equipment",
         [":13:", "field 'indicators[0].category'", "a category goes with measure: items only"]),
        ("measure: participants", "measure: items\n        category: laptops",
         [":13:", "field 'indicators[0].category'", "unknown category 'laptops'"]),
        ("measure: participants", "measure: female",
         [":13:", "field 'indicators[0].disaggregate'",
          "sex splits measure participants or person_days only, not female"]),
        ("disaggregate: [sex]", "disaggregate: [country, region]",
         [":13:", "field 'indicators[0].disaggregate[1]'", "'sex' or 'country'"]),
        ("disaggregate: [sex]", "disaggregate: [sex, sex]",
         [":13:", "field 'indicators[0].disaggregate'", "names 'sex' twice"]),
        (REPORTED, "        disaggregate: [country]\n" + REPORTED,
         [":17:", "field 'indicators[1].disaggregate'",
          "only an indicator with a measure is disaggregated"]),
        ("measure: participants", "measure: people",
         [":12:", "field 'indicators[0].measure'", "unknown measure 'people'; one of: trainings,"]),
        ("{2025-Q1: 72}", "{2025-Q5: 72}",
         [":17:", "field 'indicators[1].reported.2025-Q5'", "'2025-Q5' is not a quarter"]),
        ("{2025-Q1: 72}", "{2025-Q1: 72, 2025q1: 70}",
         [":17:", "field 'indicators[1].reported'", "names 2025-Q1 twice (as '2025-Q1' and '2025q1')"]),
        ("{2025-Q1: 72}", "{2025-Q1: -3}",
         [":17:", "field 'indicators[1].reported.2025-Q1'", "must not be negative"]),
        ("{FY2024-25: 80}", "{FY2024-26: 80}",
         [":11:", "field 'indicators[0].targets.FY2024-26'",
          "the fiscal year starting in 2024 is FY2024-25"]),
        ("{FY2024-25: 80}", "{Y2025: 80}",
         [":11:", "field 'indicators[0].targets.Y2025'", "'Y2025' is not a year"]),
        ("{FY2024-25: 80}", "{2200: 80}",
         [":11:", "field 'indicators[0].targets.2200'", "year 2200 is outside 1990–2100"]),
        ("target: 200", "target: -5",
         [":10:", "field 'indicators[0].target'", "must not be negative"]),
        ("target: 200", "target: 2000000000",
         [":10:", "field 'indicators[0].target'", "must be at most 1,000,000,000"]),
        ("target: 200", 'target: "200"',
         [":10:", "field 'indicators[0].target'", "must be a number, got '200'"]),
        ("target: 200", "target: true",
         [":10:", "field 'indicators[0].target'", "must be a number, got True"]),
        ("target: 200", "target: .nan",
         [":10:", "field 'indicators[0].target'", "must be a finite number"]),
        ("- id: share", "- id: Share",
         [":14:", "field 'indicators[1].id'", "is not a valid id"]),
    ],
)  # fmt: skip
def test_each_rule_names_line_and_field(
    loaded: Run, store: Store, tmp_path: Path, old: str, new: str, fragments: list[str]
) -> None:
    stderr = refused_change(loaded, store, tmp_path, BASE, old, new, fragments)
    assert "[key]" not in stderr


def test_the_base_file_loads(loaded: Run, tmp_path: Path) -> None:
    """The file the rules above break is a good one."""
    loads(loaded, write(tmp_path, "good.yaml", BASE))


def test_json_errors_name_the_line_of_the_nested_field(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    """Every problem at once: a bad quarter, and an id used twice, each at its own line."""
    project = {
        "id": "demo",
        "title": "Demo project",
        "indicators": [
            {"id": "trained", "title": "Officials trained", "measure": "participants"},
            {"id": "share", "title": "Share", "reported": {"2025-Q1": 72, "2025-Q9": 3}},
            {"id": "trained", "title": "Officials trained again", "measure": "female"},
        ],
    }
    text = json.dumps({"version": 2, "projects": [project]}, indent=2)
    lines = text.splitlines()
    quarter = next(n for n, line in enumerate(lines, 1) if '"2025-Q9"' in line)
    again = next(n for n, line in enumerate(lines, 1) if '"id": "trained"' in line and n > quarter)
    refused(
        loaded, store, write(tmp_path, "bad.json", text),
        f"bad.json:{quarter}: project 'demo', field 'indicators[1].reported.2025-Q9': "
        "'2025-Q9' is not a quarter",
        f"bad.json:{again}: project 'demo', field 'indicators[2].id': indicator id 'trained' "
        "is used twice",
    )  # fmt: skip


# --- schema 0004 -----------------------------------------------------------------------------


def test_a_0003_store_upgrades_and_keeps_its_projects(nexus: Run, store: Store) -> None:
    store_of_release(store, "0002")
    migrate(store, "upgrade", "0003")
    before = store.rows("SELECT id, title, implementers, donors, created_at FROM project")
    assert nexus("db", "current").stdout == f"0003 (needs `nexus db upgrade` to {db.HEAD})\n"
    upgraded = nexus("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert f"from 0003 to {db.HEAD}" in upgraded.stderr
    check_sqlite(store)
    assert store.rows("SELECT id, title, implementers, donors, created_at FROM project") == before
    assert exported(nexus) == V2_EXPORT  # with start and end null, indicators []
    assert store.rows("SELECT DISTINCT fingerprint FROM project") == [("",)]
    # The upgraded store takes a project with a period and indicators, and keeps them.
    loads(nexus, EXAMPLE)
    example = {p["id"]: p for p in exported(nexus)["projects"]}["example-project"]
    assert example["indicators"][0] == OFFICIALS_TRAINED
    # The check the input model makes holds for writes that bypass it.
    engine = db.make_engine(db.locate(store.target), writer=True)
    try:
        pattern = r"ck_project_end_after_start|CHECK constraint failed"
        with pytest.raises(IntegrityError, match=pattern), engine.begin() as connection:
            connection.execute(
                sa.text("""UPDATE project SET "end" = '2020-01-01' WHERE id = 'example-project'""")
            )
    finally:
        engine.dispose()


def test_downgrade_to_0003_drops_the_period_and_indicators(nexus: Run, store: Store) -> None:
    migrate(store, "upgrade", "head")
    loads(nexus, EXAMPLE)
    migrate(store, "downgrade", "0003")
    check_sqlite(store)
    assert store.rows("SELECT id, title FROM project") == [
        ("example-project", "Example project against illicit arms trafficking in Central Asia")
    ]
    columns = {c["name"] for c in sa.inspect(sa.create_engine(store.url())).get_columns("project")}
    assert not columns & {"start", "end", "indicators"}
    migrate(store, "upgrade", "head")
    assert exported(nexus)["projects"][0]["indicators"] == []
