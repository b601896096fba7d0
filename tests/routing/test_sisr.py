"""The compiled ruin and recreate (routing/sisr.py): plans stay feasible and never get worse."""

import time

import numpy as np
import pytest

from routing import search, sisr, sisr_kernels, vroom
from routing.insertion import Inserter
from routing.reasons import allowed_vehicles
from routing.schedule import simulate
from tests.routing.random_days import assert_feasible, objective, random_job, regret_plan, travel_matrix


@pytest.fixture(scope="module", autouse=True)
def compiled():
    """`make` compiles once per installation; a bare pytest run compiles here (~20 s)."""
    if not sisr.compiled():
        sisr.compile_now()
    assert sisr.compiled()


def jobs_only_problem(seed: int, n_jobs: int = 40) -> dict:
    """Two depots, four vans (skills, max_tasks, breaks, a dearer van), mixed loads, 1-2 windows."""
    rng = np.random.default_rng(seed)
    m = travel_matrix(rng, n_jobs + 2, 6)
    vehicles = [
        {"id": 1, "start_index": 0, "end_index": 0, "capacity": [12, 2], "time_window": [0, 6000]},
        {
            "id": 2,
            "start_index": 1,
            "end_index": 1,
            "capacity": [12, 2],
            "skills": [1],
            "time_window": [0, 6000],
            "costs": {"fixed": 500, "per_hour": 7200},
        },
        {"id": 3, "start_index": 0, "end_index": 1, "capacity": [8, 1], "time_window": [500, 5000], "max_tasks": 5},
        {"id": 4, "start_index": 1, "end_index": 0, "capacity": [12, 2], "skills": [1], "time_window": [0, 6000]},
    ]
    for van in vehicles[:2]:
        van["breaks"] = [{"id": 1, "time_windows": [[2000, 3500]], "service": 300}]
    jobs = [random_job(rng, i, opens_by=4000, lengths=(300, 1200), priorities=True) for i in range(n_jobs)]
    return {"vehicles": vehicles, "jobs": jobs, "matrices": {"car": {"durations": m.tolist()}}}


@pytest.mark.parametrize("seed", range(4))
def test_routes_stay_feasible_and_never_get_worse(seed):
    problem = vroom.parse(jobs_only_problem(seed))
    ins, start = regret_plan(problem, k=2)
    routes = sisr.ruin_recreate(ins, start, deadline=time.monotonic() + 0.5, seed=seed)
    assert_feasible(problem, ins, routes, start)


def test_it_improves_a_poor_plan():
    """From a greedy (regret-1) plan, string removals find a better one within a second."""
    problem = vroom.parse(jobs_only_problem(7, n_jobs=30))
    ins, start = regret_plan(problem, k=1)
    routes = sisr.ruin_recreate(ins, start, deadline=time.monotonic() + 1.0, seed=1)
    assert objective(problem, routes) < objective(problem, start)


def test_search_uses_it_only_for_what_it_models():
    assert search._compiled_ruin_recreate(vroom.parse(jobs_only_problem(0)))
    data = jobs_only_problem(0)
    data["vehicles"][0]["breaks"][0]["max_load"] = [5, 1]
    assert not search._compiled_ruin_recreate(vroom.parse(data))
    data = jobs_only_problem(0)
    data["shipments"] = [
        {"pickup": {"id": 1, "location_index": 2}, "delivery": {"id": 2, "location_index": 3}, "amount": [1, 0]}
    ]
    assert not search._compiled_ruin_recreate(vroom.parse(data))


def test_breaks_stay_in_their_routes_inside_their_windows():
    problem = vroom.parse(jobs_only_problem(3))
    ins, start = regret_plan(problem, k=2)
    routes = sisr.ruin_recreate(ins, start, deadline=time.monotonic() + 0.5)
    for v in (0, 1):
        assert routes[v].count(("break", 0)) == 1
        timed = simulate(problem, v, routes[v])
        step = next(s for s in timed.steps if s.type == "break")
        assert 2000 <= step.arrival + step.waiting <= 3500
        assert timed.lateness == 0


@pytest.mark.parametrize("seed", range(2))
def test_solve_with_compiled_search_passes_the_checker(seed, solve):
    data = jobs_only_problem(seed + 10, n_jobs=60)
    sol = solve(data, seconds=search.SISR_MIN_SECONDS + 0.5)
    listed = len(sol["unassigned"]) + sum(1 for r in sol["routes"] for s in r["steps"] if s["type"] == "job")
    assert listed == 60


def _walk_leaves_a_job_out(unit: int) -> bool:
    """Annealing (at 1 s: a threshold above the 21 s that leaving a job out adds to the
    plan's lo has odds of e^-21 per step) from a plan serving both jobs of a day where
    only one order of recreation fits both: does the walk ever accept a plan with a job
    left out?"""
    prob = {
        "vehicles": [
            {"id": 1, "start_index": 0, "capacity": [1], "skills": [1]},
            {"id": 2, "start_index": 0, "capacity": [1]},
        ],
        "jobs": [
            {"id": 1, "location_index": 1, "delivery": [1]},  # fits either van
            {"id": 2, "location_index": 2, "delivery": [1], "skills": [1]},  # only van 1
        ],
        "matrices": {"car": {"durations": [[0, 10, 10], [10, 0, 10], [10, 10, 0]]}},
    }
    problem = vroom.parse(prob)
    plan = sisr.Plan(Inserter(problem, allowed_vehicles(problem)[0]), [[("task", 1)], [("task", 0)]])
    cur = best = plan.objective()
    assert cur[2] < plan.m0  # both served
    best_route, best_rlen = plan.route.copy(), plan.rlen.copy()
    since_best = np.zeros(len(best_rlen), dtype=np.bool_)
    saved = tuple(a.copy() for a in plan.state())
    sisr_kernels.seed(3)
    for _ in range(400):
        cur, best = sisr_kernels.iterate(
            1,
            1.0,
            cur,
            best,
            best_route,
            best_rlen,
            since_best,
            plan.search(unit),
            plan.data(),
            plan.fleet(),
            plan.state(),
            saved,
        )
        if cur[2] >= plan.m0:
            assert best[2] < plan.m0  # the best plan is still kept by the exact order
            return True
    return False


def test_once_stuck_the_walk_may_leave_a_job_out_also_without_due_times():
    """A tight day can be stuck on its first way of serving every job: strictly, no plan
    that leaves one out is ever accepted; once stuck (unit > 0) annealing weighs it."""
    assert not _walk_leaves_a_job_out(unit=0)
    assert _walk_leaves_a_job_out(unit=1)
