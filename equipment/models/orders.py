"""Response classes (clock settings), orders, their lines and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from equipment.db import UTCDateTime, utcnow


class ResponseClass(SQLModel, table=True):
    """A clock: when it starts, how it counts, what stops it, and the contract's target."""

    __tablename__ = "response_classes"

    code: str = Field(primary_key=True, max_length=24)
    name: str = Field(max_length=60)
    kind: str = Field(max_length=12)  # delivery or collection
    clock_start: str = Field(default="received", max_length=12)  # received or authorised
    counting: str = Field(max_length=16)  # calendar_hours, working_days, service_hours
    amount: int = Field(gt=0)
    service_hours_start: str | None = Field(default=None, max_length=5)  # "08:00"
    service_hours_end: str | None = Field(default=None, max_length=5)
    cutoff: str | None = Field(default=None, max_length=5)
    stopped_by: str = Field(default="delivered", max_length=12)
    target_percent: float = 95.0


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_status_due", "status", "due_at"),
        Index("ix_orders_class_due", "response_class", "due_at"),
        Index("ix_orders_depot_due", "depot_id", "due_at"),
        # A prescriber's own orders (revision 0008_prescribers).
        Index("ix_orders_prescriber_due", "prescriber_id", "due_at"),
        # Covers the KPI aggregations (revision 0005_reports).
        Index("ix_orders_kpi", "due_at", "response_class", "status", "completed_at", "excused", "depot_id", "district"),
        # The few orders that can be late (done after their due time, or not done): lists and causes.
        Index(
            "ix_orders_late",
            "due_at",
            "completed_at",
            "status",
            "excused",
            "response_class",
            "id",
            postgresql_where=text("completed_at > due_at OR completed_at IS NULL"),
            sqlite_where=text("completed_at > due_at OR completed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=20, unique=True)  # pseudonymous: officers see only this
    kind: str = Field(max_length=12)
    response_class: str = Field(foreign_key="response_classes.code", max_length=24)
    status: str = Field(max_length=24)
    service_user_id: int = Field(foreign_key="service_users.id", index=True)
    prescriber_id: int | None = Field(default=None, foreign_key="prescribers.id")
    depot_id: int = Field(foreign_key="depots.id")
    district: str = Field(default="", max_length=6)
    received_at: datetime = Field(sa_type=UTCDateTime)
    clock_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    authorised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    authorised_by: int | None = Field(default=None, foreign_key="users.id")
    slot_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    slot_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # True when the lateness has a cause not attributable to the provider; set with the delay.
    excused: bool = False
    notes: str = Field(default="", max_length=1000)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    item_id: int = Field(foreign_key="items.id", index=True)
    quantity: int = Field(gt=0)
    allocated: int = 0
    serial: str | None = Field(default=None, max_length=40)  # a collection by serial


class OrderEvent(SQLModel, table=True):
    """One entry in an order's timeline (append-only)."""

    __tablename__ = "order_events"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    event: str = Field(max_length=30)
    detail: str = Field(default="", max_length=1000)
