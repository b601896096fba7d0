"""Small instances with hand-checkable answers; each constraint shown to bind."""

from routing import solve_json
from routing.reasons import NO_CAPACITY, NO_ROOM, NO_SKILLS, NO_TIME


def vehicle(vid=1, start=0, end=0, **kw):
    return {"id": vid, "start_index": start, "end_index": end, **kw}


def job(jid, loc, **kw):
    return {"id": jid, "location_index": loc, **kw}


def problem(vehicles, jobs, matrix, **kw):
    return {"vehicles": vehicles, "jobs": jobs, "matrices": {"car": {"durations": matrix}}, **kw}


def ids(route):
    return [s["id"] for s in route["steps"] if s["type"] in ("job", "pickup", "delivery")]


def route_of(sol, vid):
    return next(r for r in sol["routes"] if r["vehicle"] == vid)


def test_line_tsp_optimal(solve, line):
    sol = solve(problem([vehicle()], [job(i, i) for i in (3, 1, 4, 2)], line(5)))
    assert sol["summary"]["cost"] == 80
    assert sorted(ids(sol["routes"][0])) == [1, 2, 3, 4]
    assert sol["unassigned"] == []


def test_each_van_serves_the_jobs_near_its_own_depot(solve, line):
    vs = [vehicle(1, 0, 0), vehicle(2, 10, 10)]
    sol = solve(problem(vs, [job(1, 1), job(9, 9)], line(11)))
    assert sol["summary"]["cost"] == 40
    assert ids(route_of(sol, 1)) == [1] and ids(route_of(sol, 2)) == [9]


def test_capacity_binds(solve, line):
    vs = [vehicle(1, capacity=[4]), vehicle(2, capacity=[4])]
    jobs = [job(1, 1, delivery=[3]), job(2, 2, delivery=[3])]
    sol = solve(problem(vs, jobs, line(3)))
    assert len(sol["routes"]) == 2 and sol["summary"]["cost"] == 60


def test_second_capacity_dimension_binds(solve, line):
    vs = [vehicle(1, capacity=[10, 1]), vehicle(2, capacity=[10, 1])]
    jobs = [job(1, 1, delivery=[1, 1]), job(2, 2, delivery=[1, 1])]
    sol = solve(problem(vs, jobs, line(3)))
    assert len(sol["routes"]) == 2


def test_deliveries_leave_loaded_and_pickups_come_back(solve):
    # Depot 0 between 1 and 2; either order costs 40, only delivery-first fits.
    m = [[0, 10, 10], [10, 0, 20], [10, 20, 0]]
    jobs = [job(1, 1, pickup=[4]), job(2, 2, delivery=[4])]
    sol = solve(problem([vehicle(capacity=[4])], jobs, m))
    r = sol["routes"][0]
    assert ids(r) == [2, 1]
    assert [s["load"] for s in r["steps"]] == [[4], [0], [4], [4]]
    assert sol["summary"]["cost"] == 40


def test_mixed_load_never_exceeds_capacity(solve, line):
    jobs = [job(i, i, delivery=[2], pickup=[3]) for i in range(1, 5)]
    sol = solve(problem([vehicle(capacity=[9]), vehicle(2, capacity=[9])], jobs, line(5)))
    assert sol["unassigned"] == []
    for r in sol["routes"]:
        assert all(s["load"][0] <= 9 for s in r["steps"])


def test_time_windows_force_the_order(solve, line):
    jobs = [job(1, 1, time_windows=[[30, 100]]), job(2, 2, time_windows=[[0, 25]])]
    sol = solve(problem([vehicle()], jobs, line(3)))
    assert ids(sol["routes"][0]) == [2, 1]
    assert sol["summary"]["cost"] == 40


def test_second_time_window_is_used(solve, line):
    jobs = [job(1, 1, time_windows=[[0, 5], [100, 200]])]
    sol = solve(problem([vehicle()], jobs, line(2)))
    step = sol["routes"][0]["steps"][1]
    assert step["arrival"] + step["waiting_time"] == 100


def test_skills_bind_and_explain(solve, line):
    vs = [vehicle(1, 0, 0), vehicle(2, 3, 3, skills=[1])]
    jobs = [job(1, 1, skills=[1]), job(2, 1, skills=[7])]
    sol = solve(problem(vs, jobs, line(4)))
    assert ids(route_of(sol, 2)) == [1]
    assert sol["unassigned"] == [{"id": 2, "type": "job", "location_index": 1, "reason": NO_SKILLS}]


def test_shift_binds_and_explains(solve, line):
    jobs = [job(1, 4, service=20), job(2, 1)]
    sol = solve(problem([vehicle(time_window=[0, 50])], jobs, line(5)))
    assert [u["id"] for u in sol["unassigned"]] == [1]
    assert sol["unassigned"][0]["reason"] == NO_TIME


def test_too_big_for_every_van(solve, line):
    sol = solve(problem([vehicle(capacity=[5])], [job(1, 1, delivery=[6]), job(2, 1)], line(2)))
    assert sol["unassigned"][0]["reason"] == NO_CAPACITY


def test_break_is_taken_inside_its_window(solve, line):
    v = vehicle(time_window=[0, 1000], breaks=[{"id": 7, "time_windows": [[50, 60]], "service": 30}])
    jobs = [job(i, i, service=10) for i in (1, 2, 3)]
    sol = solve(problem([v], jobs, line(4)))
    steps = sol["routes"][0]["steps"]
    brk = [s for s in steps if s["type"] == "break"]
    assert len(brk) == 1 and brk[0]["id"] == 7
    assert 50 <= brk[0]["arrival"] + brk[0]["waiting_time"] <= 60
    assert steps[-1]["arrival"] >= 60 + 30 + 30  # travel 60, service 30, break 30


def test_break_makes_the_shift_too_short(solve, line):
    v = vehicle(time_window=[0, 85], breaks=[{"id": 1, "time_windows": [[0, 85]], "service": 30}])
    jobs = [job(1, 2, service=10), job(2, 2, service=10)]
    sol = solve(problem([v], jobs, line(3)))
    assert len(sol["unassigned"]) == 1  # 40 travel + 30 break leaves no time for a second service


def test_priority_decides_who_is_dropped(solve, line):
    jobs = [job(1, 1, delivery=[1]), job(2, 4, delivery=[1], priority=100)]
    sol = solve(problem([vehicle(capacity=[1])], jobs, line(5)))
    assert ids(sol["routes"][0]) == [2]
    assert sol["unassigned"] == [{"id": 1, "type": "job", "location_index": 1, "reason": NO_ROOM}]
    assert sol["summary"]["priority"] == 100


def test_more_jobs_served_beats_shorter_travel(solve, line):
    jobs = [job(1, 1, delivery=[2]), job(2, 4, delivery=[1]), job(3, 4, delivery=[1])]
    sol = solve(problem([vehicle(capacity=[2])], jobs, line(5)))
    assert sorted(ids(sol["routes"][0])) == [2, 3]


def test_max_tasks_binds(solve, line):
    jobs = [job(i, 1) for i in (1, 2, 3)]
    sol = solve(problem([vehicle(max_tasks=2)], jobs, line(2)))
    assert len(ids(sol["routes"][0])) == 2 and len(sol["unassigned"]) == 1


def test_shipment_pickup_before_delivery_on_one_van(solve, line):
    ship = {"pickup": {"id": 1, "location_index": 3}, "delivery": {"id": 1, "location_index": 1}, "amount": [2]}
    vs = [vehicle(1, capacity=[2]), vehicle(2, capacity=[2])]
    sol = solve(problem(vs, [job(5, 2, delivery=[1])], line(4), shipments=[ship]))
    r = next(r for r in sol["routes"] if any(s["type"] == "pickup" for s in r["steps"]))
    kinds = [s["type"] for s in r["steps"] if s["type"] in ("pickup", "delivery")]
    assert kinds == ["pickup", "delivery"]
    assert sol["unassigned"] == []


def test_open_route_without_end(solve, line):
    v = {"id": 1, "start_index": 0}
    sol = solve(problem([v], [job(1, 3)], line(4)))
    assert sol["summary"]["cost"] == 30


def test_coordinates_without_matrix(solve):
    # No matrix: the router builds one; the checker needs one, so check the basics only.
    prob = {
        "vehicles": [{"id": 1, "start": [1.155, 52.06], "end": [1.155, 52.06]}],
        "jobs": [{"id": 1, "location": [0.71, 52.245]}, {"id": 2, "location": [1.59, 52.435]}],
    }
    sol = solve_json(prob, seconds=0.3)
    assert sol["summary"]["unassigned"] == 0
    assert sol["summary"]["distance"] > 100_000
    assert sol["routes"][0]["steps"][1]["location"] in ([0.71, 52.245], [1.59, 52.435])


def test_emergencies_are_the_last_dropped(solve, line):
    jobs = [job(i, 1 + i % 5, delivery=[1], priority=100 if i % 4 == 0 else 0) for i in range(20)]
    sol = solve(problem([vehicle(capacity=[8])], jobs, line(6)))
    served = set(ids(sol["routes"][0]))
    assert {i for i in range(20) if i % 4 == 0} <= served
    assert len(served) == 8
