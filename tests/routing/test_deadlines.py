"""Soft deadlines (our extension): the objective counts late tasks and lateness after the
priority served and before the number served; lateness is reported on steps, routes and
the summary."""

import time

import pytest

from routing import search, sisr, vroom
from routing.insertion import Inserter
from routing.reasons import ONLY_LATE, allowed_vehicles
from routing.schedule import simulate


def line_problem(deadline=150, priority=0):
    """An open route from 0 along a line (10 s a step): 1 and 2 near, 3 far with a deadline.

    Shortest: 1, 2, 3 (3 served at 220). On time: 3 first (at 100), then 2, 1 (190 s of
    travel instead of 100).
    """
    return {
        "vehicles": [{"id": 1, "start_index": 0}],
        "jobs": [
            {"id": 1, "location_index": 1, "service": 60},
            {"id": 2, "location_index": 2, "service": 60},
            {"id": 3, "location_index": 10, "service": 60, "deadline": deadline, "priority": priority},
        ],
        "matrices": {"car": {"durations": [[abs(i - j) * 10 for j in range(11)] for i in range(11)]}},
    }


def order(sol, route=0):
    return [s["id"] for s in sol["routes"][route]["steps"] if s["type"] == "job"]


@pytest.fixture
def sisr_path(monkeypatch):
    """The compiled ruin and recreate at a short time limit (it needs 2.5 s otherwise)."""
    if not sisr.compiled():
        sisr.compile_now()
    monkeypatch.setattr(search, "SISR_MIN_SECONDS", 0.0)


def test_without_deadlines_the_shortest_plan_and_zero_lateness(solve):
    prob = line_problem()
    del prob["jobs"][2]["deadline"]
    sol = solve(prob, seconds=0.6)
    assert order(sol) == [1, 2, 3] and sol["summary"]["cost"] == 100
    assert sol["summary"]["late"] == 0 and sol["summary"]["lateness"] == 0
    assert all(s["late_by"] == 0 for s in sol["routes"][0]["steps"] if s["type"] == "job")


@pytest.mark.parametrize("mode", ["ortools", "sisr"])
def test_on_time_beats_shortest(solve, mode, request):
    if mode == "sisr":
        request.getfixturevalue("sisr_path")
    sol = solve(line_problem(), seconds=0.6)
    assert order(sol) == [3, 2, 1]
    assert sol["summary"]["cost"] == 190
    assert sol["summary"]["late"] == 0 and sol["routes"][0]["lateness"] == 0


def test_compiled_search_repairs_a_late_plan():
    problem = vroom.parse(line_problem())
    allowed, _ = allowed_vehicles(problem)
    ins = Inserter(problem, allowed)
    late = [[("task", 0), ("task", 1), ("task", 2)]]
    assert simulate(problem, 0, late[0]).late == 1
    routes = sisr.ruin_recreate(ins, late, deadline=time.monotonic() + 0.3)
    assert routes == [[("task", 2), ("task", 1), ("task", 0)]]


def test_a_deadline_no_plan_meets_is_served_late(solve):
    sol = solve(line_problem(deadline=50, priority=10), seconds=0.6)
    assert sol["summary"]["unassigned"] == 0
    assert order(sol) == [3, 2, 1]  # as early as it can be: late by 50 s, not 170 s
    step = next(s for s in sol["routes"][0]["steps"] if s.get("id") == 3)
    assert step["arrival"] == 100 and step["late_by"] == 50
    assert sol["summary"]["late"] == 1 and sol["summary"]["lateness"] == 50
    assert sol["routes"][0]["late"] == 1 and sol["routes"][0]["lateness"] == 50


def test_without_priority_a_task_that_can_only_be_late_is_left_out(solve):
    """The order puts late tasks before tasks served: serving it late is worse."""
    sol = solve(line_problem(deadline=50, priority=0), seconds=0.6)
    assert [u["id"] for u in sol["unassigned"]] == [3]
    assert sol["unassigned"][0]["reason"] == ONLY_LATE
    assert sol["summary"]["late"] == 0


def test_an_optional_job_is_not_added_at_the_price_of_lateness(solve):
    """Job 5 fits only before job 10, which it would make late: it is left out."""
    prob = {
        "vehicles": [{"id": 1, "start_index": 0, "time_window": [0, 200]}],
        "jobs": [
            {"id": 10, "location_index": 10, "deadline": 100, "priority": 10},
            {"id": 5, "location_index": 5, "service": 60},
        ],
        "matrices": line_problem()["matrices"],
    }
    sol = solve(prob, seconds=0.6)
    assert order(sol) == [10] and [u["id"] for u in sol["unassigned"]] == [5]
    del prob["jobs"][0]["deadline"]
    assert order(solve(prob, seconds=0.6)) == [5, 10]  # VROOM's order serves both


def test_shipment_delivery_deadline(solve):
    prob = {
        "vehicles": [{"id": 1, "start_index": 0, "capacity": [4]}],
        "shipments": [
            {
                "pickup": {"id": 1, "location_index": 1},
                "delivery": {"id": 1, "location_index": 2, "deadline": 5},
                "amount": [1],
                "priority": 5,
            }
        ],
        "matrices": line_problem()["matrices"],
    }
    sol = solve(prob, seconds=0.6)
    step = next(s for s in sol["routes"][0]["steps"] if s["type"] == "delivery")
    assert step["late_by"] == 15 and sol["summary"]["lateness"] == 15


def test_annealing_on_the_whole_objective_still_returns_the_best_plan_by_the_order(monkeypatch):
    """Soft acceptance from the first iteration (as once the search is stuck): the walk may
    pass through plans with a late task or a job left out, the plan returned may not."""
    monkeypatch.setattr(sisr, "STALL_SECONDS", 0.0)
    monkeypatch.setattr(sisr, "STALL_SHARE", 0.0)
    prob = line_problem()
    problem = vroom.parse(prob)
    ins = Inserter(problem, allowed_vehicles(problem)[0])
    routes = sisr.ruin_recreate(ins, [[("task", 0), ("task", 1), ("task", 2)]], deadline=time.monotonic() + 0.3)
    assert routes == [[("task", 2), ("task", 1), ("task", 0)]]
    prob["vehicles"][0]["time_window"] = [0, 200]
    prob["jobs"] = [
        {"id": 10, "location_index": 10, "deadline": 100, "priority": 10},
        {"id": 5, "location_index": 5, "service": 60},
    ]
    problem = vroom.parse(prob)
    ins = Inserter(problem, allowed_vehicles(problem)[0])
    assert sisr.ruin_recreate(ins, [[("task", 0)]], deadline=time.monotonic() + 0.3) == [[("task", 0)]]


def test_the_priority_first_stage_searches_as_if_there_were_no_deadlines():
    """With due times the large-problem search first serves priority with them ignored."""
    problem = vroom.parse(line_problem())
    ins = Inserter(problem, allowed_vehicles(problem)[0])
    on_time = [[("task", 2), ("task", 1), ("task", 0)]]
    routes = sisr.ruin_recreate(ins, on_time, deadline=time.monotonic() + 0.3, deadlines=False)
    assert routes == [[("task", 0), ("task", 1), ("task", 2)]]  # the shortest, late


@pytest.mark.parametrize("due", [True, False])
def test_with_due_times_the_last_stage_of_a_day_with_breaks_starts_cooler(sisr_path, monkeypatch, due):
    """A small day with breaks runs compiled stage, OR-Tools, compiled stage. With due times
    the last compiled stage starts at LAST_STAGE_HEAT (it continues a settled plan rather
    than reheat it); without them it is as before (2 x cost per job)."""
    prob = line_problem()
    prob["vehicles"][0]["breaks"] = [{"id": 1, "service": 30}]
    if not due:
        del prob["jobs"][2]["deadline"]
    heats = []
    real = sisr.ruin_recreate

    def recording(ins, routes, **options):
        if options.get("deadlines", True):  # the priority-first stage ignores due times
            heats.append(options.get("temperatures", (2.0, 0.01)))
        return real(ins, routes, **options)

    monkeypatch.setattr(sisr, "ruin_recreate", recording)
    problem = vroom.parse(prob)
    routes, unassigned = search.plan(problem, deadline=time.monotonic() + 1.5, seed=1)
    assert not unassigned and all(("break", 0) in r for r in routes if r)
    assert heats[0] == (2.0, 0.01)  # the first compiled stage
    assert heats[1] == ((search.LAST_STAGE_HEAT, 0.01) if due else (2.0, 0.01))
    assert search.LAST_STAGE_HEAT < 2.0
    if due:
        assert simulate(problem, 0, routes[0]).late == 0
