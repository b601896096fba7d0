"""Orders, vans and crews of a service day -> a routing problem in VROOM's JSON format.

Times in the problem are seconds since local midnight of the service day; amounts have three
dimensions [volume, bed_slots, hoist_slots]; crew skills and the van's depot are integer skills
(a delivery can only go on a van of the depot that holds its stock).

Due times are soft `deadline`s (an order already overdue is due at the start of the day, one due
after the day has none); slots stay hard time windows. Clean and dirty: a van without a separate
dirty compartment gets `pickups_after_deliveries`, and a delivery and a collection at one address
are one visit only on a van with one (the segregated skill); otherwise they are two visits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from equipment import service_time
from equipment.errors import NotFound
from equipment.models import Depot, Item, Order, OrderLine, ResponseClass, ServiceUser, Van, VanAbsence
from equipment.orders.allocation import shortfall_text
from equipment.vocabulary import DelayCause, OrderKind, OrderStatus
from routing.matrix import build_matrices

STOP_MINUTES = 5  # parking, greeting, paperwork: added once per visit
INSPECTION_MINUTES = 20
SKILL_IDS = {"two_person": 1, "hoist_trained": 2}
SEGREGATED_SKILL = 3  # the van has a separate dirty compartment
DEPOT_SKILL_BASE = 1000  # skill 1000 + depot id: "this van belongs to that depot"

PRIORITY_EMERGENCY = 100  # also any class whose clock counts hours (a swap of unsafe equipment)
HOURS_CLOCKS = ("calendar_hours", "service_hours")
EMERGENCY_ONLY = frozenset({"emergency"})  # the urgent classes when none are read from the database
PRIORITY_OVERDUE = 90
PRIORITY_DUE_TODAY = 80
# Orders brought forward carry no priority: VROOM maximises the sum of priorities first, so no
# number of optional jobs can ever displace a single mandatory one.
PRIORITY_OPTIONAL = 0


@dataclass
class JobInfo:
    """One visit: the orders it serves at one address."""

    job_id: int
    orders: list[Order]
    service_user: ServiceUser
    depot_id: int
    service_s: int
    mandatory: bool
    deadline_s: int | None = None


@dataclass
class BuiltProblem:
    problem: dict
    origin: datetime  # local midnight of the service day, in UTC
    jobs: dict[int, JobInfo]
    vans: dict[int, Van]  # vehicle id (= van id) -> van
    skipped: list[tuple[Order, str, DelayCause]] = field(default_factory=list)  # not sent to the router
    deadlines: bool = True  # due times were sent as deadlines (the benchmark turns them off)
    tz: str = service_time.DEFAULT_TZ


def day_origin(service_date: date, tz: str) -> datetime:
    return service_time.local_midnight(service_date, tz)


def day_end(service_date: date, tz: str) -> datetime:
    """Local midnight at the end of the service day (23 or 25 hours after its start at DST)."""
    return service_time.local_midnight(service_date + timedelta(days=1), tz)


def order_deadline(order: Order, origin: datetime, end: datetime, *, overdue_at_start: bool = True) -> int | None:
    """The order's due time as seconds of the day: overdue -> 0 (None when `overdue_at_start`
    is off: PLAN_OVERDUE_DEADLINE=none), due after the day -> None."""
    if order.due_at is None or order.due_at >= end:
        return None
    if order.due_at < origin and not overdue_at_start:
        return None
    return max(0, int((order.due_at - origin).total_seconds()))


def local_seconds(service_date: date, at: time, tz: str) -> int:
    """Seconds from local midnight to local time `at` on the day (right across DST changes)."""
    zone = service_time.zone(tz)
    moment = datetime.combine(service_date, at, tzinfo=zone)
    return int((moment - datetime.combine(service_date, time(0), tzinfo=zone)).total_seconds())


def cause_from_reason(reason: str) -> DelayCause:
    """Map the router's reason phrase to a delay cause."""
    text = reason.lower()
    if "skill" in text:
        return DelayCause.NO_TRAINED_CREW
    if "time window" in text or "slot" in text:
        return DelayCause.OUTSIDE_SLOT
    if "stock" in text:
        return DelayCause.STOCK_UNAVAILABLE
    return DelayCause.NO_VAN_CAPACITY


def stock_reason(session: Session, order: Order) -> str:
    """An order on back order: which items its depot is short of."""
    lines = list(session.exec(select(OrderLine).where(OrderLine.order_id == order.id)))
    missing = shortfall_text(session, lines) if lines else ""
    depot = session.get(Depot, order.depot_id)
    return f"stock unavailable at {depot.code if depot else 'the depot'}" + (f": short of {missing}" if missing else "")


def depots_for(session: Session, codes: list[str] | None) -> list[Depot]:
    depots = list(session.exec(select(Depot).order_by(Depot.id)))
    if not codes:
        return depots
    by_code = {d.code: d for d in depots}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise NotFound(f"unknown depot {', '.join(unknown)}", field="depots")
    return [by_code[c] for c in codes]


def vans_on_shift(session: Session, depot_ids: list[int], service_date: date) -> list[Van]:
    absent = set(session.exec(select(VanAbsence.van_id).where(VanAbsence.day == service_date)))
    vans = session.exec(select(Van).where(Van.depot_id.in_(depot_ids), Van.active == True).order_by(Van.id))
    return [v for v in vans if v.id not in absent]


def vehicle_json(van: Van, service_date: date, tz: str, *, depot_index: int) -> dict:
    start = local_seconds(service_date, van.shift_start, tz)
    end = local_seconds(service_date, van.shift_end, tz)
    lunch_from = local_seconds(service_date, van.lunch_from, tz)
    lunch_latest = max(lunch_from, local_seconds(service_date, van.lunch_to, tz) - van.lunch_minutes * 60)
    skills = sorted({SKILL_IDS.get(s, _other_skill(s)) for s in van.skills.split()} | {DEPOT_SKILL_BASE + van.depot_id})
    vehicle = {
        "id": van.id,
        "description": van.reg,
        "start_index": depot_index,
        "end_index": depot_index,
        "capacity": [van.volume_capacity, van.bed_slots, van.hoist_slots],
        "skills": skills + ([SEGREGATED_SKILL] if van.segregated else []),
        "time_window": [start, end],
    }
    if not van.segregated:
        vehicle["pickups_after_deliveries"] = True
    if van.lunch_minutes > 0 and start <= lunch_from < end:
        vehicle["breaks"] = [
            {"id": van.id, "time_windows": [[lunch_from, lunch_latest]], "service": van.lunch_minutes * 60}
        ]
    return vehicle


def _other_skill(word: str) -> int:
    # Skills the service may add later: a stable small number from the word itself.
    return 100 + sum(ord(c) * (i + 1) for i, c in enumerate(word)) % 800


def hours_classes(session: Session) -> frozenset[str]:
    """The response classes planned as emergencies: those whose clock counts hours."""
    return frozenset(session.exec(select(ResponseClass.code).where(ResponseClass.counting.in_(HOURS_CLOCKS))))


def order_priority(order: Order, origin: datetime, urgent: frozenset[str] = EMERGENCY_ONLY) -> tuple[int, bool]:
    """(priority, mandatory): due by the end of the day or overdue is mandatory."""
    end_of_day = origin + timedelta(days=1)
    if order.due_at is None or order.due_at > end_of_day:
        return PRIORITY_OPTIONAL, False
    if order.response_class in urgent:
        return PRIORITY_EMERGENCY, True
    if order.due_at < origin:
        return PRIORITY_OVERDUE, True
    return PRIORITY_DUE_TODAY, True


def slot_window(order: Order, origin: datetime) -> tuple[int, int] | None:
    """The appointment slot as seconds of the day, None without one (or one not on this day)."""
    if order.slot_start is None or order.slot_end is None:
        return None
    start = int((order.slot_start - origin).total_seconds())
    end = int((order.slot_end - origin).total_seconds())
    if end < 0 or start >= 86400:
        return None
    return max(0, start), max(0, end)


def slot_is_later(order: Order, origin: datetime) -> bool:
    return order.slot_start is not None and order.slot_start >= origin + timedelta(days=1)


def load_lines(session: Session, order_ids: list[int]) -> tuple[dict[int, list[OrderLine]], dict[int, Item]]:
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    if not order_ids:
        return lines, {}
    for line in session.exec(select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)):
        lines[line.order_id].append(line)
    item_ids = {line.item_id for ls in lines.values() for line in ls}
    items = {i.id: i for i in session.exec(select(Item).where(Item.id.in_(item_ids)))} if item_ids else {}
    return lines, items


def job_json(
    job_id: int,
    orders: list[Order],
    person: ServiceUser,
    location_index: int,
    lines: dict[int, list[OrderLine]],
    items: dict[int, Item],
    origin: datetime,
    deadline: int | None = None,
    urgent: frozenset[str] = EMERGENCY_ONLY,
) -> tuple[dict, int, bool]:
    """One visit serving `orders`: amounts, skills, service time, slot, priority and deadline."""
    delivery = [0, 0, 0]
    pickup = [0, 0, 0]
    skills: set[int] = {DEPOT_SKILL_BASE + orders[0].depot_id}
    minutes = STOP_MINUTES
    priority, mandatory = 0, False
    window = None
    for order in orders:
        p, m = order_priority(order, origin, urgent)
        priority, mandatory = max(priority, p), mandatory or m
        window = window or slot_window(order, origin)
        if order.kind == OrderKind.INSPECTION:
            minutes += INSPECTION_MINUTES
        for line in lines.get(order.id, []):
            item = items[line.item_id]
            skills |= {SKILL_IDS.get(s, _other_skill(s)) for s in item.skills.split()}
            amounts = [item.volume * line.quantity, item.bed_slots * line.quantity, item.hoist_slots * line.quantity]
            if order.kind == OrderKind.DELIVERY:
                delivery = [a + b for a, b in zip(delivery, amounts)]
                minutes += item.install_minutes * line.quantity
            elif order.kind == OrderKind.COLLECTION:
                pickup = [a + b for a, b in zip(pickup, amounts)]
                minutes += max(2, item.install_minutes // 2) * line.quantity
            else:
                minutes += max(5, item.install_minutes // 3) * line.quantity
    job = {
        "id": job_id,
        "description": " ".join(o.ref for o in orders),
        "location_index": location_index,
        "service": minutes * 60,
        "delivery": delivery,
        "pickup": pickup,
        "skills": sorted(skills),
        "priority": priority,
    }
    if any(delivery) and any(pickup):
        job["skills"] = sorted(skills | {SEGREGATED_SKILL})  # clean and dirty in one visit
    if window:
        job["time_windows"] = [list(window)]
    if deadline is not None:
        job["deadline"] = deadline
    return job, minutes * 60, mandatory


def group_orders(orders: list[Order], origin: datetime) -> list[list[Order]]:
    """Orders at one address, from one depot, with the same slot become one visit."""
    groups: dict[tuple, list[Order]] = defaultdict(list)
    for order in orders:
        groups[(order.service_user_id, order.depot_id, slot_window(order, origin))].append(order)
    return list(groups.values())


def is_mixed(group: list[Order]) -> bool:
    kinds = {o.kind for o in group}
    return OrderKind.DELIVERY in kinds and OrderKind.COLLECTION in kinds


def split_clean_and_dirty(session: Session, groups: list[list[Order]], vans: list[Van]) -> list[list[Order]]:
    """A delivery and a collection at one address stay one visit only when a van with a dirty
    compartment on shift at their depot has the crew and room for both; else two visits."""
    mixed = [o.id for g in groups if is_mixed(g) for o in g]
    lines, items = load_lines(session, mixed)
    out = []
    for group in groups:
        if is_mixed(group) and not any(_carries_both(v, group, lines, items) for v in vans):
            out += [
                [o for o in group if o.kind != OrderKind.COLLECTION],
                [o for o in group if o.kind == OrderKind.COLLECTION],
            ]
        else:
            out.append(group)
    return out


def _carries_both(van: Van, group: list[Order], lines: dict, items: dict) -> bool:
    if not van.segregated or van.depot_id != group[0].depot_id:
        return False
    need, crew = {OrderKind.DELIVERY: [0, 0, 0], OrderKind.COLLECTION: [0, 0, 0]}, set()
    for order in group:
        for line in lines.get(order.id, []):
            item = items[line.item_id]
            crew |= set(item.skills.split())
            if order.kind in need:
                amounts = (item.volume, item.bed_slots, item.hoist_slots)
                need[order.kind] = [n + a * line.quantity for n, a in zip(need[order.kind], amounts)]
    room = (van.volume_capacity, van.bed_slots, van.hoist_slots)
    fits = all(max(d, c) <= r for d, c, r in zip(need[OrderKind.DELIVERY], need[OrderKind.COLLECTION], room))
    return fits and crew <= set(van.skills.split())


def build_day_problem(
    session: Session,
    *,
    service_date: date,
    depot_codes: list[str] | None,
    tz: str,
    osrm_url: str | None = None,
    deadlines: bool = True,
    overdue_at_start: bool = True,
) -> BuiltProblem:
    """The routing problem of a service day for some depots (all when none are named)."""
    origin = day_origin(service_date, tz)
    depots = depots_for(session, depot_codes)
    depot_ids = [d.id for d in depots]
    vans = vans_on_shift(session, depot_ids, service_date)
    ready = list(
        session.exec(
            select(Order)
            .where(Order.status == OrderStatus.READY, Order.depot_id.in_(depot_ids))
            .order_by(Order.due_at, Order.id)
        )
    )
    skipped: list[tuple[Order, str, DelayCause]] = []
    # Orders due today whose stock is not there cannot be planned: say so.
    end_of_day = origin + timedelta(days=1)
    for order in session.exec(
        select(Order).where(
            Order.status == OrderStatus.BACK_ORDER, Order.depot_id.in_(depot_ids), Order.due_at <= end_of_day
        )
    ):
        skipped.append((order, stock_reason(session, order), DelayCause.STOCK_UNAVAILABLE))
    ready = [o for o in ready if not slot_is_later(o, origin)]
    depots_with_vans = {v.depot_id for v in vans}
    plannable = []
    for order in ready:
        if order.depot_id in depots_with_vans:
            plannable.append(order)
        else:
            skipped.append((order, "no van on shift at the depot", DelayCause.NO_VAN_CAPACITY))
    return assemble(
        session,
        groups=split_clean_and_dirty(session, group_orders(plannable, origin), vans),
        vans=vans,
        depots=depots,
        service_date=service_date,
        tz=tz,
        osrm_url=osrm_url,
        skipped=skipped,
        deadlines=deadlines,
        overdue_at_start=overdue_at_start,
    )


def assemble(
    session: Session,
    *,
    groups: list[list[Order]],
    vans: list[Van],
    depots: list[Depot],
    service_date: date,
    tz: str,
    osrm_url: str | None = None,
    skipped: list | None = None,
    job_ids: list[int] | None = None,
    deadlines: bool = True,
    overdue_at_start: bool = True,
) -> BuiltProblem:
    """Jobs from groups of orders (ids from `job_ids`, else 1..n) and vehicles from vans."""
    origin, end = day_origin(service_date, tz), day_end(service_date, tz)
    people_ids = {o.service_user_id for g in groups for o in g}
    people = (
        {p.id: p for p in session.exec(select(ServiceUser).where(ServiceUser.id.in_(people_ids)))} if people_ids else {}
    )
    lines, items = load_lines(session, [o.id for g in groups for o in g])
    urgent = hours_classes(session)
    locations: list[tuple[float, float]] = []
    index_of: dict[tuple[float, float], int] = {}

    def index(lon: float, lat: float) -> int:
        key = (round(lon, 6), round(lat, 6))
        if key not in index_of:
            index_of[key] = len(locations)
            locations.append(key)
        return index_of[key]

    depot_index = {d.id: index(d.lon, d.lat) for d in depots}
    vehicles = [vehicle_json(v, service_date, tz, depot_index=depot_index[v.depot_id]) for v in vans]
    jobs, infos = [], {}
    for n, group in enumerate(groups):
        person = people[group[0].service_user_id]
        job_id = job_ids[n] if job_ids else n + 1
        due = [d for o in group if (d := order_deadline(o, origin, end, overdue_at_start=overdue_at_start)) is not None]
        deadline = min(due) if due and deadlines else None
        where = index(person.lon, person.lat)
        job, service_s, mandatory = job_json(job_id, group, person, where, lines, items, origin, deadline, urgent)
        jobs.append(job)
        infos[job_id] = JobInfo(job_id, group, person, group[0].depot_id, service_s, mandatory, deadline)
    durations, distances = build_matrices(locations, osrm_url=osrm_url or None)
    problem = {
        "vehicles": vehicles,
        "jobs": jobs,
        "matrices": {"car": {"durations": durations.tolist(), "distances": distances.tolist()}},
    }
    return BuiltProblem(problem, origin, infos, {v.id: v for v in vans}, list(skipped or []), deadlines, tz)
