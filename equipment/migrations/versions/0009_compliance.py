"""compliance: assets gain batch and manufacture date; recalls and the units they name

Revision ID: 0009_compliance
Revises: 0010_notices
Create Date: 2026-12-01 12:45:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from equipment.db import UTCDateTime

revision = "0009_compliance"
down_revision = "0010_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("manufactured_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_assets_batch", ["batch"], unique=False)
    op.create_table(
        "recalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("response_class", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("skus", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("serials", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("made_from", sa.Date(), nullable=True),
        sa.Column("made_to", sa.Date(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["response_class"], ["response_classes.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("recalls", schema=None) as batch_op:
        batch_op.create_index("ix_recalls_status", ["status"], unique=False)
    op.create_table(
        "recall_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recall_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("found_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("swap_order_id", sa.Integer(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["recall_id"], ["recalls.id"]),
        sa.ForeignKeyConstraint(["swap_order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recall_id", "asset_id"),
    )
    with op.batch_alter_table("recall_units", schema=None) as batch_op:
        batch_op.create_index("ix_recall_units_recall_id", ["recall_id"], unique=False)
        batch_op.create_index("ix_recall_units_asset_id", ["asset_id"], unique=False)
        batch_op.create_index("ix_recall_units_order_id", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_table("recall_units")
    op.drop_table("recalls")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_batch")
        batch_op.drop_column("manufactured_on")
        batch_op.drop_column("batch")
