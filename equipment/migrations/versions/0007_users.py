"""users: a user may be linked to a prescriber on record (the prescriber role)

Revision ID: 0007_users
Revises: 0006_planning_due_times
Create Date: 2026-12-01 12:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_users"
down_revision = "0006_planning_due_times"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prescriber_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_prescriber_id"), ["prescriber_id"], unique=False)
        batch_op.create_foreign_key("fk_users_prescriber_id", "prescribers", ["prescriber_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("fk_users_prescriber_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_prescriber_id"))
        batch_op.drop_column("prescriber_id")
