"""data/seed.yaml against the two source documents, through `nexus load` and `nexus export`.

The expected values below are read off the documents in tests/sources/ (quoted in the
comments); the last tests check that every name the seed quotes (agencies and their
aliases, units, officials, items, source titles) does occur in them, and that no value
points at a file of this repository instead of citing a document.

Record format 2: records cite their sources and agencies by id; a training's agencies are
checked by resolving the ids through the seed's ``agencies:`` to their names.
"""

from __future__ import annotations

import calendar
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import SEED, Run

SOURCES = Path(__file__).parent / "sources"
TRAININGS_DOC = (SOURCES / "000_2dad51df5ea39e40.txt").read_text(encoding="utf-8")
HANDOVERS_DOC = (SOURCES / "003_c0631a1aef172d45.txt").read_text(encoding="utf-8")
TRAININGS_SOURCE = "unodc-2022-kg-kz-trainings"  # 000_2dad51df5ea39e40.txt
HANDOVERS_SOURCE = "unodc-2024-2025-ca-equipment-handovers"  # 003_c0631a1aef172d45.txt


@pytest.fixture
def exported(loaded: Run) -> dict[str, Any]:
    result = loaded("export", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in records}


def agency_names(exported: dict[str, Any], ids: list[str], country: str) -> list[str]:
    """The names of the agencies ``ids``, each checked to be an agency of ``country``."""
    agencies = by_id(exported["agencies"])
    assert [agencies[i]["country"] for i in ids] == [country] * len(ids), ids
    return [agencies[i]["name"] for i in ids]


def test_seed_holds_every_reported_record(exported: dict[str, Any]) -> None:
    assert exported["version"] == 2
    assert [s["id"] for s in exported["sources"]] == [TRAININGS_SOURCE, HANDOVERS_SOURCE]
    assert [p["id"] for p in exported["projects"]] == ["tac-nexus"]
    assert len(exported["trainings"]) == 2  # Kyrgyz Republic and Kazakhstan, 2022
    # KZ Nov 2024; UZ Dec 2024 + Feb 2025; TJ Dec 2024 + Feb 2025; TM Feb 2025; KG Apr 2025
    assert len(exported["deliveries"]) == 7


def test_project(exported: dict[str, Any]) -> None:
    project = exported["projects"][0]
    assert project["title"].startswith(
        "Addressing the Terrorism-Arms-Crime Nexus: Preventing and Combating"
    )
    assert project["title"] in HANDOVERS_DOC
    assert project["implementers"] == ["UNODC", "UNOCT"]
    assert project["donors"] == ["Canada"]  # "funded by the Government of Canada"
    assert project["frameworks"] == ["UNSC Resolution 2370 (2017)", "Madrid Guiding Principles"]
    assert all(t["project"] == "tac-nexus" for t in exported["trainings"])
    assert all(d["project"] == "tac-nexus" for d in exported["deliveries"])
    assert project["sources"] == [HANDOVERS_SOURCE]  # the title is quoted from 003
    # Neither document declares the project's period or a results framework: none invented.
    assert (project["start"], project["end"], project["indicators"]) == (None, None, [])


TRAINING_TITLE = (
    "Countering International Firearms Trafficking, Associated Crimes, and Terrorism: "
    "Investigation and Prosecution of Firearms Trafficking and its Nexus to Terrorism and other Crimes"
)


def test_kyrgyz_training(exported: dict[str, Any]) -> None:
    # "in the Kyrgyz Republic on 24–28 October ... 2022"; "over 16 representatives of the
    # State Committee for National Security, Ministry of Internal Affairs, Supreme Court,
    # State Customs Service, and the General Prosecutor's Office of the Kyrgyz Republic"
    training = by_id(exported["trainings"])["kg-2022-10-firearms-trafficking"]
    assert training["title"] == TRAINING_TITLE
    assert training["country"] == "KG"
    assert (training["start"], training["end"]) == ("2022-10-24", "2022-10-28")
    assert training["participants"] == 16
    assert training["approximate"] is True  # "over 16": a lower bound
    assert training["female"] is None
    assert training["male"] is None
    assert training["city"] is None  # not reported
    assert training["agencies"] == [
        "kg-gknb",
        "kg-mvd",
        "kg-supreme-court",
        "kg-customs",
        "kg-prosecutor-general",
    ]
    assert agency_names(exported, training["agencies"], "KG") == [
        "State Committee for National Security",
        "Ministry of Internal Affairs",
        "Supreme Court",
        "State Customs Service",
        "General Prosecutor's Office",
    ]
    assert training["organisers"] == ["UNODC", "UNOCT"]
    assert {"prosecutors", "investigators", "judges"} <= set(training["audience"])
    assert training["sources"] == [TRAININGS_SOURCE]


def test_kazakh_training(exported: dict[str, Any]) -> None:
    # "in the Republic of Kazakhstan on 31 October - 4 November 2022"; "20 representatives of
    # the Ministry of Foreign Affairs, Security Council, National Security Committee,
    # Ministry of Internal Affairs, Courts of the Republic of Kazakhstan"
    training = by_id(exported["trainings"])["kz-2022-10-firearms-trafficking"]
    assert training["title"] == TRAINING_TITLE
    assert training["country"] == "KZ"
    assert (training["start"], training["end"]) == ("2022-10-31", "2022-11-04")
    assert training["participants"] == 20
    assert training["approximate"] is False
    assert training["female"] is None
    assert training["male"] is None
    assert training["agencies"] == [
        "kz-mfa",
        "kz-security-council",
        "kz-knb",
        "kz-mvd",
        "kz-courts",
    ]
    assert agency_names(exported, training["agencies"], "KZ") == [
        "Ministry of Foreign Affairs",
        "Security Council",
        "National Security Committee",
        "Ministry of Internal Affairs",
        "Courts",
    ]
    assert training["sources"] == [TRAININGS_SOURCE]


# (id, date, country, unit, [(item, category, quantity)], [(official, title)]) as the document
# reports; every handover went to the country's Ministry of Internal Affairs.
DELIVERIES = [
    # "On 15 November 2024, IT equipment was handed over to the Ministry of Internal Affairs of Kazakhstan."
    (
        "kz-2024-11-15-it-equipment",
        "2024-11-15",
        "KZ",
        None,
        [("IT equipment", "it-equipment", None)],
        [],
    ),
    # "On 12 December 2024, advanced IT equipment was delivered to the Main Expert-Forensic Center"
    (
        "uz-2024-12-12-it-equipment",
        "2024-12-12",
        "UZ",
        "Main Expert-Forensic Center",
        [("IT equipment", "it-equipment", None)],
        [],
    ),
    # "On 14 February 2025, a high-precision Digital Forensic Comparison Microscope was donated
    # to the same laboratory ... Police Colonel Saidolim Nuriddinov"
    (
        "uz-2025-02-14-comparison-microscope",
        "2025-02-14",
        "UZ",
        "Main Expert-Forensic Center",
        [("Digital forensic comparison microscope", "comparison-microscope", 1)],
        [("Saidolim Nuriddinov", "Police Colonel")],
    ),
    # "handed over IT equipment to the Expert-Forensic Department ... on 24 December 2024"
    (
        "tj-2024-12-24-it-equipment",
        "2024-12-24",
        "TJ",
        "Expert-Forensic Department",
        [("IT equipment", "it-equipment", None)],
        [],
    ),
    # "on 25 February 2025, the Ministry received specialized binocular microscopes";
    # "Police Colonel Gurez Dastagul, Deputy Head of the Department of the Ministry ..."
    (
        "tj-2025-02-25-binocular-microscopes",
        "2025-02-25",
        "TJ",
        None,
        [("Specialized binocular microscopes", "binocular-microscope", None)],
        [
            (
                "Gurez Dastagul",
                "Police Colonel, Deputy Head of the Department of the Ministry of "
                "Internal Affairs of Tajikistan",
            )
        ],
    ),
    # "On 10 February 2025, UNODC and UNOCT provided IT equipment to the Ballistic-Forensic
    # Department ... Mr. Geldimurad Halmuradov, Head of the Ministry's International Legal Department"
    (
        "tm-2025-02-10-it-equipment",
        "2025-02-10",
        "TM",
        "Ballistic-Forensic Department",
        [("IT equipment", "it-equipment", None)],
        [("Geldimurad Halmuradov", "Head of the Ministry’s International Legal Department")],
    ),
    # "On 3 April 2025, the Ministry of Internal Affairs of the Kyrgyz Republic received Digital
    # Forensic Comparison Microscopes"; "Police Colonel Alexander Ivanov, Head of the
    # Expert-Forensic Service of the Ministry of Internal Affairs of the Kyrgyz Republic"
    (
        "kg-2025-04-03-comparison-microscopes",
        "2025-04-03",
        "KG",
        None,
        [("Digital forensic comparison microscopes", "comparison-microscope", None)],
        [
            (
                "Alexander Ivanov",
                "Police Colonel, Head of the Expert-Forensic Service of the Ministry "
                "of Internal Affairs of the Kyrgyz Republic",
            )
        ],
    ),
]


@pytest.mark.parametrize(("record_id", "date", "country", "unit", "items", "officials"), DELIVERIES)
def test_delivery(
    exported: dict[str, Any],
    record_id: str,
    date: str,
    country: str,
    unit: str | None,
    items: list[tuple[str, str, int | None]],
    officials: list[tuple[str, str]],
) -> None:
    delivery = by_id(exported["deliveries"])[record_id]
    assert delivery["date"] == date
    assert delivery["country"] == country
    # Every handover: the Ministry of Internal Affairs of the receiving country.
    assert delivery["agency"] == f"{country.lower()}-mvd"
    assert agency_names(exported, [delivery["agency"]], country) == ["Ministry of Internal Affairs"]
    assert delivery["unit"] == unit
    assert [(i["name"], i["category"], i["quantity"]) for i in delivery["items"]] == items
    # No value is reported: none is recorded, and no currency without a value.
    assert [(i["value"], i["currency"]) for i in delivery["items"]] == [(None, None)] * len(items)
    assert [(o["name"], o["title"]) for o in delivery["officials"]] == officials
    assert delivery["sources"] == [HANDOVERS_SOURCE]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def all_names(agency: dict[str, Any]) -> list[str]:
    """An agency's name, its names in other languages and its aliases."""
    return [agency["name"], *agency["names"].values(), *agency["aliases"]]


DOCUMENTS = {TRAININGS_SOURCE: TRAININGS_DOC, HANDOVERS_SOURCE: HANDOVERS_DOC}


def test_every_agency_is_named_so_in_the_documents_of_the_records_citing_it(
    exported: dict[str, Any],
) -> None:
    """Each agency (name, translations, aliases) is read off a document that a record
    naming the agency cites: no agency is invented, none spelled otherwise than reported."""
    citing: dict[str, set[str]] = {a["id"]: set() for a in exported["agencies"]}
    for training in exported["trainings"]:
        for agency in training["agencies"]:
            citing[agency] |= set(training["sources"])
    for delivery in exported["deliveries"]:
        citing[delivery["agency"]] |= set(delivery["sources"])
    assert {agency: sources for agency, sources in citing.items() if not sources} == {}
    misspelt = []
    for agency in exported["agencies"]:
        documents = _squash(" ".join(DOCUMENTS[source] for source in citing[agency["id"]]))
        misspelt += [(agency["id"], n) for n in all_names(agency) if _squash(n) not in documents]
    assert misspelt == []
    # The aliases are the documents' longer spellings, which say the country.
    aliases = {a["id"]: a["aliases"] for a in exported["agencies"] if a["aliases"]}
    assert aliases == {
        "kg-mvd": ["Ministry of Internal Affairs of the Kyrgyz Republic"],
        "kg-prosecutor-general": ["General Prosecutor's Office of the Kyrgyz Republic"],
        "kz-mvd": ["Ministry of Internal Affairs of Kazakhstan"],
        "kz-courts": ["Courts of the Republic of Kazakhstan"],
        "uz-mvd": ["Ministry of Internal Affairs of Uzbekistan"],
        "tj-mvd": ["Ministry of Internal Affairs of Tajikistan"],
        "tm-mvd": ["Ministry of Internal Affairs of Turkmenistan"],
    }
    assert all(a["names"] == {} for a in exported["agencies"])  # no document translates one


def test_every_source_is_the_document_it_names(exported: dict[str, Any]) -> None:
    sources = by_id(exported["sources"])
    assert set(sources) == set(DOCUMENTS)
    records = exported["projects"] + exported["trainings"] + exported["deliveries"]
    assert [r["id"] for r in records if not r["sources"]] == []  # every record cites one
    assert {s for r in records for s in r["sources"]} == set(DOCUMENTS)  # each is cited
    for source in sources.values():
        assert source["kind"] == "press release"
        assert source["language"] == "en"
        # Neither document states its publication date or web address.
        assert (source["date"], source["url"]) == (None, None)
        assert "http" not in DOCUMENTS[source["id"]]
        assert "www." not in DOCUMENTS[source["id"]]

    # 000 has a headline, its first line: that is the title. Its contact block names the
    # UNODC Regional Office for Central Asia.
    trainings = sources[TRAININGS_SOURCE]
    assert trainings["title"] == TRAININGS_DOC.splitlines()[0].strip()
    assert trainings["publisher"] == "UNODC Regional Office for Central Asia"
    assert "crime (unodc) regional office for central asia" in _squash(TRAININGS_DOC)

    # 003 has no headline (it opens with a sentence), so its title describes it: what was
    # handed over, where, and the months of the first and last handover. Check each part.
    handovers = sources[HANDOVERS_SOURCE]
    assert HANDOVERS_DOC.splitlines()[0].endswith(".")  # a sentence, not a headline
    assert handovers["publisher"] == "UNODC"
    assert "UNODC" in HANDOVERS_DOC
    assert "Regional Office" not in HANDOVERS_DOC
    described = re.fullmatch(
        r"UNODC press release on (.+) handed over in (.+), (\w+ \d{4}) – (\w+ \d{4})",
        handovers["title"],
    )
    assert described is not None, handovers["title"]
    what, where, first, last = described.groups()
    document = _squash(HANDOVERS_DOC)
    assert [part for part in [*what.split(" and "), where] if _squash(part) not in document] == []
    assert "handed over" in HANDOVERS_DOC
    dates = sorted(d["date"] for d in exported["deliveries"] if HANDOVERS_SOURCE in d["sources"])
    for month, date in ((first, dates[0]), (last, dates[-1])):
        year, number = (int(part) for part in date.split("-")[:2])
        assert month == f"{calendar.month_name[number]} {year}"
        assert f"– {month}" in HANDOVERS_DOC  # a section heading: "Kazakhstan – November 2024"


def _strings(value: Any) -> list[str]:
    """Every string in a parsed YAML or JSON document: keys and values."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [*_strings(k), *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_no_value_cites_a_file_of_the_repository(exported: dict[str, Any]) -> None:
    """A donor can look up a title, not this repository's seeds/003_….txt: the file names
    are in the seed's comments (for the maintainers), never in a value."""
    file_name = re.compile(r"seeds/|\d{3}_[0-9a-f]{16}|\.txt\b")
    written = _strings(yaml.safe_load(SEED.read_text(encoding="utf-8")))
    assert len(written) > 100  # the whole seed was read
    assert [text for text in written if file_name.search(text)] == []
    assert [text for text in _strings(exported) if file_name.search(text)] == []
    # The comments do say which file each source is, so the check above is not vacuous.
    comments = [line for line in SEED.read_text(encoding="utf-8").splitlines() if "#" in line]
    assert any("003_c0631a1aef172d45.txt" in line for line in comments)


def test_every_quoted_name_occurs_in_the_documents(exported: dict[str, Any]) -> None:
    """Agencies, units and officials are transcribed, not invented."""
    both = _squash(TRAININGS_DOC + " " + HANDOVERS_DOC)
    quoted = [name for agency in exported["agencies"] for name in all_names(agency)]
    for delivery in exported["deliveries"]:
        quoted += [delivery["unit"]] if delivery["unit"] else []
        quoted += [o["name"] for o in delivery["officials"]]
        quoted += [i["name"] for i in delivery["items"]]
        if delivery["purpose"]:
            quoted.append(delivery["purpose"])
    missing = [text for text in quoted if _squash(text) not in both]
    assert missing == []


def test_every_date_occurs_in_the_documents(exported: dict[str, Any]) -> None:
    for delivery in exported["deliveries"]:
        year, month, day = (int(part) for part in delivery["date"].split("-"))
        spelled = f"{day} {calendar.month_name[month]} {year}"
        assert spelled in HANDOVERS_DOC, spelled
    assert "24–28 October" in TRAININGS_DOC
    assert "31 October - 4 November 2022" in TRAININGS_DOC
    assert "over 16 representatives" in TRAININGS_DOC
    assert "20 representatives" in TRAININGS_DOC
