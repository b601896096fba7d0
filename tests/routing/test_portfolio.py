"""Several searches at once (routing/portfolio.py): the best plan is kept, another search
that fails or overruns is ignored, and the time limit holds."""

import json
import logging
import os
import pickle
import subprocess
import sys
import time

import pytest

from routing import ProblemError, portfolio, solve_json, vroom
from routing.__main__ import main
from routing.check import check


def grid_day(n: int = 121) -> dict:
    pts = [(i % 11, i // 11) for i in range(n)]
    m = [[int(10 * (abs(a[0] - b[0]) + abs(a[1] - b[1]))) for b in pts] for a in pts]
    return {
        "vehicles": [{"id": k, "start_index": 0, "end_index": 0, "capacity": [30]} for k in range(6)],
        "jobs": [{"id": i, "location_index": i, "delivery": [1]} for i in range(1, n)],
        "matrices": {"car": {"durations": m}},
    }


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: one search")
def test_two_searches_run_and_the_plan_holds_the_time_limit(caplog):
    problem, seconds = grid_day(), portfolio.MIN_SECONDS + 1.5
    caplog.set_level(logging.INFO, logger="routing.portfolio")
    t = time.monotonic()
    sol = solve_json(problem, seconds=seconds, threads=2)
    elapsed = time.monotonic() - t
    assert check(problem, sol)["errors"] == []
    assert sol["summary"]["unassigned"] == 0
    assert elapsed <= seconds + 1
    compared = [r.getMessage() for r in caplog.records if r.getMessage().startswith("best of")]
    assert compared and compared[0].startswith("best of 2 searches")


def test_short_limits_use_one_search(caplog):
    caplog.set_level(logging.INFO, logger="routing.portfolio")
    solve_json(grid_day(31), seconds=1, threads=2)
    assert not [r for r in caplog.records if r.getMessage().startswith("best of")]


def test_problems_above_max_tasks_use_one_search(caplog, monkeypatch):
    monkeypatch.setattr(portfolio, "MAX_TASKS", 20)
    caplog.set_level(logging.INFO, logger="routing.portfolio")
    sol = solve_json(grid_day(31), seconds=portfolio.MIN_SECONDS + 0.5, threads=2)
    assert sol["summary"]["unassigned"] == 0
    assert not [r for r in caplog.records if r.getMessage().startswith("best of")]


def test_the_best_plan_by_the_objective_is_kept():
    # Two jobs of priorities 1 and 5, one van: the plan serving the priority-5 job wins
    # whichever comes first; on a tie, the first (this process's own) plan.
    p = vroom.parse(
        {
            "vehicles": [{"id": 1, "start_index": 0, "end_index": 0}],
            "jobs": [{"id": 1, "location_index": 1, "priority": 1}, {"id": 2, "location_index": 2, "priority": 5}],
            "matrices": {"car": {"durations": [[0, 10, 20], [10, 0, 10], [20, 10, 0]]}},
        }
    )
    low = ([[("task", 0)]], [(1, "x")])
    high = ([[("task", 1)]], [(0, "x")])
    assert portfolio.best(p, [low, high]) is high
    assert portfolio.best(p, [high, low]) is high
    near = ([[("task", 0), ("task", 1)]], [])
    far = ([[("task", 1), ("task", 0)]], [])
    assert portfolio.best(p, [near, far]) is near
    assert portfolio.best(p, [far, near]) is far  # equal cost: the first


def test_a_failed_search_is_ignored(tmp_path, caplog):
    bad = tmp_path / "bad.pickle"
    bad.write_bytes(b"not a pickle")
    proc = subprocess.Popen(
        [sys.executable, "-m", "routing.portfolio", str(bad)], stderr=subprocess.PIPE, cwd=portfolio.ROOT, text=True
    )
    assert portfolio._collect(proc, portfolio._result_path(bad), time.monotonic() + 30) == []
    assert proc.returncode != 0
    failed = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert failed and "UnpicklingError" in failed[0]  # the search's own last words


def test_a_search_that_overruns_is_stopped(tmp_path, caplog):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stderr=subprocess.PIPE, text=True)
    t = time.monotonic()
    assert portfolio._collect(proc, tmp_path / "none.plan", time.monotonic() + 0.3) == []
    assert time.monotonic() - t < 5
    assert proc.returncode is not None  # stopped, not left running
    assert any("overran" in r.getMessage() for r in caplog.records)


def test_a_plan_written_before_the_search_was_stopped_still_counts(tmp_path):
    # The search finished and wrote its plan, but the process was slow to exit (a busy
    # machine): the plan is kept, not thrown away with the process.
    result = tmp_path / "0.plan"
    code = f"import pickle, pathlib, time; pathlib.Path({str(result)!r}).write_bytes(pickle.dumps(([], [(0, 'x')]))); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    assert portfolio._collect(proc, result, time.monotonic() + 0.3) == [([], [(0, "x")])]
    assert proc.returncode is not None


def test_an_isolated_search_runs_in_another_process_and_reports_progress(monkeypatch):
    # The search in this process is broken on purpose: the plan can only come from elsewhere.
    def broken(*args, **kwargs):
        raise AssertionError("the search ran in the caller's process")

    monkeypatch.setattr(portfolio.search, "plan", broken)
    problem, progress = grid_day(31), []
    sol = solve_json(problem, seconds=2, isolated=True, on_progress=lambda f, c: progress.append((f, c)))
    assert check(problem, sol)["errors"] == []
    assert sol["summary"]["unassigned"] == 0
    assert progress, "the other process's progress reaches the caller"
    assert all(0 <= f <= 1 and isinstance(c, int) for f, c in progress)
    assert [c for _, c in progress] == sorted((c for _, c in progress), reverse=True)  # improvements only


@pytest.mark.parametrize("report", [True, False])
def test_only_a_stand_in_reports_progress(tmp_path, report):
    # The other searches' stderr is read only once they end: progress lines there would fill
    # the pipe on a long solve and stop the search, so they send none.
    path = tmp_path / "1.pickle"
    proc = portfolio._start(path, vroom.parse(grid_day(31)), time.monotonic() + 2, 0, report=report)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and portfolio._result_path(path).exists()
    assert (portfolio.PROGRESS in err) is report


def test_an_isolated_search_that_fails_raises_instead_of_returning_nothing(monkeypatch):
    # A deadline already past and no grace: the other process is stopped at once, no plan.
    monkeypatch.setattr(portfolio, "STAND_IN_GRACE_SECONDS", 0.0)
    p = vroom.parse(grid_day(5))
    with pytest.raises(RuntimeError, match="own process"):
        portfolio.plan(p, deadline=time.monotonic() - 1, isolated=True)


def test_threads_must_be_a_positive_integer(tmp_path, capsys):
    with pytest.raises(ProblemError, match="threads"):
        solve_json(grid_day(5), seconds=1, threads=0)
    f = tmp_path / "p.json"
    f.write_text(json.dumps(grid_day(5)))
    assert main(["solve", str(f), "-t", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--threads" in err
    assert portfolio.usable_threads(64) <= portfolio.MAX_THREADS


def test_no_search_is_left_running_when_this_one_fails(monkeypatch):
    # This process's search raises (an internal error): the other one is stopped, not left
    # to finish and block on a pipe nobody reads.
    started = []
    real_start = portfolio._start

    def start(*args, **kwargs):
        proc = real_start(*args, **kwargs)
        started.append(proc)
        return proc

    def broken(*args, **kwargs):
        raise RuntimeError("search failed")

    monkeypatch.setattr(portfolio, "_start", start)
    monkeypatch.setattr(portfolio.search, "plan", broken)
    with pytest.raises(RuntimeError):
        solve_json(grid_day(), seconds=portfolio.MIN_SECONDS + 5, threads=2)
    assert len(started) == 1 and started[0].poll() is not None


@pytest.mark.parametrize("on_time_first", [True, False])
def test_the_on_time_first_search_plans_its_urgent_tasks_hard(tmp_path, monkeypatch, on_time_first):
    # What the other process does, run here so that the problem it searches can be seen.
    day = {
        "vehicles": [{"id": 1, "start_index": 0}],
        "jobs": [
            {"id": 1, "location_index": 2, "deadline": 30, "priority": 100},
            {"id": 2, "location_index": 1, "deadline": 400, "priority": 10},
        ],
        "matrices": {"car": {"durations": [[abs(i - j) * 10 for j in range(3)] for i in range(3)]}},
    }
    problem, searched = vroom.parse(day), []
    real_plan = portfolio.search.plan

    def plan(p, **kwargs):
        searched.append(p)
        return real_plan(p, **kwargs)

    monkeypatch.setattr(portfolio.search, "plan", plan)
    path = tmp_path / "1.pickle"
    with open(path, "wb") as f:
        pickle.dump((problem, time.monotonic() + 1, 0, False, on_time_first), f)
    portfolio._main(str(path))
    routes, _ = pickle.loads(portfolio._result_path(path).read_bytes())
    urgent = searched[-1].tasks[0]
    assert (urgent.deadline, urgent.windows[-1][1]) == (
        (None, 30) if on_time_first else (30, problem.tasks[0].windows[-1][1])
    )
    assert searched[-1].tasks[1] == problem.tasks[1]
    assert sorted(i for r in routes for _, i in r) == [0, 1]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: one search")
@pytest.mark.parametrize(("due", "threads"), [(True, 2), (False, 2), (True, 1)])
def test_this_search_plans_on_time_first_too_alone_or_with_another(monkeypatch, due, threads):
    # The other search is replaced by a process that writes no plan (ignored, as a failed
    # one is); this process's own search must get the urgent task's deadline made hard.
    day = urgent_day() if due else vroom.parse(grid_day(12))
    searched, started = [], []
    real_plan = portfolio.search.plan

    def plan(p, **kwargs):
        searched.append(p)
        return real_plan(p, **kwargs)

    def start(path, problem, deadline, seed, **kwargs):
        started.append(kwargs["on_time_first"])
        return subprocess.Popen([sys.executable, "-c", "pass"], stderr=subprocess.PIPE, text=True)

    monkeypatch.setattr(portfolio.search, "plan", plan)
    monkeypatch.setattr(portfolio, "_start", start)
    monkeypatch.setattr(portfolio, "MIN_SECONDS", 0.5)
    routes, left_out = portfolio.plan(day, deadline=time.monotonic() + 1.5, threads=threads)
    assert started == ([due] if threads == 2 else [])
    if due:  # planned alone first, then the day with the two that can be on time made hard
        assert len(searched) == 2 and len(searched[0].tasks) == 3
        assert [t.windows[-1][1] for t in searched[1].tasks[:2]] == [30, 60]
    else:
        assert searched == [day]
    served = {i for r in routes for kind, i in r if kind == "task"}
    assert served | {i for i, _ in left_out} == set(range(len(day.tasks)))


def urgent_day():
    """One van from 0 along a line (10 s a step). Emergencies (priority 100): at 2 due 30
    and at 5 due 60, both on time in that order; at 9 due 40, which no plan makes (90 s
    away). A routine job (priority 10) at 1 due 5 is late in any plan too."""
    job = lambda i, loc, due, prio: {"id": i, "location_index": loc, "deadline": due, "priority": prio}  # noqa: E731
    return vroom.parse(
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [job(1, 2, 30, 100), job(2, 5, 60, 100), job(3, 9, 40, 100), job(4, 1, 5, 10)],
            "matrices": {"car": {"durations": [[abs(i - j) * 10 for j in range(10)] for i in range(10)]}},
        }
    )


def test_the_most_urgent_tasks_that_can_all_be_on_time_are_made_hard():
    problem = urgent_day()
    hard = portfolio.top_on_time_hard(problem, time.monotonic() + 1, seed=0)
    assert [t.windows[-1][1] for t in hard.tasks[:2]] == [30, 60]
    assert [t.deadline for t in hard.tasks[:2]] == [None, None]
    assert hard.tasks[2:] == problem.tasks[2:]  # one no plan makes on time, and a lower priority


def test_without_due_times_nothing_is_made_hard():
    plain = vroom.parse(
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [{"id": 1, "location_index": 1, "priority": 100}],
            "matrices": {"car": {"durations": [[0, 10], [10, 0]]}},
        }
    )
    assert portfolio.top_on_time_hard(plain, time.monotonic() + 1, seed=0) is plain
