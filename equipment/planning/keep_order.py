"""Changing a stored plan without reordering its routes: the plan as a problem whose routes are
fixed steps, the solution written back onto the same stop rows, and the check that the plan
did not change while the router was thinking (no transaction stays open across a solve)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from equipment.db import utcnow
from equipment.errors import Conflict
from equipment.models import Order, Plan, Route, Stop, Unplanned, Van
from equipment.planning.problem import BuiltProblem, assemble, depots_for, vans_on_shift
from equipment.planning.store import new_route, write_route
from equipment.planning.views import stops_of_routes

NEW_JOB_BASE = 1_000_000_000  # job ids of orders not yet on a stop (stops use their own id)

PlanState = tuple  # what a change read, compared again before it writes


@dataclass
class FixedRoutes:
    """A plan's routes as a keep-order problem, read in one transaction."""

    built: BuiltProblem
    routes: dict[int, Route]  # van id -> route
    stops: dict[int, Stop]  # stop id (= job id) -> stop
    state: PlanState


def plan_state(session: Session, plan_id: int) -> PlanState:
    """The plan's status, routes and stops as plain values: equal values, unchanged plan."""
    plan = session.exec(select(Plan.status, Plan.published_at).where(Plan.id == plan_id)).one()
    routes = session.exec(
        select(Route.id, Route.van_id, Route.locked).where(Route.plan_id == plan_id).order_by(Route.id)
    )
    stops = session.exec(
        select(Stop.route_id, Stop.id, Stop.sequence, Stop.status)
        .join(Route, Route.id == Stop.route_id)
        .where(Route.plan_id == plan_id)
        .order_by(Stop.route_id, Stop.sequence)
    )
    unplanned = session.exec(
        select(Unplanned.order_id).where(Unplanned.plan_id == plan_id).order_by(Unplanned.order_id)
    )
    return tuple(plan), tuple(map(tuple, routes)), tuple(map(tuple, stops)), tuple(unplanned)


def lock_unchanged_plan(session: Session, plan_id: int, state: PlanState) -> Plan:
    """The plan, locked for this transaction, provided it is as it was read before the solve."""
    plan = session.exec(
        select(Plan).where(Plan.id == plan_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    if plan_state(session, plan_id) != state:
        raise Conflict(f"plan {plan_id} changed while this change was being worked out; try again")
    return plan


def fixed_routes(
    session: Session,
    plan: Plan,
    *,
    tz: str,
    osrm_url: str | None,
    extra: list[list[Order]] = (),
    leave_out: set[int] = frozenset(),
    new_window_from: int | None = None,
    aim_at_due: bool = False,
) -> FixedRoutes:
    """The plan's routes as fixed steps (stop id = job id) plus `extra` visits as new jobs.

    `new_window_from` (seconds of the day, i.e. now): new jobs start no earlier, and stops
    already due to have started by then may not move later. `aim_at_due`: new jobs carry their
    due time as the router's `deadline`."""
    state = plan_state(session, plan.id)
    depots = depots_for(session, plan.depots.split() or None)
    routes = {r.van_id: r for r in session.exec(select(Route).where(Route.plan_id == plan.id))}
    vans = {v.id: v for v in vans_on_shift(session, [d.id for d in depots], plan.service_date)}
    for van in session.exec(select(Van).where(Van.id.in_(list(routes)))):
        vans.setdefault(van.id, van)
    views = stops_of_routes(session, [r.id for r in routes.values()])
    groups, ids, steps = [], [], {}
    stops: dict[int, Stop] = {}
    for van_id, route in routes.items():
        steps[van_id] = []
        for sv in views[route.id]:
            if sv.stop.id in leave_out:
                continue
            groups.append(sv.orders)
            ids.append(sv.stop.id)
            stops[sv.stop.id] = sv.stop
            steps[van_id].append({"type": "job", "id": sv.stop.id})
    for n, group in enumerate(extra):
        groups.append(group)
        ids.append(NEW_JOB_BASE + n)
    built = assemble(
        session,
        groups=groups,
        vans=list(vans.values()),
        depots=depots,
        service_date=plan.service_date,
        tz=tz,
        osrm_url=osrm_url,
        job_ids=ids,
    )
    for vehicle in built.problem["vehicles"]:
        vehicle["steps"] = _with_break(vehicle, steps.get(vehicle["id"], []), stops, built.origin)
    for job in built.problem["jobs"]:
        if job["id"] < NEW_JOB_BASE:
            if new_window_from is not None:
                _freeze_if_started(job, stops[job["id"]], built.origin, new_window_from)
            continue
        if new_window_from is not None:
            windows = job.get("time_windows") or [[0, 86400 * 2]]
            job["time_windows"] = [[max(a, new_window_from), max(b, new_window_from)] for a, b in windows]
        due = deadline_of(built.jobs[job["id"]].orders, built.origin)
        job.pop("deadline", None)
        if aim_at_due and due is not None:
            job["deadline"] = due
    return FixedRoutes(built, routes, stops, state)


def deadline_of(orders: list[Order], origin: datetime) -> int | None:
    """The router's `deadline` for a visit: its earliest due time in seconds of the day; an
    overdue order is due at the start of the day, one due after the day has none."""
    dues = [o.due_at for o in orders if o.due_at is not None and o.due_at < origin + timedelta(days=1)]
    if not dues:
        return None
    return max(0, int((min(dues) - origin).total_seconds()))


def _freeze_if_started(job: dict, stop: Stop, origin: datetime, now_s: int) -> None:
    """A stop served (or due to have started) before now keeps its time: a hard window closing
    at its ETA, so nothing is put in front of it."""
    eta_s = int((stop.eta - origin).total_seconds())
    if stop.status == "pending" and eta_s >= now_s:
        return
    opens = min([w[0] for w in job.get("time_windows") or [[0, 0]]] + [eta_s])
    job["time_windows"] = [[max(0, opens), max(0, eta_s)]]


def _with_break(vehicle: dict, steps: list[dict], stops: dict[int, Stop], origin: datetime) -> list[dict]:
    """List the lunch break where the stored ETAs put it (before the first stop served after the
    break window opens), so keeping the order never moves lunch to an odd place."""
    if not steps or not vehicle.get("breaks"):
        return steps
    opens = vehicle["breaks"][0]["time_windows"][0][0]
    for n, step in enumerate(steps):
        if (stops[step["id"]].eta - origin).total_seconds() >= opens:
            return steps[:n] + [{"type": "break", "id": vehicle["breaks"][0]["id"]}] + steps[n:]
    return steps + [{"type": "break", "id": vehicle["breaks"][0]["id"]}]


def seconds_into_day(origin: datetime, now: datetime | None = None) -> int | None:
    """Seconds since the service day's midnight when `now` (default: now) is on that day, else None."""
    now = now or utcnow()
    if origin <= now < origin + timedelta(days=1):
        return int((now - origin).total_seconds())
    return None


def unassigned_reason(output: dict, job_id: int) -> str:
    return next((u.get("reason", "") for u in output.get("unassigned", []) if u["id"] == job_id), "no room")


def apply_keep_order(session: Session, plan: Plan, fixed: FixedRoutes, output: dict) -> None:
    """Write a keep-order solution onto the plan's routes; a route left without stops goes."""
    seen = set()
    for vroute in output.get("routes", []):
        route = fixed.routes.get(vroute["vehicle"]) or new_route(session, plan, vroute["vehicle"])
        seen.add(route.id)
        write_route(session, plan, route, fixed.built, vroute, new_stops=False, stops_by_id=fixed.stops)
    for route in fixed.routes.values():
        if route.id not in seen:
            session.flush()
            if session.exec(select(Stop.id).where(Stop.route_id == route.id)).first() is None:
                session.delete(route)
