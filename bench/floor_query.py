"""Floor for the read commands on a large store: the equivalent raw SQL through sqlite3.

python bench/floor_query.py STORE.db summary|handovers|agency
"""

import sqlite3
import sys

QUERIES = {
    # trainings per quarter: what `nexus summary` aggregates (deliveries and countries alike)
    "summary": """
        SELECT CAST(strftime('%Y', start) AS INT) * 4 + (CAST(strftime('%m', start) AS INT) - 1) / 3 AS q,
               count(*), sum(julianday("end") - julianday(start) + 1), sum(participants),
               max(approximate OR participants IS NULL), sum(female), count(female), sum(male),
               count(male), sum(participants * (julianday("end") - julianday(start) + 1))
        FROM training GROUP BY q;
        SELECT CAST(strftime('%Y', date) AS INT) * 4 + (CAST(strftime('%m', date) AS INT) - 1) / 3 AS q,
               count(*) FROM delivery GROUP BY q;
        SELECT DISTINCT CAST(strftime('%Y', start) AS INT) * 4 + (CAST(strftime('%m', start) AS INT) - 1) / 3,
               country FROM training
        UNION SELECT DISTINCT CAST(strftime('%Y', date) AS INT) * 4 + (CAST(strftime('%m', date) AS INT) - 1) / 3,
               country FROM delivery;
    """,
    "handovers": """
        SELECT d.*, a.name FROM delivery d JOIN agency a ON a.id = d.agency_id
        WHERE d.country = 'TJ' ORDER BY d.date, d.id;
        SELECT i.* FROM delivery_item i WHERE i.delivery_id IN (SELECT id FROM delivery WHERE country = 'TJ');
        SELECT o.* FROM official o WHERE o.delivery_id IN (SELECT id FROM delivery WHERE country = 'TJ');
    """,
    "agency": """
        SELECT t.* FROM training t WHERE t.id IN (
            SELECT ta.training_id FROM training_agency ta WHERE ta.agency_id IN (
                SELECT a.id FROM agency a WHERE a.search_key LIKE '%таможенная%'))
        ORDER BY t.start, t.id;
        SELECT ta.training_id, a.name FROM training_agency ta JOIN agency a ON a.id = ta.agency_id
        WHERE ta.training_id IN (
            SELECT ta.training_id FROM training_agency ta WHERE ta.agency_id IN (
                SELECT a.id FROM agency a WHERE a.search_key LIKE '%таможенная%'));
    """,
}


def main(store: str, which: str) -> None:
    db = sqlite3.connect(store)
    for statement in filter(str.strip, QUERIES[which].split(";")):
        for _ in db.execute(statement):
            pass


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
