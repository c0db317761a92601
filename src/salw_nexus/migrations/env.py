"""Alembic environment: run by ``nexus db upgrade`` (and on a new store) with a live connection.

The connection is handed over in ``config.attributes["connection"]`` by ``salw_nexus.db``;
there is no alembic.ini and no URL here.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from salw_nexus import models  # noqa: F401  (the tables, for comparisons)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
