"""The search: regret insertion for a first plan, then OR-Tools' guided local search."""

from __future__ import annotations

import time
from collections.abc import Callable

from routing import lns, solver
from routing.insertion import Inserter, RouteState, initial_routes, regret_insert
from routing.problem import Problem
from routing.reasons import NO_ROOM, allowed_vehicles

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
    result = solver.solve(problem, allowed, routes, deadline=deadline, seed=seed,
                          on_progress=progress, lam=GLS_LAMBDA)
    if result is not None:
        routes, served = result
    unassigned = [(i, reasons.get(i, NO_ROOM)) for i in range(len(problem.tasks)) if i not in served]
    return routes, unassigned


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
