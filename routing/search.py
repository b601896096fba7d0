"""The search: regret insertion for a first plan, then OR-Tools' guided local search."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from routing import lns, solver
from routing.insertion import Inserter, RouteState, initial_routes, regret_insert
from routing.problem import Problem
from routing.reasons import NO_ROOM, allowed_vehicles
from routing.schedule import simulate

Route = list[tuple[str, int]]
LNS_SHARE = 0.5  # of the search time, before OR-Tools takes over
GLS_LAMBDA = 0.3  # guided local search penalty factor (tuned on Solomon)


def plan(
    problem: Problem,
    *,
    deadline: float,
    seed: int = 0,
    on_progress: Callable[[float, int], None] | None = None,
) -> tuple[list[Route], list[tuple[int, str]]]:
    """Routes per vehicle and (task, reason) for the tasks left out."""
    t0 = time.monotonic()
    allowed, reasons = allowed_vehicles(problem)
    ins = Inserter(problem, allowed)
    states = [RouteState(ins, v, r) for v, r in enumerate(initial_routes(problem, ins))]
    left = regret_insert(states, ins.jobs, k=2)
    progress = _Throttle(on_progress, t0, deadline)
    # Our ruin and recreate explores; OR-Tools' guided local search then polishes.
    split = time.monotonic() + LNS_SHARE * max(0.0, deadline - time.monotonic())
    routes, left = lns.ruin_recreate(states, left, deadline=split, seed=seed, on_best=progress)
    served = {i for r in routes for k, i in r if k == "task"}
    if any(v.breaks for v in problem.vehicles):
        result = _solve_with_breaks_relaxed(problem, allowed, routes, deadline, seed, progress)
    else:
        result = solver.solve(problem, allowed, routes, deadline=deadline, seed=seed,
                              on_progress=progress, lam=GLS_LAMBDA)
    if result is not None and _objective(problem, result[1], result[0]) < _objective(problem, served, routes):
        routes, served = result
    unassigned = [(i, reasons.get(i, NO_ROOM)) for i in range(len(problem.tasks)) if i not in served]
    return routes, unassigned


def _solve_with_breaks_relaxed(problem, allowed, routes, deadline, seed, progress):
    """OR-Tools on the plan without breaks but with shifts shortened by their length.

    OR-Tools' break intervals restore and search far too slowly at county size, so the
    breaks are placed afterwards, each on the leg where it delays the route least; the
    result is used only when every break fits.
    """
    relaxed = dataclasses.replace(problem, vehicles=tuple(
        dataclasses.replace(v, breaks=(), window=(v.window[0], max(
            v.window[0], v.window[1] - sum(b.service for b in v.breaks))))
        for v in problem.vehicles))
    bare = [[s for s in r if s[0] == "task"] for r in routes]
    result = solver.solve(relaxed, allowed, bare, deadline=deadline, seed=seed,
                          on_progress=progress, lam=GLS_LAMBDA)
    if result is None:
        return None
    placed = []
    for v, route in enumerate(result[0]):
        if not route or not problem.vehicles[v].breaks:
            placed.append(route)
            continue
        for b in range(len(problem.vehicles[v].breaks)):
            route = _place(problem, v, route, ("break", b))
            if route is None:
                return None
        placed.append(route)
    return placed, result[1]


def _place(problem: Problem, v: int, route: Route, step) -> Route | None:
    best = None
    for gap in range(len(route) + 1):
        cand = route[:gap] + [step] + route[gap:]
        tr = simulate(problem, v, cand)
        if tr.lateness == 0 and not tr.overload:
            key = tr.steps[-1].arrival
            if best is None or key < best[0]:
                best = (key, cand)
    return None if best is None else best[1]


def _objective(problem: Problem, served: set[int], routes: list[Route]) -> tuple[int, int, int]:
    """VROOM's order: priority left out, then tasks left out, then cost."""
    out = [t for i, t in enumerate(problem.tasks) if i not in served]
    cost = sum(simulate(problem, v, r).cost for v, r in enumerate(routes)
               if any(k == "task" for k, _ in r))
    return sum(t.priority for t in out), len(out), cost


class _Throttle:
    """Calls on_progress(fraction, cost) for improvements, at most four times a second."""

    def __init__(self, fn, t0: float, deadline: float):
        self.fn, self.t0, self.deadline = fn, t0, deadline
        self.best: int | None = None
        self.last = 0.0

    def __call__(self, cost: int) -> None:
        if self.fn is None:
            return
        if self.best is not None and cost >= self.best:
            return
        self.best = cost
        now = time.monotonic()
        if now - self.last < 0.25:
            return
        self.last = now
        span = max(self.deadline - self.t0, 1e-9)
        self.fn(min(1.0, max(0.0, (now - self.t0) / span)), cost)
