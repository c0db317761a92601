"""data/seed.yaml against the two source documents, through `nexus load` and `nexus export`.

The expected values below are read off the documents in tests/sources/ (quoted in the
comments); the last tests check that every name the seed quotes does occur in them.
"""

from __future__ import annotations

import calendar
import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import Run

SOURCES = Path(__file__).parent / "sources"
TRAININGS_DOC = (SOURCES / "000_2dad51df5ea39e40.txt").read_text(encoding="utf-8")
HANDOVERS_DOC = (SOURCES / "003_c0631a1aef172d45.txt").read_text(encoding="utf-8")


@pytest.fixture
def exported(loaded: Run) -> dict[str, Any]:
    result = loaded("export", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in records}


def test_seed_holds_every_reported_record(exported: dict[str, Any]) -> None:
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
        "State Committee for National Security",
        "Ministry of Internal Affairs",
        "Supreme Court",
        "State Customs Service",
        "General Prosecutor's Office",
    ]
    assert training["organisers"] == ["UNODC", "UNOCT"]
    assert {"prosecutors", "investigators", "judges"} <= set(training["audience"])
    assert "000_2dad51df5ea39e40" in training["source"]


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
        "Ministry of Foreign Affairs",
        "Security Council",
        "National Security Committee",
        "Ministry of Internal Affairs",
        "Courts",
    ]
    assert "000_2dad51df5ea39e40" in training["source"]


# (id, date, country, unit, [(item, quantity)], [(official, title)]) as the document reports.
DELIVERIES = [
    # "On 15 November 2024, IT equipment was handed over to the Ministry of Internal Affairs of Kazakhstan."
    ("kz-2024-11-15-it-equipment", "2024-11-15", "KZ", None, [("IT equipment", None)], []),
    # "On 12 December 2024, advanced IT equipment was delivered to the Main Expert-Forensic Center"
    (
        "uz-2024-12-12-it-equipment",
        "2024-12-12",
        "UZ",
        "Main Expert-Forensic Center",
        [("IT equipment", None)],
        [],
    ),
    # "On 14 February 2025, a high-precision Digital Forensic Comparison Microscope was donated
    # to the same laboratory ... Police Colonel Saidolim Nuriddinov"
    (
        "uz-2025-02-14-comparison-microscope",
        "2025-02-14",
        "UZ",
        "Main Expert-Forensic Center",
        [("Digital forensic comparison microscope", 1)],
        [("Saidolim Nuriddinov", "Police Colonel")],
    ),
    # "handed over IT equipment to the Expert-Forensic Department ... on 24 December 2024"
    (
        "tj-2024-12-24-it-equipment",
        "2024-12-24",
        "TJ",
        "Expert-Forensic Department",
        [("IT equipment", None)],
        [],
    ),
    # "on 25 February 2025, the Ministry received specialized binocular microscopes";
    # "Police Colonel Gurez Dastagul, Deputy Head of the Department of the Ministry ..."
    (
        "tj-2025-02-25-binocular-microscopes",
        "2025-02-25",
        "TJ",
        None,
        [("Specialized binocular microscopes", None)],
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
        [("IT equipment", None)],
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
        [("Digital forensic comparison microscopes", None)],
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
    items: list[tuple[str, int | None]],
    officials: list[tuple[str, str]],
) -> None:
    delivery = by_id(exported["deliveries"])[record_id]
    assert delivery["date"] == date
    assert delivery["country"] == country
    assert delivery["agency"] == "Ministry of Internal Affairs"  # every handover: the MIA
    assert delivery["unit"] == unit
    assert [(i["name"], i["quantity"]) for i in delivery["items"]] == items
    assert all(i["value_usd"] is None for i in delivery["items"])  # no values reported
    assert [(o["name"], o["title"]) for o in delivery["officials"]] == officials
    assert "003_c0631a1aef172d45" in delivery["source"]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def test_every_quoted_name_occurs_in_the_documents(exported: dict[str, Any]) -> None:
    """Agencies, units and officials are transcribed, not invented."""
    both = _squash(TRAININGS_DOC + " " + HANDOVERS_DOC)
    quoted = [a for t in exported["trainings"] for a in t["agencies"]]
    for delivery in exported["deliveries"]:
        quoted += [delivery["agency"], *([delivery["unit"]] if delivery["unit"] else [])]
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
