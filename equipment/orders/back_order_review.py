"""Back orders over time: trying them again at any depot that can now supply them whole, and
logging a predicted stock delay once a back order can no longer meet its due time."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case, utcnow
from equipment.models import Delay, Depot, Order, ServiceUser
from equipment.orders import clocks
from equipment.orders.allocation import allocate, move_whole_order
from equipment.orders.records import add_event, order_lines
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import DelayCause, DelayKind, OrderStatus


def predict_stock_delay(session: Session, order: Order, *, now: datetime, user_id: int | None, tz: str) -> bool:
    """Log a predicted stock delay once, when a back-order can no longer meet its due time."""
    if order.status != OrderStatus.BACK_ORDER or order.due_at is None:
        return False
    if not clocks.within_next_working_day(order.due_at, now, tz=tz):
        return False
    already = session.exec(
        select(Delay.id).where(
            Delay.order_id == order.id, Delay.kind == DelayKind.PREDICTED, Delay.cause == DelayCause.STOCK_UNAVAILABLE
        )
    ).first()
    if already:
        return False
    record_delay(
        session,
        order,
        kind=DelayKind.PREDICTED,
        cause=DelayCause.STOCK_UNAVAILABLE,
        user_id=user_id,
        note="no depot has the stock in time",
    )
    return True


@use_case
def predict_back_order_delays(
    session: Session, *, now: datetime | None = None, user_id: int | None = None, tz: str = clocks.DEFAULT_TZ
) -> list[str]:
    """Log predicted stock delays for back-orders that can no longer meet their due time
    (due by the end of the next working day). Commits; returns the refs newly logged."""
    now = now or utcnow()
    horizon = clocks.end_of_working_day(clocks.next_working_day(now.astimezone(clocks.zone(tz)).date()), tz=tz)
    orders = session.exec(
        select(Order).where(Order.status == OrderStatus.BACK_ORDER, Order.due_at <= horizon).order_by(Order.due_at)
    ).all()
    logged = [o.ref for o in orders if predict_stock_delay(session, o, now=now, user_id=user_id, tz=tz)]
    return logged


@use_case
def review_back_orders(
    session: Session, *, user_id: int | None, now: datetime | None = None, tz: str = clocks.DEFAULT_TZ
) -> tuple[list[str], list[str]]:
    """Try every back-order again, earliest due first, at any depot that can now supply it whole
    (stock that arrived at another depot than the one it waits at), and log predicted stock
    delays for those that can no longer meet their due time. Commits; returns (ready, delayed) refs."""
    now = now or utcnow()
    waiting = session.exec(
        select(Order)
        .where(Order.status == OrderStatus.BACK_ORDER)
        .order_by(Order.due_at.is_(None), Order.due_at, Order.id)
    ).all()
    ready: list[str] = []
    for order in waiting:
        rows = order_lines(session, order)
        person = session.get(ServiceUser, order.service_user_id)
        complete = allocate(session, order, rows, lat=person.lat, lon=person.lon, user_id=user_id)
        if not complete and any(row.allocated for row in rows):
            complete = (
                move_whole_order(session, order, rows, lat=person.lat, lon=person.lon, user_id=user_id) is not None
            )
        if complete:
            order.status = OrderStatus.READY
            session.add(order)
            depot = session.get(Depot, order.depot_id)
            add_event(session, order, user_id, "allocated", f"all lines reserved at {depot.code} on review")
            ready.append(order.ref)
    session.flush()
    delayed = [o.ref for o in waiting if predict_stock_delay(session, o, now=now, user_id=user_id, tz=tz)]
    audit.record(
        session,
        user_id=user_id,
        action="reviewed_back_orders",
        entity="order",
        entity_id="back_order",
        detail=f"{len(ready)} ready, {len(delayed)} delays predicted",
    )
    return ready, delayed
