"""reports: covering index for KPI aggregations, partial index of late or open orders, delay log by kind

Revision ID: 0005_reports
Revises: 0001
Create Date: 2026-11-22 21:30:00
"""

import sqlalchemy as sa
from alembic import op

# Orders completed after their due time or not completed yet: the few that can be late.
LATE_OR_OPEN = sa.text("completed_at > due_at OR completed_at IS NULL")

revision = "0005_reports"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every KPI figure is a GROUP BY over the orders due in a period: this index holds every
    # column those aggregations read, so they scan the index range instead of the table.
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_kpi",
            ["due_at", "response_class", "status", "completed_at", "excused", "depot_id", "district"],
            unique=False,
        )
        batch_op.create_index(
            "ix_orders_late",
            ["due_at", "completed_at", "status", "excused", "response_class", "id"],
            unique=False, postgresql_where=LATE_OR_OPEN, sqlite_where=LATE_OR_OPEN
        )
    with op.batch_alter_table("delays", schema=None) as batch_op:
        batch_op.create_index("ix_delays_kind_recorded", ["kind", "recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delays", schema=None) as batch_op:
        batch_op.drop_index("ix_delays_kind_recorded")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_late")
        batch_op.drop_index("ix_orders_kpi")
