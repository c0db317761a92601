"""Deterministic, realistic record files for benchmarks: N trainings and N/2 deliveries.

    python bench/generate.py --trainings 10000 --format json -o records.json

Ten countries, agency names in English and Russian (Cyrillic), several agencies per
training, one to three items per delivery, some officials; the same seed gives the same
file byte for byte. Uses only the standard library (and PyYAML for YAML output).
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


def training(rng: random.Random, n: int) -> dict[str, Any]:
    start = FIRST_DAY + dt.timedelta(days=rng.randrange(365 * 7))
    participants = rng.randrange(5, 60)
    female = rng.randrange(participants + 1) if rng.random() < 0.7 else None
    return {
        "id": f"t-{n:07d}",
        "project": "bench",
        "title": f"National course {n} on countering firearms trafficking",
        "country": COUNTRIES[n % len(COUNTRIES)],
        "city": None,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=rng.randrange(5))).isoformat(),
        "participants": participants,
        "approximate": rng.random() < 0.1,
        "female": female,
        "male": None if female is None else participants - female,
        "audience": rng.sample(AUDIENCES, 2),
        "agencies": rng.sample(AGENCIES, rng.randrange(1, 4)),
        "topics": rng.sample(TOPICS, 2),
        "organisers": ["UNODC", "UNOCT"],
        "source": "benchmark generator",
        "notes": None,
    }


def delivery(rng: random.Random, n: int) -> dict[str, Any]:
    day = FIRST_DAY + dt.timedelta(days=rng.randrange(365 * 7))
    return {
        "id": f"d-{n:07d}",
        "project": "bench",
        "date": day.isoformat(),
        "country": COUNTRIES[n % len(COUNTRIES)],
        "agency": rng.choice(AGENCIES),
        "unit": rng.choice(
            [None, "Expert-Forensic Department", "Экспертно-криминалистический центр"]
        ),
        "items": [
            {"name": name, "quantity": rng.choice([None, 1, 2, 5]), "value_usd": None}
            for name in rng.sample(ITEMS, rng.randrange(1, 4))
        ],
        "purpose": "ballistic and forensic examinations",
        "officials": [{"name": f"Official {n}", "title": "Police Colonel"}]
        if rng.random() < 0.3
        else [],
        "source": "benchmark generator",
        "notes": None,
    }


def document(trainings: int, seed: int = 2370) -> dict[str, Any]:
    rng = random.Random(seed)
    return {
        "version": 1,
        "projects": [{"id": "bench", "title": "Benchmark project", "implementers": ["UNODC"],
                      "donors": ["Canada"], "frameworks": [], "source": None, "notes": None}],
        "trainings": [training(rng, n) for n in range(trainings)],
        "deliveries": [delivery(rng, n) for n in range(trainings // 2)],
    }  # fmt: skip


def write(path: Path, trainings: int, fmt: str) -> Path:
    data = document(trainings)
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
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    write(args.output, args.trainings, args.format)
    print(
        f"wrote {args.output}: {args.trainings} trainings, {args.trainings // 2} deliveries",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
