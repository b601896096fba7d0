"""Urgent insertion: an order that cannot wait goes into the published routes, every route keeping
its stops in their order: where it meets its due time, then where it costs least. A dry run shows
the knock-on first. When it fits nowhere, the answer offers ways to make room (room.py); the
coordinator picks one (`displace`) or declines (`decline_urgent`).

No solve runs inside a transaction: read, solve, then write in one transaction that checks the
plan is as it was read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from equipment.db import use_case, utcnow
from equipment.errors import Conflict, Invalid, InvalidTransition, NotFound
from equipment.models import Order, Route, Stop
from equipment.planning.keep_order import NEW_JOB_BASE, FixedRoutes, fixed_routes, seconds_into_day, unassigned_reason
from equipment.planning.problem import day_origin, depots_for
from equipment.planning.room import Displaced, VanProblems, displaceable, displaced_of, hard_lateness, room_offers
from equipment.planning.solving import solve
from equipment.planning.store import at, is_late
from equipment.planning.urgent_write import record_declined, record_no_room, write_insertion
from equipment.planning.views import get_plan
from equipment.service_time import DEFAULT_TZ
from equipment.vocabulary import OrderStatus

INSERT_SECONDS = 5.0  # a ceiling: the insertion itself takes a fraction of a second; the router
# shortens its budget by the problem's size, and a job it has no time left for comes back unplaced
MAX_DISPLACE = 10


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
class RoomChoice:
    """One way to make room: the stops a van gives up and what that makes late."""

    van: str
    displaced: list[Displaced]
    stop: StopChange
    late_stops: list[StopChange]
    made_late: list[str]  # order refs that will miss their due time with this choice


@dataclass
class Insertion:
    inserted: bool
    dry_run: bool
    stop: StopChange | None
    late_stops: list[StopChange]
    reason: str = ""
    displaced: list[Displaced] = field(default_factory=list)
    offers: list[RoomChoice] = field(default_factory=list)  # when it fits nowhere as things stand


@dataclass
class _Read:
    order: Order
    fixed: FixedRoutes
    now_s: int | None
    vehicle_id: int | None  # the van giving up `displace`


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
    displace: list[int] | None = None,
    now: datetime | None = None,
    aim_at_due: bool = True,
) -> Insertion:
    """Put an urgent order into the published routes, keeping every route's stops in their order
    (on time first, then cheapest); report the stops that would become late. With `displace`
    (stop ids of one route), those stops give way to it. When it fits nowhere, the result is not
    inserted and carries the offers of room."""
    read = _read_for_insertion(
        session,
        plan_id=plan_id,
        order_ref=order_ref,
        tz=tz,
        osrm_url=osrm_url,
        displace=displace or [],
        now=now or utcnow(),
        aim_at_due=aim_at_due,
    )
    if displace:
        vroute = VanProblems(read.fixed).fits(read.vehicle_id, set(displace), session=session).route
        if vroute is None:
            raise Conflict(f"giving up stops {', '.join(map(str, displace))} does not make room for {order_ref}")
    else:
        vroute, reason = _cheapest_route(read.fixed, seconds, session)
        if vroute is None:
            result = Insertion(False, dry_run, None, [], reason=reason, offers=_choices(read, session))
            if not dry_run:
                record_no_room(session, plan_id=plan_id, order=read.order, result=result, user_id=user_id)
            return result
    result = _insertion(read.fixed, vroute, dry_run)
    result.displaced = displaced_of(read.fixed, sorted(displace or []))
    if not dry_run:
        write_insertion(
            session, plan_id=plan_id, order=read.order, fixed=read.fixed, vroute=vroute, result=result, user_id=user_id
        )
    return result


@use_case
def _read_for_insertion(
    session: Session,
    *,
    plan_id: int,
    order_ref: str,
    tz: str,
    osrm_url: str | None,
    displace: list[int],
    now: datetime,
    aim_at_due: bool,
) -> _Read:
    plan = get_plan(session, plan_id)
    if plan.published_at is None:
        raise InvalidTransition("urgent jobs go into a published plan; publish it first")
    order = ready_order(session, order_ref)
    if plan.depots and order.depot_id not in {d.id for d in depots_for(session, plan.depots.split())}:
        raise Invalid(f"order {order_ref} is served by a depot outside this plan", field="order_ref")
    origin = day_origin(plan.service_date, tz)
    now_s = seconds_into_day(origin, now)
    fixed = fixed_routes(
        session, plan, tz=tz, osrm_url=osrm_url, extra=[[order]], new_window_from=now_s, aim_at_due=aim_at_due
    )
    vehicle_id = _check_displace(session, plan_id, fixed, displace, now_s) if displace else None
    return _Read(order, fixed, now_s, vehicle_id)


def ready_order(session: Session, order_ref: str) -> Order:
    order = session.exec(select(Order).where(Order.ref == order_ref)).first()
    if order is None:
        raise NotFound(f"no order {order_ref}", field="order_ref")
    if order.status != OrderStatus.READY:
        raise InvalidTransition(f"order {order_ref} is {order.status}; only a ready order can be inserted")
    return order


def _check_displace(session: Session, plan_id: int, fixed: FixedRoutes, displace: list[int], now_s) -> int:
    """The van whose route holds every stop to give up; each one must be free to go."""
    if len(set(displace)) != len(displace):
        raise Invalid("a stop is named twice", field="displace")
    if len(displace) > MAX_DISPLACE:
        raise Invalid(f"at most {MAX_DISPLACE} stops can give way", field="displace")
    rows = session.exec(
        select(Stop.id, Route.van_id)
        .join(Route, Route.id == Stop.route_id)
        .where(Stop.id.in_(displace), Route.plan_id == plan_id)
    ).all()
    missing = sorted(set(displace) - {stop_id for stop_id, _ in rows})
    if missing:
        raise Invalid(f"no stop {', '.join(map(str, missing))} in plan {plan_id}", field="displace")
    vans = {van_id for _, van_id in rows}
    if len(vans) > 1:
        raise Invalid("the stops to give up must all be on one route", field="displace")
    vehicle_id = vans.pop()
    free = set(displaceable(fixed, vehicle_id, now_s))
    stuck = [s for s in displace if s not in free]
    if stuck:
        raise InvalidTransition(
            f"stop {', '.join(map(str, stuck))} cannot give way (under way, done, loaded or an emergency)"
        )
    if not VanProblems(fixed).may_serve(vehicle_id):
        raise Invalid("that route's van cannot serve this order (crew skills or depot)", field="displace")
    return vehicle_id


def _cheapest_route(fixed: FixedRoutes, seconds: float, session: Session) -> tuple[dict | None, str]:
    """The route the router put the new visit on, unless it fits only by breaking a slot, a
    lunch break or a shift that was kept without it."""
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
        return None, unassigned_reason(output, NEW_JOB_BASE)
    if hard_lateness(vroute):
        base = VanProblems(fixed).solve(vroute["vehicle"], set(), with_new=False, session=session)
        if hard_lateness(vroute) > (hard_lateness(base) if base else 0):
            return None, "no room: every route would miss a slot, its lunch break or the end of its shift"
    return vroute, ""


def _choices(read: _Read, session: Session) -> list[RoomChoice]:
    """The offers of room, fewest made late first, then fewest stops given up, then cheapest."""
    choices = []
    for offer in room_offers(read.fixed, read.now_s, session):
        shown = _insertion(read.fixed, offer.route, dry_run=True)
        made_late = [ref for d in offer.displaced if d.misses_due for ref in d.order_refs]
        made_late += [ref for c in shown.late_stops for ref in c.order_refs]
        made_late += shown.stop.order_refs if shown.stop.late else []
        choices.append((len(made_late), len(offer.displaced), offer.cost, offer, shown, made_late))
    choices.sort(key=lambda c: c[:3])
    return [RoomChoice(o.van, o.displaced, s.stop, s.late_stops, late) for *_, o, s, late in choices]


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
        if late and not old.late and not old.overdue and old.status == "pending":  # overdue: already late
            late_stops.append(StopChange(old.id, van.reg, refs, eta, old.eta, True, sequence))
    return Insertion(True, dry_run, new_stop, late_stops)


@use_case
def decline_urgent(session: Session, *, plan_id: int, order_ref: str, user_id: int | None) -> Order:
    """The coordinator makes no room: the order stays ready, with its predicted delay."""
    plan = get_plan(session, plan_id)
    if plan.published_at is None:
        raise InvalidTransition("urgent jobs go into a published plan; publish it first")
    order = ready_order(session, order_ref)
    record_declined(session, plan=plan, order=order, user_id=user_id)
    return order
