"""Agencies and sources as entities (agencies.py): references resolved within a country,
names in several languages found by one search, merges, and the two listings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .conftest import Run, Store, write

# The Turkmen ministry under its English name, its Russian name and an alias; a training
# and a delivery naming it three ways; and a Kazakh agency whose alias is another's name.
LINKED = """\
version: 2
sources:
  - id: handover-note
    title: Handover note
    publisher: UNODC
    date: 2025-04
    url: https://www.unodc.org/example
agencies:
  - id: tm-mvd
    country: TM
    name: Ministry of Internal Affairs
    names: {ru: Министерство внутренних дел Туркменистана}
    aliases: [MVD]
  - id: kz-knb
    country: KZ
    name: National Security Committee
    aliases: [KNB]
  - id: kz-border
    country: KZ
    name: Border Service
    aliases: [knb]
trainings:
  - id: tm-course
    title: Course
    country: TM
    start: 2025-03-01
    end: 2025-03-02
    agencies: [mvd]
    sources: [handover-note]
deliveries:
  - id: tm-laptops
    date: 2025-04-03
    country: TM
    agency: Министерство внутренних дел Туркменистана
    items:
      - {name: Laptop, category: it-equipment, quantity: 4, value: 5200, currency: USD}
      - {name: Digital forensic comparison microscope, category: comparison-microscope, quantity: 1}
    sources: [handover-note]
"""


def exported(run: Run) -> dict[str, Any]:
    result = run("export", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _ids(run: Run, *args: str) -> list[str]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


def test_references_in_any_language_resolve_to_one_agency(nexus: Run, tmp_path: Path) -> None:
    loaded = nexus("load", str(write(tmp_path, "linked.yaml", LINKED)))
    assert loaded.exit_code == 0, loaded.stderr
    document = exported(nexus)
    assert [t["agencies"] for t in document["trainings"]] == [["tm-mvd"]]
    assert [d["agency"] for d in document["deliveries"]] == ["tm-mvd"]
    assert [a["id"] for a in document["agencies"]] == ["kz-border", "kz-knb", "tm-mvd"]
    # An English query finds what was recorded in Russian, and the other way round.
    assert _ids(nexus, "handovers", "--agency", "internal affairs") == ["tm-laptops"]
    assert _ids(nexus, "trainings", "--agency", "ВНУТРЕННИХ ДЕЛ") == ["tm-course"]
    assert _ids(nexus, "agencies", "--agency", "министерство") == ["tm-mvd"]


def test_an_ambiguous_reference_names_both_agencies(
    nexus: Run, store: Store, tmp_path: Path
) -> None:
    nexus("load", str(write(tmp_path, "linked.yaml", LINKED)))
    before = store.snapshot()
    ambiguous = LINKED.replace(
        "  - id: tm-course\n    title: Course\n    country: TM",
        "  - id: kz-course\n    title: Course\n    country: KZ",
    ).replace("agencies: [mvd]", "agencies: [KNB]")
    result = nexus("load", str(write(tmp_path, "ambiguous.yaml", ambiguous)))
    assert result.exit_code == 1
    assert "field 'agencies[0]'" in result.stderr
    assert "'KNB' is a name of 2 agencies of Kazakhstan" in result.stderr
    assert "'kz-knb' (National Security Committee)" in result.stderr
    assert "'kz-border' (Border Service)" in result.stderr
    assert "Nothing was written." in result.stderr
    assert store.snapshot() == before


def test_another_countrys_agency_is_refused(nexus: Run, tmp_path: Path) -> None:
    wrong = LINKED.replace("agencies: [mvd]", "agencies: [kz-knb]")
    result = nexus("load", str(write(tmp_path, "wrong.yaml", wrong)))
    assert result.exit_code == 1
    assert "agency 'kz-knb' is an agency of Kazakhstan, not of Turkmenistan" in result.stderr


def test_a_new_name_makes_an_agency_and_the_load_counts_it(nexus: Run, tmp_path: Path) -> None:
    nexus("load", str(write(tmp_path, "linked.yaml", LINKED)))
    added = nexus("add-delivery", "--no-input", "--date", "2025-05-05", "--country", "TJ",
                  "--agency", "Министерство внутренних дел", "--item", "Printer")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert "1 new agency made" in added.stderr
    assert "tj-ministerstvo-vnutrennikh-del" in added.stderr
    shown = nexus("show", "tj-ministerstvo-vnutrennikh-del", "--format", "json")
    assert json.loads(shown.stdout)["name"] == "Министерство внутренних дел"
    assert json.loads(shown.stdout)["deliveries"] == 1


def test_merge_moves_every_reference_and_equals_loading_the_merged_file(
    nexus: Run, tmp_path: Path, monkeypatch: Any
) -> None:
    nexus("load", str(write(tmp_path, "linked.yaml", LINKED)))
    # The same ministry recorded again under a name the record did not link.
    nexus("add-training", "--no-input", "--title", "Second course", "--country", "TM",
          "--start", "2025-06-01", "--end", "2025-06-02", "--agency", "МВД Туркменистана",
          "--agency", "tm-mvd")  # fmt: skip
    nexus("add-delivery", "--no-input", "--date", "2025-06-03", "--country", "TM",
          "--agency", "мвд туркменистана", "--item", "Printer")  # fmt: skip
    other = "tm-mvd-turkmenistana"
    listed = {
        row["id"]: row for row in json.loads(nexus("agencies", "-c", "TM", "-f", "json").stdout)
    }
    assert (listed[other]["trainings"], listed[other]["deliveries"]) == (1, 1)

    refused = nexus("agencies", "merge", "tm-mvd", other)  # not a terminal: asks for --yes
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr

    merged = nexus("agencies", "merge", "tm-mvd", other, "--yes")
    assert merged.exit_code == 0, merged.stderr
    assert f"merged agency {other} into tm-mvd" in merged.stderr
    assert "tm-mvd before" in merged.stdout
    assert "tm-mvd after" in merged.stdout
    after = exported(nexus)
    assert other not in {a["id"] for a in after["agencies"]}
    ministry = next(a for a in after["agencies"] if a["id"] == "tm-mvd")
    assert ministry["aliases"] == ["MVD", "МВД Туркменистана"]
    assert [t["agencies"] for t in after["trainings"]] == [["tm-mvd"], ["tm-mvd"]]
    assert {d["agency"] for d in after["deliveries"]} == {"tm-mvd"}
    counts = json.loads(nexus("show", "tm-mvd", "-f", "json").stdout)
    assert (counts["trainings"], counts["deliveries"]) == (2, 2)
    turkmen = _ids(nexus, "handovers", "--country", "TM")
    assert len(turkmen) == 2
    assert _ids(nexus, "handovers", "--agency", "мвд туркменистана") == turkmen

    # The merged store equals a new store loaded from its export; loading that export
    # into the merged store changes nothing.
    path = tmp_path / "merged.json"
    path.write_text(json.dumps(after), encoding="utf-8")
    again = nexus("load", str(path))
    assert again.exit_code == 0, again.stderr
    counted = re.findall(r"│ (\w+) +│ +(\d+) │ +(\d+) │ +(\d+) │", again.stdout)
    assert [(kind, added, updated) for kind, added, updated, _ in counted] == [
        (kind, "0", "0") for kind in ("sources", "agencies", "projects", "trainings", "deliveries")
    ]
    monkeypatch.setenv("NEXUS_DB", str(tmp_path / "fresh.db"))
    assert nexus("load", str(path)).exit_code == 0
    assert exported(nexus) == after


def test_merge_refusals(nexus: Run, store: Store, tmp_path: Path) -> None:
    nexus("load", str(write(tmp_path, "linked.yaml", LINKED)))
    before = store.snapshot()
    other_country = nexus("agencies", "merge", "tm-mvd", "kz-knb", "--yes")
    assert other_country.exit_code == 2
    assert "only agencies of one country can be merged" in other_country.stderr
    unknown = nexus("agencies", "merge", "tm-mvd", "nope", "--yes")
    assert unknown.exit_code != 0
    assert "no agency has the id 'nope'" in unknown.stderr
    same = nexus("agencies", "merge", "tm-mvd", "tm-mvd", "--yes")
    assert same.exit_code == 2
    assert "nothing to merge" in same.stderr
    assert store.snapshot() == before


def test_sources_list_what_cites_them(nexus: Run, tmp_path: Path) -> None:
    nexus("load", str(write(tmp_path, "linked.yaml", LINKED)))
    rows = json.loads(nexus("sources", "--format", "json").stdout)
    assert rows == [
        {"id": "handover-note", "title": "Handover note", "publisher": "UNODC", "kind": None,
         "date": "2025-04", "url": "https://www.unodc.org/example", "language": None,
         "cited_by": ["tm-course", "tm-laptops"]}
    ]  # fmt: skip
    table = nexus("sources").stdout
    assert "Handover note. UNODC, 2025-04. https://www.unodc.org/example" in " ".join(table.split())
    shown = json.loads(nexus("show", "handover-note", "-f", "json").stdout)
    assert shown["cited_by"] == ["tm-course", "tm-laptops"]


def test_an_unknown_source_is_refused(nexus: Run, store: Store, tmp_path: Path) -> None:
    result = nexus("load", str(write(tmp_path, "bad.yaml", LINKED.replace(
        "    sources: [handover-note]\n", "    sources: [nowhere]\n", 1))))  # fmt: skip
    assert result.exit_code == 1
    assert "field 'sources': unknown source 'nowhere'" in result.stderr


def test_agencies_listing_of_the_seed(loaded: Run) -> None:
    rows = json.loads(loaded("agencies", "--country", "KZ", "--format", "json").stdout)
    ministry = next(row for row in rows if row["id"] == "kz-mvd")
    assert (ministry["trainings"], ministry["deliveries"]) == (1, 1)
    assert {row["country"] for row in rows} == {"KZ"}
    assert len(json.loads(loaded("agencies", "-f", "json").stdout)) == 13


def test_a_version_1_source_text_reuses_the_stored_source_of_that_title(
    loaded: Run, tmp_path: Path
) -> None:
    title = (
        "UNODC jointly with UNOCT builds the capacity of law enforcement, customs, and border "
        "control officers in Kyrgyz Republic and in the Republic of Kazakhstan"
    )
    old = f"""\
version: 1
trainings:
  - id: kg-2023-follow-up
    project: tac-nexus
    title: Follow-up
    country: KG
    start: 2023-03-01
    end: 2023-03-02
    source: "{title}"
"""
    result = loaded("load", str(write(tmp_path, "old.yaml", old)))
    assert result.exit_code == 0, result.stderr
    rows = json.loads(loaded("sources", "--format", "json").stdout)
    assert [row["id"] for row in rows if row["title"] == title] == ["unodc-2022-kg-kz-trainings"]
    shown = json.loads(loaded("show", "kg-2023-follow-up", "--format", "json").stdout)
    assert shown["sources"] == ["unodc-2022-kg-kz-trainings"]


def test_an_item_value_without_currency_is_refused(loaded: Run) -> None:
    result = loaded("add-delivery", "--no-input", "--date", "2025-05-05", "--country", "TJ",
                    "--agency", "tj-mvd", "--item", "Laptop / it-equipment / 5200")  # fmt: skip
    assert result.exit_code != 0
    assert "--item 1" in result.stderr
    assert "the value 5200 needs its currency, e.g. 5200 USD" in result.stderr


def test_an_agency_or_source_in_use_is_not_removed(loaded: Run, store: Store) -> None:
    before = store.snapshot()
    agency = loaded("remove", "kz-knb", "--yes")
    assert agency.exit_code == 1
    assert "agency 'kz-knb' is still named by 1 record(s): kz-2022-10-firearms-trafficking" in (
        agency.stderr
    )
    assert "nexus agencies merge" in agency.stderr
    source = loaded("remove", "unodc-2022-kg-kz-trainings", "--yes")
    assert source.exit_code == 1
    assert "is still named by 2 record(s): kg-2022-10-firearms-trafficking" in source.stderr
    assert store.snapshot() == before
    # One no record names goes.
    made = loaded("add-training", "--no-input", "--title", "T", "--country", "KZ",
                  "--start", "2025-01-01", "--end", "2025-01-01", "--agency", "Akimat")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert loaded("remove", made.stdout.strip(), "--yes").exit_code == 0
    removed = loaded("remove", "kz-akimat", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert "removed agency kz-akimat" in removed.stderr
