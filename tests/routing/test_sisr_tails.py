"""Tail exchange between routes (routing/sisr_tails.py): it uncrosses routes, keeps every
route feasible with its own breaks, and never makes the plan worse."""

import time

import numpy as np
import pytest

from routing import sisr, sisr_tails, vroom
from routing.schedule import simulate
from tests.routing.random_days import assert_feasible, objective, random_job, regret_plan, travel_matrix


@pytest.fixture(scope="module", autouse=True)
def compiled():
    if not sisr.compiled():
        sisr.compile_now()


# Depot at the origin; jobs 1 and 2 in the north, 3 and 4 in the south, near (x 10) and far (x 100).
# A van of 4 takes one near job (1) and one far job (3): two vans, one each side at best.
POINTS = [(0, 0), (10, 10), (100, 10), (10, -10), (100, -10)]


def crossed_day(*, capacity: int = 4, loads=(1, 3, 1, 3), breaks: tuple = (None, None), windows=None) -> dict:
    m = [[round(10 * np.hypot(ax - bx, ay - by)) for bx, by in POINTS] for ax, ay in POINTS]
    vehicles = []
    for v in (1, 2):
        van = {"id": v, "start_index": 0, "end_index": 0, "capacity": [capacity], "time_window": [0, 100000]}
        if breaks[v - 1]:
            van["breaks"] = [breaks[v - 1]]
        vehicles.append(van)
    jobs = [{"id": i, "location_index": i, "delivery": [loads[i - 1]]} for i in range(1, 5)]
    for i, window in (windows or {}).items():
        jobs[i - 1]["time_windows"] = [window]
    return {"vehicles": vehicles, "jobs": jobs, "matrices": {"car": {"durations": m}}}


def exchange(data: dict, routes: list) -> tuple[object, list, int]:
    """(problem, routes after the descent, exchanges made) from the given routes."""
    problem = vroom.parse(data)
    ins, _ = regret_plan(problem, k=2)
    plan = sisr.Plan(ins, routes)
    touched = np.zeros(len(plan.rlen), dtype=np.bool_)
    spare = np.empty(plan.route.shape[1], dtype=np.int64)
    moves = sisr_tails.exchange_tails(plan.near, plan.jobs, touched, spare, plan.data(), plan.fleet(), plan.state())
    return problem, plan.routes(), moves


def two_depot_day() -> dict:
    """Van 1 lives in the north (0, 100), van 2 in the south (0, -100); a near and a far
    job on each side. Van 1's crossed plan takes it south, van 2's north."""
    points = [(0, 100), (0, -100), (10, 50), (100, 50), (10, -50), (100, -50)]
    m = [[round(10 * np.hypot(ax - bx, ay - by)) for bx, by in points] for ax, ay in points]
    vans = [{"id": v + 1, "start_index": v, "end_index": v, "time_window": [0, 100000]} for v in (0, 1)]
    jobs = [{"id": i, "location_index": i + 1} for i in range(1, 5)]
    return {"vehicles": vans, "jobs": jobs, "matrices": {"car": {"durations": m}}}


def test_vans_from_different_depots_exchange_tails_and_each_goes_home_to_its_own():
    crossed = [[("task", 0), ("task", 3)], [("task", 2), ("task", 1)]]
    problem, routes, moves = exchange(two_depot_day(), crossed)
    assert moves == 1
    assert routes == [[("task", 0), ("task", 1)], [("task", 2), ("task", 3)]]
    assert objective(problem, routes) < objective(problem, crossed)


@pytest.mark.parametrize("seed", range(3))
def test_the_quick_gain_is_the_saving_the_exchange_makes_with_each_van_going_home(seed):
    """For every pair of positions on two routes of vans from different depots (and the
    same one), the quick estimate equals the cost before less the cost after."""
    data = fleet_day(seed, n_jobs=30, ends=2)
    for van in data["vehicles"]:
        van.pop("breaks", None)
    problem = vroom.parse(data)
    ins, start = regret_plan(problem, k=1)
    plan = sisr.Plan(ins, start)
    data_, state = plan.data(), plan.state()
    spare = np.empty(plan.route.shape[1], dtype=np.int64)
    checked = 0
    for va in range(len(plan.rlen)):
        for vb in range(len(plan.rlen)):
            if va == vb or not plan.rlen[va] or not plan.rlen[vb]:
                continue
            for i in range(plan.rlen[va]):
                for j in range(plan.rlen[vb]):
                    before = plan.rcost[va] + plan.rcost[vb]
                    gain = sisr_tails._gain(va, i, vb, j, data_, state)
                    sisr_tails._swap_tails(va, i, vb, j, spare, data_, state)
                    assert before - (plan.rcost[va] + plan.rcost[vb]) == pytest.approx(gain)
                    sisr_tails._swap_tails(va, i, vb, j, spare, data_, state)  # undone
                    checked += 1
    assert checked > 100 and plan.routes() == start


# Van 1 serves the north near job, then the south far one; van 2 the other two: crossed.
CROSSED = [[("task", 0), ("task", 3)], [("task", 2), ("task", 1)]]


def test_crossed_routes_are_uncrossed():
    problem, routes, moves = exchange(crossed_day(), CROSSED)
    assert moves == 1
    assert routes == [[("task", 0), ("task", 1)], [("task", 2), ("task", 3)]]
    assert objective(problem, routes) < objective(problem, CROSSED)


def test_no_exchange_that_overloads_a_van():
    # Jobs 1 and 2 (2 + 5) do not fit in a van of 6; crossed, the loads are 4 and 6.
    problem, routes, moves = exchange(crossed_day(capacity=6, loads=(2, 5, 1, 2)), CROSSED)
    assert moves == 0
    assert routes == CROSSED
    assert not any(simulate(problem, v, r).overload for v, r in enumerate(routes))


def test_no_exchange_that_misses_a_window():
    # Job 2 must start by 1,100: it does after job 3 (at 1,063), not after job 1 and its
    # 100 s of service (1,141).
    data = crossed_day(windows={2: [0, 1100]})
    data["jobs"][0]["service"] = 100
    problem, routes, moves = exchange(data, CROSSED)
    assert moves == 0
    assert routes == CROSSED
    assert all(simulate(problem, v, r).lateness == 0 for v, r in enumerate(routes))
    del data["jobs"][1]["time_windows"]  # without the window the same plan is uncrossed
    assert exchange(data, CROSSED)[2] == 1


@pytest.mark.parametrize("at", [0, 2], ids=["break first", "break last"])
def test_breaks_move_with_their_tail_and_stay_their_vans(at):
    """Last, each break goes with its tail to the other van and is renamed that van's."""
    lunch = {"id": 7, "time_windows": [[0, 100000]], "service": 60}
    data = crossed_day(breaks=(lunch, lunch))
    brk = ("break", 0)
    start = [r[:at] + [brk] + r[at:] for r in CROSSED]
    problem, routes, moves = exchange(data, start)
    assert moves == 1
    assert routes == [r[:at] + [brk] + r[at:] for r in ([("task", 0), ("task", 1)], [("task", 2), ("task", 3)])]
    for v, route in enumerate(routes):
        assert simulate(problem, v, route).lateness == 0


def test_no_exchange_between_vans_with_different_breaks():
    early = {"id": 7, "time_windows": [[0, 100000]], "service": 60}
    late = {"id": 7, "time_windows": [[0, 100000]], "service": 90}
    start = [[("task", 0), ("break", 0), ("task", 3)], [("task", 2), ("break", 0), ("task", 1)]]
    _, routes, moves = exchange(crossed_day(breaks=(early, late)), start)
    assert moves == 0
    assert routes == start


def fleet_day(seed: int, n_jobs: int = 80, ends: int = 1) -> dict:
    """Six vans that can exchange tails in pairs (four with the same lunch break, two
    without; two depots to start from, `ends` of them to end at; skills, a stop limit),
    mixed loads, one or two windows, due times on 40 % of the jobs."""
    rng = np.random.default_rng(seed)
    m = travel_matrix(rng, n_jobs + 2, 6)
    vehicles = []
    for v in range(6):
        van = {"id": v + 1, "start_index": v % 2, "end_index": v % 2 if ends == 2 else 0}
        van |= {"capacity": [15, 3], "time_window": [0, 9000]}
        if v < 4:
            van["breaks"] = [{"id": 1, "time_windows": [[3000, 4500]], "service": 300}]
        if v % 2:
            van["skills"] = [1]
        if v == 2:
            van["max_tasks"] = 12
        vehicles.append(van)
    jobs = []
    for i in range(n_jobs):
        job = random_job(rng, i, opens_by=7000, lengths=(600, 2000))
        if rng.random() < 0.4:
            job["deadline"] = int(rng.integers(1000, 6000))
        jobs.append(job)
    return {"vehicles": vehicles, "jobs": jobs, "matrices": {"car": {"durations": m.tolist()}}}


@pytest.mark.parametrize("ends", [1, 2], ids=["one depot to end at", "each van home to its own depot"])
def test_greedy_plans_stay_feasible_and_never_get_worse(ends):
    moves = 0
    for seed in range(30):  # greedy plans of these days leave an exchange on a few of them
        data = fleet_day(seed, ends=ends)
        problem = vroom.parse(data)
        ins, start = regret_plan(problem, k=1)
        _, routes, made = exchange(data, start)
        assert_feasible(problem, ins, routes, start)
        moves += made
    assert moves > 0  # the days give the descent something to do


def test_the_search_exchanges_tails_and_its_plans_stay_feasible(monkeypatch):
    """Inside the compiled search (after every chunk, on its current plan)."""
    made = []
    original = sisr_tails.exchange_tails

    def counted(*args):
        made.append(original(*args))
        return made[-1]

    monkeypatch.setattr(sisr_tails, "exchange_tails", counted)
    for seed in range(4):
        problem = vroom.parse(fleet_day(seed))
        ins, start = regret_plan(problem, k=1)
        routes = sisr.ruin_recreate(ins, start, deadline=time.monotonic() + 0.5, seed=seed)
        assert_feasible(problem, ins, routes, start)
    assert sum(made) > 0
