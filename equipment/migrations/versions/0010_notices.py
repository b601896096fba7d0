"""notices: messages to service users, and how each person asked to be told

Revision ID: 0010_notices
Revises: 0008_prescribers
Create Date: 2026-12-01 12:50:00
"""

import sqlalchemy as sa
from alembic import op

from equipment.db import UTCDateTime

revision = "0010_notices"
down_revision = "0008_prescribers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact_by", sa.String(length=8), nullable=False, server_default="letter"))
        batch_op.add_column(sa.Column("contact_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_key", sa.String(length=120), nullable=False, unique=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("service_user_id", sa.Integer(), sa.ForeignKey("service_users.id"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=True),
        sa.Column("stop_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.String(length=600), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_notices_service_user_id", "notices", ["service_user_id"])
    op.create_index("ix_notices_order_id", "notices", ["order_id"])
    op.create_index("ix_notices_status", "notices", ["status"])


def downgrade() -> None:
    op.drop_table("notices")
    with op.batch_alter_table("service_users", schema=None) as batch_op:
        batch_op.drop_column("contact_consent")
        batch_op.drop_column("contact_by")
        batch_op.drop_column("email")
