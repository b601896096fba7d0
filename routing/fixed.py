"""Keep-order mode: insert new jobs into given routes without reordering their stops."""

from __future__ import annotations

import time

from routing.problem import Problem, Route, Step
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
            seq.append(
                ("break", bidx[sid]) if typ == "break" else ("task", index[(typ, sid)])
            )
        if any(k == "task" for k, _ in seq):
            listed = {i for k, i in seq if k == "break"}
            for b in range(len(v.breaks)):
                if b not in listed:
                    seq = _best_position(p, v_idx, seq, ("break", b))[1] or seq
        routes.append(seq)
    return routes


def _best_position(p: Problem, v_idx: int, seq: Route, step: Step):
    base = simulate(p, v_idx, seq)
    best_key, best_seq = None, None
    for gap in range(len(seq) + 1):
        cand = seq[:gap] + [step] + seq[gap:]
        tr = simulate(p, v_idx, cand)
        if tr.overload:
            continue
        if step[0] == "task" and tr.steps[gap + 1].lateness:
            continue  # the new job itself must be on time
        key = (tr.lateness - base.lateness, tr.cost - base.cost)
        if best_key is None or key < best_key:
            best_key, best_seq = key, cand
    return best_key, best_seq


def insert_keeping_order(
    p: Problem, *, deadline: float
) -> tuple[list[Route], list[tuple[int, str]]]:
    """Cheapest insertion of the jobs not in any given route; given stops keep their order."""
    allowed, reasons = allowed_vehicles(p)
    routes = given_routes(p)
    fixed = {i for r in routes for k, i in r if k == "task"}
    new = [i for i, t in enumerate(p.tasks) if i not in fixed]
    new.sort(key=lambda i: (-p.tasks[i].priority, p.tasks[i].windows[-1][1]))
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
            routes[best[1]] = best[2]
    return routes, unassigned


def _limits_ok(p: Problem, v: int, seq: Route) -> bool:
    veh = p.vehicles[v]
    if veh.max_travel_time is None and veh.max_distance is None:
        return True
    tr = simulate(p, v, seq)
    if veh.max_travel_time is not None and tr.steps[-1].duration > veh.max_travel_time:
        return False
    return not (
        veh.max_distance is not None and tr.steps[-1].distance > veh.max_distance
    )
