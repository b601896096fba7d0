"""Today's plan for the demo, published: the demo driver sees a route the first time they sign in.

The demo driver's depot is planned for today (the solve runs outside any transaction, as every
plan run does) and published. When that depot has no ready order (a demo seeded without
history), a few deliveries for today are made ready first, for seeded people near the depot.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from equipment import planning, service_time
from equipment.db import new_session, use_case
from equipment.demo.ready_orders import make_ready_order
from equipment.models import Depot, Item, Order, Route, ServiceUser, Stop, User, Van
from equipment.vocabulary import OrderStatus, PlanStatus

DEMO_DRIVER = "driver"
STARTER_ORDERS = 6
STARTER_SKUS = ("FRM-2W", "MAT-AIR", "SHW-STOOL", "TLT-FRAME", "CMD-STATIC", "BED-PROF-E")


def publish_todays_plan(
    engine: Engine, *, tz: str = service_time.DEFAULT_TZ, seconds: float = 5.0, today: date | None = None
) -> dict[str, int]:
    """Plan and publish today for the demo driver's depot; the counts of stops planned (all
    vans, and the demo driver's). Nothing happens without a demo driver with a van."""
    today = today or service_time.today(tz)
    with new_session(engine) as session:
        depot_code = _ready_for_today(session, today=today, tz=tz)
    if depot_code is None:
        return {}
    plan_id = planning.plan_day_now(engine, service_date=today, depot_codes=[depot_code], seconds=seconds, tz=tz)
    with new_session(engine) as session:
        plan = planning.get_plan(session, plan_id)
        if plan.status != PlanStatus.DONE:
            return {}
        planning.publish_plan(session, plan_id=plan_id, user_id=None)
        return _stops_planned(session, plan_id)


@use_case
def _ready_for_today(session: Session, *, today: date, tz: str) -> str | None:
    """The demo driver's depot code, with ready orders to plan (made when there are none)."""
    driver = session.exec(select(User).where(User.username == DEMO_DRIVER)).first()
    van = session.get(Van, driver.van_id) if driver and driver.van_id else None
    if van is None:
        return None
    depot = session.get(Depot, van.depot_id)
    ready = session.exec(
        select(func.count()).select_from(Order).where(Order.status == OrderStatus.READY, Order.depot_id == depot.id)
    ).one()
    if not ready:
        _starter_orders(session, depot, today=today, tz=tz)
    return depot.code


def _starter_orders(session: Session, depot: Depot, *, today: date, tz: str) -> None:
    """A few deliveries due at the end of today for people nearest the depot (skipping an item
    the depot has run out of)."""
    nearness = (ServiceUser.lat - depot.lat) * (ServiceUser.lat - depot.lat) + (ServiceUser.lon - depot.lon) * (
        ServiceUser.lon - depot.lon
    )
    people = session.exec(
        select(ServiceUser).where(ServiceUser.lat.is_not(None)).order_by(nearness).limit(STARTER_ORDERS)
    ).all()
    items = sorted(session.exec(select(Item).where(Item.sku.in_(STARTER_SKUS))).all(), key=lambda i: i.sku)
    due = datetime.combine(today, time(17), tzinfo=service_time.zone(tz))
    taken = session.exec(select(func.count()).select_from(Order)).one()
    for n, person in enumerate(people if items else []):
        for item in items[n % len(items) :] + items[: n % len(items)]:
            try:
                with session.begin_nested():
                    make_ready_order(
                        session,
                        ref=f"EQ-{taken + n + 1:06d}",
                        person=person,
                        depot=depot,
                        lines=[(item, 1)],
                        due_at=due,
                        received_at=due - timedelta(days=1),
                    )
                break
            except ValueError:
                continue


def _stops_planned(session: Session, plan_id: int) -> dict[str, int]:
    driver_van = session.exec(select(User.van_id).where(User.username == DEMO_DRIVER)).first()
    rows = session.exec(
        select(Route.van_id, func.count())
        .join(Stop, Stop.route_id == Route.id)
        .where(Route.plan_id == plan_id)
        .group_by(Route.van_id)
    ).all()
    return {"today_stops": sum(n for _, n in rows), "demo_driver_stops": sum(n for v, n in rows if v == driver_van)}
