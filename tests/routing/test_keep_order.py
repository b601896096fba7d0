"""Keep-order mode: given routes keep their order; new jobs go where they cost least."""

from routing import solve_json


def test_new_job_inserted_without_reordering(solve, line):
    v = {"id": 1, "start_index": 0, "end_index": 0, "steps": [{"type": "job", "id": 3}, {"type": "job", "id": 1}]}
    jobs = [{"id": 1, "location_index": 1}, {"id": 3, "location_index": 3}, {"id": 2, "location_index": 2}]
    prob = {"vehicles": [v], "jobs": jobs, "matrices": {"car": {"durations": line(4)}}}
    sol = solve(prob, keep_order=True)
    order = [s["id"] for s in sol["routes"][0]["steps"] if s["type"] == "job"]
    assert order.index(3) < order.index(1) and 2 in order
    assert sol["summary"]["cost"] == 60  # going out to 3 passes 2 at no extra cost
    arrivals = [s["arrival"] for s in sol["routes"][0]["steps"]]
    assert arrivals[-1] == 60 and arrivals == sorted(arrivals)


def test_lateness_of_existing_stops_is_reported(line):
    v = {"id": 1, "start_index": 0, "end_index": 0, "steps": [{"type": "job", "id": 1}, {"type": "job", "id": 2}]}
    jobs = [
        {"id": 1, "location_index": 1, "service": 100},
        {"id": 2, "location_index": 2, "time_windows": [[0, 115]]},
        {"id": 9, "location_index": 3, "time_windows": [[0, 30]], "priority": 100},
    ]
    prob = {"vehicles": [v], "jobs": jobs, "matrices": {"car": {"durations": line(4)}}}
    sol = solve_json(prob, seconds=0.5, keep_order=True)
    steps = sol["routes"][0]["steps"]
    order = [s["id"] for s in steps if s["type"] == "job"]
    assert order == [9, 1, 2]
    late = [s for s in steps if s.get("violations")]
    assert [s["id"] for s in late] == [2]
    assert late[0]["arrival"] == 30 + 20 + 100 + 10
    assert sol["unassigned"] == []


def test_without_keep_order_the_router_may_reorder(solve, line):
    v = {"id": 1, "start_index": 0, "end_index": 0, "steps": [{"type": "job", "id": 3}, {"type": "job", "id": 1}]}
    jobs = [{"id": 1, "location_index": 1}, {"id": 3, "location_index": 3}, {"id": 2, "location_index": 2}]
    prob = {"vehicles": [v], "jobs": jobs, "matrices": {"car": {"durations": line(4)}}}
    sol = solve(prob)
    assert sol["summary"]["cost"] == 60


def keep_order_day():
    """A published route 0 -> 5 -> 8 -> 0 on a line (10 s a step, 60 s of service)."""
    v = {"id": 1, "start_index": 0, "end_index": 0, "steps": [{"type": "job", "id": 5}, {"type": "job", "id": 8}]}
    jobs = [
        {"id": 5, "location_index": 5, "service": 60, "deadline": 200},
        {"id": 8, "location_index": 8, "service": 60},
    ]
    matrix = [[abs(i - j) * 10 for j in range(10)] for i in range(10)]
    return {"vehicles": [v], "jobs": jobs, "matrices": {"car": {"durations": matrix}}}


def test_inserted_job_goes_where_it_is_on_time(solve):
    """Cheapest is after 5 (no detour) but there it starts at 120, after its 70."""
    prob = keep_order_day()
    prob["jobs"].append({"id": 6, "location_index": 6, "service": 60, "deadline": 70})
    sol = solve(prob, keep_order=True)
    steps = [s for s in sol["routes"][0]["steps"] if s["type"] == "job"]
    assert [s["id"] for s in steps] == [6, 5, 8]
    assert [s["late_by"] for s in steps] == [0, 0, 0]
    assert sol["summary"]["cost"] == 180  # 20 s more than after 5


def test_lateness_caused_to_a_given_stop_counts(solve):
    """First would make 5 late (deadline 100): 6 goes after it, late itself by less."""
    prob = keep_order_day()
    prob["jobs"][0]["deadline"] = 100
    prob["jobs"].append({"id": 6, "location_index": 6, "service": 60, "deadline": 100})
    sol = solve(prob, keep_order=True)
    steps = {s["id"]: s for s in sol["routes"][0]["steps"] if s["type"] == "job"}
    assert list(steps) == [5, 6, 8]
    assert steps[6]["late_by"] == 20 and steps[5]["late_by"] == 0
    assert sol["summary"]["late"] == 1 and sol["summary"]["lateness"] == 20


def test_a_van_used_only_by_the_insertion_takes_its_break(solve):
    prob = keep_order_day()
    prob["vehicles"][0]["steps"] = []
    prob["vehicles"][0]["breaks"] = [{"id": 1, "service": 60}]
    sol = solve(prob, keep_order=True)
    types = [s["type"] for s in sol["routes"][0]["steps"]]
    assert types.count("break") == 1 and types.count("job") == 2
