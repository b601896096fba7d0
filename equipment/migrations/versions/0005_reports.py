"""reports: covering index for KPI aggregations, delay log by kind and time

Revision ID: 0005_reports
Revises: 0001
Create Date: 2026-11-22 21:30:00
"""

from alembic import op

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
    with op.batch_alter_table("delays", schema=None) as batch_op:
        batch_op.create_index("ix_delays_kind_recorded", ["kind", "recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delays", schema=None) as batch_op:
        batch_op.drop_index("ix_delays_kind_recorded")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_kpi")
