"""The outbox in the API: messages without their bodies' readers' names."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from equipment.schemas import PageQuery
from equipment.vocabulary import Channel, NoticeKind, NoticeStatus


class NoticeQuery(PageQuery):
    status: NoticeStatus | None = Field(None, description="queued, sending, sent, delivered or failed")
    kind: NoticeKind | None = None
    channel: Channel | None = None


class NoticePublic(BaseModel):
    id: int
    order_ref: str | None
    channel: Channel
    kind: NoticeKind
    status: NoticeStatus
    created_at: datetime
    sent_at: datetime | None
    error: str = Field("", description="why Notify refused it, when it failed")


class NoticeList(BaseModel):
    items: list[NoticePublic]
    total: int
