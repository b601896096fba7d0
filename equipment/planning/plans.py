"""Planning a service day: solve, store, review, publish, adjust and insert urgent jobs.

The problem itself is built in planning_problem.py; this module runs the router and keeps
plans, routes, stops and unplanned orders in the database.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from equipment import audit
from equipment.db import new_session, utcnow
from equipment.errors import Conflict, Invalid, InvalidTransition, NotFound
from equipment.models import (
    Delay,
    Item,
    Order,
    OrderEvent,
    OrderLine,
    Outcome,
    Plan,
    Route,
    ServiceUser,
    Stop,
    StopOrder,
    Unplanned,
    User,
    Van,
)
from equipment.planning.problem import (
    BuiltProblem,
    assemble,
    build_day_problem,
    cause_from_reason,
    day_origin,
    depots_for,
    order_priority,
    vans_on_shift,
)
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import (
    DelayCause,
    DelayKind,
    OrderKind,
    OrderStatus,
    PlanStatus,
    Role,
)

log = logging.getLogger(__name__)

NEW_JOB_BASE = 1_000_000_000  # job ids of orders not yet on a stop (stops use their own id)
ONLY_THIS_VAN_SKILL = 999
INSERT_SECONDS = 1.0
MAX_SECONDS = 600


# ---------------------------------------------------------------------------- create and run


def create_plan(
    session: Session, *, service_date: date, depot_codes: list[str] | None, seconds: float, user_id: int | None
) -> Plan:
    """A queued plan for a day; the caller hands it to a worker (equipment.jobs)."""
    if not 0 < seconds <= MAX_SECONDS:
        raise Invalid(f"seconds must be between 0 and {MAX_SECONDS}", field="seconds")
    depots = depots_for(session, depot_codes)
    plan = Plan(
        service_date=service_date,
        depots=" ".join(d.code for d in depots) if depot_codes else "",
        seconds=float(seconds),
        created_by=user_id,
    )
    session.add(plan)
    session.flush()
    audit.record(session, user_id=user_id, action="plan_requested", entity="plan", entity_id=plan.id,
                 detail=f"{service_date} {plan.depots or 'all depots'}")
    session.commit()
    return plan


def retry_plan(session: Session, *, plan_id: int, user_id: int | None) -> Plan:
    """Queue a failed plan again."""
    plan = get_plan(session, plan_id)
    if plan.status != PlanStatus.FAILED:
        raise InvalidTransition(f"plan {plan.id} is {plan.status}; only a failed plan can be retried")
    plan.status, plan.error, plan.progress, plan.best_cost = PlanStatus.QUEUED, "", 0.0, None
    plan.started_at = plan.finished_at = None
    session.add(plan)
    audit.record(session, user_id=user_id, action="plan_retried", entity="plan", entity_id=plan.id)
    session.commit()
    return plan


def get_plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    return plan


def mark_failed(engine: Engine, plan_id: int, reason: str) -> None:
    """Record that a planning job died, with why; it may be retried."""
    with new_session(engine) as session:
        plan = session.get(Plan, plan_id)
        if plan is None or plan.status == PlanStatus.DONE:
            return
        plan.status, plan.error, plan.finished_at = PlanStatus.FAILED, reason[:1000], utcnow()
        session.add(plan)
        session.commit()


def fail_if_stale(session: Session, plan: Plan, *, grace_s: float = 120.0, worker_alive: bool | None = None) -> Plan:
    """A plan still running long after its time budget (or whose worker is gone) has died."""
    if plan.status not in (PlanStatus.QUEUED, PlanStatus.RUNNING):
        return plan
    now = utcnow()
    reason = None
    if worker_alive is False:
        reason = "the planning worker stopped before finishing"
    elif plan.status == PlanStatus.RUNNING and plan.started_at and now - plan.started_at > timedelta(
        seconds=plan.seconds * 2 + grace_s
    ):
        reason = "the planning job ran far past its time budget and was presumed dead"
    if reason:
        plan.status, plan.error, plan.finished_at = PlanStatus.FAILED, reason, now
        session.add(plan)
        session.commit()
    return plan


def run_plan(engine: Engine, plan_id: int, *, tz: str = "Europe/London", osrm_url: str | None = None,
             seed: int = 0) -> dict[str, float]:
    """Solve a queued plan and store it. Runs in a worker; short transactions only, so that the
    application keeps writing while the router thinks. Returns seconds spent per phase."""
    from routing import solve_json

    t0 = clock.monotonic()
    with new_session(engine) as session:
        plan = get_plan(session, plan_id)
        if plan.status not in (PlanStatus.QUEUED, PlanStatus.RUNNING):
            return {}
        plan.status, plan.started_at, plan.progress, plan.error = PlanStatus.RUNNING, utcnow(), 0.0, ""
        session.add(plan)
        session.commit()
        codes = plan.depots.split() or None
        built = build_day_problem(session, service_date=plan.service_date, depot_codes=codes, tz=tz, osrm_url=osrm_url)
        session.commit()  # release the read transaction before the long solve
        seconds = plan.seconds
    progress = _progress_writer(engine, plan_id)
    t1 = clock.monotonic()
    if built.problem["jobs"] and built.problem["vehicles"]:
        output = solve_json(built.problem, seconds=seconds, seed=seed, on_progress=progress)
    else:
        output = {"routes": [], "unassigned": [{"id": j["id"], "reason": "no van on shift"} for j in built.problem["jobs"]],
                  "summary": {"cost": 0}}
    t2 = clock.monotonic()
    with new_session(engine) as session:
        plan = get_plan(session, plan_id)
        _reattach(session, built)
        _store_solution(session, plan, built, output)
        plan.status, plan.progress, plan.finished_at = PlanStatus.DONE, 1.0, utcnow()
        plan.best_cost = int(output.get("summary", {}).get("cost", 0))
        session.add(plan)
        session.commit()
    timings = {"build_s": t1 - t0, "solve_s": t2 - t1, "store_s": clock.monotonic() - t2}
    log.info("plan %s: %d jobs, built in %.1fs, solved in %.1fs, stored in %.1fs", plan_id,
             len(built.jobs), timings["build_s"], timings["solve_s"], timings["store_s"])
    return timings


def _progress_writer(engine: Engine, plan_id: int) -> Callable[[float, int], None]:
    last = [0.0]

    def write(fraction: float, best_cost: int) -> None:
        now = clock.monotonic()
        if now - last[0] < 0.5 and fraction < 1:
            return
        last[0] = now
        try:
            with new_session(engine) as session:
                plan = session.get(Plan, plan_id)
                if plan is not None:
                    plan.progress = round(min(max(fraction, 0.0), 0.99), 3)
                    # The router's cost counts dropped jobs as huge penalties while it is still placing them.
                    if best_cost is not None and 0 <= best_cost < 2**31:
                        plan.best_cost = int(best_cost)
                    session.add(plan)
                    session.commit()
        except Exception:  # progress is a courtesy; never let it kill the solve
            log.exception("could not record progress of plan %s", plan_id)

    return write


def _reattach(session: Session, built: BuiltProblem) -> None:
    """Swap the problem's rows for this session's copies (they were read in another one)."""
    def load(model, ids) -> dict:
        ids, rows = list(set(ids)), {}
        for n in range(0, len(ids), 500):
            rows.update({r.id: r for r in session.exec(select(model).where(model.id.in_(ids[n:n + 500])))})
        return rows

    orders = load(Order, [o.id for info in built.jobs.values() for o in info.orders] + [o.id for o, _, _ in built.skipped])
    people = load(ServiceUser, [info.service_user.id for info in built.jobs.values()])
    vans = load(Van, list(built.vans))
    for info in built.jobs.values():
        info.orders = [orders[o.id] for o in info.orders]
        info.service_user = people[info.service_user.id]
    built.vans = {k: vans[k] for k in built.vans}
    built.skipped = [(orders[o.id], r, c) for o, r, c in built.skipped]


# ---------------------------------------------------------------------------- storing a solution


def _driver_of(session: Session, van_id: int) -> int | None:
    return session.exec(
        select(User.id).where(User.van_id == van_id, User.role == Role.DRIVER, User.active == True).order_by(User.id)
    ).first()


def _at(origin: datetime, seconds: int) -> datetime:
    return origin + timedelta(seconds=int(seconds))


def _is_late(orders: list[Order], eta: datetime) -> bool:
    return any(o.due_at is not None and eta > o.due_at for o in orders)


def _store_solution(session: Session, plan: Plan, built: BuiltProblem, output: dict) -> None:
    """Routes, stops and unplanned orders of a fresh solution (plus predicted delays)."""
    for vroute in output.get("routes", []):
        van = built.vans[vroute["vehicle"]]
        route = Route(plan_id=plan.id, van_id=van.id, driver_id=_driver_of(session, van.id))
        session.add(route)
        session.flush()
        _write_route(session, plan, route, built, vroute, new_stops=True)
    for item in output.get("unassigned", []):
        info = built.jobs[item["id"]]
        for order in info.orders:
            _unplanned(session, plan, order, item.get("reason", "not placed"), cause_from_reason(item.get("reason", "")), built.origin)
    for order, reason, cause in built.skipped:
        _unplanned(session, plan, order, reason, cause, built.origin)


def _unplanned(session: Session, plan: Plan, order: Order, reason: str, cause: DelayCause, origin: datetime) -> None:
    session.add(Unplanned(plan_id=plan.id, order_id=order.id, reason=reason[:200]))
    _, mandatory = order_priority(order, origin)
    if mandatory:
        _predict(session, order, cause=cause, expected_at=None, plan_id=plan.id, note=f"not planned: {reason}")


def _predict(session: Session, order: Order, *, cause: DelayCause, expected_at: datetime | None, plan_id: int,
             note: str, user_id: int | None = None) -> None:
    """A predicted delay, once per order and plan."""
    exists = session.exec(
        select(Delay.id).where(Delay.order_id == order.id, Delay.plan_id == plan_id, Delay.kind == DelayKind.PREDICTED)
    ).first()
    if exists is None and order.due_at is not None:
        record_delay(session, order, kind=DelayKind.PREDICTED, cause=cause, expected_at=expected_at,
                     plan_id=plan_id, user_id=user_id, note=note)


def _write_route(
    session: Session, plan: Plan, route: Route, built: BuiltProblem, vroute: dict, *, new_stops: bool,
    stops_by_id: dict[int, Stop] | None = None,
) -> list[Stop]:
    """Set a route's stops (sequence, ETA, late) and totals from one VROOM route."""
    origin = built.origin
    steps = vroute["steps"]
    route.start_at = _at(origin, steps[0]["arrival"])
    route.end_at = _at(origin, steps[-1]["arrival"])
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
        eta = _at(origin, step["arrival"] + step.get("waiting_time", 0))
        stop = (stops_by_id or {}).get(step["id"])
        if stop is None:
            stop = Stop(route_id=route.id, sequence=sequence, service_user_id=info.service_user.id,
                        lat=info.service_user.lat, lon=info.service_user.lon, eta=eta,
                        service_minutes=round(info.service_s / 60))
            session.add(stop)
            session.flush()
            for order in info.orders:
                session.add(StopOrder(stop_id=stop.id, order_id=order.id))
        stop.route_id, stop.sequence, stop.eta = route.id, sequence, eta
        stop.late = _is_late(info.orders, eta)
        session.add(stop)
        if stop.late and new_stops:
            for order in info.orders:
                if order.due_at is not None and eta > order.due_at:
                    _predict(session, order, cause=DelayCause.NO_VAN_CAPACITY, expected_at=eta, plan_id=plan.id,
                             note="planned after its due time")
        written.append(stop)
    session.flush()
    return written


# ---------------------------------------------------------------------------- reading a plan


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
            select(StopOrder, Order).join(Order, Order.id == StopOrder.order_id).where(StopOrder.stop_id.in_(stop_ids)).order_by(Order.id)
        ):
            orders_of[link.stop_id].append(order)
    people_ids = {s.service_user_id for s in stops}
    people = {p.id: p for p in session.exec(select(ServiceUser).where(ServiceUser.id.in_(people_ids)))} if people_ids else {}
    for s in stops:
        out[s.route_id].append(StopView(s, orders_of[s.id], people.get(s.service_user_id)))
    return out


def route_views(session: Session, routes: list[Route]) -> list[RouteView]:
    from equipment.models import Depot

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
        session.exec(select(Order, Unplanned.reason).join(Unplanned, Unplanned.order_id == Order.id)
                     .where(Unplanned.plan_id == plan.id).order_by(Order.due_at, Order.id))
    )
    return PlanView(plan, route_views(session, routes), [(o, r) for o, r in unplanned])


def list_plans(session: Session, *, service_date: date | None = None, limit: int = 100, offset: int = 0) -> tuple[list[Plan], int]:
    query = select(Plan)
    if service_date:
        query = query.where(Plan.service_date == service_date)
    plans = list(session.exec(query.order_by(Plan.id.desc()).offset(offset).limit(limit)))
    total = len(list(session.exec(query)))
    return plans, total


# ---------------------------------------------------------------------------- publish and load


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
                    session.add(OrderEvent(order_id=order.id, user_id=user_id, event="planned",
                                           detail=f"plan {plan.id}, van {view.van.reg}, ETA {sv.stop.eta:%Y-%m-%d %H:%M}Z"))
    audit.record(session, user_id=user_id, action="plan_published", entity="plan", entity_id=plan.id)
    session.commit()
    return plan


def load_list(session: Session, plan_id: int) -> list[tuple[RouteView, list[tuple[Order, OrderLine, Item, list[str]]]]]:
    """Per van: each delivery line to load and the serials allocated to it."""
    from equipment.models import Asset

    view = plan_view(session, plan_id)
    out = []
    for rv in view.routes:
        lines_out = []
        orders = [o for sv in rv.stops for o in sv.orders if o.kind == OrderKind.DELIVERY]
        if orders:
            lines = list(session.exec(select(OrderLine).where(OrderLine.order_id.in_([o.id for o in orders])).order_by(OrderLine.id)))
            items = {i.id: i for i in session.exec(select(Item).where(Item.id.in_({l.item_id for l in lines})))} if lines else {}
            serials: dict[int, list[str]] = {}
            if lines:
                for asset in session.exec(select(Asset).where(Asset.order_line_id.in_([l.id for l in lines])).order_by(Asset.serial)):
                    serials.setdefault(asset.order_line_id, []).append(asset.serial)
            by_id = {o.id: o for o in orders}
            for line in lines:
                lines_out.append((by_id[line.order_id], line, items[line.item_id], serials.get(line.id, [])))
        out.append((rv, lines_out))
    return out


def mark_loaded(session: Session, *, route_id: int, user_id: int | None, plan_id: int | None = None) -> Route:
    """The van has been loaded: its delivery lines move onto the van."""
    from equipment import stock

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
    session.commit()
    return route


# ---------------------------------------------------------------------------- keep-order changes


def _plan_problem(
    session: Session,
    plan: Plan,
    *,
    tz: str,
    osrm_url: str | None,
    extra: list[list[Order]] = (),
    leave_out: set[int] = frozenset(),
    new_window_from: int | None = None,
) -> tuple[BuiltProblem, dict[int, Route], dict[int, Stop]]:
    """The plan's routes as fixed steps (stop id = job id) plus `extra` visits as new jobs."""
    codes = plan.depots.split() or None
    depots = depots_for(session, codes)
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
    built = assemble(session, groups=groups, vans=list(vans.values()), depots=depots, service_date=plan.service_date,
                     tz=tz, osrm_url=osrm_url, job_ids=ids)
    for vehicle in built.problem["vehicles"]:
        vehicle["steps"] = _with_break(vehicle, steps.get(vehicle["id"], []), stops, built.origin)
    if new_window_from is not None:
        for job in built.problem["jobs"]:
            if job["id"] >= NEW_JOB_BASE:
                windows = job.get("time_windows") or [[0, 86400 * 2]]
                job["time_windows"] = [[max(a, new_window_from), max(b, new_window_from)] for a, b in windows]
    return built, routes, stops


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


def _solve_keeping_order(built: BuiltProblem, seconds: float) -> dict:
    from routing import solve_json

    return solve_json(built.problem, seconds=seconds, keep_order=True)


def _now_seconds(plan: Plan, origin: datetime) -> int | None:
    now = utcnow()
    if origin <= now < origin + timedelta(days=1):
        return int((now - origin).total_seconds())
    return None


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
    session: Session, *, plan_id: int, order_ref: str, dry_run: bool, user_id: int | None, tz: str = "Europe/London",
    osrm_url: str | None = None, seconds: float = INSERT_SECONDS,
) -> Insertion:
    """Put an urgent order into the published routes where it costs least, keeping every route's
    stops in their order; report the stops that would become late."""
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
    built, routes, stops = _plan_problem(session, plan, tz=tz, osrm_url=osrm_url, extra=[[order]],
                                         new_window_from=_now_seconds(plan, origin))
    output = _solve_keeping_order(built, seconds)
    new_id = NEW_JOB_BASE
    vroute = next((r for r in output.get("routes", []) if any(s.get("id") == new_id and s["type"] == "job" for s in r["steps"])), None)
    if vroute is None:
        reason = next((u.get("reason", "") for u in output.get("unassigned", []) if u["id"] == new_id), "no room")
        raise Conflict(f"order {order_ref} cannot be inserted: {reason}")
    van = built.vans[vroute["vehicle"]]
    new_stop, late_stops = None, []
    sequence = 0
    for step in vroute["steps"]:
        if step["type"] != "job":
            continue
        sequence += 1
        eta = _at(built.origin, step["arrival"] + step.get("waiting_time", 0))
        info = built.jobs[step["id"]]
        refs = [o.ref for o in info.orders]
        if step["id"] == new_id:
            new_stop = StopChange(None, van.reg, refs, eta, None, _is_late(info.orders, eta), sequence)
            continue
        old = stops[step["id"]]
        late = _is_late(info.orders, eta)
        if late and not old.late and old.status == "pending":
            late_stops.append(StopChange(old.id, van.reg, refs, eta, old.eta, True, sequence))
    result = Insertion(True, dry_run, new_stop, late_stops)
    if dry_run:
        session.rollback()
        return result
    route = routes.get(van.id)
    if route is None:
        route = Route(plan_id=plan.id, van_id=van.id, driver_id=_driver_of(session, van.id))
        session.add(route)
        session.flush()
    written = _write_route(session, plan, route, built, vroute, new_stops=False, stops_by_id=stops)
    inserted = next(s for s in written if s.id not in stops)
    new_stop.stop_id = inserted.id
    order.status = OrderStatus.PLANNED
    session.add(order)
    session.add(OrderEvent(order_id=order.id, user_id=user_id, event="planned",
                           detail=f"urgent insertion into plan {plan.id}, van {van.reg}, ETA {inserted.eta:%H:%M}Z"))
    if inserted.late:
        _predict(session, order, cause=DelayCause.NO_VAN_CAPACITY, expected_at=inserted.eta, plan_id=plan.id,
                 note="inserted after its due time", user_id=user_id)
    for change in late_stops:
        for o in built.jobs[change.stop_id].orders:
            if o.due_at is not None and change.eta > o.due_at:
                _predict(session, o, cause=DelayCause.NO_VAN_CAPACITY, expected_at=change.eta, plan_id=plan.id,
                         note=f"knock-on of urgent order {order_ref}", user_id=user_id)
    audit.record(session, user_id=user_id, action="urgent_inserted", entity="plan", entity_id=plan.id,
                 detail=f"{order_ref} -> {van.reg}")
    session.commit()
    return result


def move_stop(
    session: Session, *, plan_id: int, stop_id: int, van_reg: str, user_id: int | None, tz: str = "Europe/London",
    osrm_url: str | None = None,
) -> Plan:
    """Move a stop to another van, where it fits best there; no route is reordered."""
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
        return plan
    orders = [o for o in session.exec(select(Order).join(StopOrder, StopOrder.order_id == Order.id).where(StopOrder.stop_id == stop.id))]
    built, routes, stops = _plan_problem(session, plan, tz=tz, osrm_url=osrm_url, extra=[orders], leave_out={stop.id})
    if target.id not in built.vans:
        raise Invalid(f"van {van_reg} is not on shift for this plan", field="van")
    for vehicle in built.problem["vehicles"]:
        if vehicle["id"] == target.id:
            vehicle["skills"] = vehicle["skills"] + [ONLY_THIS_VAN_SKILL]
    for job in built.problem["jobs"]:
        if job["id"] == NEW_JOB_BASE:
            job["skills"] = job["skills"] + [ONLY_THIS_VAN_SKILL]
            job.pop("priority", None)
    output = _solve_keeping_order(built, INSERT_SECONDS)
    placed = {s.get("id"): r for r in output.get("routes", []) for s in r["steps"] if s["type"] == "job"}
    if NEW_JOB_BASE not in placed:
        reason = next((u.get("reason", "") for u in output.get("unassigned", []) if u["id"] == NEW_JOB_BASE), "no room")
        raise Conflict(f"the stop does not fit on van {van_reg}: {reason}")
    # The moved stop keeps its row: map the new job onto it.
    built.jobs[stop.id] = built.jobs.pop(NEW_JOB_BASE)
    for r in output["routes"]:
        for s in r["steps"]:
            if s.get("id") == NEW_JOB_BASE and s["type"] == "job":
                s["id"] = stop.id
    stops[stop.id] = stop
    _apply_keep_order(session, plan, built, output, routes, stops)
    audit.record(session, user_id=user_id, action="stop_moved", entity="stop", entity_id=stop.id, detail=van_reg)
    session.commit()
    return plan


def _apply_keep_order(session: Session, plan: Plan, built: BuiltProblem, output: dict, routes: dict[int, Route],
                      stops: dict[int, Stop]) -> None:
    seen = set()
    for vroute in output.get("routes", []):
        route = routes.get(vroute["vehicle"])
        if route is None:
            route = Route(plan_id=plan.id, van_id=vroute["vehicle"], driver_id=_driver_of(session, vroute["vehicle"]))
            session.add(route)
            session.flush()
        seen.add(route.id)
        _write_route(session, plan, route, built, vroute, new_stops=False, stops_by_id=stops)
    for route in routes.values():
        if route.id not in seen:
            session.flush()
            if session.exec(select(Stop.id).where(Stop.route_id == route.id)).first() is None:
                session.delete(route)


def set_route_lock(session: Session, *, plan_id: int, route_id: int, locked: bool, user_id: int | None) -> Route:
    """Lock a route so re-optimising leaves it exactly as it is (or unlock it)."""
    route = session.get(Route, route_id)
    if route is None or route.plan_id != plan_id:
        raise NotFound(f"no route {route_id} in plan {plan_id}")
    route.locked = locked
    session.add(route)
    audit.record(session, user_id=user_id, action="route_locked" if locked else "route_unlocked", entity="route",
                 entity_id=route.id)
    session.commit()
    return route


def reoptimise(
    session: Session, *, plan_id: int, seconds: float, user_id: int | None, tz: str = "Europe/London",
    osrm_url: str | None = None,
) -> Plan:
    """Solve again everything but the locked routes (before publishing)."""
    from routing import solve_json

    plan = get_plan(session, plan_id)
    if plan.status != PlanStatus.DONE:
        raise InvalidTransition(f"plan {plan.id} is {plan.status}")
    if plan.published_at is not None:
        raise InvalidTransition("a published plan is not reshuffled; move stops or insert jobs instead")
    routes = list(session.exec(select(Route).where(Route.plan_id == plan.id)))
    locked = [r for r in routes if r.locked]
    free = [r for r in routes if not r.locked]
    free_stops = stops_of_routes(session, [r.id for r in free])
    groups = [sv.orders for r in free for sv in free_stops[r.id]]
    unplanned_orders = list(session.exec(select(Order).join(Unplanned, Unplanned.order_id == Order.id)
                                         .where(Unplanned.plan_id == plan.id, Order.status == OrderStatus.READY)))
    origin = day_origin(plan.service_date, tz)
    from equipment.planning.problem import group_orders

    groups += group_orders(unplanned_orders, origin)
    depots = depots_for(session, plan.depots.split() or None)
    locked_vans = {r.van_id for r in locked}
    vans = [v for v in vans_on_shift(session, [d.id for d in depots], plan.service_date) if v.id not in locked_vans]
    built = assemble(session, groups=groups, vans=vans, depots=depots, service_date=plan.service_date, tz=tz, osrm_url=osrm_url)
    output = solve_json(built.problem, seconds=seconds) if built.problem["jobs"] and vans else {
        "routes": [], "unassigned": [{"id": j, "reason": "no van free"} for j in built.jobs], "summary": {"cost": 0}}
    for r in free:
        ids = [sv.stop.id for sv in free_stops[r.id]]
        if ids:
            session.exec(delete(StopOrder).where(StopOrder.stop_id.in_(ids)))
            session.exec(delete(Stop).where(Stop.id.in_(ids)))
        session.delete(r)
    session.exec(delete(Unplanned).where(Unplanned.plan_id == plan.id))
    session.flush()
    _store_solution(session, plan, built, output)
    plan.best_cost = int(output.get("summary", {}).get("cost", 0))
    session.add(plan)
    audit.record(session, user_id=user_id, action="plan_reoptimised", entity="plan", entity_id=plan.id)
    session.commit()
    return plan


def day_routes(session: Session, *, service_date: date, van_id: int | None = None) -> list[RouteView]:
    """Published routes of a day (one van's only, when given), with their stops."""
    query = select(Route).join(Plan, Plan.id == Route.plan_id).where(
        Plan.service_date == service_date, Plan.published_at != None
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


def order_lines(session: Session, orders: list[Order]) -> dict[int, list[tuple[OrderLine, Item, list[str]]]]:
    """Lines of orders with their items and serials (reserved units, or the unit to collect)."""
    from equipment.models import Asset

    out: dict[int, list] = {o.id: [] for o in orders}
    if not orders:
        return out
    lines = list(session.exec(select(OrderLine).where(OrderLine.order_id.in_(list(out))).order_by(OrderLine.id)))
    items = {i.id: i for i in session.exec(select(Item).where(Item.id.in_({l.item_id for l in lines})))} if lines else {}
    serials: dict[int, list[str]] = {}
    if lines:
        for asset in session.exec(select(Asset).where(Asset.order_line_id.in_([l.id for l in lines])).order_by(Asset.serial)):
            serials.setdefault(asset.order_line_id, []).append(asset.serial)
    for line in lines:
        out[line.order_id].append((line, items[line.item_id], [line.serial] if line.serial else serials.get(line.id, [])))
    return out


def plan_day_now(
    engine: Engine, *, service_date: date, depot_codes: list[str] | None, seconds: float, user_id: int | None = None,
    tz: str = "Europe/London", osrm_url: str | None = None,
) -> int:
    """Create and run a plan in this thread (CLI, benchmark); returns its id."""
    with new_session(engine) as session:
        plan = create_plan(session, service_date=service_date, depot_codes=depot_codes, seconds=seconds, user_id=user_id)
        plan_id = plan.id
    run_plan(engine, plan_id, tz=tz, osrm_url=osrm_url)
    return plan_id


__all__ = [
    "UTC",
    "create_plan",
    "fail_if_stale",
    "insert_urgent",
    "load_list",
    "mark_failed",
    "mark_loaded",
    "move_stop",
    "plan_view",
    "publish_plan",
    "reoptimise",
    "retry_plan",
    "run_plan",
    "set_route_lock",
]
