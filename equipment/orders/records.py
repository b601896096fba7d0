"""Finding an order and its lines, and adding to its timeline. Helpers only: they add and flush."""

from __future__ import annotations

from sqlmodel import Session, select

from equipment.errors import NotFound
from equipment.models import Order, OrderEvent, OrderLine


def order_by_ref(session: Session, ref: str, *, for_update: bool = False) -> Order:
    query = select(Order).where(Order.ref == ref)
    if for_update:
        query = query.with_for_update()
    order = session.exec(query).first()
    if order is None:
        raise NotFound(f"No order {ref}", field="ref")
    return order


def order_lines(session: Session, order: Order) -> list[OrderLine]:
    return list(session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)))


def add_event(session: Session, order: Order, user_id: int | None, event: str, detail: str = "") -> None:
    """One entry on the order's timeline."""
    session.add(OrderEvent(order_id=order.id, user_id=user_id, event=event, detail=detail[:1000]))
