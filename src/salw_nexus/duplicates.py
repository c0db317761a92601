"""Records that look like one being added: the same training or handover typed twice.

A training is likely the same as one recorded when it is in the same country, its dates
overlap, and its title is alike: at least ``ALIKE`` of the shorter title's words are in
the other (``Countering firearms trafficking`` and the source's long title), or the two
are spelt alike (difflib's ratio at least ``SPELT_ALIKE``, for a typo). A delivery: same country, same day, same receiving
agency (its id, or any of its names). Such a record is shown and needs a yes, or
``--allow-duplicate``: an id made unique (``-2``) would hide the double count.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from .errors import RecordError, option
from .kinds import DELIVERIES, TRAININGS, of_record

if TYPE_CHECKING:
    from sqlmodel import Session

ALIKE = 0.75  # "Course 1" and "Course 2" share half their words: not alike
SPELT_ALIKE = 0.9  # "Firearm tracing course" / "Firearms tracing course": 0.98; Course 1/2: 0.88


class LikelyDuplicate(RecordError):
    def __init__(self, singular: str, found: list[str]) -> None:
        self.found = found
        super().__init__(
            [f"a {singular} like this one is recorded already: {'; '.join(found)}"],
            hint=f"Add it anyway with {option('allow-duplicate')}, or look with `nexus show ID`.",
        )


def _alike(one: str, other: str) -> bool:
    from .ids import ascii_words

    a, b = ascii_words(one), ascii_words(other)
    shared = len(set(a) & set(b)) / max(1, min(len(set(a)), len(set(b))))
    spelt = difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio()
    return shared >= ALIKE or spelt >= SPELT_ALIKE


def likely_duplicates(session: Session, *, record: Any) -> list[str]:
    """``ID: what it is`` for each recorded training or delivery like ``record``."""
    from sqlalchemy import select

    kind = of_record(record)
    if kind is TRAININGS:
        table = TRAININGS.table
        rows = session.execute(
            select(table.c.id, table.c.title, table.c.start, table.c.end)
            .where(table.c.country == record.country)
            .where(table.c.start <= record.end, table.c.end >= record.start)
            .order_by(table.c.start, table.c.id)
        )
        return [
            f"{row.id}: {row.title} ({row.start} to {row.end})"
            for row in rows
            if _alike(row.title, record.title)  # a new record: none of these is itself
        ]
    if kind is DELIVERIES:
        return _same_handover(session, record)
    return []


def _same_handover(session: Session, record: Any) -> list[str]:
    from sqlalchemy import select

    from .kinds import AGENCIES
    from .models import search_key

    table, agencies = DELIVERIES.table, AGENCIES.table
    rows = session.execute(
        select(table.c.id, table.c.date, agencies.c.id.label("agency"), agencies.c.name,
               agencies.c.names, agencies.c.aliases)
        .join(agencies, agencies.c.id == table.c.agency_id)
        .where(table.c.country == record.country, table.c.date == record.date)
        .order_by(table.c.id)
    )  # fmt: skip
    given = search_key(record.agency)
    return [
        f"{row.id}: to {row.name} on {row.date}"
        for row in rows
        if given
        in {search_key(n) for n in (row.agency, row.name, *row.names.values(), *row.aliases)}
    ]
