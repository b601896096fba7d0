"""prescribers: team and what they may order; users linked to a prescriber; orders by prescriber

Revision ID: 0008_prescribers
Revises: 0007_users
Create Date: 2026-12-01 12:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_prescribers"
down_revision = "0007_users"
branch_labels = None
depends_on = None


def _has_column(table: str, column: str) -> bool:
    return any(c["name"] == column for c in sa.inspect(op.get_bind()).get_columns(table))


def upgrade() -> None:
    with op.batch_alter_table("prescribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("orderable_categories", sa.String(length=500), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("authorisation_categories", sa.String(length=500), nullable=False, server_default="")
        )
    # users.prescriber_id also comes with revision 0007_users (users on the web): whichever of the
    # two runs first adds it, the other finds it there.
    if not _has_column("users", "prescriber_id"):
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.add_column(sa.Column("prescriber_id", sa.Integer(), nullable=True))
            batch_op.create_index("ix_users_prescriber_id", ["prescriber_id"], unique=False)
            batch_op.create_foreign_key("fk_users_prescriber_id", "prescribers", ["prescriber_id"], ["id"])
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_prescriber_due", ["prescriber_id", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_prescriber_due")
    with op.batch_alter_table("prescribers", schema=None) as batch_op:
        batch_op.drop_column("authorisation_categories")
        batch_op.drop_column("orderable_categories")
        batch_op.drop_column("team")
    # users.prescriber_id stays: revision 0007_users may own it.
