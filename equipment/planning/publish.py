"""Publishing a plan to the drivers (and withdrawing one nothing has happened on yet, to
replace it), the vans' load lists, and marking a van loaded."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from equipment import audit, notices, stock
from equipment.db import use_case, utcnow
from equipment.errors import Conflict, InvalidTransition, NotFound
from equipment.models import Item, Order, OrderEvent, OrderLine, Outcome, Plan, Route, Stop
from equipment.planning.solving import create_plan
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
            raise Conflict(
                f"plan {other.id} is already published for {plan.service_date} and these depots;"
                " replace it from its page while no outcome is recorded on it"
            )
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


@use_case
def withdraw_plan(session: Session, *, plan_id: int, user_id: int | None) -> Plan:
    """Take a published plan back from the drivers so a new one can replace it: only while no
    outcome is recorded on it and no van of it is loaded. Its planned orders are ready again."""
    plan = get_plan(session, plan_id)
    if plan.published_at is None:
        raise InvalidTransition(f"plan {plan.id} is not published")
    routes = list(session.exec(select(Route).where(Route.plan_id == plan.id)))
    if any(r.loaded_at is not None for r in routes):
        raise InvalidTransition(f"plan {plan.id} cannot be replaced: a van of it is already loaded")
    stop_ids = select(Stop.id).join(Route, Route.id == Stop.route_id).where(Route.plan_id == plan.id)
    if session.exec(select(Outcome.id).where(Outcome.stop_id.in_(stop_ids))).first() is not None:
        raise InvalidTransition(f"plan {plan.id} cannot be replaced: outcomes are recorded on it")
    for view in plan_view(session, plan.id).routes:
        for order in (o for sv in view.stops for o in sv.orders if o.status == OrderStatus.PLANNED):
            order.status = OrderStatus.READY
            session.add(order)
            session.add(
                OrderEvent(order_id=order.id, user_id=user_id, event="unplanned", detail=f"plan {plan.id} withdrawn")
            )
    plan.published_at, plan.published_by = None, None
    session.add(plan)
    audit.record(session, user_id=user_id, action="plan_withdrawn", entity="plan", entity_id=plan.id)
    return plan


@use_case
def replace_plan(session: Session, *, plan_id: int, seconds: float, user_id: int | None) -> Plan:
    """Withdraw a published plan nothing has happened on yet and queue a new one for the same
    day and depots, in one transaction; the caller hands the new plan to a worker."""
    old = withdraw_plan(session, plan_id=plan_id, user_id=user_id)
    codes = old.depots.split() or None
    return create_plan(session, service_date=old.service_date, depot_codes=codes, seconds=seconds, user_id=user_id)


@dataclass
class LoadLine:
    """One delivery line to load, with the stop it is for (its sequence and status)."""

    stop: Stop
    order: Order
    line: OrderLine
    item: Item
    serials: list[str]


def load_list(session: Session, plan_id: int) -> list[tuple[RouteView, list[LoadLine]]]:
    """Per van, in stop order: each delivery line to load, the serials allocated to it, and the
    stop's status (a stop already done needs nothing loaded for it any more, but shows)."""
    view = plan_view(session, plan_id)
    out = []
    for rv in view.routes:
        orders = [o for sv in rv.stops for o in sv.orders if o.kind == OrderKind.DELIVERY]
        lines = (
            list(session.exec(select(OrderLine).where(OrderLine.order_id.in_([o.id for o in orders]))))
            if orders
            else []
        )
        items, serials = line_serials(session, lines) if lines else ({}, {})
        by_order: dict[int, list[OrderLine]] = {}
        for line in sorted(lines, key=lambda ln: ln.id):
            by_order.setdefault(line.order_id, []).append(line)
        loads = [
            LoadLine(sv.stop, order, line, items[line.item_id], serials.get(line.id, []))
            for sv in sorted(rv.stops, key=lambda sv: sv.stop.sequence)
            for order in sv.orders
            if order.kind == OrderKind.DELIVERY
            for line in by_order.get(order.id, [])
        ]
        out.append((rv, loads))
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
