"""The writes of an urgent insertion, each one transaction: the new stop (and the stops that gave
way to it going back to be planned), no room found, or room declined; every one audited."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, delete, select

from equipment import audit, notices
from equipment.db import use_case
from equipment.errors import Conflict
from equipment.models import Order, OrderEvent, Plan, StopOrder, Unplanned
from equipment.planning.keep_order import NEW_JOB_BASE, FixedRoutes, lock_unchanged_plan
from equipment.planning.store import new_route, predict_delay, write_route
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import DelayCause, DelayKind, OrderStatus

if TYPE_CHECKING:
    from equipment.planning.urgent import Insertion


@use_case
def write_insertion(
    session: Session,
    *,
    plan_id: int,
    order: Order,
    fixed: FixedRoutes,
    vroute: dict,
    result: Insertion,
    user_id: int | None,
) -> None:
    plan = lock_unchanged_plan(session, plan_id, fixed.state)
    if session.exec(select(Order.status).where(Order.id == order.id)).one() != OrderStatus.READY:
        raise Conflict(f"order {order.ref} changed while its insertion was being worked out; try again")
    van = fixed.built.vans[vroute["vehicle"]]
    given_up = _give_way(session, plan, fixed, [d.stop_id for d in result.displaced], order, user_id)
    route = fixed.routes.get(van.id) or new_route(session, plan, van.id)
    written = write_route(session, plan, route, fixed.built, vroute, new_stops=False, stops_by_id=fixed.stops)
    job_ids = [step["id"] for step in vroute["steps"] if step["type"] == "job"]
    inserted = written[job_ids.index(NEW_JOB_BASE)]  # (SQLite may give it a displaced stop's id)
    result.stop.stop_id = inserted.id
    order.status = OrderStatus.PLANNED
    session.add(order)
    session.exec(delete(Unplanned).where(Unplanned.plan_id == plan.id, Unplanned.order_id == order.id))
    session.add(
        OrderEvent(
            order_id=order.id,
            user_id=user_id,
            event="planned",
            detail=f"urgent insertion into plan {plan.id}, van {van.reg}, ETA {inserted.eta:%H:%M}Z",
        )
    )
    if inserted.late:
        predict_delay(
            session,
            order,
            cause=DelayCause.NO_VAN_CAPACITY,
            expected_at=inserted.eta,
            plan_id=plan.id,
            note="inserted after its due time",
            user_id=user_id,
        )
    _knock_on_delays(session, plan, fixed, result, order, user_id)
    detail = f"{order.ref} -> {van.reg}" + (f", displacing {', '.join(given_up)}" if given_up else "")
    audit.record(session, user_id=user_id, action="urgent_inserted", entity="plan", entity_id=plan.id, detail=detail)
    notices.queue_window_notices(session, plan)  # the new visit's window; any window it moved


def _knock_on_delays(
    session: Session, plan: Plan, fixed: FixedRoutes, result: Insertion, order: Order, user_id: int | None
) -> None:
    for change in result.late_stops:
        for o in fixed.built.jobs[change.stop_id].orders:
            if o.due_at is not None and change.eta > o.due_at:
                predict_delay(
                    session,
                    o,
                    cause=DelayCause.NO_VAN_CAPACITY,
                    expected_at=change.eta,
                    plan_id=plan.id,
                    note=f"knock-on of urgent order {order.ref}",
                    user_id=user_id,
                )


def _give_way(
    session: Session, plan: Plan, fixed: FixedRoutes, stop_ids: list[int], urgent: Order, user_id: int | None
) -> list[str]:
    """Take the stops off their route; their orders go back to be planned (ready), listed as not
    planned in this plan, with a predicted delay when they will now miss their due time."""
    if not stop_ids:
        return []
    end_of_day = fixed.built.origin + timedelta(days=1)
    orders = list(
        session.exec(
            select(Order).join(StopOrder, StopOrder.order_id == Order.id).where(StopOrder.stop_id.in_(stop_ids))
        )
    )
    for o in orders:
        if o.status != OrderStatus.PLANNED:
            raise Conflict(f"order {o.ref} changed while room was being made; try again")
        o.status = OrderStatus.READY
        session.add(o)
        reason = f"displaced by urgent order {urgent.ref}"
        session.add(Unplanned(plan_id=plan.id, order_id=o.id, reason=reason))
        session.add(OrderEvent(order_id=o.id, user_id=user_id, event="displaced", detail=f"plan {plan.id}: {reason}"))
        if o.due_at is not None and o.due_at < end_of_day:
            record_delay(
                session,
                o,
                kind=DelayKind.PREDICTED,
                cause=DelayCause.NO_VAN_CAPACITY,
                plan_id=plan.id,
                user_id=user_id,
                note=reason,
            )
        audit.record(session, user_id=user_id, action="stop_displaced", entity="order", entity_id=o.ref, detail=reason)
    session.exec(delete(StopOrder).where(StopOrder.stop_id.in_(stop_ids)))
    for stop_id in stop_ids:
        session.delete(fixed.stops[stop_id])
    session.flush()
    return [o.ref for o in orders]


@use_case
def record_no_room(session: Session, *, plan_id: int, order: Order, result: Insertion, user_id: int | None) -> None:
    """An urgent order that fits nowhere: what was offered, for the audit trail."""
    offered = "; ".join(
        f"{c.van} giving up {', '.join(ref for d in c.displaced for ref in d.order_refs)}" for c in result.offers
    )
    audit.record(
        session,
        user_id=user_id,
        action="urgent_no_room",
        entity="plan",
        entity_id=plan_id,
        detail=f"{order.ref}: {result.reason}" + (f"; offered: {offered}" if offered else "; nothing to offer"),
    )


def record_declined(session: Session, *, plan: Plan, order: Order, user_id: int | None) -> None:
    """No room made for the order: it stays ready, with a predicted delay (it misses today)."""
    note = f"no room made in plan {plan.id}: declined by the coordinator"
    if order.due_at is not None:
        record_delay(
            session,
            order,
            kind=DelayKind.PREDICTED,
            cause=DelayCause.NO_VAN_CAPACITY,
            plan_id=plan.id,
            user_id=user_id,
            note=note,
        )
    session.add(OrderEvent(order_id=order.id, user_id=user_id, event="urgent_declined", detail=note))
    audit.record(
        session, user_id=user_id, action="urgent_room_declined", entity="plan", entity_id=plan.id, detail=order.ref
    )
