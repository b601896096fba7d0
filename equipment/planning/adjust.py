"""Adjusting a stored plan: move a stop to another van, lock a route, re-optimise the rest.

Each change reads what the router needs in one short transaction, solves with none open, then
writes in one transaction that first checks the plan is as it was read (else Conflict).
Re-optimising is a planning job (queued, run off the request thread by the same workers as
planning a day, at most REOPTIMISE_MAX_SECONDS); moving a stop solves for a second in the request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from equipment import audit, notices
from equipment.db import new_session, use_case, utcnow
from equipment.errors import Conflict, Invalid, InvalidTransition, NotFound
from equipment.models import Order, Outcome, Plan, Route, Stop, StopOrder, Unplanned, Van
from equipment.planning.keep_order import (
    NEW_JOB_BASE,
    FixedRoutes,
    PlanState,
    apply_keep_order,
    fixed_routes,
    lock_unchanged_plan,
    plan_state,
    unassigned_reason,
)
from equipment.planning.problem import (
    BuiltProblem,
    assemble,
    day_origin,
    depots_for,
    group_orders,
    split_clean_and_dirty,
    vans_on_shift,
)
from equipment.planning.solving import RouterOptions, active_plan, progress_writer, solve, start_running
from equipment.planning.store import store_solution
from equipment.planning.urgent import INSERT_SECONDS
from equipment.planning.views import StopView, get_plan, stops_of_routes
from equipment.service_time import DEFAULT_TZ
from equipment.vocabulary import OrderStatus, PlanStatus

ONLY_THIS_VAN_SKILL = 999
REOPTIMISE_MAX_SECONDS = 120


# ---------------------------------------------------------------------------- move a stop


def move_stop(
    session: Session,
    *,
    plan_id: int,
    stop_id: int,
    van_reg: str,
    user_id: int | None,
    tz: str = DEFAULT_TZ,
    osrm_url: str | None = None,
) -> Plan:
    """Move a stop to another van, where it fits best there; no route is reordered."""
    plan, stop, fixed = _read_for_move(
        session, plan_id=plan_id, stop_id=stop_id, van_reg=van_reg, tz=tz, osrm_url=osrm_url
    )
    if fixed is None:
        return plan  # already on that van
    output = solve(fixed.built.problem, seconds=INSERT_SECONDS, keep_order=True, session=session)
    placed = {s.get("id"): r for r in output.get("routes", []) for s in r["steps"] if s["type"] == "job"}
    if NEW_JOB_BASE not in placed:
        raise Conflict(f"the stop does not fit on van {van_reg}: {unassigned_reason(output, NEW_JOB_BASE)}")
    # The moved stop keeps its row: map the new job onto it.
    fixed.built.jobs[stop.id] = fixed.built.jobs.pop(NEW_JOB_BASE)
    for r in output["routes"]:
        for s in r["steps"]:
            if s.get("id") == NEW_JOB_BASE and s["type"] == "job":
                s["id"] = stop.id
    fixed.stops[stop.id] = stop
    return _write_move(
        session, plan_id=plan_id, stop=stop, van_reg=van_reg, fixed=fixed, output=output, user_id=user_id
    )


@use_case
def _read_for_move(
    session: Session, *, plan_id: int, stop_id: int, van_reg: str, tz: str, osrm_url: str | None
) -> tuple[Plan, Stop, FixedRoutes | None]:
    """The plan with the stop left out and offered, as a new job, to the target van only."""
    plan = get_plan(session, plan_id)
    stop = session.get(Stop, stop_id)
    route = session.get(Route, stop.route_id) if stop else None
    if stop is None or route is None or route.plan_id != plan.id:
        raise NotFound(f"no stop {stop_id} in plan {plan_id}")
    if stop.status != "pending" or session.exec(select(Outcome.id).where(Outcome.stop_id == stop.id)).first():
        raise InvalidTransition("this stop already has an outcome")
    target = session.exec(select(Van).where(Van.reg == van_reg)).first()
    if target is None:
        raise NotFound(f"no van {van_reg}", field="van")
    if target.id == route.van_id:
        return plan, stop, None
    orders = list(
        session.exec(select(Order).join(StopOrder, StopOrder.order_id == Order.id).where(StopOrder.stop_id == stop.id))
    )
    fixed = fixed_routes(session, plan, tz=tz, osrm_url=osrm_url, extra=[orders], leave_out={stop.id})
    if target.id not in fixed.built.vans:
        raise Invalid(f"van {van_reg} is not on shift for this plan", field="van")
    for vehicle in fixed.built.problem["vehicles"]:
        if vehicle["id"] == target.id:
            vehicle["skills"] = vehicle["skills"] + [ONLY_THIS_VAN_SKILL]
    for job in fixed.built.problem["jobs"]:
        if job["id"] == NEW_JOB_BASE:
            job["skills"] = job["skills"] + [ONLY_THIS_VAN_SKILL]
            job.pop("priority", None)
    return plan, stop, fixed


@use_case
def _write_move(
    session: Session, *, plan_id: int, stop: Stop, van_reg: str, fixed: FixedRoutes, output: dict, user_id: int | None
) -> Plan:
    plan = lock_unchanged_plan(session, plan_id, fixed.state)
    apply_keep_order(session, plan, fixed, output)
    audit.record(session, user_id=user_id, action="stop_moved", entity="stop", entity_id=stop.id, detail=van_reg)
    if plan.published_at is not None:
        notices.queue_window_notices(session, plan)  # whoever's window the move changed is told the new one
    return plan


# ---------------------------------------------------------------------------- lock a route


@use_case
def set_route_lock(session: Session, *, plan_id: int, route_id: int, locked: bool, user_id: int | None) -> Route:
    """Lock a route so re-optimising leaves it exactly as it is (or unlock it)."""
    route = session.get(Route, route_id)
    if route is None or route.plan_id != plan_id:
        raise NotFound(f"no route {route_id} in plan {plan_id}")
    route.locked = locked
    session.add(route)
    audit.record(
        session,
        user_id=user_id,
        action="route_locked" if locked else "route_unlocked",
        entity="route",
        entity_id=route.id,
    )
    return route


# ---------------------------------------------------------------------------- re-optimise


@dataclass
class FreeRoutes:
    """What re-optimising solves again: the unlocked routes' stops and the unplanned orders."""

    built: BuiltProblem
    free: list[Route]
    free_stops: dict[int, list[StopView]]
    has_vans: bool
    state: PlanState


def queue_reoptimise(session: Session, *, plan_id: int, seconds: float, user_id: int | None) -> Plan:
    """Queue re-optimising a plan's unlocked routes; the caller hands it to a planning worker
    (equipment.planning.runs.submit), which calls run_reoptimise."""
    try:
        return _queue_reoptimise(session, plan_id=plan_id, seconds=seconds, user_id=user_id)
    except IntegrityError:
        session.rollback()
        raise Conflict(f"another plan of plan {plan_id}'s day is queued or running; wait for it") from None


@use_case
def _queue_reoptimise(session: Session, *, plan_id: int, seconds: float, user_id: int | None) -> Plan:
    if not 0 < seconds <= REOPTIMISE_MAX_SECONDS:
        raise Invalid(f"seconds must be between 0 and {REOPTIMISE_MAX_SECONDS}", field="seconds")
    plan = get_plan(session, plan_id)
    _check_reoptimisable(plan)
    other = active_plan(session, service_date=plan.service_date, depots=plan.depots)
    if other is not None:
        raise Conflict(f"plan {other.id} of the same day is {other.status}; wait for it")
    plan.status, plan.job, plan.job_seconds = PlanStatus.QUEUED, "reoptimise", float(seconds)
    plan.progress, plan.error = 0.0, ""
    session.add(plan)
    session.flush()
    audit.record(session, user_id=user_id, action="plan_reoptimise_requested", entity="plan", entity_id=plan.id)
    return plan


def _check_reoptimisable(plan: Plan, *, queued: bool = False) -> None:
    expected = PlanStatus.RUNNING if queued else PlanStatus.DONE
    if plan.status != expected or (queued and plan.job != "reoptimise"):
        raise InvalidTransition(f"plan {plan.id} is {plan.status}")
    if plan.published_at is not None:
        raise InvalidTransition("a published plan is not reshuffled; move stops or insert jobs instead")


def run_reoptimise(
    engine: Engine,
    plan_id: int,
    *,
    tz: str = DEFAULT_TZ,
    osrm_url: str | None = None,
    router: RouterOptions | None = None,
) -> None:
    """The planning job of a queued re-optimisation (runs in a planning worker; `router`:
    solve_json's threads and isolated)."""
    with new_session(engine) as session:
        plan = start_running(session, plan_id)
        if plan is None:
            return
        reoptimise(
            session,
            plan_id=plan_id,
            seconds=plan.job_seconds or 5.0,
            user_id=plan.created_by,
            tz=tz,
            osrm_url=osrm_url,
            on_progress=progress_writer(engine, plan_id),
            queued=True,
            router=router,
        )


def reoptimise(
    session: Session,
    *,
    plan_id: int,
    seconds: float,
    user_id: int | None,
    tz: str = DEFAULT_TZ,
    osrm_url: str | None = None,
    on_progress=None,
    queued: bool = False,
    router: RouterOptions | None = None,
) -> Plan:
    """Solve again everything but the locked routes (before publishing). `queued`: this is the
    planning job of queue_reoptimise (the plan is running), which ends with the plan done."""
    free = _read_free_routes(session, plan_id=plan_id, tz=tz, osrm_url=osrm_url, queued=queued)
    if free.built.problem["jobs"] and free.has_vans:
        output = solve(
            free.built.problem,
            seconds=min(seconds, REOPTIMISE_MAX_SECONDS),
            session=session,
            on_progress=on_progress,
            **(router or {}),
        )
    else:
        output = {
            "routes": [],
            "unassigned": [{"id": j, "reason": "no van free"} for j in free.built.jobs],
            "summary": {"cost": 0},
        }
    return _write_reoptimised(session, plan_id=plan_id, free=free, output=output, user_id=user_id, queued=queued)


@use_case
def _read_free_routes(
    session: Session, *, plan_id: int, tz: str, osrm_url: str | None, queued: bool = False
) -> FreeRoutes:
    plan = get_plan(session, plan_id)
    _check_reoptimisable(plan, queued=queued)
    state = plan_state(session, plan.id)
    routes = list(session.exec(select(Route).where(Route.plan_id == plan.id)))
    free = [r for r in routes if not r.locked]
    free_stops = stops_of_routes(session, [r.id for r in free])
    groups = [sv.orders for r in free for sv in free_stops[r.id]]
    unplanned_orders = list(
        session.exec(
            select(Order)
            .join(Unplanned, Unplanned.order_id == Order.id)
            .where(Unplanned.plan_id == plan.id, Order.status == OrderStatus.READY)
        )
    )
    depots = depots_for(session, plan.depots.split() or None)
    locked_vans = {r.van_id for r in routes if r.locked}
    vans = [v for v in vans_on_shift(session, [d.id for d in depots], plan.service_date) if v.id not in locked_vans]
    groups += split_clean_and_dirty(session, group_orders(unplanned_orders, day_origin(plan.service_date, tz)), vans)
    built = assemble(
        session, groups=groups, vans=vans, depots=depots, service_date=plan.service_date, tz=tz, osrm_url=osrm_url
    )
    return FreeRoutes(built, free, free_stops, bool(vans), state)


@use_case
def _write_reoptimised(
    session: Session, *, plan_id: int, free: FreeRoutes, output: dict, user_id: int | None, queued: bool = False
) -> Plan:
    plan = lock_unchanged_plan(session, plan_id, free.state)
    for r in free.free:
        ids = [sv.stop.id for sv in free.free_stops[r.id]]
        if ids:
            session.exec(delete(StopOrder).where(StopOrder.stop_id.in_(ids)))
            session.exec(delete(Stop).where(Stop.id.in_(ids)))
        session.delete(r)
    session.exec(delete(Unplanned).where(Unplanned.plan_id == plan.id))
    session.flush()
    store_solution(session, plan, free.built, output)
    plan.best_cost = int(output.get("summary", {}).get("cost", 0))
    if queued:
        plan.status, plan.job, plan.progress, plan.finished_at = PlanStatus.DONE, "plan", 1.0, utcnow()
    session.add(plan)
    audit.record(session, user_id=user_id, action="plan_reoptimised", entity="plan", entity_id=plan.id)
    return plan
