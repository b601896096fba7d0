"""pickups_after_deliveries (our extension): a van without a separate compartment for dirty
items picks nothing up before its last delivery; a job with both is a delivery followed by
a pickup."""

import pytest

from routing import search, sisr
from routing.check import check


def cbd_problem(flag=True, steps=None):
    """An open route from 0 along a line: pickup at 1, exchange at 2, delivery at 3.

    Shortest: 1, 2, 3 (30 s): dirty before clean. Clean first: 3, 2, 1 (50 s).
    """
    v = {"id": 1, "start_index": 0, "capacity": [10], "pickups_after_deliveries": flag}
    if steps:
        v["steps"] = [{"type": "job", "id": i} for i in steps]
    return {
        "vehicles": [v],
        "jobs": [
            {"id": 1, "location_index": 1, "pickup": [2]},
            {"id": 2, "location_index": 2, "delivery": [1], "pickup": [1]},
            {"id": 3, "location_index": 3, "delivery": [3]},
        ],
        "matrices": {"car": {"durations": [[abs(i - j) * 10 for j in range(5)] for i in range(5)]}},
    }


def order(sol):
    return [s["id"] for s in sol["routes"][0]["steps"] if s["type"] == "job"]


@pytest.fixture
def sisr_path(monkeypatch):
    if not sisr.compiled():
        sisr.compile_now()
    monkeypatch.setattr(search, "SISR_MIN_SECONDS", 0.0)


def test_without_the_flag_the_shortest_order(solve):
    assert order(solve(cbd_problem(flag=False), seconds=0.6)) == [1, 2, 3]


@pytest.mark.parametrize("mode", ["ortools", "sisr"])
def test_deliveries_first_then_the_exchange_then_pickups(solve, mode, request):
    if mode == "sisr":
        request.getfixturevalue("sisr_path")
    sol = solve(cbd_problem(), seconds=0.6)
    assert order(sol) == [3, 2, 1] and sol["summary"]["cost"] == 50


def test_large_problem_path_with_breaks(solve):
    """With a break the problem takes the regret insertion + ruin and recreate path."""
    prob = cbd_problem()
    prob["vehicles"][0]["breaks"] = [{"id": 1, "service": 10}]
    assert order(solve(prob, seconds=0.6)) == [3, 2, 1]


def test_keep_order_inserts_after_the_last_delivery(solve):
    """Given [3]: the pickup and the exchange go after it, not on the way out."""
    sol = solve(cbd_problem(steps=[3]), keep_order=True)
    assert order(sol) == [3, 2, 1]
    sol = solve(cbd_problem(flag=False, steps=[3]), keep_order=True)
    assert order(sol) == [1, 2, 3]


def test_a_shipment_cannot_ride_in_a_clean_before_dirty_van(solve):
    prob = cbd_problem()
    prob["shipments"] = [
        {"pickup": {"id": 7, "location_index": 4}, "delivery": {"id": 7, "location_index": 1}, "amount": [1]}
    ]
    sol = solve(prob, seconds=0.6)
    assert {(u["type"], u["id"]) for u in sol["unassigned"]} == {("pickup", 7), ("delivery", 7)}


def test_the_checker_sees_dirty_before_clean():
    prob = cbd_problem()
    steps = [{"type": "start", "arrival": 0}]
    steps += [{"type": "job", "id": i} for i in (1, 2, 3)]
    steps.append({"type": "end"})
    res = check(prob, {"routes": [{"vehicle": 1, "steps": steps}], "unassigned": []})
    assert len(res["errors"]) == 2 and all("after a pickup" in e for e in res["errors"])
