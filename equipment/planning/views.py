"""Reading a plan: its routes with their stops, orders and people; a day's published routes;
the lines (items and serials) of the orders on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from equipment.errors import NotFound
from equipment.models import (
    Asset,
    Depot,
    Item,
    Order,
    OrderLine,
    Plan,
    Route,
    ServiceUser,
    Stop,
    StopOrder,
    Unplanned,
    User,
    Van,
)
from equipment.vocabulary import Role


@dataclass
class StopView:
    stop: Stop
    orders: list[Order]
    person: ServiceUser | None = None


@dataclass
class RouteView:
    route: Route
    van: Van
    driver: User | None
    stops: list[StopView]
    depot_code: str = ""


@dataclass
class PlanView:
    plan: Plan
    routes: list[RouteView]
    unplanned: list[tuple[Order, str]]
    depots: list = field(default_factory=list)

    @property
    def late(self) -> int:
        """Stops the plan makes late (after a due time that fell on the service day)."""
        return sum(1 for rv in self.routes for sv in rv.stops if sv.stop.late)

    @property
    def overdue(self) -> int:
        """Stops with an order already overdue before the day began (not the plan's doing)."""
        return sum(1 for rv in self.routes for sv in rv.stops if sv.stop.overdue)


def get_plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    return plan


def list_plans(
    session: Session, *, service_date: date | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Plan], int]:
    query = select(Plan)
    if service_date:
        query = query.where(Plan.service_date == service_date)
    plans = list(session.exec(query.order_by(Plan.id.desc()).offset(offset).limit(limit)))
    total = len(list(session.exec(query)))
    return plans, total


def stops_of_routes(session: Session, route_ids: list[int]) -> dict[int, list[StopView]]:
    """Stops with their orders and people, per route, in visiting order."""
    out: dict[int, list[StopView]] = {r: [] for r in route_ids}
    if not route_ids:
        return out
    stops = list(session.exec(select(Stop).where(Stop.route_id.in_(route_ids)).order_by(Stop.route_id, Stop.sequence)))
    stop_ids = [s.id for s in stops]
    orders_of: dict[int, list[Order]] = {s: [] for s in stop_ids}
    if stop_ids:
        for link, order in session.exec(
            select(StopOrder, Order)
            .join(Order, Order.id == StopOrder.order_id)
            .where(StopOrder.stop_id.in_(stop_ids))
            .order_by(Order.id)
        ):
            orders_of[link.stop_id].append(order)
    people_ids = {s.service_user_id for s in stops}
    people = (
        {p.id: p for p in session.exec(select(ServiceUser).where(ServiceUser.id.in_(people_ids)))} if people_ids else {}
    )
    for s in stops:
        out[s.route_id].append(StopView(s, orders_of[s.id], people.get(s.service_user_id)))
    return out


def route_views(session: Session, routes: list[Route]) -> list[RouteView]:
    """Routes with their van, driver, depot and stops, in order of van registration."""
    stops = stops_of_routes(session, [r.id for r in routes])
    vans = {v.id: v for v in session.exec(select(Van).where(Van.id.in_([r.van_id for r in routes])))} if routes else {}
    driver_ids = {r.driver_id for r in routes if r.driver_id}
    drivers = {u.id: u for u in session.exec(select(User).where(User.id.in_(driver_ids)))} if driver_ids else {}
    depots = {d.id: d.code for d in session.exec(select(Depot))}
    return [
        RouteView(r, vans[r.van_id], drivers.get(r.driver_id), stops[r.id], depots.get(vans[r.van_id].depot_id, ""))
        for r in sorted(routes, key=lambda r: vans[r.van_id].reg)
    ]


def plan_view(session: Session, plan_id: int) -> PlanView:
    """A plan with its routes, stops and unplanned orders."""
    plan = get_plan(session, plan_id)
    routes = list(session.exec(select(Route).where(Route.plan_id == plan.id)))
    unplanned = list(
        session.exec(
            select(Order, Unplanned.reason)
            .join(Unplanned, Unplanned.order_id == Order.id)
            .where(Unplanned.plan_id == plan.id)
            .order_by(Order.due_at, Order.id)
        )
    )
    return PlanView(plan, route_views(session, routes), [(o, r) for o, r in unplanned])


def day_routes(session: Session, *, service_date: date, van_id: int | None = None) -> list[RouteView]:
    """Published routes of a day (one van's only, when given), with their stops."""
    query = (
        select(Route)
        .join(Plan, Plan.id == Route.plan_id)
        .where(Plan.service_date == service_date, Plan.published_at != None)
    )
    if van_id is not None:
        query = query.where(Route.van_id == van_id)
    return route_views(session, list(session.exec(query)))


def route_for_driver(session: Session, *, route_id: int, van_id: int | None, role: str) -> RouteView:
    """One published route; a driver only ever gets their own van's."""
    route = session.get(Route, route_id)
    plan = session.get(Plan, route.plan_id) if route else None
    if route is None or plan is None or plan.published_at is None:
        raise NotFound(f"no route {route_id}")
    if role == Role.DRIVER and route.van_id != van_id:
        raise NotFound(f"no route {route_id}")
    return route_views(session, [route])[0]


def line_serials(session: Session, lines: list[OrderLine]) -> tuple[dict[int, Item], dict[int, list[str]]]:
    """The items of order lines, and the serials of the units reserved for each line."""
    if not lines:
        return {}, {}
    items = {i.id: i for i in session.exec(select(Item).where(Item.id.in_({l.item_id for l in lines})))}
    serials: dict[int, list[str]] = {}
    for asset in session.exec(
        select(Asset).where(Asset.order_line_id.in_([l.id for l in lines])).order_by(Asset.serial)
    ):
        serials.setdefault(asset.order_line_id, []).append(asset.serial)
    return items, serials


def order_lines(session: Session, orders: list[Order]) -> dict[int, list[tuple[OrderLine, Item, list[str]]]]:
    """Lines of orders with their items and serials (reserved units, or the unit to collect)."""
    out: dict[int, list] = {o.id: [] for o in orders}
    if not orders:
        return out
    lines = list(session.exec(select(OrderLine).where(OrderLine.order_id.in_(list(out))).order_by(OrderLine.id)))
    items, serials = line_serials(session, lines)
    for line in lines:
        out[line.order_id].append(
            (line, items[line.item_id], [line.serial] if line.serial else serials.get(line.id, []))
        )
    return out
