"""Pieces of the router tests' random days: travel times between random points, random jobs,
and the checks every plan of the compiled search must pass."""

import numpy as np

from routing import search
from routing.insertion import Inserter
from routing.reasons import allowed_vehicles
from routing.regret import regret_plan as regret_plan_from
from routing.schedule import simulate


def travel_matrix(rng, n: int, scale: int) -> np.ndarray:
    """Whole-second travel times between n points drawn on a 100 x 100 square, `scale` per unit."""
    xy = rng.uniform(0, 100, (n, 2))
    return np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * scale).astype(int)


def random_job(rng, i: int, *, opens_by: int, lengths: tuple[int, int], priorities: bool = False) -> dict:
    """Job i at location 2 + i: a delivery, a pickup or both (two kinds of load), one or two
    windows on half of them (the first opening before `opens_by`), a skill on a fifth."""
    job = {"id": 100 + i, "location_index": 2 + i, "service": int(rng.integers(60, 300))}
    if priorities:
        job["priority"] = int(rng.choice([0, 0, 10, 100]))
    amount = [int(rng.integers(1, 4)), int(rng.integers(0, 2))]
    kind = rng.integers(3)
    if kind in (0, 2):
        job["delivery"] = amount
    if kind in (1, 2):
        job["pickup"] = amount
    if rng.random() < 0.5:
        opens = int(rng.integers(0, opens_by))
        windows = [[opens, opens + int(rng.integers(*lengths))]]
        if rng.random() < 0.4:
            windows.append([windows[0][1] + 600, windows[0][1] + 1500])
        job["time_windows"] = windows
    if rng.random() < 0.2:
        job["skills"] = [1]
    return job


def regret_plan(problem, k: int):
    """(insertion machinery, routes) of a regret-k insertion: where the searches start."""
    allowed, _ = allowed_vehicles(problem)
    ins = Inserter(problem, allowed)
    return ins, regret_plan_from(problem, ins, k=k)


def objective(problem, routes):
    return search.objective(problem, search.served_tasks(routes), routes)


def assert_feasible(problem, ins, routes, start):
    """Every job once, windows and shifts kept, no overload, allowed vans, stop limits, each
    van with its own breaks, and an objective no worse than the start's."""
    allowed = [set(np.flatnonzero(row).tolist()) for row in ins.allowed]
    served = [i for r in routes for k, i in r if k == "task"]
    assert len(served) == len(set(served))
    for v, route in enumerate(routes):
        timed = simulate(problem, v, route)
        assert timed.lateness == 0 and not timed.overload
        assert all(v in allowed[i] for k, i in route if k == "task")
        assert sorted(i for k, i in route if k == "break") == list(range(len(problem.vehicles[v].breaks)))
        limit = problem.vehicles[v].max_tasks
        assert limit is None or sum(k == "task" for k, _ in route) <= limit
    assert objective(problem, routes) <= objective(problem, start)
