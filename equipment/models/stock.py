"""The stock ledger: movements (append-only), balances derived from them, assets and their events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from equipment.db import UTCDateTime, utcnow


class StockMovement(SQLModel, table=True):
    """`quantity` units of an item moved from (depot, state) to (depot, state).

    A missing side is outside the service: a receipt has no source, a scrap no destination.
    Never updated or deleted; a mistake is corrected by a reversing movement.
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="movement_quantity_positive"),
        Index("ix_movements_item_at", "item_id", "at"),
        Index("ix_movements_from_depot_at", "from_depot_id", "at"),
        Index("ix_movements_to_depot_at", "to_depot_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    item_id: int = Field(foreign_key="items.id")
    quantity: int
    from_depot_id: int | None = Field(default=None, foreign_key="depots.id")
    from_state: str | None = Field(default=None, max_length=20)
    to_depot_id: int | None = Field(default=None, foreign_key="depots.id")
    to_state: str | None = Field(default=None, max_length=20)
    asset_id: int | None = Field(default=None, foreign_key="assets.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    van_id: int | None = Field(default=None, foreign_key="vans.id")
    kind: str = Field(max_length=24)  # receipt, adjustment, transfer_out, allocation, ...
    reason: str = Field(default="", max_length=200)
    reverses_id: int | None = Field(default=None, foreign_key="stock_movements.id")


class StockBalance(SQLModel, table=True):
    """How many units of an item are in one state at one depot; kept in step with the ledger."""

    __tablename__ = "stock_balances"
    __table_args__ = (
        UniqueConstraint("depot_id", "item_id", "state"),
        CheckConstraint("quantity >= 0", name="balance_never_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    depot_id: int = Field(foreign_key="depots.id")
    item_id: int = Field(foreign_key="items.id", index=True)
    state: str = Field(max_length=20)
    quantity: int = 0


class Asset(SQLModel, table=True):
    """One serialised unit: its current state is cached here, its history is in AssetEvent."""

    __tablename__ = "assets"
    __table_args__ = (
        Index("ix_assets_depot_state", "depot_id", "state"),
        Index("ix_assets_item_state", "item_id", "state"),
        Index("ix_assets_next_inspection", "next_inspection_due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(max_length=40, unique=True)
    item_id: int = Field(foreign_key="items.id")
    depot_id: int = Field(foreign_key="depots.id")
    state: str = Field(max_length=20)
    order_line_id: int | None = Field(default=None, foreign_key="order_lines.id", index=True)
    van_id: int | None = Field(default=None, foreign_key="vans.id")
    service_user_id: int | None = Field(default=None, foreign_key="service_users.id", index=True)
    on_loan_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_inspected_on: date | None = None
    next_inspection_due: date | None = None
    batch: str = Field(default="", max_length=40, index=True)  # the manufacturer's batch or lot
    manufactured_on: date | None = None
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AssetEvent(SQLModel, table=True):
    """One step in an asset's life (append-only)."""

    __tablename__ = "asset_events"

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(foreign_key="assets.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    event: str = Field(max_length=30)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str | None = Field(default=None, max_length=20)
    depot_id: int | None = Field(default=None, foreign_key="depots.id")
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    result: str | None = Field(default=None, max_length=10)  # inspections: pass / fail
    note: str = Field(default="", max_length=300)


class Transfer(SQLModel, table=True):
    """Stock on its way between depots: dispatched, then received."""

    __tablename__ = "transfers"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id")
    quantity: int = Field(gt=0)
    from_depot_id: int = Field(foreign_key="depots.id")
    to_depot_id: int = Field(foreign_key="depots.id")
    serials: str = Field(default="", max_length=4000)  # space-separated, serialised items only
    status: str = Field(default="in_transit", max_length=12, index=True)
    dispatched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    dispatched_by: int | None = Field(default=None, foreign_key="users.id")
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_by: int | None = Field(default=None, foreign_key="users.id")
