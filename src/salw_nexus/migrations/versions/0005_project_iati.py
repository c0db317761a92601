"""Projects gain their IATI references (``project.iati``).

- ``project.iati``: a JSON mapping of the references an IATI export needs and the record
  does not hold (``iati_refs.IatiIn``: identifier, organisations, sectors, status,
  recipient countries' shares), or null: every existing project has none.
- The fingerprints of projects are emptied: a project's content gained a field, so the
  next load of a record file rewrites them (and tells the projects "updated").

The column is described here as it is at this revision, never through the ORM models.

The downgrade drops the column: a project's IATI references are lost.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("iati", sa.JSON(), nullable=True))
    op.get_bind().execute(sa.text("UPDATE project SET fingerprint = ''"))


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.drop_column("iati")
    op.get_bind().execute(sa.text("UPDATE project SET fingerprint = ''"))
