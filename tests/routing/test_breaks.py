"""Every break of a used vehicle is taken (VROOM's rule), whichever search made the plan.

Issue 13: on a county day, 1 run in 5 returned a used van without its lunch break. OR-Tools
searches without breaks (search._solve_with_breaks_relaxed) and returned an empty route
without them for a van it left unused; the ruin and recreate that runs after it then gave
that van jobs, and the van drove all day without lunch.
"""

import time

import numpy as np
import pytest

from routing import search, sisr, vroom
from routing.insertion import Inserter
from routing.reasons import allowed_vehicles
from tests.routing.random_days import travel_matrix


def day(seed: int, n_jobs: int = 40, n_vans: int = 6) -> dict:
    """A small county-like day: two depots, vans with a lunch break, spare vans."""
    rng = np.random.default_rng(seed)
    m = travel_matrix(rng, n_jobs + 2, 20)
    vehicles = [
        {
            "id": k + 1,
            "start_index": k % 2,
            "end_index": k % 2,
            "capacity": [20],
            "time_window": [0, 20000],
            "costs": {"fixed": 2000 * (k % 3)},
            "breaks": [{"id": 1, "time_windows": [[8000, 11000]], "service": 1800}],
        }
        for k in range(n_vans)
    ]
    jobs = [
        {
            "id": 100 + i,
            "location_index": 2 + i,
            "service": int(rng.integers(300, 1200)),
            "delivery": [int(rng.integers(1, 5))],
            "priority": int(rng.choice([0, 10, 100])),
        }
        for i in range(n_jobs)
    ]
    for j in jobs[::3]:
        a = int(rng.integers(0, 14000))
        j["time_windows"] = [[a, a + 4000]]
    return {"vehicles": vehicles, "jobs": jobs, "matrices": {"car": {"durations": m.tolist()}}}


def two_vans() -> dict:
    """Three jobs one van does alone; the second van costs more to use."""
    m = [[abs(i - j) * 60 for j in range(4)] for i in range(4)]
    vans = [
        {"id": k, "start_index": 0, "end_index": 0, "costs": {"fixed": 1000 * k}, "breaks": [{"id": 1, "service": 60}]}
        for k in (1, 2)
    ]
    jobs = [{"id": i, "location_index": i} for i in (1, 2, 3)]
    return {"vehicles": vans, "jobs": jobs, "matrices": {"car": {"durations": m}}}


@pytest.fixture(scope="module", autouse=True)
def compiled():
    if not sisr.compiled():
        sisr.compile_now()


def test_relaxed_search_keeps_the_breaks_of_an_empty_van():
    problem = vroom.parse(two_vans())
    allowed, _ = allowed_vehicles(problem)
    start = [[("task", 0), ("task", 1), ("task", 2), ("break", 0)], [("break", 0)]]
    routes, served = search._solve_with_breaks_relaxed(problem, allowed, start, time.monotonic() + 0.3, 0, None)
    assert served == {0, 1, 2}
    assert [r.count(("break", 0)) for r in routes] == [1, 1]


def test_the_compiled_search_gives_a_van_given_without_breaks_its_breaks():
    prob = two_vans()
    prob["vehicles"][0]["max_tasks"] = 1  # the second van is needed
    problem = vroom.parse(prob)
    allowed, _ = allowed_vehicles(problem)
    ins = Inserter(problem, allowed)
    routes = sisr.ruin_recreate(ins, [[("task", 0), ("break", 0)], []], deadline=time.monotonic() + 0.2)
    assert all(r.count(("break", 0)) == 1 for r in routes if r)


@pytest.mark.parametrize("seed", range(6))
def test_every_used_van_takes_its_break(solve, monkeypatch, seed):
    """The whole search (regret, SISR, relaxed OR-Tools, SISR) over many seeds; the
    checker fails any used van without its break."""
    monkeypatch.setattr(search, "SISR_MIN_SECONDS", 0.0)
    sol = solve(day(seed), seconds=0.8, seed=seed)
    for r in sol["routes"]:
        assert [s["type"] for s in r["steps"]].count("break") == 1
