"""Delays, the audit trail and remembered idempotent requests: rows that are only ever added."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from equipment.db import UTCDateTime, utcnow


class Delay(SQLModel, table=True):
    """A predicted or actual delay of one order, with its cause."""

    __tablename__ = "delays"
    __table_args__ = (
        Index("ix_delays_recorded", "recorded_at"),
        Index("ix_delays_kind_recorded", "kind", "recorded_at"),  # revision 0005_reports
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(max_length=10)  # predicted or actual
    cause: str = Field(max_length=30, index=True)
    attributable: bool = True
    due_at: datetime = Field(sa_type=UTCDateTime)
    expected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    plan_id: int | None = Field(default=None, foreign_key="plans.id")
    note: str = Field(default="", max_length=300)
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who did or saw what: every change and every view of a person's record."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=40)
    entity: str = Field(max_length=30)
    entity_id: str = Field(max_length=40)
    detail: str = Field(default="", max_length=1000)


class IdempotentRequest(SQLModel, table=True):
    """The answer given to a write sent with an Idempotency-Key, replayed on a retry."""

    __tablename__ = "idempotent_requests"

    key: str = Field(primary_key=True, max_length=100)
    user_id: int = Field(foreign_key="users.id")
    method: str = Field(max_length=8)
    path: str = Field(max_length=200)
    body_hash: str = Field(max_length=64)
    status_code: int
    response_body: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
