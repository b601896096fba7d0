"""Which vehicles could ever serve each task, and why a task fits none."""

from __future__ import annotations

import itertools

from routing.problem import Problem, Task, Vehicle, first_start

NO_SKILLS = "no vehicle has the required skills"
NO_CAPACITY = "the amount exceeds the capacity of every vehicle with the skills"
NO_TIME = "cannot be reached within its time windows during any vehicle's working hours"
NO_ROOM = "no capacity or time left in any route"
NO_LIMITS = "too far for every vehicle's maximum travel time or distance"
ONLY_LATE = "cannot start by its deadline on any vehicle, and without priority serving it late counts against the plan"


def _reachable(p: Problem, v: Vehicle, stops: list[Task]) -> bool:
    """Can the vehicle do these stops in this order alone within its shift and windows?"""
    dur = p.durations[v.profile]
    t, loc, travel = v.window[0], v.start, 0
    for s in stops:
        leg = int(dur[loc, s.location])
        travel += leg
        st = first_start(s.windows, t + leg)
        if st is None:
            return False
        t, loc = st + s.setup + s.service, s.location
    return t + int(dur[loc, v.end]) <= v.window[1]


def _within_limits(p: Problem, v: Vehicle, stops: list[Task]) -> bool:
    path = [v.start] + [s.location for s in stops] + [v.end]
    if v.max_travel_time is not None:
        dur = p.durations[v.profile]
        if sum(int(dur[a, b]) for a, b in itertools.pairwise(path)) > v.max_travel_time:
            return False
    if v.max_distance is not None and v.profile in p.distances:
        dist = p.distances[v.profile]
        if sum(int(dist[a, b]) for a, b in itertools.pairwise(path)) > v.max_distance:
            return False
    return True


def left_out_reason(p: Problem, i: int, allowed: set[int]) -> str:
    """Why a task that some vehicle could serve was left out."""
    t = p.tasks[i]
    if t.deadline is None or t.priority or t.kind != "job":
        return NO_ROOM
    for k in allowed:
        v = p.vehicles[k]
        start = first_start(t.windows, v.window[0] + int(p.durations[v.profile][v.start, t.location]))
        if start is not None and start <= t.deadline:
            return NO_ROOM
    return ONLY_LATE


def allowed_vehicles(p: Problem) -> tuple[list[set[int]], dict[int, str]]:
    """Per task: the vehicles that could serve it alone; and a reason for those with none."""
    allowed: list[set[int]] = []
    reasons: dict[int, str] = {}
    for i, t in enumerate(p.tasks):
        stops = [t]
        if t.kind == "pickup":
            stops = [t, p.tasks[t.partner]]
        elif t.kind == "delivery":
            stops = [p.tasks[t.partner], t]
        vs = [k for k, v in enumerate(p.vehicles) if t.skills <= v.skills]
        if not vs:
            reasons[i] = NO_SKILLS
            allowed.append(set())
            continue
        need = [max(a, b) for a, b in zip(t.delivery, t.pickup)] if t.kind == "job" else list(t.amount)
        vs = [k for k in vs if all(a <= c for a, c in zip(need, p.vehicles[k].capacity))]
        if not vs:
            reasons[i] = NO_CAPACITY
            allowed.append(set())
            continue
        if t.kind != "job" and any(t.amount):
            # Clean before dirty: a shipment would pick up before its own delivery.
            vs = [k for k in vs if not p.vehicles[k].pickups_after_deliveries]
        vs = [k for k in vs if p.vehicles[k].max_tasks != 0]
        if not vs:
            reasons[i] = NO_ROOM
            allowed.append(set())
            continue
        vs2 = [k for k in vs if _reachable(p, p.vehicles[k], stops)]
        if not vs2:
            reasons[i] = NO_TIME
            allowed.append(set())
            continue
        vs3 = [k for k in vs2 if _within_limits(p, p.vehicles[k], stops)]
        if not vs3:
            reasons[i] = NO_LIMITS
            allowed.append(set())
            continue
        allowed.append(set(vs3))
    # A shipment is only as placeable as both its halves.
    for i, t in enumerate(p.tasks):
        if t.partner is not None:
            both = allowed[i] & allowed[t.partner]
            if not both and i not in reasons:
                reasons[i] = reasons.get(t.partner, NO_TIME)
            allowed[i] = both
    return allowed, reasons
