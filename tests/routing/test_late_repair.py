"""The last try at late tasks (routing/late_repair.py): each late task that some window
still lets start by its deadline is searched back in on time, all together and then one at
a time."""

import time

import pytest

from routing import late_repair, sisr, vroom
from routing.reasons import allowed_vehicles
from routing.schedule import simulate
from routing.search import objective, served_tasks


def line_day(deadline=150, window=None):
    """From 0 along a line (10 s a step): 1 and 2 near, 3 far, due at `deadline`.

    Shortest: 1, 2, 3 (3 starts at 220, late). On time: 3 first (at 100), then 2, 1.
    """
    far = {"id": 3, "location_index": 10, "service": 60, "deadline": deadline, "priority": 10}
    if window:
        far["time_windows"] = [window]
    return vroom.parse(
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [{"id": 1, "location_index": 1, "service": 60}, {"id": 2, "location_index": 2, "service": 60}, far],
            "matrices": {"car": {"durations": [[abs(i - j) * 10 for j in range(11)] for i in range(11)]}},
        }
    )


SHORTEST = [[("task", 0), ("task", 1), ("task", 2)]]


def keep(ins, start, until):
    """A search that changes nothing: what the repair's own insertion does is seen alone."""
    return start


def repair(problem, routes, search=keep):
    allowed, _ = allowed_vehicles(problem)
    return late_repair.repair(problem, allowed, routes, search, lambda r: objective(problem, served_tasks(r), r), FAR)


FAR = time.monotonic() + 3600


def test_late_tasks_are_those_served_after_their_deadline():
    problem = line_day()
    assert late_repair.late_tasks(problem, SHORTEST) == {2}
    assert late_repair.late_tasks(problem, [[("task", 2), ("task", 1), ("task", 0)]]) == set()


def test_a_late_task_is_put_back_on_time_before_the_search_starts():
    """With a search that changes nothing, the insertion alone puts job 3 where it is on time."""
    problem = line_day()
    routes = repair(problem, SHORTEST)
    assert routes == [[("task", 2), ("task", 0), ("task", 1)]]
    timed = simulate(problem, 0, routes[0])
    assert timed.late == 0 and timed.late_by == 0


def test_the_compiled_search_then_shortens_the_on_time_plan():
    if not sisr.compiled():
        sisr.compile_now()
    problem = line_day()

    def search(ins, start, until):
        return sisr.ruin_recreate(ins, start, deadline=min(until, time.monotonic() + 0.3))

    routes = repair(problem, SHORTEST, search)
    assert routes == [[("task", 2), ("task", 1), ("task", 0)]]  # 190 s of driving, on time


def test_a_task_no_window_lets_be_on_time_stays_soft_and_nothing_is_tried():
    """Job 3's only window opens after its deadline: it can only be late, so no repair."""
    problem = line_day(deadline=150, window=[200, 1000])
    allowed, _ = allowed_vehicles(problem)
    hard, made_hard = late_repair.hardened(problem, allowed, {2})
    assert made_hard == set() and hard.tasks[2].deadline == 150
    assert repair(problem, SHORTEST) is None


def test_a_plan_without_late_tasks_is_left_alone():
    problem = line_day(deadline=1000)
    assert repair(problem, SHORTEST, lambda ins, start, until: 1 / 0) is None


def test_hardening_clips_each_window_to_the_deadline():
    problem = line_day(deadline=300, window=[100, 1000])
    allowed, _ = allowed_vehicles(problem)
    hard, made_hard = late_repair.hardened(problem, allowed, {2})
    assert made_hard == {2}
    assert hard.tasks[2].windows == ((100, 300),) and hard.tasks[2].deadline is None
    assert problem.tasks[2].windows == ((100, 1000),)  # the problem itself is unchanged


def two_ways_day():
    """From 0 (10 s a step): A 10 steps one way and B 10 the other, each due at 100 (so only
    the first of them can be on time), C one step from the start. A's priority is higher.

    The plan C, A, B has both late. Both on time cannot be: with both deadlines hard one is
    left out, worse by the objective. A alone made on time (A, C, B) has one late."""
    position = [0, 10, -10, -1]
    return vroom.parse(
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [
                {"id": 1, "location_index": 1, "deadline": 100, "priority": 20},
                {"id": 2, "location_index": 2, "deadline": 100, "priority": 10},
                {"id": 3, "location_index": 3},
            ],
            "matrices": {"car": {"durations": [[abs(a - b) * 10 for b in position] for a in position]}},
        }
    )


BOTH_LATE = [[("task", 2), ("task", 0), ("task", 1)]]


def test_when_all_together_cannot_be_on_time_one_at_a_time_still_helps():
    problem = two_ways_day()
    assert late_repair.late_tasks(problem, BOTH_LATE) == {0, 1}
    assert repair(problem, BOTH_LATE) == [[("task", 0), ("task", 2), ("task", 1)]]
    assert late_repair.late_tasks(problem, [[("task", 0), ("task", 2), ("task", 1)]]) == {1}


def test_all_together_alone_finds_nothing_there(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(late_repair, "ONE_AT_A_TIME", False)
    assert repair(two_ways_day(), BOTH_LATE) is None


def test_the_tries_stop_at_the_time_given():
    """The tries share the time left evenly; none starts once it is up."""
    problem = two_ways_day()
    allowed, _ = allowed_vehicles(problem)
    asked = []

    def search(ins, start, until):
        asked.append(until)
        return start

    now = time.monotonic()
    late_repair.repair(problem, allowed, BOTH_LATE, search, lambda r: objective(problem, served_tasks(r), r), now + 3)
    assert len(asked) == 3  # all together, A, then B (still late)
    assert now + 3 / 3 <= asked[0] <= now + 3 / 3 + 0.5  # a third of the time, from when it began
    assert asked == sorted(asked) and asked[-1] <= now + 3
    assert late_repair.repair(problem, allowed, BOTH_LATE, search, lambda r: (0,), now - 1) is None
