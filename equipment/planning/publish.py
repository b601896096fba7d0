"""Publishing a plan to the drivers, the vans' load lists, and marking a van loaded."""

from __future__ import annotations

from sqlmodel import Session, select

from equipment import audit, notices, stock
from equipment.db import use_case, utcnow
from equipment.errors import Conflict, InvalidTransition, NotFound
from equipment.models import Item, Order, OrderEvent, OrderLine, Plan, Route
from equipment.planning.views import RouteView, get_plan, line_serials, plan_view, stops_of_routes
from equipment.vocabulary import OrderKind, OrderStatus, PlanStatus


@use_case
def publish_plan(session: Session, *, plan_id: int, user_id: int | None) -> Plan:
    """Make a finished plan's routes visible to drivers; its orders become planned."""
    plan = get_plan(session, plan_id)
    if plan.status != PlanStatus.DONE:
        raise InvalidTransition(f"plan {plan.id} is {plan.status}; only a finished plan can be published")
    if plan.published_at is not None:
        raise InvalidTransition(f"plan {plan.id} is already published")
    mine = set(plan.depots.split())
    for other in session.exec(select(Plan).where(Plan.service_date == plan.service_date, Plan.published_at != None)):
        theirs = set(other.depots.split())
        if not mine or not theirs or mine & theirs:
            raise Conflict(f"plan {other.id} is already published for {plan.service_date} and these depots")
    plan.published_at, plan.published_by = utcnow(), user_id
    session.add(plan)
    for view in plan_view(session, plan.id).routes:
        for sv in view.stops:
            for order in sv.orders:
                if order.status == OrderStatus.READY:
                    order.status = OrderStatus.PLANNED
                    session.add(order)
                    session.add(
                        OrderEvent(
                            order_id=order.id,
                            user_id=user_id,
                            event="planned",
                            detail=f"plan {plan.id}, van {view.van.reg}, ETA {sv.stop.eta:%Y-%m-%d %H:%M}Z",
                        )
                    )
    notices.queue_window_notices(session, plan)
    audit.record(session, user_id=user_id, action="plan_published", entity="plan", entity_id=plan.id)
    return plan


def load_list(session: Session, plan_id: int) -> list[tuple[RouteView, list[tuple[Order, OrderLine, Item, list[str]]]]]:
    """Per van: each delivery line to load and the serials allocated to it."""
    view = plan_view(session, plan_id)
    out = []
    for rv in view.routes:
        lines_out = []
        orders = [o for sv in rv.stops for o in sv.orders if o.kind == OrderKind.DELIVERY]
        if orders:
            lines = list(
                session.exec(
                    select(OrderLine).where(OrderLine.order_id.in_([o.id for o in orders])).order_by(OrderLine.id)
                )
            )
            items, serials = line_serials(session, lines)
            by_id = {o.id: o for o in orders}
            for line in lines:
                lines_out.append((by_id[line.order_id], line, items[line.item_id], serials.get(line.id, [])))
        out.append((rv, lines_out))
    return out


@use_case
def mark_loaded(session: Session, *, route_id: int, user_id: int | None, plan_id: int | None = None) -> Route:
    """The van has been loaded: its delivery lines move onto the van."""
    route = session.get(Route, route_id)
    if route is None or (plan_id is not None and route.plan_id != plan_id):
        raise NotFound(f"no route {route_id}" + (f" in plan {plan_id}" if plan_id else ""))
    plan = get_plan(session, route.plan_id)
    if plan.published_at is None:
        raise InvalidTransition("publish the plan before loading its vans")
    if route.loaded_at is not None:
        raise InvalidTransition("this van is already marked loaded")
    for sv in stops_of_routes(session, [route.id])[route.id]:
        for order in sv.orders:
            if order.kind != OrderKind.DELIVERY or order.status != OrderStatus.PLANNED:
                continue
            for line in session.exec(select(OrderLine).where(OrderLine.order_id == order.id)):
                stock.load_line(session, line=line, van_id=route.van_id, user_id=user_id)
            order.status = OrderStatus.LOADED
            session.add(order)
            session.add(OrderEvent(order_id=order.id, user_id=user_id, event="loaded", detail=f"route {route.id}"))
    route.loaded_at = utcnow()
    session.add(route)
    audit.record(session, user_id=user_id, action="van_loaded", entity="route", entity_id=route.id)
    return route
