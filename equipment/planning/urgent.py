"""Urgent insertion: an order that cannot wait goes into the published routes where it costs
least, every route keeping its stops in their order; a dry run shows the knock-on first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case
from equipment.errors import Conflict, Invalid, InvalidTransition, NotFound
from equipment.models import Order, OrderEvent
from equipment.planning.keep_order import (
    NEW_JOB_BASE,
    FixedRoutes,
    fixed_routes,
    lock_unchanged_plan,
    seconds_into_day,
    unassigned_reason,
)
from equipment.planning.problem import day_origin, depots_for
from equipment.planning.solving import solve
from equipment.planning.store import at, is_late, new_route, predict_delay, write_route
from equipment.planning.views import get_plan
from equipment.service_time import DEFAULT_TZ
from equipment.vocabulary import DelayCause, OrderStatus

INSERT_SECONDS = 1.0


@dataclass
class StopChange:
    stop_id: int | None
    van: str
    order_refs: list[str]
    eta: datetime
    old_eta: datetime | None
    late: bool
    sequence: int


@dataclass
class Insertion:
    inserted: bool
    dry_run: bool
    stop: StopChange | None
    late_stops: list[StopChange]
    reason: str = ""


def insert_urgent(
    session: Session,
    *,
    plan_id: int,
    order_ref: str,
    dry_run: bool,
    user_id: int | None,
    tz: str = DEFAULT_TZ,
    osrm_url: str | None = None,
    seconds: float = INSERT_SECONDS,
) -> Insertion:
    """Put an urgent order into the published routes where it costs least, keeping every route's
    stops in their order; report the stops that would become late."""
    order, fixed = _read_for_insertion(session, plan_id=plan_id, order_ref=order_ref, tz=tz, osrm_url=osrm_url)
    output = solve(fixed.built.problem, seconds=seconds, keep_order=True, session=session)
    vroute = next(
        (
            r
            for r in output.get("routes", [])
            if any(s.get("id") == NEW_JOB_BASE and s["type"] == "job" for s in r["steps"])
        ),
        None,
    )
    if vroute is None:
        raise Conflict(f"order {order_ref} cannot be inserted: {unassigned_reason(output, NEW_JOB_BASE)}")
    result = _insertion(fixed, vroute, dry_run)
    if not dry_run:
        _write_insertion(
            session, plan_id=plan_id, order=order, fixed=fixed, vroute=vroute, result=result, user_id=user_id
        )
    return result


@use_case
def _read_for_insertion(
    session: Session, *, plan_id: int, order_ref: str, tz: str, osrm_url: str | None
) -> tuple[Order, FixedRoutes]:
    plan = get_plan(session, plan_id)
    if plan.published_at is None:
        raise InvalidTransition("urgent jobs go into a published plan; publish it first")
    order = session.exec(select(Order).where(Order.ref == order_ref)).first()
    if order is None:
        raise NotFound(f"no order {order_ref}", field="order_ref")
    if order.status != OrderStatus.READY:
        raise InvalidTransition(f"order {order_ref} is {order.status}; only a ready order can be inserted")
    if plan.depots and order.depot_id not in {d.id for d in depots_for(session, plan.depots.split())}:
        raise Invalid(f"order {order_ref} is served by a depot outside this plan", field="order_ref")
    origin = day_origin(plan.service_date, tz)
    fixed = fixed_routes(
        session, plan, tz=tz, osrm_url=osrm_url, extra=[[order]], new_window_from=seconds_into_day(origin)
    )
    return order, fixed


def _insertion(fixed: FixedRoutes, vroute: dict, dry_run: bool) -> Insertion:
    """The new stop and the stops it would make late, from the van's route in the solution."""
    built = fixed.built
    van = built.vans[vroute["vehicle"]]
    new_stop, late_stops = None, []
    sequence = 0
    for step in vroute["steps"]:
        if step["type"] != "job":
            continue
        sequence += 1
        eta = at(built.origin, step["arrival"] + step.get("waiting_time", 0))
        info = built.jobs[step["id"]]
        refs = [o.ref for o in info.orders]
        if step["id"] == NEW_JOB_BASE:
            new_stop = StopChange(None, van.reg, refs, eta, None, is_late(info.orders, eta), sequence)
            continue
        old = fixed.stops[step["id"]]
        late = is_late(info.orders, eta)
        if late and not old.late and old.status == "pending":
            late_stops.append(StopChange(old.id, van.reg, refs, eta, old.eta, True, sequence))
    return Insertion(True, dry_run, new_stop, late_stops)


@use_case
def _write_insertion(
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
    route = fixed.routes.get(van.id) or new_route(session, plan, van.id)
    written = write_route(session, plan, route, fixed.built, vroute, new_stops=False, stops_by_id=fixed.stops)
    inserted = next(s for s in written if s.id not in fixed.stops)
    result.stop.stop_id = inserted.id
    order.status = OrderStatus.PLANNED
    session.add(order)
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
    audit.record(
        session,
        user_id=user_id,
        action="urgent_inserted",
        entity="plan",
        entity_id=plan.id,
        detail=f"{order.ref} -> {van.reg}",
    )
