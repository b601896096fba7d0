"""Back orders: when units become available at a depot, the longest-waiting orders get them first."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from equipment.models import Order, OrderEvent, OrderLine
from equipment.stock.reservations import reserve_for_line
from equipment.vocabulary import OrderStatus

# Built once: it runs on every stock write that makes units available, and almost always finds
# nothing, so it reads only the lines; an order is read when one of its lines gets units.
_WAITING = (
    select(OrderLine)
    .join(Order, Order.id == OrderLine.order_id)
    .where(
        Order.status == OrderStatus.BACK_ORDER,
        Order.depot_id == bindparam("depot_id"),
        OrderLine.item_id == bindparam("item_id"),
        OrderLine.allocated < OrderLine.quantity,
    )
    .order_by(Order.due_at.is_(None), Order.due_at, Order.id, OrderLine.id)
)


def fill(session: Session, *, depot_id: int, item_id: int, user_id: int | None) -> list[str]:
    """Reserve newly available units for back-ordered lines (earliest due first); flush only.

    Returns the refs of orders that became ready because every line is now fully allocated.
    """
    waiting = session.exec(_WAITING, params={"depot_id": depot_id, "item_id": item_id}).all()
    ready: list[str] = []
    touched: dict[int, None] = {}  # order ids, earliest due first
    for line in waiting:
        if reserve_for_line(session, line=line, depot_id=depot_id, user_id=user_id):
            touched[line.order_id] = None
        if line.allocated < line.quantity:
            break  # nothing left for the orders behind this one
    for order in (session.get(Order, order_id) for order_id in touched):
        lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        if all(line.allocated >= line.quantity for line in lines):
            order.status = OrderStatus.READY
            session.add(order)
            session.add(
                OrderEvent(
                    order_id=order.id,
                    user_id=user_id,
                    event="allocated",
                    detail="all lines allocated from stock that became available",
                )
            )
            ready.append(order.ref)
    session.flush()
    return ready
