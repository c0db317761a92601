"""Check constraints: a training ends on or after its start; counts are not negative.

The input models already refuse such values; the constraints keep a store right when it
is written by other means (a script, a SQL console).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRAINING_CHECKS = {
    "ck_training_end_after_start": '"end" >= start',
    "ck_training_counts": "participants >= 0 AND female >= 0 AND male >= 0",
}
ITEM_CHECKS = {"ck_delivery_item_amounts": "quantity >= 0 AND value_usd >= 0"}


def upgrade() -> None:
    # SQLite cannot add a constraint to a table: batch mode copies the table, rows included.
    with op.batch_alter_table("training") as batch:
        for name, condition in TRAINING_CHECKS.items():
            batch.create_check_constraint(name, condition)
    with op.batch_alter_table("delivery_item") as batch:
        for name, condition in ITEM_CHECKS.items():
            batch.create_check_constraint(name, condition)


def downgrade() -> None:
    with op.batch_alter_table("delivery_item") as batch:
        for name in ITEM_CHECKS:
            batch.drop_constraint(name, type_="check")
    with op.batch_alter_table("training") as batch:
        for name in TRAINING_CHECKS:
            batch.drop_constraint(name, type_="check")
