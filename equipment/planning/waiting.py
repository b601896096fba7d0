"""Urgent orders waiting to go into a published plan: emergencies and swaps of unsafe
equipment (any class whose clock counts hours) that are ready, due by the end of the plan's
day, and on no route yet. The plan page lists them, so the coordinator never has to find them."""

from __future__ import annotations

from sqlmodel import Session, select

from equipment.models import Order, Plan, ResponseClass
from equipment.planning.problem import day_end, hours_classes
from equipment.vocabulary import OrderStatus

SHOWN = 20


def urgent_waiting(session: Session, plan: Plan, depot_ids: list[int], *, tz: str) -> list[tuple[Order, str]]:
    """(order, its class's name) for the plan's depots' ready urgent orders due by the end of
    its day, soonest due first."""
    return list(
        session.exec(
            select(Order, ResponseClass.name)
            .join(ResponseClass, ResponseClass.code == Order.response_class)
            .where(
                Order.status == OrderStatus.READY,
                Order.response_class.in_(hours_classes(session)),
                Order.due_at <= day_end(plan.service_date, tz),
                Order.depot_id.in_(depot_ids),
            )
            .order_by(Order.due_at, Order.id)
            .limit(SHOWN)
        )
    )
