"""Floor for `nexus load`: the fastest parser alone, then raw sqlite3 inserts of the same rows.

    python bench/floor_load.py FILE STORE.db      # STORE.db: an empty nexus store (same schema)
    python bench/floor_load.py FILE --parse-only   # the parse alone (the memory baseline)

Parses with json.load (or PyYAML's C loader for YAML), then inserts every row with
executemany in one transaction into the tables of an empty nexus store, so that the
floor pays for the same indexes and constraints: what a load cannot avoid. The
bookkeeping columns get one constant value each; nothing is validated or compared.
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


def insert(data: Any, store: str) -> None:
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO project VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*BOOKKEEPING, p["id"], p["title"], json.dumps(p["implementers"]), json.dumps(p["donors"]),
          json.dumps(p["frameworks"]), p.get("source"), p.get("notes")) for p in data["projects"]],
    )  # fmt: skip
    agencies: dict[tuple[str, str], int] = {}

    def agency(country: str, name: str) -> int:
        return agencies.setdefault((country, name), len(agencies) + 1)

    trainings, links = [], []
    for t in data["trainings"]:
        trainings.append((*BOOKKEEPING, t["id"], t["project"], t["title"], t["country"], t["city"],
                          str(t["start"]), str(t["end"]), t["participants"], t["approximate"],
                          t["female"], t["male"], json.dumps(t["audience"]), json.dumps(t["topics"]),
                          json.dumps(t["organisers"]), t["source"], t["notes"]))  # fmt: skip
        links += [(t["id"], i, agency(t["country"], a)) for i, a in enumerate(t["agencies"])]
    deliveries, items, officials = [], [], []
    for d in data["deliveries"]:
        deliveries.append((*BOOKKEEPING, d["id"], d["project"], str(d["date"]), d["country"],
                           agency(d["country"], d["agency"]), d["unit"], d["purpose"], d["source"],
                           d["notes"]))  # fmt: skip
        items += [
            (d["id"], i, x["name"], x["quantity"], x["value_usd"]) for i, x in enumerate(d["items"])
        ]
        officials += [(d["id"], i, o["name"], o["title"]) for i, o in enumerate(d["officials"])]
    db.executemany(
        "INSERT INTO agency VALUES (?, ?, ?, ?)",
        [(i, c, n, n.casefold()) for (c, n), i in agencies.items()],
    )
    db.executemany(f"INSERT INTO training VALUES ({', '.join('?' * 19)})", trainings)
    db.executemany("INSERT INTO training_agency VALUES (?, ?, ?)", links)
    db.executemany(f"INSERT INTO delivery VALUES ({', '.join('?' * 12)})", deliveries)
    db.executemany("INSERT INTO delivery_item VALUES (?, ?, ?, ?, ?)", items)
    db.executemany("INSERT INTO official VALUES (?, ?, ?, ?)", officials)
    db.execute("COMMIT")


if __name__ == "__main__":
    document = parse(sys.argv[1])
    if sys.argv[2] != "--parse-only":
        insert(document, sys.argv[2])
