"""Floor for a listing written out: the same rows as `nexus ... --format csv`, byte for byte,
by the leanest program that can produce them: raw sqlite3, the same ordered queries merged
as they are read, the csv module, orjson for the stored lists, pycountry for names, and the
same rules for cells (a formula made text with a leading ', items spelled as --item reads them).

python bench/floor_write.py STORE.db handovers|agency > out.csv

`floor_query.py` only runs the queries; this one also does the work any listing must do
for each row (read every column, match children to their record, format and write the
cells), so the difference between the two is the cost of the output itself.
"""

import csv
import sqlite3
import sys
from collections.abc import Callable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson
import pycountry

DAYS = 'CAST(julianday(t."end") - julianday(t.start) + 1 AS INTEGER)'
AGENCY_IDS = (
    "SELECT ta.training_id FROM training_agency ta WHERE ta.agency_id IN "
    "(SELECT a.id FROM agency a WHERE a.search_key LIKE '%таможенная%')"
)
TRAININGS = f"""
    SELECT t.id, t.project_id, t.title, t.country, t.city, t.start, t."end", {DAYS},
           t.participants, t.approximate, t.female, t.male, t.audience, t.topics, t.organisers,
           t.sources, t.notes
    FROM training t WHERE t.id IN ({AGENCY_IDS}) ORDER BY t.start, t.id
"""
TRAINING_AGENCIES = f"""
    SELECT ta.training_id, a.name FROM training t
    JOIN training_agency ta ON ta.training_id = t.id JOIN agency a ON a.id = ta.agency_id
    WHERE t.id IN ({AGENCY_IDS}) ORDER BY t.start, t.id, ta.position
"""
DELIVERIES = """
    SELECT d.id, d.project_id, d.date, d.country, a.name, d.agency_id, d.unit, d.purpose,
           d.sources, d.notes
    FROM delivery d JOIN agency a ON a.id = d.agency_id
    WHERE d.country = 'TJ' ORDER BY d.date, d.id
"""
ITEMS = """
    SELECT i.delivery_id, i.name, i.quantity, i.category, i.value, i.currency
    FROM delivery d JOIN delivery_item i
    ON i.delivery_id = d.id WHERE d.country = 'TJ' ORDER BY d.date, d.id, i.position
"""
OFFICIALS = """
    SELECT o.delivery_id, o.name, o.title FROM delivery d JOIN official o
    ON o.delivery_id = d.id WHERE d.country = 'TJ' ORDER BY d.date, d.id, o.position
"""


def belonging(rows: Iterator[Any]) -> Callable[[str], list[Any]]:
    groups = groupby(rows, key=itemgetter(0))
    pending = next(groups, None)

    def of(record_id: str) -> list[Any]:
        nonlocal pending
        if pending is None or pending[0] != record_id:
            return []
        found = list(pending[1])
        pending = next(groups, None)
        return found

    return of


def name_of(code: str, names: dict[str, str] = {}) -> str:  # noqa: B006 - a cache
    if code not in names:
        country = pycountry.countries.get(alpha_2=code)
        names[code] = (getattr(country, "common_name", None) or country.name) if country else code
    return names[code]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str | None) -> str | None:
    """A text cell a spreadsheet shows as text (nexus's rule: a leading ' before a formula)."""
    return "'" + text if text and text.startswith(FORMULA_START) else text


def joined(stored: str) -> str | None:
    return cell("; ".join(orjson.loads(stored)))


def item(name: str, quantity: int | None, category: str, value: float | None,
         currency: str | None) -> str:  # fmt: skip
    """An item as --item spells it (nexus's rule): NAME:QTY / CATEGORY / VALUE CURRENCY."""
    if quantity is None:
        text = name + ":" if ":" in name else name
    else:
        text = f"{name}: {quantity}" if name[-1:].isdigit() else f"{name}:{quantity}"
    if category != "other":
        text += f" / {category}"
    if value is not None:
        text += f" / {int(value) if float(value).is_integer() else value} {currency}"
    return text


def trainings(db: sqlite3.Connection) -> Iterator[list[Any]]:
    yield ["id", "project", "title", "country", "country_name", "city", "start", "end", "days",
           "participants", "approximate", "female", "male", "agencies", "audience", "topics",
           "organisers", "sources", "notes"]  # fmt: skip
    agencies_of = belonging(db.execute(TRAINING_AGENCIES))
    for (id_, project, title, country, city, start, end, days, participants, approximate,
         female, male, audience, topics, organisers, sources, notes) in db.execute(TRAININGS):  # fmt: skip
        yield [cell(id_), cell(project), cell(title), cell(country), cell(name_of(country)),
               cell(city), start, end, days, participants, "true" if approximate else "false",
               female, male, cell("; ".join(name for _, name in agencies_of(id_))),
               joined(audience), joined(topics), joined(organisers), joined(sources), cell(notes)]  # fmt: skip


def handovers(db: sqlite3.Connection) -> Iterator[list[Any]]:
    yield ["id", "project", "date", "country", "country_name", "agency", "agency_id", "unit",
           "items", "purpose", "officials", "sources", "notes"]  # fmt: skip
    items_of = belonging(db.execute(ITEMS))
    officials_of = belonging(db.execute(OFFICIALS))
    for (id_, project, date, country, agency, agency_id, unit, purpose, sources,
         notes) in db.execute(DELIVERIES):  # fmt: skip
        items = cell("; ".join(item(*row[1:]) for row in items_of(id_)))
        officials = cell("; ".join(n + (f" ({t})" if t else "") for _, n, t in officials_of(id_)))
        yield [cell(id_), cell(project), date, cell(country), cell(name_of(country)), cell(agency),
               cell(agency_id), cell(unit), items, cell(purpose), officials, joined(sources),
               cell(notes)]  # fmt: skip


def main(store: str, which: str) -> None:
    db = sqlite3.connect(store)
    rows = trainings(db) if which == "agency" else handovers(db)
    csv.writer(sys.stdout, lineterminator="\n").writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
