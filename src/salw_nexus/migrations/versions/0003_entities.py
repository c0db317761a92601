"""Sources and agencies become entities that records cite by id (record format version 2).

- A new table ``source``. Version 1's free-text ``source`` of a project, training or
  delivery becomes a list ``sources`` of ids: each distinct text is one source, its id made
  from the text (``ids.made_source_id``, as a load of a version 1 file makes it), its title
  the text.
- ``agency`` is keyed by a readable string id (``ids.made_agency_id``: ``tj-mvd``) instead
  of a number, and gains ``names`` (per language), ``aliases`` and the stamps of a record.
  Rows of one country whose names differ only in case, Unicode form or spacing were one
  agency all along: they become one, the oldest row's name its name, the others' aliases;
  a training listing it twice lists it once, at its first place. ``search_key`` folds
  every name of the agency, one per line.
- ``training_agency.agency_id`` and ``delivery.agency_id`` hold the new ids.
- An item's ``value_usd`` becomes ``value`` with ``currency`` USD, and items gain a
  ``category`` (``other`` for every existing one).
- The fingerprints of every record are emptied: their content changed shape, so the next
  load of a record file rewrites them (and tells the records "updated", not "unchanged").

The tables are described here as they are at this revision (as 0001 does), never through
the ORM models, so that later model changes do not change what this migration does. SQLite
alters a table by copying it (batch mode); the store runs with foreign keys off meanwhile
(``db.upgrade``), and its references are checked before the commit. On PostgreSQL the
foreign keys to ``agency`` are dropped while its key changes type, and made again.

The downgrade is lossy, by necessity: an agency keeps its ``name`` only (its names in other
languages and its aliases are lost; agencies of one country with the same name become one);
a record citing several sources gets their titles joined with "; " as its text (the other
fields of a source are lost); items lose their category, and keep ``value_usd`` only for a
value in USD.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

from salw_nexus.ids import made_agency_id, made_source_id

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CITING = ("project", "training", "delivery")  # the tables whose records cite sources
ITEM_CHECK = "ck_delivery_item_amounts"
ITEM_CONDITION = "quantity >= 0 AND value >= 0"
ITEM_CONDITION_0002 = "quantity >= 0 AND value_usd >= 0"
OTHER = "other"  # the category of an item that has none (equipment.OTHER)
USD = "USD"
SOURCES_JOINED_BY = "; "  # downgrade: several sources' titles as one text


# The folding of names as models.py does it at this revision (search_key, name_key,
# names_key), copied so that a later change there does not change this migration.
def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _name_key(name: str) -> str:
    return " ".join(_folded(name).split())


def _names_key(names: Iterable[str]) -> str:
    return "\n".join(dict.fromkeys(_name_key(name) for name in names))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _is_sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _stamp_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _drop_references_to_agency() -> None:
    """PostgreSQL: drop the foreign keys to ``agency`` (found by name), so that the table
    can be replaced. On SQLite a key names the table it refers to, whichever table has that
    name: the keys stay, and refer to the new table (foreign keys are off meanwhile)."""
    if _is_sqlite():
        return
    inspector = sa.inspect(op.get_bind())
    for table in inspector.get_table_names():
        for key in inspector.get_foreign_keys(table):
            name = key.get("name")
            if key["referred_table"] == "agency" and name:
                op.drop_constraint(name, table, type_="foreignkey")


def _refer_to_agency(table: str) -> None:
    """PostgreSQL: ``table.agency_id`` made a foreign key to ``agency`` again, under the
    name PostgreSQL gives it (SQLite kept it in the table's definition)."""
    if not _is_sqlite():
        op.create_foreign_key(f"{table}_agency_id_fkey", table, "agency", ["agency_id"], ["id"])


def _rows(sql: str) -> list[Any]:
    return list(op.get_bind().execute(sa.text(sql)))


# --- upgrade ------------------------------------------------------------------------------


def upgrade() -> None:
    now = _now()
    # The records' ids: made agency ids keep clear of them (a record file has one namespace).
    taken: set[str] = {str(row[0]) for table in CITING for row in _rows(f"SELECT id FROM {table}")}
    links = _rows(
        "SELECT training_id, agency_id FROM training_agency ORDER BY training_id, position"
    )
    new_agency_of = _agencies(now, taken)
    # A reference to no agency (SQLite, written with foreign keys off) is kept as it was:
    # db.upgrade's foreign key check then refuses the upgrade, naming it.
    _make_training_agency(
        sa.String(),
        [(training, new_agency_of.get(agency, str(agency))) for training, agency in links],
    )
    _sources(now)
    _delivery_agencies(new_agency_of)
    _items()


def _agencies(now: dt.datetime, taken: set[str]) -> dict[int, str]:
    """Replace the agency table; returns the new id of each old one."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    new_id_of: dict[int, str] = {}
    for old_id, country, name in _rows("SELECT id, country, name FROM agency ORDER BY id"):
        agency = merged.get((country, _name_key(name)))
        if agency is None:
            agency_id = made_agency_id(country, name, taken)
            taken.add(agency_id)
            agency = merged[country, _name_key(name)] = {
                "fingerprint": "",
                "created_at": now,
                "updated_at": now,
                "id": agency_id,
                "country": country,
                "name": name,
                "names": {},
                "aliases": [],
            }
        else:
            agency["aliases"].append(name)
        new_id_of[int(old_id)] = agency["id"]
    for agency in merged.values():
        agency["search_key"] = _names_key([agency["name"], *agency["aliases"]])

    _drop_references_to_agency()
    # training_agency is made again below (nothing refers to it); dropped first, with its key.
    op.drop_table("training_agency")
    op.drop_table("agency")
    table = op.create_table(
        "agency",
        *_stamp_columns(),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("search_key", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agency_country", "agency", ["country"], unique=False)
    if merged:
        op.bulk_insert(table, list(merged.values()))
    return new_id_of


def _make_training_agency(agency_id: sa.types.TypeEngine[Any], links: list[Any]) -> None:
    """Make training_agency (dropped with the old agency table) with its agency ids of
    type ``agency_id``, and fill it from (training, agency) in each training's order: an
    agency listed twice (two rows made one) keeps its first place, the positions 0..n-1."""
    table = op.create_table(
        "training_agency",
        sa.Column("training_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("agency_id", agency_id, nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["training_id"], ["training.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("training_id", "position"),
    )
    op.create_index("ix_training_agency_agency_id", "training_agency", ["agency_id"], unique=False)
    listed: dict[str, dict[Any, None]] = {}
    for training_id, agency in links:
        listed.setdefault(training_id, {})[agency] = None
    rows = [
        {"training_id": training_id, "position": position, "agency_id": agency}
        for training_id, agencies in listed.items()
        for position, agency in enumerate(agencies)
    ]
    if rows:
        op.bulk_insert(table, rows)


def _sources(now: dt.datetime) -> None:
    """The source table, one row per distinct text; each record's ``source`` text a list."""
    table = op.create_table(
        "source",
        *_stamp_columns(),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("publisher", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("date", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("language", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    bind = op.get_bind()
    made: dict[str, dict[str, Any]] = {}
    for name in CITING:
        with op.batch_alter_table(name) as batch:  # SQLite: ALTER TABLE ADD COLUMN
            batch.add_column(sa.Column("sources", sa.JSON(), nullable=True))
        records = sa.table(
            name,
            sa.column("source", sa.String()),
            sa.column("sources", sa.JSON()),
            sa.column("fingerprint", sa.String()),
        )
        texts = [row[0] for row in _rows(f"SELECT DISTINCT source FROM {name}")]
        for text in texts:
            if text is None:
                cited: list[str] = []
                where = records.c.source.is_(None)
            else:
                source_id = made_source_id(text)
                # The same text, the same id; two texts with one id (a 24-bit hash): the first.
                made.setdefault(source_id, {"id": source_id, "title": text})
                cited, where = [source_id], records.c.source == text
            bind.execute(records.update().where(where).values(sources=cited))
        bind.execute(records.update().values(fingerprint=""))
        with op.batch_alter_table(name) as batch:
            batch.drop_column("source")
            batch.alter_column("sources", existing_type=sa.JSON(), nullable=False)
    if made:
        fields = ("publisher", "kind", "date", "url", "language")
        op.bulk_insert(
            table,
            [
                {"fingerprint": "", "created_at": now, "updated_at": now, **row}
                | dict.fromkeys(fields)
                for row in made.values()
            ],
        )


def _delivery_agencies(new_agency_of: dict[int, str]) -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.alter_column(
            "agency_id",
            existing_type=sa.Integer(),
            type_=sa.String(),
            existing_nullable=False,
            postgresql_using="agency_id::varchar",
        )
    # An old id is digits, a new one starts with a country and a hyphen: never confused.
    for old_id, new_id in new_agency_of.items():
        op.get_bind().execute(
            sa.text("UPDATE delivery SET agency_id = :new WHERE agency_id = :old"),
            {"new": new_id, "old": str(old_id)},
        )
    _refer_to_agency("delivery")


def _items() -> None:
    with op.batch_alter_table("delivery_item") as batch:
        batch.drop_constraint(ITEM_CHECK, type_="check")
        batch.alter_column("value_usd", new_column_name="value", existing_type=sa.Float())
        batch.add_column(sa.Column("category", sa.String(), nullable=True))
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    op.execute(
        sa.text("UPDATE delivery_item SET category = :other, currency = CASE WHEN value IS "
                "NULL THEN NULL ELSE :usd END").bindparams(other=OTHER, usd=USD)
    )  # fmt: skip
    with op.batch_alter_table("delivery_item") as batch:
        batch.alter_column("category", existing_type=sa.String(), nullable=False)
        batch.create_index("ix_delivery_item_category", ["category"], unique=False)
        batch.create_check_constraint(ITEM_CHECK, ITEM_CONDITION)


# --- downgrade (lossy: see the module's doc) -------------------------------------------------


def downgrade() -> None:
    links = _rows(
        "SELECT training_id, agency_id FROM training_agency ORDER BY training_id, position"
    )
    number_of = _numbered_agencies()
    _make_training_agency(
        sa.Integer(), [(training_id, number_of[agency_id]) for training_id, agency_id in links]
    )
    _source_texts()
    _numbered_delivery_agencies(number_of)
    _items_0002()


def _numbered_agencies() -> dict[str, int]:
    """Replace the agency table by 0002's; returns the number of each agency id. Agencies
    of one country with the same name become one (0002 had them unique)."""
    numbered: dict[tuple[str, str], dict[str, Any]] = {}
    number_of: dict[str, int] = {}
    for agency_id, country, name in _rows("SELECT id, country, name FROM agency ORDER BY id"):
        row = numbered.setdefault(
            (country, name),
            {"id": len(numbered) + 1, "country": country, "name": name,
             "search_key": _folded(name)},
        )  # fmt: skip
        number_of[agency_id] = row["id"]

    _drop_references_to_agency()
    op.drop_table("training_agency")
    op.drop_table("agency")
    table = op.create_table(
        "agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("search_key", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("country", "name"),
    )
    op.create_index("ix_agency_search_key", "agency", ["search_key"], unique=False)
    if numbered:
        op.bulk_insert(table, list(numbered.values()))
        if not _is_sqlite():  # the next agency a 0002 nexus adds comes after these
            op.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('agency', 'id'), :last)")
                .bindparams(last=len(numbered))
            )  # fmt: skip
    return number_of


def _source_texts() -> None:
    """Each record's sources as one text (their titles), and the source table dropped."""
    bind = op.get_bind()
    title_of = {str(row[0]): str(row[1]) for row in _rows("SELECT id, title FROM source")}
    for name in CITING:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("source", sa.String(), nullable=True))
        records = sa.table(
            name,
            sa.column("id", sa.String()),
            sa.column("source", sa.String()),
            sa.column("sources", sa.JSON()),
            sa.column("fingerprint", sa.String()),
        )
        texts = []
        for record_id, cited in bind.execute(sa.select(records.c.id, records.c.sources)):
            if cited:
                titles = (title_of.get(source_id, source_id) for source_id in cited)
                texts.append({"record": record_id, "text": SOURCES_JOINED_BY.join(titles)})
        if texts:
            bind.execute(
                records.update()
                .where(records.c.id == sa.bindparam("record"))
                .values(source=sa.bindparam("text")),
                texts,
            )
        bind.execute(records.update().values(fingerprint=""))
        with op.batch_alter_table(name) as batch:
            batch.drop_column("sources")
    op.drop_table("source")


def _numbered_delivery_agencies(number_of: dict[str, int]) -> None:
    # A number is digits, an agency id starts with a letter: never confused.
    for agency_id, number in number_of.items():
        op.get_bind().execute(
            sa.text("UPDATE delivery SET agency_id = :number WHERE agency_id = :agency"),
            {"number": str(number), "agency": agency_id},
        )
    with op.batch_alter_table("delivery") as batch:
        batch.alter_column(
            "agency_id",
            existing_type=sa.String(),
            type_=sa.Integer(),
            existing_nullable=False,
            postgresql_using="agency_id::integer",
        )
    _refer_to_agency("delivery")


def _items_0002() -> None:
    with op.batch_alter_table("delivery_item") as batch:
        batch.drop_constraint(ITEM_CHECK, type_="check")
        batch.drop_index("ix_delivery_item_category")
        batch.alter_column("value", new_column_name="value_usd", existing_type=sa.Float())
    op.execute(
        sa.text("UPDATE delivery_item SET value_usd = NULL WHERE currency IS NULL OR "
                "currency <> :usd").bindparams(usd=USD)
    )  # fmt: skip
    with op.batch_alter_table("delivery_item") as batch:
        batch.drop_column("category")
        batch.drop_column("currency")
        batch.create_check_constraint(ITEM_CHECK, ITEM_CONDITION_0002)
