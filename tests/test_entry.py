"""Recording from the command line: add-training, add-delivery, edit, remove.

Flags through Typer's CliRunner (standard input is not a terminal there); prompts through
a real pseudo-terminal (pexpect); two writers at once as two real processes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pexpect
import pytest

from .conftest import NEXUS_SCRIPT, Run, Store, run_process, snapshot

TRAINING = [
    "add-training", "--title", "Countering firearms trafficking", "--country", "Kyrgyzstan",
    "--start", "2025-05-12", "--end", "2025-05-14", "--participants", "18",
    "--female", "7", "--male", "11", "--agency", "МВД", "--agency", "Supreme Court",
    "--audience", "investigators", "--topic", "tracing", "--organiser", "UNODC",
    "--source", "unodc-2022-kg-kz-trainings", "--notes", "Held in Bishkek",
]  # fmt: skip


def record(run: Run, record_id: str) -> dict[str, Any]:
    result = run("show", record_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_add_training_from_flags(loaded: Run) -> None:
    result = loaded(*TRAINING)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "kg-2025-05-12-countering-firearms-trafficking\n"  # the id, for scripts
    assert "added training kg-2025-05-12-countering-firearms-trafficking" in result.stderr
    stored = record(loaded, "kg-2025-05-12-countering-firearms-trafficking")
    assert stored["country"] == "KG"
    assert stored["project"] == "tac-nexus"  # the store's only project
    assert (stored["participants"], stored["female"], stored["male"]) == (18, 7, 11)
    assert stored["agencies"] == ["МВД", "Supreme Court"]  # shown by name
    assert (stored["audience"], stored["topics"], stored["organisers"]) == (
        ["investigators"], ["tracing"], ["UNODC"],
    )  # fmt: skip
    assert stored["sources"] == ["unodc-2022-kg-kz-trainings"]
    assert stored["created_at"] == stored["updated_at"]
    # "Supreme Court" is the seed's Kyrgyz agency; "МВД" is no name of one: a new agency
    # of the country, its id transliterated, and the user is told.
    assert "1 new agency made for names no agency of the country had: kg-mvd-2" in result.stderr
    exported = json.loads(loaded("export", "--format", "json").stdout)
    training = next(t for t in exported["trainings"] if t["id"] == result.stdout.strip())
    assert training["agencies"] == ["kg-mvd-2", "kg-supreme-court"]
    made = next(a for a in exported["agencies"] if a["id"] == "kg-mvd-2")
    assert made == {"id": "kg-mvd-2", "country": "KG", "name": "МВД", "names": {}, "aliases": []}


def test_generated_ids_are_unique(loaded: Run) -> None:
    first = loaded(*TRAINING).stdout.strip()
    again = loaded(*TRAINING)  # the same training twice: said, not made -2 without a word
    assert again.exit_code == 1
    assert f"a training like this one is recorded already: {first}:" in again.stderr
    second = loaded(*TRAINING, "--allow-duplicate").stdout.strip()
    assert second == first + "-2"


def test_add_delivery_with_items_and_officials(loaded: Run) -> None:
    result = loaded(
        "add-delivery", "--date", "2025-06-01", "--country", "TJK", "--agency", "МВД",
        "--unit", "Expert-Forensic Department", "--item", "Laptop:5", "--item", "Printer",
        "--item", "Microscope: digital:", "--official", "Gurez Dastagul:Police Colonel",
        "--official", "A. Person", "--purpose", "ballistics",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    stored = record(loaded, result.stdout.strip())
    assert result.stdout.strip() == "tj-2025-06-01-laptop"
    assert [(i["name"], i["quantity"]) for i in stored["items"]] == [
        ("Laptop", 5), ("Printer", None), ("Microscope: digital", None),
    ]  # fmt: skip
    assert stored["officials"] == [
        {"name": "Gurez Dastagul", "title": "Police Colonel"},
        {"name": "A. Person", "title": None},
    ]


def test_add_delivery_items_with_category_and_value(loaded: Run) -> None:
    result = loaded(
        "add-delivery", "--date", "2025-06-01", "--country", "KZ", "--agency", "kz-mvd",
        "--item", "Laptop:4 / it-equipment / 5200 USD",
        "--item", "Scope / USD 1,250.50 / comparison-microscope",
        "--item", "Cables / adapters", "--source", "unodc-2024-2025-ca-equipment-handovers",
        "--no-input",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "new agency" not in result.stderr
    exported = json.loads(loaded("export", "--format", "json").stdout)
    added = next(d for d in exported["deliveries"] if d["id"] == result.stdout.strip())
    assert added["agency"] == "kz-mvd"
    assert added["sources"] == ["unodc-2024-2025-ca-equipment-handovers"]
    assert added["items"] == [
        {"name": "Laptop", "category": "it-equipment", "quantity": 4, "value": 5200,
         "currency": "USD"},
        {"name": "Scope", "category": "comparison-microscope", "quantity": None,
         "value": 1250.5, "currency": "USD"},
        # A last part that is no category and no value stays part of the name.
        {"name": "Cables / adapters", "category": "other", "quantity": None, "value": None,
         "currency": None},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("Laptop / it-equipment / 5200 XYZ",
         "--item 1: 'XYZ' is not an ISO 4217 currency code such as USD, EUR or KZT"),
        ("Laptop:4 / it-equipmnt",
         "--item 1: 'Laptop:4 / it-equipmnt': unknown category 'it-equipmnt'; "
         "did you mean 'it-equipment'?"),
    ],
)  # fmt: skip
def test_a_bad_item_category_or_currency_is_refused(
    loaded: Run, store: Store, item: str, message: str
) -> None:
    before = store.snapshot()
    result = loaded("add-delivery", "--no-input", "--date", "2025-01-01", "-c", "KG",
                    "-a", "kg-mvd", "--item", item)  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert store.snapshot() == before


def test_an_unknown_source_is_refused_when_adding_a_delivery(loaded: Run, store: Store) -> None:
    before = store.snapshot()
    result = loaded("add-delivery", "--no-input", "--date", "2025-01-01", "-c", "KG",
                    "-a", "kg-mvd", "--item", "Laptop", "--source", "nope")  # fmt: skip
    assert result.exit_code == 1
    assert "field 'sources': unknown source 'nope'" in result.stderr
    assert "Nothing was written." in result.stderr
    assert store.snapshot() == before


def test_missing_fields_without_input_are_listed_at_once(loaded: Run, store: Store) -> None:
    before = store.snapshot()
    result = loaded("add-training", "--title", "X", "--no-input")
    assert result.exit_code == 2
    assert "missing --country, --start, --end" in result.stderr
    assert store.snapshot() == before
    delivery = loaded("add-delivery", "--country", "KZ")
    assert delivery.exit_code == 2
    assert "missing --date, --agency, --item" in delivery.stderr


def test_no_terminal_never_hangs(tmp_path: Path) -> None:
    # Standard input is a pipe that stays open: a prompt would wait forever.
    env = {**os.environ, "NEXUS_DB": str(tmp_path / "s.db")}
    process = subprocess.Popen(
        [str(NEXUS_SCRIPT), "add-training", "--title", "X"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "missing --country, --start, --end" in stderr


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--start", "2025-02-30"], "--start: impossible date 2025-02-30"),
        (["--end", "2025-05-01"], "--end: end 2025-05-01 is before start 2025-05-12"),
        (["--female", "20"], "--female: female (20) exceeds participants (18)"),
        (["--male", "12"], "--male: female + male (7 + 12 = 19) exceeds participants (18)"),
        (
            ["--country", "Tajikstan"],
            "--country: unknown country 'Tajikstan'; did you mean 'Tajikistan' (TJ)?",
        ),
        (["--participants", "-1"], "--participants: must not be negative"),
        (["--id", "Bad Id"], "--id: 'Bad Id' is not a valid id"),
        (["--project", "nowhere"], "unknown project 'nowhere'"),
        (["--source", "Mission report"], "--source 2: 'Mission report' is not a valid id"),
        (["--source", "mission-report"], "field 'sources': unknown source 'mission-report'"),
    ],
)
def test_bad_values_name_the_option(
    loaded: Run, store: Store, options: list[str], fragment: str
) -> None:
    before = store.snapshot()
    result = loaded(*TRAINING, *options)
    assert result.exit_code == 1, result.stdout
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert store.snapshot() == before


def test_same_rules_as_record_files(loaded: Run, tmp_path: Path) -> None:
    """A value `nexus load` refuses is refused here too, with the same words."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\ntrainings:\n  - {id: x, title: T, country: KG, start: 2025-05-12, end: 2025-05-14,"
        " participants: 18, female: 20}\n"
    )
    from_file = loaded("load", str(bad)).stderr
    from_flags = loaded(*TRAINING[:-4], "--female", "20", "--male", "0").stderr
    assert "female (20) exceeds participants (18)" in from_file
    assert "female (20) exceeds participants (18)" in from_flags


def test_typer_refuses_a_count_that_is_not_a_number(loaded: Run) -> None:
    result = loaded(*TRAINING, "--participants", "many")
    assert result.exit_code == 2
    assert "--participants" in result.stderr


def test_duplicate_id(loaded: Run, store: Store) -> None:
    before = store.snapshot()
    result = loaded(*TRAINING, "--id", "kz-2022-10-firearms-trafficking")
    assert result.exit_code == 1
    assert (
        "--id: a training with the id 'kz-2022-10-firearms-trafficking' exists already"
        in result.stderr
    )
    assert store.snapshot() == before


def test_added_records_round_trip_through_export(loaded: Run, tmp_path: Path) -> None:
    loaded(*TRAINING)
    loaded(
        "add-delivery",
        "--date",
        "2025-06-01",
        "--country",
        "TJ",
        "--agency",
        "МВД",
        "--item",
        "Laptop:5",
    )
    loaded("edit", "tj-2025-06-01-laptop", "--official", "X Y:Major")
    exported = tmp_path / "all.yaml"
    assert loaded("export", "-o", str(exported)).exit_code == 0
    again = tmp_path / "again.db"
    load = loaded("--db", str(again), "load", str(exported))
    assert load.exit_code == 0, load.stderr
    assert loaded("--db", str(again), "export").stdout == exported.read_text(encoding="utf-8")
    reload = loaded("load", str(exported))  # back into the store it came from: nothing to do
    assert "│ trainings  │     0 │       0 │         3 │" in reload.stdout


# --- edit ----------------------------------------------------------------------------------


def test_edit_changes_only_the_given_fields(loaded: Run) -> None:
    other_before = record(loaded, "kg-2022-10-firearms-trafficking")
    before = record(loaded, "kz-2022-10-firearms-trafficking")
    result = loaded("edit", "kz-2022-10-firearms-trafficking", "--city", "Astana", "--female", "8")
    assert result.exit_code == 0, result.stderr
    assert "city" in result.stdout
    assert "Astana" in result.stdout
    after = record(loaded, "kz-2022-10-firearms-trafficking")
    assert (after["city"], after["female"]) == ("Astana", 8)
    unchanged = {k for k in before if k not in ("city", "female", "updated_at")}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]
    assert record(loaded, "kg-2022-10-firearms-trafficking") == other_before


def test_edit_list_option_replaces_the_list(loaded: Run) -> None:
    loaded("edit", "kz-2022-10-firearms-trafficking", "--agency", "Courts", "--agency", "МИД")
    assert record(loaded, "kz-2022-10-firearms-trafficking")["agencies"] == ["Courts", "МИД"]


def test_edit_empty_value_clears(loaded: Run) -> None:
    loaded("edit", "tm-2025-02-10-it-equipment", "--unit", "")
    assert record(loaded, "tm-2025-02-10-it-equipment")["unit"] is None


def test_edit_to_an_invalid_value_leaves_the_record(loaded: Run, store: Store) -> None:
    before = store.snapshot()
    result = loaded("edit", "kz-2022-10-firearms-trafficking", "--end", "2022-10-01")
    assert result.exit_code == 1
    assert "--end: end 2022-10-01 is before start 2022-10-31" in result.stderr
    assert store.snapshot() == before


def test_edit_checks_the_record_as_a_whole(loaded: Run) -> None:
    loaded("edit", "kz-2022-10-firearms-trafficking", "--female", "12", "--male", "8")
    result = loaded("edit", "kz-2022-10-firearms-trafficking", "--participants", "15")
    assert result.exit_code == 1
    assert "exceeds participants (15)" in result.stderr


def test_edit_refuses_a_field_of_the_other_kind(loaded: Run) -> None:
    result = loaded("edit", "tm-2025-02-10-it-equipment", "--participants", "3")
    assert result.exit_code == 2
    assert "--participants: not a field of a delivery" in result.stderr


def test_edit_unknown_id_and_nothing_to_change(loaded: Run) -> None:
    missing = loaded("edit", "nope", "--city", "X")
    assert missing.exit_code == 1
    assert "no training, delivery or project has the id 'nope'" in missing.stderr
    nothing = loaded("edit", "kz-2022-10-firearms-trafficking")
    assert nothing.exit_code == 2
    assert "nothing to change" in nothing.stderr


# --- remove --------------------------------------------------------------------------------


def test_remove_needs_confirmation_without_a_terminal(loaded: Run, store: Store) -> None:
    before = store.snapshot()
    result = loaded("remove", "tm-2025-02-10-it-equipment")
    assert result.exit_code == 2
    assert "needs confirmation" in result.stderr
    assert "--yes" in result.stderr
    assert store.snapshot() == before


def test_remove_with_yes(loaded: Run, store: Store) -> None:
    result = loaded("remove", "tm-2025-02-10-it-equipment", "--yes")
    assert result.exit_code == 0
    assert "removed delivery tm-2025-02-10-it-equipment" in result.stderr
    assert loaded("show", "tm-2025-02-10-it-equipment").exit_code == 1
    left = store.rows(  # its items and officials went with it
        "SELECT (SELECT count(*) FROM delivery_item WHERE delivery_id LIKE 'tm-%'),"
        " (SELECT count(*) FROM official WHERE delivery_id LIKE 'tm-%')"
    )
    assert left == [(0, 0)]


def test_remove_a_project_in_use_is_refused(loaded: Run, store: Store) -> None:
    before = store.snapshot()
    result = loaded("remove", "tac-nexus", "--yes")
    assert result.exit_code == 1
    assert "project 'tac-nexus' is still named by 9 record(s): kg-2022-10-firearms" in result.stderr
    assert store.snapshot() == before


# --- a real terminal -------------------------------------------------------------------------


def spawn(db: Path, *args: str) -> pexpect.spawn[str]:
    env = {**os.environ, "NEXUS_DB": str(db), "COLUMNS": "120", "NO_COLOR": "1"}
    return pexpect.spawn(str(NEXUS_SCRIPT), list(args), env=env, encoding="utf-8", timeout=30)


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    db = tmp_path / "tty.db"
    assert (
        subprocess.run(
            [str(NEXUS_SCRIPT), "--db", str(db), "load"], capture_output=True, check=False
        ).returncode
        == 0
    )
    return db


def _shown(db: Path, record_id: str) -> dict[str, Any]:
    shown = subprocess.run(
        [str(NEXUS_SCRIPT), "--db", str(db), "show", record_id, "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(shown.stdout))


def test_prompts_with_every_optional_one_skipped(seeded: Path) -> None:
    child = spawn(seeded, "add-training", "--title", "Tracing course")
    child.expect("countries in the store: KG, KZ, TJ, TM, UZ")
    child.expect("Country: ")
    child.sendline("Tajikstan")  # a typo: asked again, with the closest match
    child.expect("did you mean 'Tajikistan'")
    child.expect("Country: ")
    child.sendline("Tajikistan")
    child.expect("Start: ")
    child.sendline("2025-02-30")
    child.expect("impossible date")
    child.expect("Start: ")
    child.sendline("01.09.2025")  # another form: offered, never taken
    child.expect("did you mean 2025-09-01")
    child.expect("Start: ")
    child.sendline("2025-09-01")
    child.expect("End: ")
    child.sendline("2025-09-03")
    # What the donor report uses: each asked, Enter leaves it not known.
    for question in ("Participants", "Women among them", "Men among them", "Agency 1",
                     "Audience", "Source ids"):  # fmt: skip
        child.expect(rf"{question}.*\(Enter: not known\): ")
        child.sendline("")
    child.expect("tj-2025-09-01-tracing-course")  # the record is shown before it is written
    child.expect(r"project\s+│ tac-nexus")  # the store's only project, shown as saved
    child.expect(r"participants\s+│ not known")
    child.expect(r"sources\s+│ not known")
    child.expect(r"Save this training\? \[Y/n\]: ")
    child.sendline("y")
    child.expect("added training tj-2025-09-01-tracing-course")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    stored = _shown(seeded, "tj-2025-09-01-tracing-course")
    assert (stored["country"], stored["start"], stored["end"], stored["project"]) == (
        "TJ", "2025-09-01", "2025-09-03", "tac-nexus",
    )  # fmt: skip
    assert (stored["participants"], stored["female"], stored["male"]) == (None, None, None)
    assert (stored["agencies"], stored["audience"], stored["sources"]) == ([], [], [])


def test_prompts_with_every_one_answered(seeded: Path) -> None:
    child = spawn(seeded, "add-training")
    child.expect("Title: ")
    child.sendline("Обучение по расследованию незаконного оборота оружия")
    child.expect("Country: ")
    child.sendline("KZ")
    child.expect("Start: ")
    child.sendline("2025-10-06")
    child.expect("End: ")
    child.sendline("2025-10-08")
    child.expect(r"Participants \(Enter: not known\): ")
    child.sendline("about twenty")
    child.expect("--participants: ")  # not a number: asked again
    child.expect(r"Participants \(Enter: not known\): ")
    child.sendline("20")
    child.expect(r'Is 20 a lower bound \("over 20"\)\? \[y/N\]: ')
    child.sendline("y")
    child.expect(r"Women among them \(Enter: not known\): ")
    child.sendline("8")
    child.expect(r"Men among them \(Enter: not known\): ")
    child.sendline("12")
    # The country's agencies are offered; Tab completes one by any part of its name.
    child.expect(r"agencies of the country in the store \(name or id\): .*kz-mvd")
    child.expect(r"Agency 1 \(Enter: not known\): ")
    child.send("kz-mv\t")
    child.sendline("")
    child.expect(r"Agency 2 \(Enter: no more\): ")
    child.sendline("Supreme Court of Kazakhstan")
    child.expect(r"Agency 3 \(Enter: no more\): ")
    child.sendline("")
    child.expect(r"Audience \(several: separate with ;\) \(Enter: not known\): ")
    child.sendline("investigators; prosecutors")
    child.expect("sources in the store: ")
    child.expect(r"Source ids \(several: separate with ;\) \(Enter: not known\): ")
    child.sendline("unodc-2022; unodc-2022-kg-kz-trainings")
    child.expect("--source: no source has the id 'unodc-2022'")  # asked again at once
    child.expect(r"Source ids \(several: separate with ;\) \(Enter: not known\): ")
    child.sendline("unodc-2022-kg-kz-trainings")
    child.expect(r"Save this training\? \[Y/n\]: ")
    child.sendline("")
    child.expect(r"added training (kz-2025-10-06-\S+)")
    assert isinstance(child.match, re.Match)
    record_id = child.match.group(1)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert record_id == "kz-2025-10-06-obuchenie-po-rassledovaniyu-nezakonnogo-oborota"
    stored = _shown(seeded, record_id)
    assert (stored["participants"], stored["approximate"], stored["female"], stored["male"]) == (
        20, True, 8, 12,
    )  # fmt: skip
    # kz-mvd, completed from "kz-mv"; and a name the store did not know, made an agency.
    assert stored["agencies"] == ["Ministry of Internal Affairs", "Supreme Court of Kazakhstan"]
    assert stored["audience"] == ["investigators", "prosecutors"]
    assert stored["sources"] == ["unodc-2022-kg-kz-trainings"]


def test_a_likely_duplicate_is_shown_and_needs_a_yes(seeded: Path) -> None:
    before = snapshot(seeded)
    again = ["add-training", "--title", "Countering firearms trafficking", "-c", "KG",
             "--start", "2022-10-25", "--end", "2022-10-27"]  # fmt: skip
    child = spawn(seeded, *again, "--participants", "16", "--exact", "--female", "1",
                  "--male", "15", "--agency", "kg-mvd", "--audience", "police",
                  "--source", "unodc-2022-kg-kz-trainings")  # fmt: skip
    child.expect("a training like this one is recorded already:")
    child.expect(r"kg-2022-10-firearms-trafficking: Countering International Firearms")
    child.expect(r"Save this training all the same\? \[y/N\]: ")
    child.sendline("")
    child.expect("nothing was saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert snapshot(seeded) == before
    refused = run_process("--db", str(seeded), *again, "--no-input")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "error: a training like this one is recorded already: kg-2022-10-firearms-trafficking"
    ), refused.stderr
    assert "--allow-duplicate" in refused.stderr
    assert snapshot(seeded) == before
    allowed = run_process("--db", str(seeded), *again, "--no-input", "--allow-duplicate")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.strip() == "kg-2022-10-25-countering-firearms-trafficking"


def test_a_delivery_on_the_same_day_to_the_same_agency_is_a_likely_duplicate(
    loaded: Run, store: Store
) -> None:
    before = store.snapshot()
    # The seed's handover to Kyrgyzstan's MVD on 2025-04-03, named by another of its names.
    result = loaded("add-delivery", "--no-input", "--date", "2025-04-03", "-c", "KG",
                    "-a", "Ministry of Internal Affairs of the Kyrgyz Republic",
                    "--item", "Microscope:1")  # fmt: skip
    assert result.exit_code == 1
    assert "kg-2025-04-03-comparison-microscopes: to Ministry of Internal Affairs" in (
        result.stderr
    )
    assert store.snapshot() == before
    other_day = loaded("add-delivery", "--no-input", "--date", "2025-04-04", "-c", "KG",
                       "-a", "kg-mvd", "--item", "Microscope:1")  # fmt: skip
    assert other_day.exit_code == 0, other_day.stderr


def test_delivery_prompt_offers_the_country_agencies(seeded: Path) -> None:
    child = spawn(
        seeded, "add-delivery", "--date", "2025-09-09", "--country", "UZ", "--item", "Laptop:2"
    )
    # Each agency of the country, by name and id: either may be typed.
    child.expect(r"agencies in the store \(name or id\): Ministry of Internal Affairs \(uz-mvd\)")
    child.expect("Agency: ")
    child.sendline("Ministry of Internal Affairs")
    child.expect(r"Source ids \(several: separate with ;\) \(Enter: not known\): ")
    child.sendline("")
    child.expect(r"Save this delivery\? \[Y/n\]: ")
    child.sendline("n")
    child.expect("nothing was saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    child = spawn(
        seeded, "add-delivery", "--date", "2025-09-09", "--country", "UZ", "--item", "Laptop:2"
    )
    child.expect("Agency: ")
    child.sendline("uz-mvd")
    child.expect(r"Source ids \(several: separate with ;\) \(Enter: not known\): ")
    child.sendline("")
    child.expect(r"Save this delivery\? \[Y/n\]: ")
    child.sendline("y")
    child.expect("added delivery uz-2025-09-09-laptop")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "new agency" not in (child.before or "")
    exported = subprocess.run(
        [str(NEXUS_SCRIPT), "--db", str(seeded), "export", "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    document = json.loads(exported.stdout)
    added = next(d for d in document["deliveries"] if d["id"] == "uz-2025-09-09-laptop")
    assert added["agency"] == "uz-mvd"  # the id typed: the country's agency, no new one
    assert [a["id"] for a in document["agencies"] if a["country"] == "UZ"] == ["uz-mvd"]


def test_remove_asks_on_a_terminal(seeded: Path) -> None:
    before = snapshot(seeded)
    child = spawn(seeded, "remove", "tm-2025-02-10-it-equipment")
    child.expect(r"Remove tm-2025-02-10-it-equipment\? \[y/N\]: ")
    child.sendline("")  # the default is no
    child.expect("nothing was removed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert snapshot(seeded) == before
    child = spawn(seeded, "remove", "tm-2025-02-10-it-equipment")
    child.expect(r"\[y/N\]: ")
    child.sendline("y")
    child.expect("removed delivery tm-2025-02-10-it-equipment")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


# --- two writers at once ---------------------------------------------------------------------


def test_two_processes_adding_at_once(store: Store) -> None:
    # A new store: both processes also race to create the schema.
    script = (
        'for i in $(seq 1 20); do "$NEXUS" add-training --id "w$W-$i" --title "Course $i" '
        "--country KZ --start 2025-03-01 --end 2025-03-02 --no-input --allow-duplicate > /dev/null "
        "|| exit 1; done"
    )
    env = {**os.environ, "NEXUS_DB": store.target, "NEXUS": str(NEXUS_SCRIPT)}
    writers = [
        subprocess.Popen(
            ["bash", "-c", script], env={**env, "W": str(w)}, stderr=subprocess.PIPE, text=True
        )
        for w in (1, 2)
    ]
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    assert errors == ["".join(f"added training w{w}-{i}\n" for i in range(1, 21)) for w in (1, 2)]
    ids = {row[0] for row in store.rows("SELECT id FROM training")}
    assert ids == {f"w{w}-{i}" for w in (1, 2) for i in range(1, 21)}
    if store.path is not None:
        assert store.rows("PRAGMA integrity_check") == [("ok",)]


def test_an_id_made_from_a_cyrillic_title_is_transliterated(loaded: Run) -> None:
    result = loaded("add-training", "--no-input", "--title", "Обучение по огнестрельному оружию",
                    "-c", "Кыргызстан", "--start", "2025-05-12", "--end", "2025-05-13")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "kg-2025-05-12-obuchenie-po-ognestrelnomu-oruzhiyu\n"


def test_a_made_id_stays_short_whatever_the_title(loaded: Run) -> None:
    result = loaded("add-training", "--title", "Counter" + "x" * 1500, "--country", "KZ",
                    "--start", "2025-01-01", "--end", "2025-01-02", "--no-input")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.strip()) <= 120


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--item", ""], "--item 1: must not be empty"),
        (["--item", "Laptop", "--official", ""], "--official 1: must not be empty"),
    ],
)
def test_an_empty_item_or_official_is_named_when_adding(
    loaded: Run, store: Store, option: list[str], message: str
) -> None:
    before = store.snapshot()
    result = loaded("add-delivery", "--no-input", "--date", "2025-01-01", "-c", "KG",
                    "-a", "MVD", *option)  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert store.snapshot() == before


@pytest.mark.parametrize(
    ("record_id", "options", "named"),
    [
        ("kg-2022-10-firearms-trafficking", ["--item", "X"], "--item"),
        ("kg-2022-10-firearms-trafficking", ["--official", "A:B"], "--official"),
        (
            "kz-2024-11-15-it-equipment",
            ["--topic", "X", "--organiser", "Y"],
            "--topic, --organiser",
        ),
    ],
)
def test_an_edit_names_the_option_of_a_field_the_record_lacks(
    loaded: Run, record_id: str, options: list[str], named: str
) -> None:
    result = loaded("edit", record_id, *options)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {named}: not a field of a"), result.stderr
