"""Storing a solution: the router's routes become route and stop rows with ETAs and lateness;
orders it could not place are kept as unplanned, with a predicted delay when they were due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from equipment.models import Delay, Order, Plan, Route, Stop, StopOrder, Unplanned, User
from equipment.planning.problem import BuiltProblem, JobInfo, cause_from_reason, order_priority
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import DelayCause, DelayKind, Role


def driver_of(session: Session, van_id: int) -> int | None:
    """The van's driver: the first active driver user assigned to it."""
    return session.exec(
        select(User.id).where(User.van_id == van_id, User.role == Role.DRIVER, User.active == True).order_by(User.id)
    ).first()


def at(origin: datetime, seconds: int) -> datetime:
    return origin + timedelta(seconds=int(seconds))


def is_late(orders: list[Order], eta: datetime) -> bool:
    return any(o.due_at is not None and eta > o.due_at for o in orders)


def new_route(session: Session, plan: Plan, van_id: int) -> Route:
    route = Route(plan_id=plan.id, van_id=van_id, driver_id=driver_of(session, van_id))
    session.add(route)
    session.flush()
    return route


def store_solution(session: Session, plan: Plan, built: BuiltProblem, output: dict) -> None:
    """Routes, stops and unplanned orders of a fresh solution (plus predicted delays)."""
    for vroute in output.get("routes", []):
        route = new_route(session, plan, built.vans[vroute["vehicle"]].id)
        write_route(session, plan, route, built, vroute, new_stops=True)
    for item in output.get("unassigned", []):
        info = built.jobs[item["id"]]
        for order in info.orders:
            _unplanned(
                session,
                plan,
                order,
                item.get("reason", "not placed"),
                cause_from_reason(item.get("reason", "")),
                built.origin,
            )
    for order, reason, cause in built.skipped:
        _unplanned(session, plan, order, reason, cause, built.origin)


def _unplanned(session: Session, plan: Plan, order: Order, reason: str, cause: DelayCause, origin: datetime) -> None:
    session.add(Unplanned(plan_id=plan.id, order_id=order.id, reason=reason[:200]))
    _, mandatory = order_priority(order, origin)
    if mandatory:
        predict_delay(session, order, cause=cause, expected_at=None, plan_id=plan.id, note=f"not planned: {reason}")


def predict_delay(
    session: Session,
    order: Order,
    *,
    cause: DelayCause,
    expected_at: datetime | None,
    plan_id: int,
    note: str,
    user_id: int | None = None,
) -> None:
    """A predicted delay, once per order and plan."""
    exists = session.exec(
        select(Delay.id).where(Delay.order_id == order.id, Delay.plan_id == plan_id, Delay.kind == DelayKind.PREDICTED)
    ).first()
    if exists is None and order.due_at is not None:
        record_delay(
            session,
            order,
            kind=DelayKind.PREDICTED,
            cause=cause,
            expected_at=expected_at,
            plan_id=plan_id,
            user_id=user_id,
            note=note,
        )


def write_route(
    session: Session,
    plan: Plan,
    route: Route,
    built: BuiltProblem,
    vroute: dict,
    *,
    new_stops: bool,
    stops_by_id: dict[int, Stop] | None = None,
) -> list[Stop]:
    """Set a route's stops (sequence, ETA, late) and totals from one VROOM route."""
    origin = built.origin
    steps = vroute["steps"]
    route.start_at = at(origin, steps[0]["arrival"])
    route.end_at = at(origin, steps[-1]["arrival"])
    route.distance_m = int(vroute.get("distance", 0))
    route.travel_s = int(vroute.get("duration", 0))
    route.volume_loaded = int((vroute.get("delivery") or [0])[0])
    session.add(route)
    written = []
    sequence = 0
    for step in steps:
        if step["type"] != "job":
            continue
        sequence += 1
        info = built.jobs[step["id"]]
        eta = at(origin, step["arrival"] + step.get("waiting_time", 0))
        stop = (stops_by_id or {}).get(step["id"])
        if stop is None:
            stop = _new_stop(session, route, sequence, info, eta)
        stop.route_id, stop.sequence, stop.eta = route.id, sequence, eta
        stop.late = is_late(info.orders, eta)
        session.add(stop)
        if stop.late and new_stops:
            _predict_late(session, plan, info, eta)
        written.append(stop)
    session.flush()
    return written


def _new_stop(session: Session, route: Route, sequence: int, info: JobInfo, eta: datetime) -> Stop:
    """A stop for a job the route has not had before, with its orders."""
    stop = Stop(
        route_id=route.id,
        sequence=sequence,
        service_user_id=info.service_user.id,
        lat=info.service_user.lat,
        lon=info.service_user.lon,
        eta=eta,
        service_minutes=round(info.service_s / 60),
    )
    session.add(stop)
    session.flush()
    for order in info.orders:
        session.add(StopOrder(stop_id=stop.id, order_id=order.id))
    return stop


def _predict_late(session: Session, plan: Plan, info: JobInfo, eta: datetime) -> None:
    """A predicted delay (no van capacity) for each of the stop's orders planned after its due time."""
    for order in info.orders:
        if order.due_at is not None and eta > order.due_at:
            predict_delay(
                session,
                order,
                cause=DelayCause.NO_VAN_CAPACITY,
                expected_at=eta,
                plan_id=plan.id,
                note="planned after its due time",
            )
