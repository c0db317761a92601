"""Floor for `nexus load`: the fastest parser alone, then raw sqlite3 inserts of the same rows.

    python bench/floor_load.py FILE STORE.db      # STORE.db: an empty nexus store (same schema)
    python bench/floor_load.py FILE --parse-only   # the parse alone (the memory baseline)

Parses with json.load (or PyYAML's C loader for YAML), then inserts every row with
executemany in one transaction into the tables of an empty nexus store, so that the
floor pays for the same indexes and constraints: what a load cannot avoid. The file is
of version 2, as `bench/generate.py --version 2` writes it (and bench/run.py loads); an
agency named by a record is found by its id or a folded name in one dictionary. The bookkeeping columns get one constant value each;
nothing is validated or compared.
"""

import json
import sqlite3
import sys
from typing import Any

BOOKKEEPING = ("-", "2026-01-01 00:00:00.000000", "2026-01-01 00:00:00.000000")


def parse(path: str) -> Any:
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    import yaml

    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=yaml.CSafeLoader)


def _day(value: Any) -> str | None:
    return None if value is None else str(value)


def insert(data: Any, store: str) -> None:
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO source VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*BOOKKEEPING, s["id"], s["title"], s["publisher"], s["kind"], s["date"], s["url"],
          s["language"]) for s in data["sources"]],
    )  # fmt: skip
    # A record names an agency of its country by id or by any of its names (folded).
    agency_of: dict[tuple[str, str], str] = {}
    agencies = []
    for a in data["agencies"]:
        names = [a["name"], *a["names"].values(), *a["aliases"]]
        folded = list(dict.fromkeys(name.casefold() for name in names))
        agency_of[a["country"], a["id"]] = a["id"]
        agency_of.update(((a["country"], name), a["id"]) for name in folded)
        agencies.append((*BOOKKEEPING, a["id"], a["country"], a["name"], json.dumps(a["names"]),
                         json.dumps(a["aliases"]), "\n".join(folded)))  # fmt: skip
    db.executemany(f"INSERT INTO agency VALUES ({', '.join('?' * 9)})", agencies)

    def agency(country: str, reference: str) -> str:
        return agency_of.get((country, reference)) or agency_of[country, reference.casefold()]

    db.executemany(
        f"INSERT INTO project VALUES ({', '.join('?' * 14)})",
        [(*BOOKKEEPING, p["id"], p["title"], _day(p.get("start")), _day(p.get("end")),
          json.dumps(p["implementers"]), json.dumps(p["donors"]), json.dumps(p["frameworks"]),
          json.dumps(p.get("iati")), json.dumps(p.get("indicators", [])), json.dumps(p["sources"]), p["notes"])
         for p in data["projects"]],
    )  # fmt: skip
    trainings, links = [], []
    for t in data["trainings"]:
        trainings.append((*BOOKKEEPING, t["id"], t["project"], t["title"], t["country"], t["city"],
                          str(t["start"]), str(t["end"]), t["participants"], t["approximate"],
                          t["female"], t["male"], json.dumps(t["audience"]), json.dumps(t["topics"]),
                          json.dumps(t["organisers"]), json.dumps(t["sources"]), t["notes"]))  # fmt: skip
        links += [(t["id"], i, agency(t["country"], a)) for i, a in enumerate(t["agencies"])]
    deliveries, items, officials = [], [], []
    for d in data["deliveries"]:
        deliveries.append((*BOOKKEEPING, d["id"], d["project"], str(d["date"]), d["country"],
                           agency(d["country"], d["agency"]), d["unit"], d["purpose"],
                           json.dumps(d["sources"]), d["notes"]))  # fmt: skip
        items += [(d["id"], i, x["name"], x["category"], x["quantity"], x["value"], x["currency"])
                  for i, x in enumerate(d["items"])]  # fmt: skip
        officials += [(d["id"], i, o["name"], o["title"]) for i, o in enumerate(d["officials"])]
    db.executemany(f"INSERT INTO training VALUES ({', '.join('?' * 19)})", trainings)
    db.executemany("INSERT INTO training_agency VALUES (?, ?, ?)", links)
    db.executemany(f"INSERT INTO delivery VALUES ({', '.join('?' * 12)})", deliveries)
    db.executemany(f"INSERT INTO delivery_item VALUES ({', '.join('?' * 7)})", items)
    db.executemany("INSERT INTO official VALUES (?, ?, ?, ?)", officials)
    db.execute("COMMIT")


if __name__ == "__main__":
    document = parse(sys.argv[1])
    if sys.argv[2] != "--parse-only":
        insert(document, sys.argv[2])
