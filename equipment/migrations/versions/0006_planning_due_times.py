"""planning to due times: stops' due time, overdue and minutes late; vans' dirty compartment, one running plan per day and depot set,
the plan's job (plan or re-optimise), the routing problem each plan was solved from

Revision ID: 0006_planning_due_times
Revises: 0005_reports
Create Date: 2026-12-01 13:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import equipment.db

revision = "0006_planning_due_times"
down_revision = "0005_reports"
branch_labels = None
depends_on = None

PLAN_RUNNING = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    with op.batch_alter_table("vans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segregated", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", equipment.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("overdue", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("late_by_minutes", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=12), server_default="plan", nullable=False)
        )
        batch_op.add_column(sa.Column("job_seconds", sa.Float(), nullable=True))
    # Plans left queued or running twice for one day and depot set (before this rule) fail.
    op.execute(
        "UPDATE plans SET status = 'failed', error = 'superseded: another plan of the day was running' "
        "WHERE status IN ('queued', 'running') AND id NOT IN "
        "(SELECT MAX(id) FROM plans WHERE status IN ('queued', 'running') GROUP BY service_date, depots)"
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(
            "ux_plans_one_running",
            ["service_date", "depots"],
            unique=True,
            sqlite_where=PLAN_RUNNING,
            postgresql_where=PLAN_RUNNING,
        )
    op.create_table(
        "plan_problems",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", equipment.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.PrimaryKeyConstraint("plan_id"),
    )


def downgrade() -> None:
    op.drop_table("plan_problems")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index("ux_plans_one_running")
        batch_op.drop_column("job_seconds")
        batch_op.drop_column("job")
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.drop_column("late_by_minutes")
        batch_op.drop_column("overdue")
        batch_op.drop_column("due_at")
    with op.batch_alter_table("vans", schema=None) as batch_op:
        batch_op.drop_column("segregated")
