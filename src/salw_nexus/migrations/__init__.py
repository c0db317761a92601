"""The store's schema history (Alembic revisions in ``versions/``), and what every
revision has in common: the facts about stored databases that outlive one schema."""

# The tables of every revision: a database holding other tables only is another program's.
TABLES_OF_EVERY_REVISION = frozenset(
    {"project", "training", "delivery", "agency", "training_agency", "delivery_item",
     "official", "alembic_version"}
)  # fmt: skip
# A store of the first revision, made before revisions were recorded, has this table.
FIRST_REVISION_TABLE = "training"
