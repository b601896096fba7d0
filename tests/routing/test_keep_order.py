"""Keep-order mode: given routes keep their order; new jobs go where they cost least."""

from routing import solve_json


def test_new_job_inserted_without_reordering(solve, line):
    v = {
        "id": 1,
        "start_index": 0,
        "end_index": 0,
        "steps": [{"type": "job", "id": 3}, {"type": "job", "id": 1}],
    }
    jobs = [
        {"id": 1, "location_index": 1},
        {"id": 3, "location_index": 3},
        {"id": 2, "location_index": 2},
    ]
    prob = {"vehicles": [v], "jobs": jobs, "matrices": {"car": {"durations": line(4)}}}
    sol = solve(prob, keep_order=True)
    order = [s["id"] for s in sol["routes"][0]["steps"] if s["type"] == "job"]
    assert order.index(3) < order.index(1) and 2 in order
    assert sol["summary"]["cost"] == 60  # going out to 3 passes 2 at no extra cost
    arrivals = [s["arrival"] for s in sol["routes"][0]["steps"]]
    assert arrivals[-1] == 60 and arrivals == sorted(arrivals)


def test_lateness_of_existing_stops_is_reported(line):
    v = {
        "id": 1,
        "start_index": 0,
        "end_index": 0,
        "steps": [{"type": "job", "id": 1}, {"type": "job", "id": 2}],
    }
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
    v = {
        "id": 1,
        "start_index": 0,
        "end_index": 0,
        "steps": [{"type": "job", "id": 3}, {"type": "job", "id": 1}],
    }
    jobs = [
        {"id": 1, "location_index": 1},
        {"id": 3, "location_index": 3},
        {"id": 2, "location_index": 2},
    ]
    prob = {"vehicles": [v], "jobs": jobs, "matrices": {"car": {"durations": line(4)}}}
    sol = solve(prob)
    assert sol["summary"]["cost"] == 60
