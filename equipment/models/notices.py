"""Messages to service users: one row per event, whatever the channel, with its delivery status."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from equipment.db import UTCDateTime, utcnow


class Notice(SQLModel, table=True):
    __tablename__ = "notices"

    id: int | None = Field(default=None, primary_key=True)
    # What the message is about (e.g. "window:12:2026-12-02:10:00"): one event, one message, ever.
    event_key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=16)
    channel: str = Field(max_length=8)
    service_user_id: int = Field(foreign_key="service_users.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    # The visit it was about; no foreign key: a re-planned or displaced visit goes, its message stays.
    stop_id: int | None = None
    body: str = Field(max_length=600)
    status: str = Field(default="queued", max_length=10, index=True)
    attempts: int = 0
    provider_id: str = Field(default="", max_length=64)
    error: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
