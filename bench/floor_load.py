"""Floor for `nexus load`: the fastest parser alone, then raw sqlite3 inserts of the same rows.

    python bench/floor_load.py FILE STORE.db

Parses with json.load (or PyYAML's C loader for YAML), creates equivalent tables and
inserts every row with executemany in one transaction: what a load cannot avoid.
"""

import json
import sqlite3
import sys

SCHEMA = """
CREATE TABLE project (id TEXT PRIMARY KEY, title TEXT);
CREATE TABLE agency (id INTEGER PRIMARY KEY, country TEXT, name TEXT, UNIQUE (country, name));
CREATE TABLE training (id TEXT PRIMARY KEY, project_id TEXT, title TEXT, country TEXT, city TEXT,
  start DATE, "end" DATE, participants INT, approximate BOOL, female INT, male INT,
  audience JSON, topics JSON, organisers JSON, source TEXT, notes TEXT);
CREATE TABLE training_agency (training_id TEXT, position INT, agency_id INT,
  PRIMARY KEY (training_id, position));
CREATE TABLE delivery (id TEXT PRIMARY KEY, project_id TEXT, date DATE, country TEXT, agency_id INT,
  unit TEXT, purpose TEXT, source TEXT, notes TEXT);
CREATE TABLE delivery_item (delivery_id TEXT, position INT, name TEXT, quantity INT, value_usd REAL,
  PRIMARY KEY (delivery_id, position));
CREATE TABLE official (delivery_id TEXT, position INT, name TEXT, title TEXT,
  PRIMARY KEY (delivery_id, position));
"""


def main(path: str, store: str) -> None:
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    else:
        import yaml

        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=yaml.CSafeLoader)
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(SCHEMA)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO project VALUES (?, ?)", [(p["id"], p["title"]) for p in data["projects"]]
    )
    agencies: dict[tuple[str, str], int] = {}

    def agency(country: str, name: str) -> int:
        return agencies.setdefault((country, name), len(agencies) + 1)

    trainings, links = [], []
    for t in data["trainings"]:
        trainings.append((t["id"], t["project"], t["title"], t["country"], t["city"], str(t["start"]),
                          str(t["end"]), t["participants"], t["approximate"], t["female"], t["male"],
                          json.dumps(t["audience"]), json.dumps(t["topics"]), json.dumps(t["organisers"]),
                          t["source"], t["notes"]))  # fmt: skip
        links += [(t["id"], i, agency(t["country"], a)) for i, a in enumerate(t["agencies"])]
    deliveries, items, officials = [], [], []
    for d in data["deliveries"]:
        deliveries.append((d["id"], d["project"], str(d["date"]), d["country"], agency(d["country"], d["agency"]),
                           d["unit"], d["purpose"], d["source"], d["notes"]))  # fmt: skip
        items += [
            (d["id"], i, x["name"], x["quantity"], x["value_usd"]) for i, x in enumerate(d["items"])
        ]
        officials += [(d["id"], i, o["name"], o["title"]) for i, o in enumerate(d["officials"])]
    db.executemany(
        "INSERT INTO agency VALUES (?, ?, ?)", [(i, c, n) for (c, n), i in agencies.items()]
    )
    db.executemany(f"INSERT INTO training VALUES ({', '.join('?' * 16)})", trainings)
    db.executemany("INSERT INTO training_agency VALUES (?, ?, ?)", links)
    db.executemany(f"INSERT INTO delivery VALUES ({', '.join('?' * 9)})", deliveries)
    db.executemany("INSERT INTO delivery_item VALUES (?, ?, ?, ?, ?)", items)
    db.executemany("INSERT INTO official VALUES (?, ?, ?, ?)", officials)
    db.execute("COMMIT")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
