"""Random small problems using every feature at once: every plan must pass the checker."""

import numpy as np
import pytest

from routing import solve_json
from tests.routing.random_days import travel_matrix


def random_problem(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n_loc = 25
    m = travel_matrix(rng, n_loc, 6)
    vehicles = []
    for k in range(4):
        v = {
            "id": k + 1,
            "start_index": k % 2,
            "end_index": k % 2,
            "capacity": [10, 2],
            "skills": [1] if k % 2 else [],
            "time_window": [0, 4000],
        }
        if k < 2:
            v["breaks"] = [{"id": 1, "time_windows": [[1500, 2500]], "service": 300}]
        if k == 3:
            v["max_tasks"] = 4
        vehicles.append(v)
    jobs = []
    for i in range(14):
        j = {
            "id": 100 + i,
            "location_index": int(rng.integers(2, n_loc)),
            "service": int(rng.integers(60, 400)),
            "priority": int(rng.choice([0, 10, 100])),
        }
        kind = rng.integers(3)
        amount = [int(rng.integers(1, 5)), int(rng.integers(0, 2))]
        if kind in (0, 2):
            j["delivery"] = amount
        if kind in (1, 2):
            j["pickup"] = amount
        if rng.random() < 0.3:
            a = int(rng.integers(0, 3000))
            j["time_windows"] = [[a, a + int(rng.integers(300, 1500))]]
        if rng.random() < 0.2:
            j["skills"] = [1]
        jobs.append(j)
    shipments = []
    for i in range(3):
        shipments.append(
            {
                "pickup": {"id": 200 + i, "location_index": int(rng.integers(2, n_loc)), "service": 60},
                "delivery": {"id": 300 + i, "location_index": int(rng.integers(2, n_loc)), "service": 60},
                "amount": [int(rng.integers(1, 4)), 0],
                "priority": 10,
            }
        )
    return {
        "vehicles": vehicles,
        "jobs": jobs,
        "shipments": shipments,
        "matrices": {"car": {"durations": m.tolist(), "distances": (m * 10).tolist()}},
    }


@pytest.mark.parametrize("seed", range(6))
def test_random_problem(seed, solve):
    prob = random_problem(seed)
    sol = solve(prob, seconds=0.6)
    listed = len(sol["unassigned"]) + sum(
        1 for r in sol["routes"] for s in r["steps"] if s["type"] in ("job", "pickup", "delivery")
    )
    assert listed == 14 + 6


@pytest.mark.parametrize("seed", range(3))
def test_random_problem_keep_order(seed, solve):
    prob = random_problem(seed)
    first = solve_json(prob, seconds=0.5)
    for r in first["routes"]:
        v = next(v for v in prob["vehicles"] if v["id"] == r["vehicle"])
        v["steps"] = [{"type": s["type"], "id": s["id"]} for s in r["steps"] if s["type"] == "job"][:3]
    sol = solve_json(prob, seconds=0.5, keep_order=True)
    for r in sol["routes"]:
        v = next(v for v in prob["vehicles"] if v["id"] == r["vehicle"])
        given = [s["id"] for s in v.get("steps", [])]
        got = [s["id"] for s in r["steps"] if s["type"] == "job" and s["id"] in given]
        assert got == given
