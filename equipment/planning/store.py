"""Storing a solution: the router's routes become route and stop rows with ETAs and lateness;
orders it could not place are kept as unplanned, with a predicted delay when they were due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from equipment.models import Delay, Order, Plan, Route, Stop, StopOrder, Unplanned, User
from equipment.planning.explain import explain_unassigned
from equipment.planning.problem import BuiltProblem, JobInfo, order_priority
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
    """After any of the orders' due times (overdue ones included)."""
    return any(o.due_at is not None and eta > o.due_at for o in orders)


@dataclass(frozen=True)
class Timing:
    """A visit against its orders' due times: `late` is the plan's doing (after a due time on the
    service day), `overdue` is not (due before the day began)."""

    due_at: datetime | None
    overdue: bool
    late: bool
    late_by_minutes: int


def timing(orders: list[Order], eta: datetime, origin: datetime) -> Timing:
    dues = [o.due_at for o in orders if o.due_at is not None]
    if not dues:
        return Timing(None, False, False, 0)
    overdue = any(d < origin for d in dues)
    late = any(origin <= d < eta for d in dues)
    late_by = max(0, int((eta - min(dues)).total_seconds() // 60))
    return Timing(min(dues), overdue, late, late_by)


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
        why = explain_unassigned(session, built, item["id"], item.get("reason", ""))
        for order in info.orders:
            _unplanned(session, plan, order, why.reason, why.cause, built.origin)
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
        t = timing(info.orders, eta, origin)
        stop.due_at, stop.overdue, stop.late, stop.late_by_minutes = t.due_at, t.overdue, t.late, t.late_by_minutes
        session.add(stop)
        if (t.late or t.overdue) and new_stops:
            _predict_late(session, plan, info, eta, origin)
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


def _predict_late(session: Session, plan: Plan, info: JobInfo, eta: datetime, origin: datetime) -> None:
    """A predicted delay (no van capacity) for each of the stop's orders planned after its due
    time; the note says whether the plan made it late or it was overdue before the day began."""
    for order in info.orders:
        if order.due_at is not None and eta > order.due_at:
            minutes = int((eta - order.due_at).total_seconds() // 60)
            note = (
                "overdue: due before the service day began"
                if order.due_at < origin
                else f"made late by the plan: {minutes} min after its due time"
            )
            predict_delay(session, order, cause=DelayCause.NO_VAN_CAPACITY, expected_at=eta, plan_id=plan.id, note=note)
