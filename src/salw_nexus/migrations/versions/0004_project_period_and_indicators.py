"""Projects gain their declared period (``start``, ``end``) and their results framework.

- ``project.start`` and ``project.end``: dates, null when not known (every existing
  project), with the check the input model makes (``end`` not before ``start``).
- ``project.indicators``: a JSON list of the project's indicators as the record format
  writes them (``models.IndicatorIn``); an empty list for every existing project.
- The fingerprints of projects are emptied: a project's content gained fields, so the
  next load of a record file rewrites them (and tells the projects "updated").

The columns are described here as they are at this revision, never through the ORM
models. SQLite adds a column in place, and copies the table to add the check (batch
mode; the store runs with foreign keys off meanwhile, see ``db.upgrade``).

The downgrade drops the columns: a project's period and indicators are lost.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PROJECT_CHECK = "ck_project_end_after_start"
PROJECT_CONDITION = '"end" >= start'


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("end", sa.Date(), nullable=True))
        batch.add_column(sa.Column("indicators", sa.JSON(), nullable=True))
    projects = sa.table(
        "project", sa.column("indicators", sa.JSON()), sa.column("fingerprint", sa.String())
    )
    op.get_bind().execute(projects.update().values(indicators=[], fingerprint=""))
    with op.batch_alter_table("project") as batch:
        batch.alter_column("indicators", existing_type=sa.JSON(), nullable=False)
        batch.create_check_constraint(PROJECT_CHECK, PROJECT_CONDITION)


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.drop_constraint(PROJECT_CHECK, type_="check")
        batch.drop_column("indicators")
        batch.drop_column("end")
        batch.drop_column("start")
    op.get_bind().execute(sa.text("UPDATE project SET fingerprint = ''"))
