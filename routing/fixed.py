"""Keep-order mode: insert new jobs into given routes without reordering their stops."""

from __future__ import annotations

import time

from routing.problem import Problem, Route, Step, Task, dirty_before_clean
from routing.reasons import NO_ROOM, allowed_vehicles
from routing.schedule import simulate


def given_routes(p: Problem) -> list[Route]:
    """Each vehicle's `steps` as a route; breaks not listed are placed where they fit best."""
    index = {(t.kind, t.id): i for i, t in enumerate(p.tasks)}
    routes: list[Route] = []
    for v_idx, v in enumerate(p.vehicles):
        bidx = {b.id: k for k, b in enumerate(v.breaks)}
        seq: Route = []
        for typ, sid in v.steps:
            seq.append(("break", bidx[sid]) if typ == "break" else ("task", index[(typ, sid)]))
        if any(k == "task" for k, _ in seq):
            seq = _with_breaks(p, v_idx, seq)
        routes.append(seq)
    return routes


def _best_position(p: Problem, v_idx: int, seq: Route, step: Step):
    """(key, route) of the best place for `step` in the route; (None, None) if none.

    Keys, compared in order: lateness past hard windows caused to the stops already there,
    tasks made late (deadlines), lateness added, cost added. The new task itself must be
    inside its windows, and clean before dirty must not get worse.
    """
    base = simulate(p, v_idx, seq)
    base_dirty = dirty_before_clean(p, seq)
    cbd = p.vehicles[v_idx].pickups_after_deliveries
    best_key, best_seq = None, None
    for gap in range(len(seq) + 1):
        cand = seq[:gap] + [step] + seq[gap:]
        tr = simulate(p, v_idx, cand)
        if tr.overload:
            continue
        if step[0] == "task" and tr.steps[gap + 1].lateness:
            continue  # the new job itself must be on time
        if cbd and dirty_before_clean(p, cand) > base_dirty:
            continue
        key = (tr.lateness - base.lateness, tr.late - base.late, tr.late_by - base.late_by, tr.cost - base.cost)
        if best_key is None or key < best_key:
            best_key, best_seq = key, cand
    return best_key, best_seq


def _with_breaks(p: Problem, v_idx: int, seq: Route) -> Route:
    """The route with the vehicle's breaks not listed placed where they fit best."""
    listed = {i for k, i in seq if k == "break"}
    for b in range(len(p.vehicles[v_idx].breaks)):
        if b not in listed:
            seq = _best_position(p, v_idx, seq, ("break", b))[1] or seq
    return seq


def insert_keeping_order(p: Problem, *, deadline: float) -> tuple[list[Route], list[tuple[int, str]]]:
    """Cheapest insertion of the jobs not in any given route; given stops keep their order."""
    allowed, reasons = allowed_vehicles(p)
    routes = given_routes(p)
    fixed = {i for r in routes for k, i in r if k == "task"}
    new = [i for i, t in enumerate(p.tasks) if i not in fixed]
    new.sort(key=lambda i: (-p.tasks[i].priority, _due(p.tasks[i])))
    unassigned: list[tuple[int, str]] = []
    for i in new:
        t = p.tasks[i]
        if t.kind != "job" or not allowed[i] or time.monotonic() > deadline:
            if t.kind == "job" or i not in {u for u, _ in unassigned}:
                unassigned.append((i, reasons.get(i, NO_ROOM)))
            continue
        best = None
        for v in sorted(allowed[i]):
            veh = p.vehicles[v]
            n_tasks = sum(1 for k, _ in routes[v] if k == "task")
            if veh.max_tasks is not None and n_tasks >= veh.max_tasks:
                continue
            key, seq = _best_position(p, v, routes[v], ("task", i))
            if seq is not None and not _limits_ok(p, v, seq):
                continue
            if seq is not None and (best is None or key < best[0]):
                best = (key, v, seq)
        if best is None:
            unassigned.append((i, reasons.get(i, NO_ROOM)))
        else:
            # A van used only now takes its breaks too.
            routes[best[1]] = _with_breaks(p, best[1], best[2])
    return routes, unassigned


def _due(t: Task) -> int:
    """Deadline first when there is one, else the end of the last window."""
    return t.windows[-1][1] if t.deadline is None else min(t.deadline, t.windows[-1][1])


def _limits_ok(p: Problem, v: int, seq: Route) -> bool:
    veh = p.vehicles[v]
    if veh.max_travel_time is None and veh.max_distance is None:
        return True
    tr = simulate(p, v, seq)
    if veh.max_travel_time is not None and tr.steps[-1].duration > veh.max_travel_time:
        return False
    return not (veh.max_distance is not None and tr.steps[-1].distance > veh.max_distance)
