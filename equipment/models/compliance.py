"""Field safety notices (recalls) and what was done about each unit they name."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from equipment.db import UTCDateTime, utcnow


class Recall(SQLModel, table=True):
    """A manufacturer's field safety notice: which units (by serial, batch or manufacture date
    range of some catalogue lines) and what to do about them (inspect, modify, withdraw)."""

    __tablename__ = "recalls"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=60, unique=True)  # the manufacturer's / MHRA reference
    action: str = Field(max_length=10)  # inspect, modify, withdraw
    response_class: str = Field(foreign_key="response_classes.code", max_length=24)
    skus: str = Field(max_length=400)  # space-separated
    serials: str = Field(default="", max_length=4000)  # space-separated, when chosen by serial
    batch: str = Field(default="", max_length=40)
    made_from: date | None = None
    made_to: date | None = None
    note: str = Field(default="", max_length=1000)
    status: str = Field(default="open", max_length=10, index=True)  # open, closed
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecallUnit(SQLModel, table=True):
    """One unit a recall names: where it was found and what has been done about it."""

    __tablename__ = "recall_units"
    __table_args__ = (UniqueConstraint("recall_id", "asset_id"),)

    id: int | None = Field(default=None, primary_key=True)
    recall_id: int = Field(foreign_key="recalls.id", index=True)
    asset_id: int = Field(foreign_key="assets.id", index=True)
    # quarantined (stock), visit_planned (in a home), flagged (in transit or on a van), done, acknowledged
    status: str = Field(max_length=16)
    found_state: str = Field(max_length=20)  # the unit's state when the notice was recorded
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)  # the visit
    swap_order_id: int | None = Field(default=None, foreign_key="orders.id")  # the replacement
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: int | None = Field(default=None, foreign_key="users.id")
    note: str = Field(default="", max_length=300)
