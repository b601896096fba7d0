"""Making room for urgent work: when an urgent visit fits in no route as it stands, which stops
each route could give up for it (orders brought forward first, then those due latest), and what
each choice makes late. Works on the keep-order problem of one van at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from equipment.models import Order
from equipment.planning.keep_order import NEW_JOB_BASE, FixedRoutes
from equipment.planning.problem import PRIORITY_EMERGENCY
from equipment.planning.solving import solve
from equipment.vocabulary import OrderStatus

MAX_DISPLACED = 3  # stops a route may give up for one urgent visit
SINGLE_TRIES = 6  # stops tried one at a time before giving up several
SUB_SECONDS = 0.5  # ceiling of one van's insertion (it takes milliseconds)


@dataclass
class Displaced:
    stop_id: int
    order_refs: list[str]
    due_at: datetime | None
    brought_forward: bool  # every order on it is due after the service day
    misses_due: bool  # going back to be planned, it will miss its due time


@dataclass
class VanTry:
    """One van's keep-order insertion of the urgent visit with some stops given up."""

    vehicle_id: int
    displaced: list[int]
    route: dict | None  # the van's VROOM route with the urgent visit, None when it does not fit
    cost: int = 0


@dataclass
class RoomOffer:
    van: str
    vehicle_id: int
    displaced: list[Displaced]
    route: dict = field(repr=False)
    cost: int = 0


class VanProblems:
    """Single-van keep-order problems cut from a plan's problem (a small matrix each)."""

    def __init__(self, fixed: FixedRoutes):
        self.fixed = fixed
        problem = fixed.built.problem
        car = problem["matrices"]["car"]
        self.durations = np.asarray(car["durations"])
        self.distances = np.asarray(car["distances"]) if "distances" in car else None
        self.vehicles = {v["id"]: v for v in problem["vehicles"]}
        self.jobs = {j["id"]: j for j in problem["jobs"]}

    def may_serve(self, vehicle_id: int, job_id: int = NEW_JOB_BASE) -> bool:
        return set(self.jobs[job_id].get("skills", [])) <= set(self.vehicles[vehicle_id].get("skills", []))

    def _steps(self, vehicle_id: int) -> list[dict]:
        return self.vehicles[vehicle_id].get("steps", [])

    def loads_fit(self, vehicle_id: int, leave_out: set[int]) -> bool:
        """Every delivery is on board when the van leaves: a quick test that needs no solve."""
        ids = [s["id"] for s in self._steps(vehicle_id) if s["type"] == "job" and s["id"] not in leave_out]
        on_board = [sum(d) for d in zip(*(self.jobs[i].get("delivery", []) for i in [*ids, NEW_JOB_BASE]))]
        return all(load <= cap for load, cap in zip(on_board, self.vehicles[vehicle_id]["capacity"]))

    def problem(self, vehicle_id: int, leave_out: set[int], with_new: bool) -> dict:
        vehicle = dict(self.vehicles[vehicle_id])
        vehicle["steps"] = [s for s in vehicle.get("steps", []) if s["type"] != "job" or s["id"] not in leave_out]
        ids = [s["id"] for s in vehicle["steps"] if s["type"] == "job"] + ([NEW_JOB_BASE] if with_new else [])
        jobs = [dict(self.jobs[i]) for i in ids]
        places = sorted({vehicle["start_index"], vehicle["end_index"]} | {j["location_index"] for j in jobs})
        index = {p: n for n, p in enumerate(places)}
        vehicle["start_index"], vehicle["end_index"] = index[vehicle["start_index"]], index[vehicle["end_index"]]
        for job in jobs:
            job["location_index"] = index[job["location_index"]]
        cut = np.ix_(places, places)
        car = {"durations": self.durations[cut].tolist()}
        if self.distances is not None:
            car["distances"] = self.distances[cut].tolist()
        return {"vehicles": [vehicle], "jobs": jobs, "matrices": {"car": car}}

    def solve(self, vehicle_id: int, leave_out: set[int], with_new: bool, session=None) -> dict | None:
        """The van's route from a keep-order solve (None when it has no stops)."""
        if not with_new and not any(s["type"] == "job" and s["id"] not in leave_out for s in self._steps(vehicle_id)):
            return None
        output = solve(
            self.problem(vehicle_id, leave_out, with_new), seconds=SUB_SECONDS, keep_order=True, session=session
        )
        if with_new and any(u["id"] == NEW_JOB_BASE for u in output.get("unassigned", [])):
            return None
        route = next(iter(output.get("routes", [])), None)
        if route is None:
            return None
        return _without_cut_indices(route)

    def fits(self, vehicle_id: int, leave_out: set[int], base_lateness: int | None = None, session=None) -> VanTry:
        """The van with `leave_out` given up takes the urgent visit breaking no slot or shift
        that was kept without it."""
        if not self.loads_fit(vehicle_id, leave_out):
            return VanTry(vehicle_id, sorted(leave_out), None)
        if base_lateness is None:
            base = self.solve(vehicle_id, leave_out, with_new=False, session=session)
            base_lateness = hard_lateness(base) if base else 0
        route = self.solve(vehicle_id, leave_out, with_new=True, session=session)
        if route is None or hard_lateness(route) > base_lateness:
            return VanTry(vehicle_id, sorted(leave_out), None)
        return VanTry(vehicle_id, sorted(leave_out), route, int(route.get("cost", 0)))


def _without_cut_indices(route: dict) -> dict:
    # Positions in the cut matrix mean nothing outside it; the stored plan uses ids and times only.
    for step in route["steps"]:
        step.pop("location_index", None)
    return route


def hard_lateness(route: dict) -> int:
    """Seconds past hard windows (slots, shift end, lunch) in a keep-order route."""
    return sum(v.get("duration", 0) for v in route.get("violations", []))


def displaceable(fixed: FixedRoutes, vehicle_id: int, now_s: int | None) -> list[int]:
    """The van's stops that could go back to be planned, in the order they are offered: orders
    brought forward first, then those due latest. Never a stop under way or done, one whose van
    is loaded, or another emergency (or swap of unsafe equipment)."""
    route = fixed.routes.get(vehicle_id)
    if route is None or route.loaded_at is not None:
        return []
    origin = fixed.built.origin
    urgent = {j["id"] for j in fixed.built.problem["jobs"] if j.get("priority", 0) >= PRIORITY_EMERGENCY}
    candidates = []
    for stop_id, stop in fixed.stops.items():
        if stop.route_id != route.id or stop.status != "pending":
            continue
        if now_s is not None and (stop.eta - origin).total_seconds() < now_s:
            continue
        orders = fixed.built.jobs[stop_id].orders
        if any(o.status != OrderStatus.PLANNED for o in orders) or stop_id in urgent:
            continue
        candidates.append((not brought_forward(orders, origin), -_earliest_due_s(orders), stop_id))
    return [stop_id for *_, stop_id in sorted(candidates)]


def brought_forward(orders: list[Order], origin: datetime) -> bool:
    end = origin + timedelta(days=1)
    return all(o.due_at is None or o.due_at >= end for o in orders)


def _earliest_due_s(orders: list[Order]) -> float:
    dues = [o.due_at.timestamp() for o in orders if o.due_at is not None]
    return min(dues) if dues else float("inf")


def make_room(vans: VanProblems, vehicle_id: int, candidates: list[int], session=None) -> VanTry | None:
    """The fewest stops, first in offer order, whose giving up lets the van take the visit."""
    if not candidates:
        return None
    full = vans.solve(vehicle_id, set(), with_new=False, session=session)
    base = hard_lateness(full) if full else 0
    # Taking stops out never makes the rest later, so a route kept on time stays on time.
    known = base if base == 0 else None
    for stop_id in candidates[:SINGLE_TRIES]:
        tried = vans.fits(vehicle_id, {stop_id}, known, session)
        if tried.route is not None:
            return tried
    chosen: list[int] = []
    for stop_id in candidates[:MAX_DISPLACED]:
        chosen.append(stop_id)
        tried = vans.fits(vehicle_id, set(chosen), known, session)
        if tried.route is not None:
            return _fewest(vans, tried, known, session)
    return None


def _fewest(vans: VanProblems, tried: VanTry, known: int | None, session) -> VanTry:
    """Give back, last offered first, each stop the room does not need."""
    kept = list(tried.displaced)
    for stop_id in reversed(list(tried.displaced)):
        rest = [s for s in kept if s != stop_id]
        if not rest:
            break
        smaller = vans.fits(tried.vehicle_id, set(rest), known, session)
        if smaller.route is not None:
            kept, tried = rest, smaller
    return tried


def displaced_of(fixed: FixedRoutes, stop_ids: list[int]) -> list[Displaced]:
    origin = fixed.built.origin
    out = []
    for stop_id in stop_ids:
        orders = fixed.built.jobs[stop_id].orders
        forward = brought_forward(orders, origin)
        dues = [o.due_at for o in orders if o.due_at is not None]
        out.append(Displaced(stop_id, [o.ref for o in orders], min(dues) if dues else None, forward, not forward))
    return out


def room_offers(fixed: FixedRoutes, now_s: int | None, session=None) -> list[RoomOffer]:
    """For each van that could serve the urgent visit: the stops it would give up."""
    vans = VanProblems(fixed)
    offers = []
    for vehicle_id in vans.vehicles:
        if not vans.may_serve(vehicle_id):
            continue
        tried = make_room(vans, vehicle_id, displaceable(fixed, vehicle_id, now_s), session)
        if tried is None:
            continue
        van = fixed.built.vans[vehicle_id]
        offers.append(RoomOffer(van.reg, vehicle_id, displaced_of(fixed, tried.displaced), tried.route, tried.cost))
    return offers
