"""One order's timeline, by reference: pseudonymous (no person's name or address)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from equipment.db import utcnow
from equipment.errors import NotFound
from equipment.models import Delay, Order, OrderEvent
from equipment.reports.causes import cause_label
from equipment.reports.delays import DelayEntry
from equipment.reports.scopes import depot_codes
from equipment.vocabulary import OrderStatus


@dataclass
class TimelineEntry:
    at: datetime
    event: str
    detail: str


@dataclass
class OrderTimeline:
    ref: str
    kind: str
    response_class: str
    status: str
    depot: str
    district: str
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    excused: bool
    on_time: bool | None
    events: list[TimelineEntry] = field(default_factory=list)
    delays: list[DelayEntry] = field(default_factory=list)


def order_timeline(session: Session, ref: str, *, with_details: bool, now: datetime | None = None) -> OrderTimeline:
    """An order's timeline by reference: no person's name or address; event details (free text
    written by staff) only when `with_details`."""
    now = now or utcnow()
    order = session.execute(select(Order).where(Order.ref == ref.strip().upper())).scalar_one_or_none()
    if order is None:
        raise NotFound(f"no order {ref}", field="ref")
    codes = depot_codes(session)
    on_time = None
    if order.due_at is not None and order.status != OrderStatus.CANCELLED:
        if order.completed_at is not None:
            on_time = order.completed_at <= order.due_at
        elif order.due_at < now:
            on_time = False
    timeline = OrderTimeline(
        order.ref,
        order.kind,
        order.response_class,
        order.status,
        codes.get(order.depot_id, ""),
        order.district,
        order.received_at,
        order.due_at,
        order.completed_at,
        order.excused,
        on_time,
    )
    events = session.execute(
        select(OrderEvent.at, OrderEvent.event, OrderEvent.detail)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.at, OrderEvent.id)
    )
    timeline.events = [TimelineEntry(e.at, e.event, e.detail if with_details else "") for e in events]
    delays = session.execute(
        select(Delay).where(Delay.order_id == order.id).order_by(Delay.recorded_at, Delay.id)
    ).scalars()
    timeline.delays = [
        DelayEntry(
            d.id,
            order.ref,
            d.kind,
            d.cause,
            cause_label(d.cause),
            d.attributable,
            order.response_class,
            timeline.depot,
            order.district,
            d.due_at,
            d.expected_at,
            d.recorded_at,
            d.note if with_details else "",
        )
        for d in delays
    ]
    return timeline
