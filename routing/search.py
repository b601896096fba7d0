"""The search: OR-Tools' guided local search and our own ruin and recreate, taking turns.

Which search runs when, and its share of the time left after parsing (`plan` picks):

| problem                              | compiled SISR usable* | searches, in order (share of the time)                 |
|--------------------------------------|-----------------------|--------------------------------------------------------|
| <= 300 tasks, no breaks, shipments   | (not used)            | OR-Tools from its own first plan (100 %)               |
| <= 300 tasks, no breaks, jobs only   | yes                   | OR-Tools (30 %), SISR (70 %)                           |
| <= 300 tasks, no breaks, jobs only   | no                    | OR-Tools (50 %), lns.py (25 %), OR-Tools again (25 %)  |
| > 300 tasks, or any breaks           | yes                   | regret insertion, SISR (50 %), OR-Tools (20 %), SISR (30 %) |
| > 600 tasks                          | yes                   | regret insertion, SISR (100 %, hotter start: 4 x cost per job) |
| > 300 tasks, or any breaks           | no                    | regret insertion, lns.py (35 %), OR-Tools (35 %), lns.py (30 %; not with shipments, which leave it idle) |

*usable: jobs only (no shipments), no max_travel_time / max_distance / break max_load, at
least SISR_MIN_SECONDS of budget, and `python -m routing compile` has been run. With
breaks, OR-Tools searches without them on shifts shortened by their length, and the breaks
are placed afterwards (`_solve_with_breaks_relaxed`). Every stage's plan competes by the
objective (`objective`); the best one is returned. Within every SISR stage, the plan is
also improved by exchanging route ends (2-opt*, sisr_tails.py) every 50 ms or so.
With due times, the first SISR stage of a large problem spends its first quarter with them
ignored (`_priority_first`): priority ranks first, and what is served is chosen best
without them. And the last SISR stage (of either size) gives its last REPAIR_SHARE to
`late_repair`: the late tasks that can be on time, searched back in with hard deadlines.
With due times, on up to SMALL tasks with breaks, that last stage starts cooler
(LAST_STAGE_HEAT instead of 2 x cost per job): it continues the plan rather than reheat it.

Above HUGE tasks OR-Tools is left out when the compiled search is usable: at 1,000 jobs its
guided local search overran a 12 s limit by 17-21 s (its time limit is checked between
neighbourhoods; google/or-tools#2660), and its 12 s bought 0.002-1.8 % where the compiled
search, at thousands of iterations a second, buys more (issue #18).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable

from routing import late_repair, lns, solver
from routing.errors import NOT_COMPILED, NotCompiledWarning
from routing.insertion import Inserter, RouteState
from routing.problem import Problem, Route, Step
from routing.reasons import allowed_vehicles, left_out_reason
from routing.regret import initial_routes, regret_insert, regret_plan
from routing.schedule import simulate

LNS_SHARE = 0.35  # large problems: ruin and recreate first,
ORTOOLS_SHARE = 0.35  # then OR-Tools, then ruin and recreate again for the rest
SISR_SHARE = 0.5  # the same with the compiled ruin and recreate (tuned on county days)
SISR_ORTOOLS_SHARE = 0.2
GLS_LAMBDA = 1.0  # guided local search penalty factor (tuned on 12 Solomon instances)
SMALL = 300  # tasks: up to this, OR-Tools builds the first plan itself
ORTOOLS_FIRST = 0.3  # small problems with the compiled ruin and recreate: OR-Tools' share
PRIORITY_FIRST = 0.25  # with due times: the first stage's share that ignores them
REPAIR_SHARE = 0.15  # with due times: the last compiled stage's share given to late_repair
LAST_STAGE_HEAT = 0.5  # due times, breaks, <= SMALL tasks: the last compiled stage's start (x cost per job)
SISR_MIN_SECONDS = 2.5  # below this, loading the compiled code (about 2 s) does not pay
HUGE = 600  # tasks: above this, the compiled search alone (see the docstring)
HUGE_TEMPERATURES = (4.0, 0.01)  # its annealing there (x cost per job; 2 -> 0.01 below HUGE)


def plan(
    problem: Problem, *, deadline: float, seed: int = 0, on_progress: Callable[[float, int], None] | None = None
) -> tuple[list[Route], list[tuple[int, str]]]:
    """Routes per vehicle and (task, reason) for the tasks left out."""
    t0 = time.monotonic()
    allowed, reasons = allowed_vehicles(problem)
    progress = _Throttle(on_progress, t0, deadline)
    has_breaks = any(v.breaks for v in problem.vehicles)
    if not has_breaks and len(problem.tasks) <= SMALL:
        routes, served = _plan_small(problem, allowed, deadline, seed, progress)
    else:
        routes, served = _plan_large(problem, allowed, deadline, seed, progress)
    return routes, left_out(problem, served, allowed, reasons)


def left_out(problem: Problem, served: set[int], allowed=None, reasons=None) -> list[tuple[int, str]]:
    """(task, reason) for each task the plan leaves out."""
    if allowed is None:
        allowed, reasons = allowed_vehicles(problem)
    return [
        (i, reasons.get(i) or left_out_reason(problem, i, allowed[i]))
        for i in range(len(problem.tasks))
        if i not in served
    ]


def served_tasks(routes: list[Route]) -> set[int]:
    """The tasks a plan serves."""
    return {i for r in routes for k, i in r if k == "task"}


def _plan_small(problem, allowed, deadline, seed, progress):
    """OR-Tools from its own first plan, then our ruin and recreate (shares: table above)."""
    ins = Inserter(problem, allowed)
    budget = max(0.0, deadline - time.monotonic())
    has_shipments = any(t.kind != "job" for t in problem.tasks)
    fast = False
    if has_shipments:
        share = 1.0
    elif budget >= SISR_MIN_SECONDS and _compiled_ruin_recreate(problem):
        share = ORTOOLS_FIRST
        fast = True
    else:
        share = 0.5
    first = time.monotonic() + share * budget
    routes, served = _ortools_or_regret(problem, allowed, ins, first, seed, progress)
    if has_shipments or time.monotonic() > deadline - 0.05:
        return routes, served
    if fast:
        return _best_of(
            problem, (routes, served), _sisr_then_repair(problem, allowed, ins, routes, deadline, seed, progress)
        )
    # Without the compiled search: lns.py for half the time left, then OR-Tools again.
    states = [RouteState(ins, v, r) for v, r in enumerate(routes)]
    left = [j for j in ins.jobs if j not in served]
    mid = time.monotonic() + 0.5 * max(0.0, deadline - time.monotonic())
    routes2, _ = lns.ruin_recreate(states, left, deadline=mid, seed=seed, on_best=progress, cool=True)
    if objective(problem, served_tasks(routes2), routes2) <= objective(problem, served, routes):
        routes, served = routes2, served_tasks(routes2)
    result = _ortools(problem, allowed, routes, deadline, seed, progress)
    if result is not None and objective(problem, result[1], result[0]) <= objective(problem, served, routes):
        routes, served = result
    return routes, served


def _ortools(problem, allowed, routes, deadline, seed, progress):
    """OR-Tools' guided local search from `routes` (None: from its own first plan)."""
    return solver.solve(problem, allowed, routes, deadline=deadline, seed=seed, on_progress=progress, lam=GLS_LAMBDA)


def _ortools_or_regret(problem, allowed, ins, deadline, seed, progress):
    """OR-Tools' own plan; regret insertion when it finds none in time."""
    result = _ortools(problem, allowed, None, deadline, seed, progress)
    if result is not None:
        return result
    routes = regret_plan(problem, ins, k=2)
    return routes, served_tasks(routes)


def _compiled_ruin_recreate(problem: Problem) -> bool:
    """True when sisr.py models the problem and its compiled code is on disk.

    Compiling takes about 20 s, far beyond most time limits: `python -m routing compile`
    (run by `make`) does it once per installation. Without it, lns.py is used.
    """
    if not all(t.kind == "job" for t in problem.tasks) or any(
        v.max_travel_time is not None or v.max_distance is not None or any(b.max_load is not None for b in v.breaks)
        for v in problem.vehicles
    ):
        return False
    if _sisr_module().compiled():
        return True
    warnings.warn(NOT_COMPILED, NotCompiledWarning, stacklevel=2)
    return False


def _sisr_module():
    """routing.sisr, imported on first use: it loads numba (about a second), which a
    problem it cannot model (or a short time limit) should not pay for."""
    from routing import sisr

    return sisr


def _sisr(ins, routes, deadline, seed, progress, **options):
    out = _sisr_module().ruin_recreate(ins, routes, deadline=deadline, seed=seed, on_best=progress, **options)
    return out, served_tasks(out)


def _sisr_then_repair(problem, allowed, ins, routes, deadline, seed, progress, **options):
    """The compiled search (`options` as sisr.ruin_recreate's); with due times, its last
    REPAIR_SHARE goes to late_repair (the late tasks that can be on time searched back in
    with their deadlines hard), kept only when better by the objective."""
    if not problem.has_deadlines or REPAIR_SHARE <= 0:
        return _sisr(ins, routes, deadline, seed, progress, **options)
    t_repair = deadline - REPAIR_SHARE * max(0.0, deadline - time.monotonic())
    best = _sisr(ins, routes, t_repair, seed, progress, **options)

    repaired = late_repair.repair(
        problem,
        allowed,
        best[0],
        lambda hard_ins, start, until: _sisr(hard_ins, start, until, seed + 1, progress)[0],
        lambda routes: objective(problem, served_tasks(routes), routes),
        deadline,
    )
    return best if repaired is None else _best_of(problem, best, (repaired, served_tasks(repaired)))


def _priority_first(ins, routes, deadline, seed):
    """With due times, first serve as much priority as fits with them ignored: searching
    for lateness first spends the day on detours that leave priority out, and the search
    after this never gives priority back (it ranks first)."""
    return _sisr_module().ruin_recreate(ins, routes, deadline=deadline, seed=seed, deadlines=False)


def _best_of(problem, *plans):
    """The plan that is best by the objective (the first one on a tie)."""
    return min(plans, key=lambda rs: objective(problem, rs[1], rs[0]))


def _plan_large(problem, allowed, deadline, seed, progress):
    """Regret insertion; ruin and recreate; OR-Tools on the served jobs; ruin and recreate.

    Shares of the time: 50 / 20 / 30 % with the compiled ruin and recreate (sisr.py),
    35 / 35 / 30 % with lns.py.
    """
    ins = Inserter(problem, allowed)
    states = [RouteState(ins, v, r) for v, r in enumerate(initial_routes(problem, ins))]
    left = regret_insert(states, ins.jobs, k=2)
    budget = max(0.0, deadline - time.monotonic())
    fast = budget >= SISR_MIN_SECONDS and _compiled_ruin_recreate(problem)
    budget = max(0.0, deadline - time.monotonic())
    first, second = (SISR_SHARE, SISR_ORTOOLS_SHARE) if fast else (LNS_SHARE, ORTOOLS_SHARE)
    t_lns = time.monotonic() + first * budget
    t_ortools = t_lns + second * budget
    if fast and len(problem.tasks) > HUGE:
        start = [list(s.steps) for s in states]
        return _sisr(ins, start, deadline, seed, progress, temperatures=HUGE_TEMPERATURES)
    # 1. Our ruin and recreate explores and chooses which jobs to serve.
    if fast:
        routes = [list(s.steps) for s in states]
        if problem.has_deadlines:
            routes = _priority_first(ins, routes, time.monotonic() + PRIORITY_FIRST * (t_lns - time.monotonic()), seed)
        routes, served = _sisr(ins, routes, t_lns, seed, progress)
    else:
        routes, left = lns.ruin_recreate(states, left, deadline=t_lns, seed=seed, on_best=progress)
        served = served_tasks(routes)
    # 2. OR-Tools' guided local search shortens the routes of the served jobs (and places
    #    the shipments, which the insertion leaves to it).
    result = _shorten(problem, allowed, ins, routes, served, t_ortools, seed, progress)
    best = (objective(problem, served, routes), routes, served)
    if result is not None:
        cand = (objective(problem, result[1], result[0]), result[0], result[1])
        best = min(best, cand, key=lambda x: x[0])
        routes, served = result  # continue from OR-Tools' shorter routes in any case
    # 3. Ruin and recreate again from there: shorter routes may fit in more jobs.
    has_shipments = any(t.kind != "job" for t in problem.tasks)
    if time.monotonic() >= deadline - 0.05 or (not fast and has_shipments):
        return best[1], best[2]
    if fast:
        # With due times and up to SMALL tasks the search has mostly settled by now, and a
        # hot restart throws that away (paired runs: bench/ROUTER.md, "LAST_STAGE_HEAT").
        cool = problem.has_deadlines and len(problem.tasks) <= SMALL
        options = {"temperatures": (LAST_STAGE_HEAT, 0.01)} if cool else {}
        routes, served = _sisr_then_repair(problem, allowed, ins, routes, deadline, seed + 1, progress, **options)
    elif ins.jobs:
        states = [RouteState(ins, v, r) for v, r in enumerate(routes)]
        left = [j for j in ins.jobs if j not in served]
        routes, left = lns.ruin_recreate(states, left, deadline=deadline, seed=seed + 1, on_best=progress, cool=True)
        served = served_tasks(routes)
    else:
        return best[1], best[2]
    best = min(best, (objective(problem, served, routes), routes, served), key=lambda x: x[0])
    return best[1], best[2]


def _shorten(problem, allowed, ins, routes, served, deadline, seed, progress):
    """OR-Tools from the plan; on the served jobs alone when many are left out."""
    n_out = sum(1 for j in ins.jobs if j not in served)
    if n_out <= max(20, len(problem.tasks) // 10):
        focus = allowed
    else:
        focus = [a if (i in served or problem.tasks[i].kind != "job") else set() for i, a in enumerate(allowed)]
    if any(v.breaks for v in problem.vehicles):
        return _solve_with_breaks_relaxed(problem, focus, routes, deadline, seed, progress)
    return _ortools(problem, focus, routes, deadline, seed, progress)


def _solve_with_breaks_relaxed(problem, allowed, routes, deadline, seed, progress):
    """OR-Tools on the plan without breaks but with shifts shortened by their length.

    OR-Tools' break intervals restore and search far too slowly at county size, so the
    breaks are placed afterwards, each on the leg where it delays the route least; the
    result is used only when every break fits.
    """
    relaxed = dataclasses.replace(
        problem,
        vehicles=tuple(
            dataclasses.replace(
                v, breaks=(), window=(v.window[0], max(v.window[0], v.window[1] - sum(b.service for b in v.breaks)))
            )
            for v in problem.vehicles
        ),
    )
    bare = [[s for s in r if s[0] == "task"] for r in routes]
    result = _ortools(relaxed, allowed, bare, deadline, seed, progress)
    if result is None:
        return None
    placed = []
    for v, route in enumerate(result[0]):
        if not problem.vehicles[v].breaks:
            placed.append(route)
        elif not route:
            # An empty van keeps its breaks: the ruin and recreate after this may give it
            # jobs, and it would then drive without them (issue 13: a van without lunch).
            placed.append(_breaks_only(problem, v))
        else:
            placed.append(_place_breaks(problem, v, route))
    return placed, served_tasks(placed)


def _breaks_only(problem: Problem, v: int) -> Route:
    return [("break", b) for b in range(len(problem.vehicles[v].breaks))]


def _place_breaks(problem: Problem, v: int, route: Route) -> Route:
    """Put the vehicle's breaks where they delay least; drop jobs until they fit."""
    while True:
        out = route
        for b in range(len(problem.vehicles[v].breaks)):
            out = _place(problem, v, out, ("break", b)) if out is not None else None
        if out is not None:
            return out
        tasks = [s for s in route if s[0] == "task" and problem.tasks[s[1]].kind == "job"]
        if not tasks:
            return _breaks_only(problem, v)
        # Drop the least important job whose removal helps most (latest end otherwise).
        worst = min(tasks, key=lambda s: (problem.tasks[s[1]].priority, -problem.tasks[s[1]].service))
        route = [s for s in route if s != worst]


def _place(problem: Problem, v: int, route: Route, step: Step) -> Route | None:
    best = None
    for gap in range(len(route) + 1):
        cand = route[:gap] + [step] + route[gap:]
        tr = simulate(problem, v, cand)
        if tr.lateness == 0 and not tr.overload:
            key = (tr.late, tr.late_by, tr.steps[-1].arrival)
            if best is None or key < best[0]:
                best = (key, cand)
    return None if best is None else best[1]


def objective(problem: Problem, served: set[int], routes: list[Route]) -> tuple[int, int, int, int, int]:
    """The order of VROOM_FORMAT.md: priority left out, tasks late, their lateness, tasks
    left out, cost (without deadlines the two lateness terms are 0: VROOM's order)."""
    out = [t for i, t in enumerate(problem.tasks) if i not in served]
    timed = [simulate(problem, v, r) for v, r in enumerate(routes) if any(k == "task" for k, _ in r)]
    return (
        sum(t.priority for t in out),
        sum(tr.late for tr in timed),
        sum(tr.late_by for tr in timed),
        len(out),
        sum(tr.cost for tr in timed),
    )


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
