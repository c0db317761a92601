"""Deterministic, realistic record files for benchmarks: N trainings and N/2 deliveries.

    python bench/generate.py --trainings 10000 --format json -o records.json
    python bench/generate.py --trainings 10000 --version 2 -o records.json

Ten countries, agency names in English and Russian (Cyrillic), several agencies per
training, one to three items per delivery, some officials; the same seed gives the same
file byte for byte. Uses only the standard library (and PyYAML for YAML output).

``--version 1`` (the default) writes the first record format, as files written before
version 2 are: agencies and sources as free text, items without a category. ``--version 2``
writes the format `nexus export` writes (DESIGN §1b): one source that every record cites;
six agencies in each country, each with an English name and a Russian one, which a record
names by its id, its English name or its Russian name, as a file written by hand may (a
load resolves all three); items with their category, some with a value and currency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

COUNTRIES = ["KZ", "KG", "TJ", "TM", "UZ", "AF", "AZ", "MN", "TR", "PK"]
AGENCIES = [
    "Ministry of Internal Affairs",
    "State Committee for National Security",
    "General Prosecutor's Office",
    "Supreme Court",
    "State Customs Service",
    "Border Service",
    "Министерство внутренних дел",
    "Генеральная прокуратура",
    "Государственный комитет национальной безопасности",
    "Таможенная служба",
]
TOPICS = ["firearms marking", "tracing", "ballistics", "gender and human rights", "legislation"]
AUDIENCES = ["prosecutors", "investigators", "judges", "customs officers", "border officers"]
ITEMS = ["IT equipment", "Digital forensic comparison microscope", "Laptop", "Printer", "Server"]
FIRST_DAY = dt.date(2019, 1, 1)

# Version 2: (id suffix, English name, Russian name), one agency of each in every country.
AGENCIES_2 = [
    ("mvd", "Ministry of Internal Affairs", "Министерство внутренних дел"),
    ("gknb", "State Committee for National Security",
     "Государственный комитет национальной безопасности"),
    ("prosecutor-general", "General Prosecutor's Office", "Генеральная прокуратура"),
    ("supreme-court", "Supreme Court", "Верховный суд"),
    ("customs", "State Customs Service", "Таможенная служба"),
    ("border", "Border Service", "Пограничная служба"),
]  # fmt: skip
# Version 2: (name, category).
ITEMS_2 = [
    ("IT equipment", "it-equipment"),
    ("Digital forensic comparison microscope", "comparison-microscope"),
    ("Laptop", "it-equipment"),
    ("Printer", "it-equipment"),
    ("Ballistic trap", "ballistics-equipment"),
]
SOURCE = "bench-generator"


def training(rng: random.Random, n: int, version: int = 1) -> dict[str, Any]:
    start = FIRST_DAY + dt.timedelta(days=rng.randrange(365 * 7))
    participants = rng.randrange(5, 60)
    female = rng.randrange(participants + 1) if rng.random() < 0.7 else None
    country = COUNTRIES[n % len(COUNTRIES)]
    record = {
        "id": f"t-{n:07d}",
        "project": "bench",
        "title": f"National course {n} on countering firearms trafficking",
        "country": country,
        "city": None,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=rng.randrange(5))).isoformat(),
        "participants": participants,
        "approximate": rng.random() < 0.1,
        "female": female,
        "male": None if female is None else participants - female,
        "audience": rng.sample(AUDIENCES, 2),
        "agencies": rng.sample(AGENCIES, rng.randrange(1, 4)) if version == 1 else [
            agency_reference(rng, country, agency)
            for agency in rng.sample(AGENCIES_2, rng.randrange(1, 4))
        ],
        "topics": rng.sample(TOPICS, 2),
        "organisers": ["UNODC", "UNOCT"],
    }  # fmt: skip
    return {**record, **cited(version), "notes": None}


def delivery(rng: random.Random, n: int, version: int = 1) -> dict[str, Any]:
    day = FIRST_DAY + dt.timedelta(days=rng.randrange(365 * 7))
    country = COUNTRIES[n % len(COUNTRIES)]
    record = {
        "id": f"d-{n:07d}",
        "project": "bench",
        "date": day.isoformat(),
        "country": country,
        "agency": rng.choice(AGENCIES) if version == 1
        else agency_reference(rng, country, rng.choice(AGENCIES_2)),
        "unit": rng.choice(
            [None, "Expert-Forensic Department", "Экспертно-криминалистический центр"]
        ),
        "items": [
            {"name": name, "quantity": rng.choice([None, 1, 2, 5]), "value_usd": None}
            for name in rng.sample(ITEMS, rng.randrange(1, 4))
        ] if version == 1 else [
            item(rng, name, category)
            for name, category in rng.sample(ITEMS_2, rng.randrange(1, 4))
        ],
        "purpose": "ballistic and forensic examinations",
        "officials": [{"name": f"Official {n}", "title": "Police Colonel"}]
        if rng.random() < 0.3
        else [],
    }  # fmt: skip
    return {**record, **cited(version), "notes": None}


def cited(version: int) -> dict[str, Any]:
    """What a record says of its source: a text (version 1) or the ids it cites."""
    return {"source": "benchmark generator"} if version == 1 else {"sources": [SOURCE]}


def agency_reference(rng: random.Random, country: str, agency: tuple[str, str, str]) -> str:
    """An agency of version 2 by its id, its English name or its Russian name."""
    suffix, english, russian = agency
    return rng.choice([f"{country.lower()}-{suffix}", english, russian])


def item(rng: random.Random, name: str, category: str) -> dict[str, Any]:
    value = rng.choice([None, None, 1200, 5200.5])
    return {"name": name, "category": category, "quantity": rng.choice([None, 1, 2, 5]),
            "value": value, "currency": None if value is None else rng.choice(["USD", "EUR"])}  # fmt: skip


def document(trainings: int, seed: int = 2370, version: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    project = {"id": "bench", "title": "Benchmark project", "implementers": ["UNODC"],
               "donors": ["Canada"], "frameworks": []}  # fmt: skip
    if version == 1:
        return {
            "version": 1,
            "projects": [{**project, "source": None, "notes": None}],
            "trainings": [training(rng, n) for n in range(trainings)],
            "deliveries": [delivery(rng, n) for n in range(trainings // 2)],
        }
    return {
        "version": 2,
        "sources": [{"id": SOURCE, "title": "Benchmark generator", "publisher": None,
                     "kind": None, "date": None, "url": None, "language": "en"}],
        "agencies": [
            {"id": f"{country.lower()}-{suffix}", "country": country, "name": english,
             "names": {"ru": russian}, "aliases": []}
            for country in COUNTRIES
            for suffix, english, russian in AGENCIES_2
        ],
        "projects": [{**project, "sources": [SOURCE], "notes": None}],
        "trainings": [training(rng, n, 2) for n in range(trainings)],
        "deliveries": [delivery(rng, n, 2) for n in range(trainings // 2)],
    }  # fmt: skip


def write(path: Path, trainings: int, fmt: str, version: int = 1) -> Path:
    data = document(trainings, version=version)
    if fmt == "json":
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        import yaml

        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(data, handle, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainings", type=int, required=True)
    parser.add_argument("--format", choices=["json", "yaml"], default="json")
    parser.add_argument("--version", type=int, choices=[1, 2], default=1,
                        help="the record format's version (default: 1)")  # fmt: skip
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    write(args.output, args.trainings, args.format, args.version)
    print(
        f"wrote {args.output}: {args.trainings} trainings, {args.trainings // 2} deliveries "
        f"(record format version {args.version})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
